import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, type AnalyticsData, type CallMeta } from '../api';
import { CallInfo, transportLabel } from '../components/CallInfo';
import { barPercent, formatDate, formatMs, summarizeByTransport } from '../format';
import { useSession } from '../session';

const LIMITS = [50, 200, 500];

interface Bar {
  label: string;
  value: number;
  text: string;
  className?: string;
}

/** A horizontal bar chart made of plain elements; each row also states its value in text. */
function BarChart({ title, rows, testId }: { title: string; rows: { label: string; bars: Bar[] }[]; testId: string }) {
  const max = Math.max(0, ...rows.flatMap((r) => r.bars.map((b) => b.value)));
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      {rows.length === 0 ? <p className="help">No data yet.</p> : null}
      <dl>
        {rows.map((r) => (
          <div className="chart-row" key={r.label} data-testid={`${testId}-row`} data-label={r.label}>
            <dt>{r.label}</dt>
            <dd>
              {r.bars.map((b) => (
                <div className="bar-line" key={b.label}>
                  <span className={`bar ${b.className ?? ''}`} style={{ width: `${barPercent(b.value, max)}%` }} aria-hidden="true" />
                  <span className="bar-value">
                    {r.bars.length > 1 ? `${b.label} ` : ''}
                    {b.text}
                  </span>
                </div>
              ))}
            </dd>
          </div>
        ))}
      </dl>
    </figure>
  );
}

export function AnalyticsPage() {
  const { client, transport } = useSession();
  const [data, setData] = useState<AnalyticsData | null>(null);
  const [meta, setMeta] = useState<CallMeta | null>(null);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(false);
  const [limit, setLimit] = useState(50);
  const generation = useRef(0);

  const load = useCallback(async () => {
    const gen = ++generation.current;
    setLoading(true);
    setError('');
    try {
      const r = await client.analytics(limit);
      if (gen !== generation.current) return;
      setData(r.data);
      setMeta(r.meta);
    } catch (e) {
      if (gen === generation.current) setError(e instanceof ApiError || e instanceof Error ? e.message : String(e));
    } finally {
      if (gen === generation.current) setLoading(false);
    }
  }, [client, limit]);

  useEffect(() => {
    void load();
  }, [load, transport]);

  const byTransport = data ? summarizeByTransport(data.stats, data.logs) : [];
  const methods = data
    ? [...data.stats].sort(
        (a, b) => a.service.localeCompare(b.service) || a.method.localeCompare(b.method) || a.transport.localeCompare(b.transport),
      )
    : [];

  return (
    <main data-testid="analytics-page">
      <div className="page-head">
        <h1>Analytics</h1>
        <label className="inline">
          Latest
          <select value={limit} onChange={(e) => setLimit(Number(e.target.value))} aria-label="Number of latest calls" data-testid="analytics-limit">
            {LIMITS.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => void load()} disabled={loading} data-testid="analytics-refresh">
          {loading ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <CallInfo meta={meta} />
      {error ? (
        <p className="error" role="alert" data-testid="analytics-error">
          {error}
        </p>
      ) : null}
      {data ? (
        <>
          <div className="charts">
            <BarChart
              title="Calls per transport"
              testId="chart-calls"
              rows={byTransport.map((t) => ({
                label: transportLabel(t.transport),
                bars: [{ label: 'calls', value: t.count, text: `${t.count} calls${t.errors ? `, ${t.errors} errors` : ''}` }],
              }))}
            />
            <BarChart
              title={`Latency per transport (p50 / p95 of the latest ${data.logs.length} calls)`}
              testId="chart-latency-transport"
              rows={byTransport.map((t) => ({
                label: transportLabel(t.transport),
                bars: [
                  { label: 'p50', value: t.p50, text: formatMs(t.p50), className: 'p50' },
                  { label: 'p95', value: t.p95, text: formatMs(t.p95), className: 'p95' },
                ],
              }))}
            />
          </div>
          <BarChart
            title="Latency per method (p50 / p95)"
            testId="chart-latency-method"
            rows={methods.map((s) => ({
              label: `${transportLabel(s.transport)} · ${s.service}.${s.method} (${s.count})`,
              bars: [
                { label: 'p50', value: s.p50_ms, text: formatMs(s.p50_ms), className: 'p50' },
                { label: 'p95', value: s.p95_ms, text: formatMs(s.p95_ms), className: 'p95' },
              ],
            }))}
          />
          <h2>Latest calls</h2>
          <div className="table-wrap">
            <table data-testid="analytics-table">
              <caption className="sr-only">Latest API calls, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Transport</th>
                  <th scope="col">Service</th>
                  <th scope="col">Method</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Latency
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.logs.length === 0 ? (
                  <tr>
                    <td colSpan={6}>No calls logged yet.</td>
                  </tr>
                ) : null}
                {data.logs.map((l, i) => (
                  <tr key={i} data-testid="analytics-row" data-transport={l.transport} data-method={l.method}>
                    <td>
                      <time dateTime={l.time}>{formatDate(l.time)}</time>
                    </td>
                    <td>{transportLabel(l.transport)}</td>
                    <td>{l.service}</td>
                    <td>{l.method}</td>
                    <td className={l.status >= 400 ? 'error' : ''}>{l.status || '—'}</td>
                    <td className="num">{formatMs(l.latency_ms)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : loading ? (
        <p role="status">Loading…</p>
      ) : null}
    </main>
  );
}
