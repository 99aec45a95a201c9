import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { ApiError, TRANSPORTS, TRANSPORT_LABELS, type AnalyticsData, type CallMeta } from '../api';
import {
  byMethod,
  byTransport,
  describeCounts,
  describeTotals,
  filterOptions,
  formatRate,
  isError,
  isTruncated,
  selectLogs,
  STATUS_FILTERS,
  timeSeries,
  totals,
  transportsIn,
  WINDOWS,
  windowOf,
  type LogFilter,
  type StatusFilter,
  type Summary,
} from '../analytics';
import { CallInfo, transportLabel } from '../components/CallInfo';
import { LatencyBars, OverTimeChart, P50_COLOR, P95_COLOR } from '../components/Charts';
import { TransportRace } from '../components/TransportRace';
import { PageHead } from '../components/PageHead';
import { barPercent, formatDate, formatMs } from '../format';
import { useSession } from '../session';

/** The most the API returns in one answer; the screen asks for all of it and says when it was not enough. */
export const ANALYTICS_LIMIT = 500;
const ROWS_STEP = 50;

interface Query extends LogFilter {
  window: string;
}

export function readQuery(p: URLSearchParams): Query {
  const status = p.get('status');
  return {
    window: windowOf(p.get('window') ?? '1h').key,
    transport: p.get('transport') ?? '',
    service: p.get('service') ?? '',
    method: p.get('method') ?? '',
    status: STATUS_FILTERS.some((s) => s.key === status) ? (status as StatusFilter) : 'all',
  };
}

/** Only what differs from the defaults, so the plain screen keeps a plain URL. */
export function writeQuery(q: Query): URLSearchParams {
  const p = new URLSearchParams();
  if (q.window !== '1h') p.set('window', q.window);
  for (const k of ['transport', 'service', 'method'] as const) if (q[k]) p.set(k, q[k]);
  if (q.status !== 'all') p.set('status', q.status);
  return p;
}

function message(e: unknown): string {
  return e instanceof ApiError || e instanceof Error ? e.message : String(e);
}

/** "pictures.ListPictures" with break opportunities after the dot, never inside a word. */
function MethodName({ service, method }: { service: string; method: string }) {
  return (
    <span className="method-name">
      {service}.<wbr />
      {method}
    </span>
  );
}

function LatencyLine({ s, max }: { s: Summary; max: number }) {
  return (
    <div className="latency-lines">
      {(['p50', 'p95'] as const).map((k) => (
        <div className="bar-line" key={k}>
          <span className="bar-key">{k}</span>
          <span className="bar-track" aria-hidden="true">
            <span className="bar" style={{ width: `${barPercent(s[k], max)}%`, background: k === 'p50' ? P50_COLOR : P95_COLOR }} />
          </span>
          <span className="bar-value">{formatMs(s[k])}</span>
        </div>
      ))}
    </div>
  );
}

export function AnalyticsPage() {
  const { client, transport } = useSession();
  const [params, setParams] = useSearchParams();
  // The choices are this screen's state, copied into the URL (so a view can be linked); reading them
  // back from the URL would lose a change made while the router still applies the previous one.
  const [query, setQuery] = useState<Query>(() => readQuery(params));
  const win = windowOf(query.window);
  const filter: LogFilter = query;
  const [data, setData] = useState<AnalyticsData | null>(null);
  const [loadedAt, setLoadedAt] = useState(0);
  const [meta, setMeta] = useState<CallMeta | null>(null);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(false);
  const [shownRows, setShownRows] = useState(ROWS_STEP);
  const [known, setKnown] = useState<{ service: string; method: string }[]>([]);
  const generation = useRef(0);

  const set = (k: keyof Query, v: string) =>
    setQuery((q) => ({ ...q, [k]: v, ...(k === 'service' ? { method: '' } : {}) }) as Query);
  useEffect(() => {
    setParams(writeQuery(query), { replace: true });
  }, [query, setParams]);

  const load = useCallback(async () => {
    const gen = ++generation.current;
    const now = Date.now();
    setLoading(true);
    setError('');
    try {
      const r = await client.analytics({
        limit: ANALYTICS_LIMIT,
        transport: filter.transport,
        service: filter.service,
        method: filter.method,
        since: new Date(now - win.ms).toISOString(),
      });
      if (gen !== generation.current) return;
      setData(r.data);
      setLoadedAt(now);
      setMeta(r.meta);
      setShownRows(ROWS_STEP);
      // Filter menus keep every service and method seen, so choosing one does not hide the others.
      setKnown((cur) => {
        const all = [...cur, ...r.data.stats, ...r.data.logs].map((x) => ({ service: x.service, method: x.method }));
        const seen = new Set<string>();
        return all.filter((x) => {
          const k = `${x.service}.${x.method}`;
          if (seen.has(k)) return false;
          seen.add(k);
          return true;
        });
      });
    } catch (e) {
      if (gen === generation.current) setError(message(e));
    } finally {
      if (gen === generation.current) setLoading(false);
    }
  }, [client, win.ms, filter.transport, filter.service, filter.method]);

  useEffect(() => {
    void load();
  }, [load, transport]);

  const since = loadedAt - win.ms;
  const logs = useMemo(
    () => (data ? selectLogs(data.logs, filter, since) : []),
    [data, since, filter.transport, filter.service, filter.method, filter.status],
  );
  const sum = totals(logs);
  const perTransport = byTransport(logs);
  const perMethod = byMethod(logs);
  const series = useMemo(() => timeSeries(logs, win, loadedAt), [logs, win, loadedAt]);
  const seriesTransports = transportsIn(logs);
  const truncated = data ? isTruncated(data.logs, ANALYTICS_LIMIT, since, data.total) : false;
  const options = filterOptions(known, filter.service);
  const maxMethodMs = Math.max(0, ...perMethod.map((m) => m.p95));
  const callWord = (n: number) => `${n} ${n === 1 ? 'call' : 'calls'}`;

  return (
    <main data-testid="analytics-page" className="analytics">
      <PageHead title="Analytics" busy={loading} onRefresh={() => void load()} testId="analytics-refresh" />

      <form className="filters" aria-label="Which calls" onSubmit={(e) => e.preventDefault()}>
        <fieldset className="segmented" data-testid="analytics-window">
          <legend>Time window</legend>
          {WINDOWS.map((w) => (
            <label key={w.key} className={w.key === win.key ? 'active' : ''}>
              <input
                type="radio"
                name="window"
                value={w.key}
                checked={w.key === win.key}
                onChange={() => set('window', w.key)}
                data-testid={`window-${w.key}`}
              />
              <span>{w.label}</span>
            </label>
          ))}
        </fieldset>
        <label className="filter">
          <span>Transport</span>
          <select value={filter.transport} onChange={(e) => set('transport', e.target.value)} data-testid="filter-transport">
            <option value="">Any transport</option>
            {TRANSPORTS.map((t) => (
              <option key={t} value={t}>
                {TRANSPORT_LABELS[t]}
              </option>
            ))}
          </select>
        </label>
        <label className="filter">
          <span>Service</span>
          <select value={filter.service} onChange={(e) => set('service', e.target.value)} data-testid="filter-service">
            <option value="">Any service</option>
            {[...new Set([...options.services, filter.service].filter(Boolean))].map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="filter">
          <span>Method</span>
          <select value={filter.method} onChange={(e) => set('method', e.target.value)} data-testid="filter-method">
            <option value="">Any method</option>
            {[...new Set([...options.methods, filter.method].filter(Boolean))].map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <label className="filter">
          <span>Status</span>
          <select value={filter.status} onChange={(e) => set('status', e.target.value)} data-testid="filter-status">
            {STATUS_FILTERS.map((s) => (
              <option key={s.key} value={s.key}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
      </form>

      <CallInfo meta={meta} />
      {error ? (
        <p className="error" role="alert" data-testid="analytics-error">
          {error}
        </p>
      ) : null}

      {data ? (
        <>
          <section aria-labelledby="totals-title">
            <h2 id="totals-title" className="sr-only">
              Totals
            </h2>
            <ul className="cards totals">
              <li className="card total" data-testid="analytics-total-card">
                <h3>{win.label}</h3>
                <p className="big" data-testid="analytics-total" data-count={sum.count} data-errors={sum.errors}>
                  {describeTotals(sum)}
                </p>
              </li>
              {perTransport.map((t) => (
                <li key={t.transport} className="card" data-testid="transport-card" data-transport={t.transport} data-count={t.count}>
                  <h3>{transportLabel(t.transport)}</h3>
                  <p className="big" data-testid="transport-card-count">
                    {describeCounts(t)}
                  </p>
                  <p className="help">
                    p50 {formatMs(t.p50)} · p95 {formatMs(t.p95)}
                    {t.count ? ` · ${formatRate(t.errors / t.count)} failed` : ''}
                  </p>
                </li>
              ))}
            </ul>
            <p className="help" data-testid="analytics-scope">
              Every number here counts the same {callWord(sum.count)}: those in the {win.label.toLowerCase()} matching
              the filters.
              {truncated
                ? data.total !== null
                  ? ` The window holds ${data.total} calls; the API returns the latest ${data.logs.length} at once, so older ones are not counted here.`
                  : ` The window holds more than the ${ANALYTICS_LIMIT} latest calls the API returns at once; older ones are not counted.`
                : ''}
              {!client.sinceSupported ? ' (The window is applied in the browser: this gateway does not filter by time.)' : ''}
            </p>
          </section>

          {sum.count === 0 ? (
            <p data-testid="analytics-empty">No calls in this window match the filters.</p>
          ) : (
            <>
              <div className="charts">
                <OverTimeChart
                  kind="calls"
                  points={series}
                  transports={seriesTransports}
                  window={win}
                  testId="chart-calls-time"
                  summary={`Calls over the ${win.label.toLowerCase()}: ${perTransport.map((t) => `${transportLabel(t.transport)} ${t.count}`).join(', ')}`}
                />
                <OverTimeChart
                  kind="errorRate"
                  points={series}
                  transports={seriesTransports}
                  window={win}
                  testId="chart-errors-time"
                  summary={`Share of failed calls: ${perTransport.map((t) => `${transportLabel(t.transport)} ${formatRate(t.count ? t.errors / t.count : 0)}`).join(', ')}`}
                />
              </div>
              <LatencyBars
                title="Latency per transport (p50 and p95)"
                testId="chart-latency-transport"
                rows={perTransport.map((t) => ({ label: transportLabel(t.transport), p50: t.p50, p95: t.p95 }))}
                summary={perTransport.map((t) => `${transportLabel(t.transport)}: p50 ${formatMs(t.p50)}, p95 ${formatMs(t.p95)}`).join('; ')}
              />
              <section aria-labelledby="methods-title">
                <h2 id="methods-title">Latency per method</h2>
                <ul className="method-list" data-testid="method-list">
                  {perMethod.map((m) => (
                    <li
                      key={`${m.transport}.${m.service}.${m.method}`}
                      className="method-row"
                      data-testid="method-row"
                      data-transport={m.transport}
                      data-method={m.method}
                    >
                      <div className="method-head">
                        <span className="tag" data-transport={m.transport}>
                          {transportLabel(m.transport)}
                        </span>
                        <MethodName service={m.service} method={m.method} />
                        <span className="help">
                          {callWord(m.count)}
                          {m.errors ? `, ${m.errors} failed` : ''}
                        </span>
                      </div>
                      <LatencyLine s={m} max={maxMethodMs} />
                    </li>
                  ))}
                </ul>
              </section>
            </>
          )}

          <TransportRace />

          <section aria-labelledby="calls-title">
            <h2 id="calls-title">Calls, newest first</h2>
            <p className="help" data-testid="analytics-rows-count">
              Showing {Math.min(shownRows, logs.length)} of {callWord(logs.length)}.
            </p>
            <table className="calls" data-testid="analytics-table">
              <caption className="sr-only">Calls in the {win.label.toLowerCase()}, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Transport</th>
                  <th scope="col">Method</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Latency
                  </th>
                  <th scope="col">Trace</th>
                </tr>
              </thead>
              <tbody>
                {logs.slice(0, shownRows).map((l, i) => (
                  <tr
                    key={l.request_id ? `${l.request_id}-${i}` : i}
                    data-testid="analytics-row"
                    data-transport={l.transport}
                    data-method={l.method}
                    data-status={l.status}
                  >
                    <td data-label="Time">
                      <time dateTime={l.time}>{formatDate(l.time)}</time>
                    </td>
                    <td data-label="Transport">{transportLabel(l.transport)}</td>
                    <td data-label="Method">
                      <MethodName service={l.service} method={l.method} />
                    </td>
                    <td data-label="Status" className={isError(l.status) ? 'error' : ''}>
                      {l.status || '—'}
                    </td>
                    <td data-label="Latency" className="num">
                      {formatMs(l.latency_ms)}
                    </td>
                    <td data-label="Trace">
                      {l.trace_id ? (
                        <Link
                          to={`/traces/${l.trace_id}`}
                          data-testid="trace-link"
                          aria-label={`Open trace of ${l.service}.${l.method} at ${formatDate(l.time)}`}
                        >
                          Open trace
                        </Link>
                      ) : (
                        <span className="help">—</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {shownRows < logs.length ? (
              <div className="center">
                <button type="button" onClick={() => setShownRows((n) => n + ROWS_STEP)} data-testid="analytics-more">
                  Show {Math.min(ROWS_STEP, logs.length - shownRows)} more
                </button>
              </div>
            ) : null}
          </section>
        </>
      ) : loading ? (
        <p role="status">Loading…</p>
      ) : null}
    </main>
  );
}
