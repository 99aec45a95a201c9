// Formatting and small statistics helpers for the screens.
import type { CallLog, CallStats } from './api';

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return '—';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function formatDate(iso: string, locale?: string): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** Linear-interpolated percentile (p in 0..100) of unsorted values; 0 for none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo] + (s[hi] - s[lo]) * (rank - lo);
}

export interface TransportSummary {
  transport: string;
  count: number;
  errors: number;
  p50: number;
  p95: number;
  /** How many log lines the percentiles come from. */
  samples: number;
}

/**
 * Per transport: call counts from `stats` (all calls), p50/p95 from the latencies in `logs`
 * (percentiles cannot be merged across methods, so they come from the raw latest calls); when a
 * transport has stats but no logs, the count-weighted mean of its methods' percentiles is used.
 */
export function summarizeByTransport(stats: CallStats[], logs: CallLog[]): TransportSummary[] {
  const names = new Set<string>();
  stats.forEach((s) => names.add(s.transport));
  logs.forEach((l) => names.add(l.transport));
  const order = ['rest', 'grpc', 'events'];
  const sorted = [...names].sort((a, b) => {
    const ia = order.indexOf(a);
    const ib = order.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
  });
  return sorted.map((t) => {
    const st = stats.filter((s) => s.transport === t);
    const lat = logs.filter((l) => l.transport === t).map((l) => l.latency_ms);
    let count = st.reduce((a, s) => a + s.count, 0);
    const errors = st.reduce((a, s) => a + s.error_count, 0);
    if (st.length === 0) count = lat.length;
    let p50 = percentile(lat, 50);
    let p95 = percentile(lat, 95);
    if (lat.length === 0 && count > 0) {
      p50 = st.reduce((a, s) => a + s.p50_ms * s.count, 0) / count;
      p95 = st.reduce((a, s) => a + s.p95_ms * s.count, 0) / count;
    }
    return { transport: t, count, errors, p50, p95, samples: lat.length };
  });
}

/** Scales a value to a bar width in percent of `max` (at least 1% for non-zero values). */
export function barPercent(value: number, max: number): number {
  if (!(max > 0) || !(value > 0)) return 0;
  return Math.max(1, Math.min(100, (value / max) * 100));
}
