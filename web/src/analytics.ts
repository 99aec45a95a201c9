// What the analytics screen shows, computed from the call logs: every number on the screen comes
// from the same list of calls, so the counts add up.
import type { CallLog } from './api';
import { percentile } from './format';

export type WindowKey = '5m' | '1h' | '24h';

export interface TimeWindow {
  key: WindowKey;
  label: string;
  ms: number;
  /** Width of one point on the time axis. */
  bucketMs: number;
}

export const WINDOWS: readonly TimeWindow[] = [
  { key: '5m', label: 'Last 5 min', ms: 5 * 60_000, bucketMs: 10_000 },
  { key: '1h', label: 'Last hour', ms: 60 * 60_000, bucketMs: 60_000 },
  { key: '24h', label: 'Last 24 h', ms: 24 * 60 * 60_000, bucketMs: 30 * 60_000 },
];

export function windowOf(key: string): TimeWindow {
  return WINDOWS.find((w) => w.key === key) ?? WINDOWS[1];
}

export type StatusFilter = 'all' | 'ok' | 'error' | '4xx' | '5xx';
export const STATUS_FILTERS: readonly { key: StatusFilter; label: string }[] = [
  { key: 'all', label: 'Any status' },
  { key: 'ok', label: 'Succeeded (< 400)' },
  { key: 'error', label: 'Failed (≥ 400)' },
  { key: '4xx', label: '4xx' },
  { key: '5xx', label: '5xx' },
];

/** The same rule as the server's error_count. */
export function isError(status: number): boolean {
  return status >= 400;
}

export function matchesStatus(status: number, f: StatusFilter): boolean {
  switch (f) {
    case 'all':
      return true;
    case 'ok':
      return !isError(status);
    case 'error':
      return isError(status);
    case '4xx':
      return status >= 400 && status < 500;
    case '5xx':
      return status >= 500;
  }
}

export interface LogFilter {
  transport: string;
  service: string;
  method: string;
  status: StatusFilter;
}

export const NO_FILTER: LogFilter = { transport: '', service: '', method: '', status: 'all' };

/** Milliseconds since the epoch; NaN for a missing time, which no window contains. */
function timeOf(l: CallLog): number {
  return Date.parse(l.time);
}

/** Calls inside [now - window, now] matching the filter; an empty filter field matches anything. */
export function selectLogs(logs: CallLog[], f: LogFilter, sinceMs: number): CallLog[] {
  const eq = (a: string, b: string) => !b || a.toLowerCase() === b.toLowerCase();
  return logs.filter(
    (l) =>
      timeOf(l) >= sinceMs &&
      eq(l.transport, f.transport) &&
      eq(l.service, f.service) &&
      eq(l.method, f.method) &&
      matchesStatus(l.status, f.status),
  );
}

const ORDER = ['rest', 'grpc', 'events'];

export function compareTransports(a: string, b: string): number {
  const ia = ORDER.indexOf(a.toLowerCase());
  const ib = ORDER.indexOf(b.toLowerCase());
  return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
}

/** Transports present in the logs, REST, gRPC, Events first. */
export function transportsIn(logs: CallLog[]): string[] {
  return [...new Set(logs.map((l) => l.transport.toLowerCase()))].sort(compareTransports);
}

export interface Summary {
  transport: string;
  service: string;
  method: string;
  count: number;
  errors: number;
  p50: number;
  p95: number;
}

function summarize(group: CallLog[], transport: string, service = '', method = ''): Summary {
  const lat = group.map((l) => l.latency_ms);
  return {
    transport,
    service,
    method,
    count: group.length,
    errors: group.filter((l) => isError(l.status)).length,
    p50: percentile(lat, 50),
    p95: percentile(lat, 95),
  };
}

export function byTransport(logs: CallLog[]): Summary[] {
  return transportsIn(logs).map((t) => summarize(logs.filter((l) => l.transport.toLowerCase() === t), t));
}

export function byMethod(logs: CallLog[]): Summary[] {
  const groups = new Map<string, CallLog[]>();
  for (const l of logs) {
    const k = `${l.service}\u0000${l.method}\u0000${l.transport.toLowerCase()}`;
    groups.set(k, [...(groups.get(k) ?? []), l]);
  }
  return [...groups.entries()]
    .map(([k, g]) => {
      const [service, method, transport] = k.split('\u0000');
      return summarize(g, transport, service, method);
    })
    .sort((a, b) => a.service.localeCompare(b.service) || a.method.localeCompare(b.method) || compareTransports(a.transport, b.transport));
}

export interface Totals {
  count: number;
  errors: number;
}

export function totals(logs: CallLog[]): Totals {
  return { count: logs.length, errors: logs.filter((l) => isError(l.status)).length };
}

/** "47 calls, 3 errors" or "2 calls, no errors". */
export function describeCounts(t: Totals): string {
  const calls = `${t.count} ${t.count === 1 ? 'call' : 'calls'}`;
  if (t.count === 0) return calls;
  return `${calls}, ${t.errors ? `${t.errors} ${t.errors === 1 ? 'error' : 'errors'}` : 'no errors'}`;
}

/** describeCounts with the error share: "47 calls, 3 errors (6.4%)". */
export function describeTotals(t: Totals): string {
  return t.errors ? `${describeCounts(t)} (${formatRate(t.errors / t.count)})` : describeCounts(t);
}

export function formatRate(r: number): string {
  if (!Number.isFinite(r)) return '—';
  const pct = r * 100;
  return `${pct === 0 || pct === 100 || pct >= 10 ? Math.round(pct) : pct.toFixed(1)}%`;
}

/** One point per bucket: calls per transport, and the share of them that failed (null: no calls). */
export interface SeriesPoint {
  t: number;
  calls: Record<string, number>;
  errorRate: Record<string, number | null>;
}

/** Buckets aligned to the bucket width, covering [now - window, now], oldest first. */
export function timeSeries(logs: CallLog[], w: TimeWindow, nowMs: number, transports = transportsIn(logs)): SeriesPoint[] {
  const first = Math.floor((nowMs - w.ms) / w.bucketMs) * w.bucketMs;
  const last = Math.floor(nowMs / w.bucketMs) * w.bucketMs;
  const n = Math.round((last - first) / w.bucketMs) + 1;
  const calls = Array.from({ length: n }, () => new Map<string, number>());
  const errors = Array.from({ length: n }, () => new Map<string, number>());
  for (const l of logs) {
    const i = Math.floor((timeOf(l) - first) / w.bucketMs);
    if (!(i >= 0 && i < n)) continue;
    const t = l.transport.toLowerCase();
    calls[i].set(t, (calls[i].get(t) ?? 0) + 1);
    if (isError(l.status)) errors[i].set(t, (errors[i].get(t) ?? 0) + 1);
  }
  return calls.map((c, i) => ({
    t: first + i * w.bucketMs,
    calls: Object.fromEntries(transports.map((t) => [t, c.get(t) ?? 0])),
    errorRate: Object.fromEntries(
      transports.map((t) => {
        const total = c.get(t) ?? 0;
        return [t, total ? ((errors[i].get(t) ?? 0) / total) * 100 : null];
      }),
    ),
  }));
}

/**
 * True when the server's answer was cut by its limit before reaching the window's start, so older
 * calls of the window are missing from every number on the screen.
 */
export function isTruncated(logs: CallLog[], limit: number, sinceMs: number, total: number | null = null): boolean {
  if (total !== null) return total > logs.length;
  if (logs.length < limit) return false;
  const oldest = Math.min(...logs.map(timeOf).filter((t) => !Number.isNaN(t)));
  return oldest > sinceMs;
}

/** Distinct services and, for the chosen service (or all), methods, for the filter menus. */
export function filterOptions(
  entries: { service: string; method: string }[],
  service: string,
): { services: string[]; methods: string[] } {
  const services = [...new Set(entries.map((e) => e.service).filter(Boolean))].sort();
  const methods = [
    ...new Set(entries.filter((e) => !service || e.service === service).map((e) => e.method).filter(Boolean)),
  ].sort();
  return { services, methods };
}
