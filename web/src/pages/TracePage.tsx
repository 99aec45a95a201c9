import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { ApiError, type CallMeta, type TraceData } from '../api';
import { CallInfo } from '../components/CallInfo';
import { PageHead } from '../components/PageHead';
import { formatDate, formatMs } from '../format';
import { useSession } from '../session';
import { axisTicks, layoutWaterfall, type SpanLayer, type WaterfallRow } from '../waterfall';

const LAYER_LABELS: Record<SpanLayer, string> = {
  rest: 'REST',
  grpc: 'gRPC',
  events: 'Events',
  kafka: 'Kafka',
  sql: 'SQL',
  other: '',
};
// Indentation stops growing here, so a deep trace still fits a phone.
const MAX_INDENT = 6;

function message(e: unknown): string {
  return e instanceof ApiError || e instanceof Error ? e.message : String(e);
}

function SpanDetails({ row }: { row: WaterfallRow }) {
  const s = row.span;
  const attributes = Object.entries(s.attributes).sort(([a], [b]) => a.localeCompare(b));
  return (
    <dl className="span-details">
      <dt>Process</dt>
      <dd>{s.service}</dd>
      <dt>Kind</dt>
      <dd>{s.kind.toLowerCase()}</dd>
      <dt>Starts</dt>
      <dd>{formatMs(s.start_ms)} after the first span</dd>
      <dt>Status</dt>
      <dd>{s.status_message ? `${s.status}: ${s.status_message}` : s.status}</dd>
      <dt>Span id</dt>
      <dd className="mono">{s.span_id}</dd>
      {row.orphan ? (
        <>
          <dt>Parent</dt>
          <dd className="mono">{s.parent_span_id} (not in this trace)</dd>
        </>
      ) : null}
      {attributes.map(([k, v]) => (
        <div key={k} className="span-attr">
          <dt className="mono">{k}</dt>
          <dd className="mono">{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function SpanRow({ row }: { row: WaterfallRow }) {
  const s = row.span;
  const layer = LAYER_LABELS[row.layer];
  const failed = s.status === 'ERROR';
  return (
    <li
      className={`span-row${failed ? ' failed' : ''}`}
      data-testid="span-row"
      data-service={s.service}
      data-layer={row.layer}
      data-depth={row.depth}
      data-span-id={s.span_id}
      data-parent-id={s.parent_span_id}
    >
      <details>
        <summary>
          <span className="span-label" style={{ paddingLeft: `${Math.min(row.depth, MAX_INDENT) * 0.75}rem` }}>
            <span className="span-name" data-testid="span-name">
              {s.name}
            </span>
            <span className="span-tags">
              <span className="tag service-tag">{s.service}</span>
              {layer ? (
                <span className="tag" data-transport={row.layer} data-testid="span-layer">
                  {layer}
                </span>
              ) : null}
              {failed ? <span className="tag error">failed</span> : null}
              <span className="span-ms" data-testid="span-duration">
                {formatMs(s.duration_ms)}
              </span>
            </span>
          </span>
          <span className="span-track" aria-hidden="true">
            <span
              className="span-bar"
              data-layer={row.layer}
              style={{ left: `${row.leftPct}%`, width: `${row.widthPct}%` }}
            />
          </span>
          <span className="sr-only">
            , starts {formatMs(s.start_ms)} after the first span{row.depth ? `, level ${row.depth + 1}` : ''}
          </span>
        </summary>
        <SpanDetails row={row} />
      </details>
    </li>
  );
}

/** One trace as a waterfall: every span of the call across processes and transports, nested by parent. */
export function TracePage() {
  const { traceId = '' } = useParams();
  const { client } = useSession();
  const [trace, setTrace] = useState<TraceData | null>(null);
  const [meta, setMeta] = useState<CallMeta | null>(null);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(false);
  const generation = useRef(0);

  const load = useCallback(async () => {
    const gen = ++generation.current;
    setLoading(true);
    setError('');
    try {
      const r = await client.trace(traceId);
      if (gen !== generation.current) return;
      setTrace(r.data);
      setMeta(r.meta);
    } catch (e) {
      if (gen === generation.current) {
        setTrace(null);
        setError(e instanceof ApiError && e.status === 404 ? `No trace here: ${e.message}` : message(e));
      }
    } finally {
      if (gen === generation.current) setLoading(false);
    }
  }, [client, traceId]);

  useEffect(() => {
    void load();
  }, [load]);

  const waterfall = useMemo(() => layoutWaterfall(trace?.spans ?? []), [trace]);
  const ticks = axisTicks(waterfall.totalMs);

  return (
    <main data-testid="trace-page" className="trace">
      <PageHead title="Trace" busy={loading} onRefresh={() => void load()} testId="trace-refresh" />
      <p className="help">
        <Link to="/analytics">← Back to analytics</Link>
      </p>
      <p className="trace-id">
        <span className="help">Trace id </span>
        <code data-testid="trace-id">{traceId}</code>
      </p>
      <CallInfo meta={meta} label="Trace" testId="trace-call-info" />
      {error ? (
        <p className="error" role="alert" data-testid="trace-error">
          {error}
        </p>
      ) : null}
      {trace?.ui_url ? (
        <p data-testid="trace-ui-link">
          <a href={trace.ui_url} target="_blank" rel="noreferrer">
            Open this trace in Jaeger
          </a>
        </p>
      ) : null}
      {trace && waterfall.rows.length > 0 ? (
        <section aria-labelledby="waterfall-title">
          <h2 id="waterfall-title">Spans</h2>
          <p className="help" data-testid="trace-summary">
            {waterfall.rows.length} {waterfall.rows.length === 1 ? 'span' : 'spans'} in{' '}
            {waterfall.services.length} {waterfall.services.length === 1 ? 'process' : 'processes'} (
            {waterfall.services.join(', ')}), {formatMs(waterfall.totalMs)}
            {trace.start ? `, from ${formatDate(trace.start)}` : ''}. Open a span for its details.
          </p>
          <div className="waterfall" data-testid="waterfall">
            <div className="waterfall-axis" aria-hidden="true">
              {ticks.map((t) => {
                const pct = waterfall.totalMs ? (t / waterfall.totalMs) * 100 : 0;
                // Labels past the middle end at their tick, so none reaches beyond the box.
                return (
                  <span key={t} className={pct > 50 ? 'tick end' : 'tick'} style={{ left: `${pct}%` }}>
                    {formatMs(t)}
                  </span>
                );
              })}
            </div>
            <ol className="span-list" aria-label="Spans, each under the span that started it">
              {waterfall.rows.map((row) => (
                <SpanRow key={row.span.span_id} row={row} />
              ))}
            </ol>
          </div>
          <p className="help">
            REST, gRPC and Events name the transport a call travelled over; Kafka marks records published and
            processed; SQL marks statements sent to PostgreSQL.
          </p>
        </section>
      ) : trace && !loading ? (
        <p data-testid="trace-empty">
          {trace.ui_url
            ? 'This system sends its traces to a tracing UI rather than keeping them: follow the link above.'
            : 'No spans of this trace are here: they have not arrived yet (refresh in a moment), or this call is older than the latest traces the system keeps.'}
        </p>
      ) : loading && !trace ? (
        <p role="status">Loading…</p>
      ) : null}
    </main>
  );
}
