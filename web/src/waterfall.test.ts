import { describe, expect, it } from 'vitest';
import { toTrace, type TraceSpan } from './api';
import { axisTicks, layerOf, layoutWaterfall, MIN_BAR_PCT } from './waterfall';

function span(id: string, parent: string, start: number, duration: number, extra: Partial<TraceSpan> = {}): TraceSpan {
  return {
    span_id: id,
    parent_span_id: parent,
    name: id,
    service: 'gateway',
    kind: 'SERVER',
    start_ms: start,
    duration_ms: duration,
    status: 'UNSET',
    status_message: '',
    attributes: {},
    ...extra,
  };
}

describe('layoutWaterfall', () => {
  it('puts each span under its parent, children by start, depth-first', () => {
    // Given out of order, as a collector may hold them.
    const w = layoutWaterfall([
      span('sql', 'server', 6, 2, { service: 'pictures', attributes: { 'db.system': 'postgresql' } }),
      span('client', 'edge', 1, 9),
      span('edge', '', 0, 10, { attributes: { 'trident.transport': 'grpc' } }),
      span('server', 'client', 2, 7, { service: 'pictures' }),
      span('log', 'edge', 9.5, 0.2),
    ]);
    expect(w.rows.map((r) => [r.span.span_id, r.depth])).toEqual([
      ['edge', 0],
      ['client', 1],
      ['server', 2],
      ['sql', 3],
      ['log', 1],
    ]);
    expect(w.totalMs).toBe(10);
    expect(w.services).toEqual(['gateway', 'pictures']);
    expect(w.rows.map((r) => r.layer)).toEqual(['grpc', 'other', 'other', 'sql', 'other']);
  });

  it('places bars by start and duration in percent of the whole trace', () => {
    const w = layoutWaterfall([span('a', '', 100, 40), span('b', 'a', 110, 20), span('c', 'a', 140, 0)]);
    const [a, b, c] = w.rows;
    expect(w.totalMs).toBe(40);
    expect([a.leftPct, a.widthPct]).toEqual([0, 100]);
    expect([b.leftPct, b.widthPct]).toEqual([25, 50]);
    // An instant at the very end still shows, and stays inside the track.
    expect(c.widthPct).toBe(MIN_BAR_PCT);
    expect(c.leftPct + c.widthPct).toBeLessThanOrEqual(100);
  });

  it('shows a span whose parent is missing as a root, flagged', () => {
    const w = layoutWaterfall([span('a', '', 0, 5), span('late', 'not-here', 1, 1)]);
    expect(w.rows.map((r) => [r.span.span_id, r.depth, r.orphan])).toEqual([
      ['a', 0, false],
      ['late', 0, true],
    ]);
  });

  it('keeps every span once even when parents form a cycle', () => {
    const w = layoutWaterfall([span('x', 'y', 0, 1), span('y', 'x', 1, 1), span('self', 'self', 2, 1)]);
    expect(w.rows.map((r) => r.span.span_id).sort()).toEqual(['self', 'x', 'y']);
  });

  it('is empty for no spans, and full width for a trace of zero length', () => {
    expect(layoutWaterfall([])).toEqual({ rows: [], totalMs: 0, services: [] });
    const w = layoutWaterfall([span('a', '', 3, 0)]);
    expect([w.rows[0].leftPct, w.rows[0].widthPct]).toEqual([0, 100]);
  });
});

describe('layerOf', () => {
  it('names what carried a span', () => {
    expect(layerOf(span('a', '', 0, 1, { attributes: { 'trident.transport': 'events' } }))).toBe('events');
    expect(layerOf(span('a', '', 0, 1, { attributes: { 'messaging.system': 'kafka', 'trident.event': 'x' } }))).toBe('kafka');
    expect(layerOf(span('a', '', 0, 1, { attributes: { 'db.statement': 'SELECT 1' } }))).toBe('sql');
    expect(layerOf(span('a', '', 0, 1))).toBe('other');
  });
});

describe('axisTicks', () => {
  it('uses round steps from 0 up to the total', () => {
    expect(axisTicks(10)).toEqual([0, 5, 10]);
    expect(axisTicks(37)).toEqual([0, 10, 20, 30]);
    expect(axisTicks(0.8)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(axisTicks(0)).toEqual([0]);
  });
});

describe('toTrace', () => {
  it('reads proto3 JSON with fields left out', () => {
    const t = toTrace({ trace_id: 'ab', spans: [{ span_id: '1', name: 'n', duration_ms: 2, attributes: { k: 'v' } }] });
    expect(t.ui_url).toBe('');
    expect(t.spans[0]).toMatchObject({ span_id: '1', parent_span_id: '', start_ms: 0, duration_ms: 2, status: 'UNSET' });
    expect(t.spans[0].attributes).toEqual({ k: 'v' });
  });
});
