// The layout of a trace's waterfall: spans nested under their parents, each bar placed by its start and duration.

import type { TraceSpan } from './api';

/** What carried a span: a transport of the call pipeline, Kafka, SQL, or nothing more specific. */
export type SpanLayer = 'rest' | 'grpc' | 'events' | 'kafka' | 'sql' | 'other';

export interface WaterfallRow {
  span: TraceSpan;
  /** 0 for a root; a child is one deeper than its parent. */
  depth: number;
  /** Where the bar starts and how wide it is, in percent of the trace's duration. */
  leftPct: number;
  widthPct: number;
  layer: SpanLayer;
  /** Its parent is not in the trace (not exported yet, or dropped): shown as a root. */
  orphan: boolean;
}

export interface Waterfall {
  rows: WaterfallRow[];
  /** From the earliest start to the latest end, in milliseconds. */
  totalMs: number;
  services: string[];
}

/** The narrowest a bar is drawn, so an instant span still shows. */
export const MIN_BAR_PCT = 0.5;

export function layerOf(span: TraceSpan): SpanLayer {
  const a = span.attributes;
  if (a['db.system'] || a['db.statement']) return 'sql';
  if (a['messaging.system']) return 'kafka';
  const t = (a['trident.transport'] ?? '').toLowerCase();
  return t === 'rest' || t === 'grpc' || t === 'events' ? t : 'other';
}

const byStart = (a: TraceSpan, b: TraceSpan) => a.start_ms - b.start_ms || a.name.localeCompare(b.name);

/**
 * The spans in waterfall order: each parent followed by its children (earliest first), depth-first.
 * A span whose parent is missing starts a tree of its own; a cycle (never produced by a correct tracer) is
 * broken where it closes, so every span appears exactly once.
 */
export function layoutWaterfall(spans: readonly TraceSpan[]): Waterfall {
  if (spans.length === 0) return { rows: [], totalMs: 0, services: [] };
  const ids = new Set(spans.map((s) => s.span_id));
  const children = new Map<string, TraceSpan[]>();
  const roots: TraceSpan[] = [];
  for (const s of spans) {
    if (s.parent_span_id && ids.has(s.parent_span_id) && s.parent_span_id !== s.span_id) {
      const list = children.get(s.parent_span_id) ?? [];
      list.push(s);
      children.set(s.parent_span_id, list);
    } else {
      roots.push(s);
    }
  }
  const origin = Math.min(...spans.map((s) => s.start_ms));
  const end = Math.max(...spans.map((s) => s.start_ms + Math.max(0, s.duration_ms)));
  const totalMs = Math.max(0, end - origin);
  const place = (s: TraceSpan): Pick<WaterfallRow, 'leftPct' | 'widthPct'> => {
    if (totalMs === 0) return { leftPct: 0, widthPct: 100 };
    const left = Math.min(100 - MIN_BAR_PCT, ((s.start_ms - origin) / totalMs) * 100);
    const width = Math.max(MIN_BAR_PCT, (Math.max(0, s.duration_ms) / totalMs) * 100);
    return { leftPct: left, widthPct: Math.min(width, 100 - left) };
  };

  const rows: WaterfallRow[] = [];
  const seen = new Set<string>();
  const visit = (s: TraceSpan, depth: number, orphan: boolean) => {
    if (seen.has(s.span_id)) return;
    seen.add(s.span_id);
    rows.push({ span: s, depth, layer: layerOf(s), orphan, ...place(s) });
    for (const c of [...(children.get(s.span_id) ?? [])].sort(byStart)) visit(c, depth + 1, false);
  };
  for (const r of [...roots].sort(byStart)) visit(r, 0, Boolean(r.parent_span_id));
  // Spans only reachable through a cycle: shown as roots rather than lost.
  for (const s of [...spans].sort(byStart)) if (!seen.has(s.span_id)) visit(s, 0, true);
  const services = [...new Set(rows.map((r) => r.span.service))];
  return { rows, totalMs, services };
}

/** Round times for the axis under the waterfall: 0, then steps of 1, 2 or 5 × 10^n, up to the total. */
export function axisTicks(totalMs: number, most = 5): number[] {
  if (!(totalMs > 0)) return [0];
  const rough = totalMs / Math.max(1, most - 1);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let t = 0; t <= totalMs + 1e-9 && ticks.length <= most; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}
