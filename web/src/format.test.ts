import { describe, expect, it } from 'vitest';
import type { CallLog, CallStats } from './api';
import { barPercent, formatBytes, formatDate, formatMs, percentile, summarizeByTransport } from './format';

describe('formatting', () => {
  it('formats bytes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(10 * 1024 * 1024)).toBe('10 MiB');
    expect(formatBytes(-1)).toBe('—');
  });
  it('formats milliseconds', () => {
    expect(formatMs(1.234)).toBe('1.23 ms');
    expect(formatMs(12.34)).toBe('12.3 ms');
    expect(formatMs(123.4)).toBe('123 ms');
    expect(formatMs(1500)).toBe('1.50 s');
    expect(formatMs(null)).toBe('—');
  });
  it('formats dates and tolerates missing ones', () => {
    expect(formatDate('')).toBe('—');
    expect(formatDate('not a date')).toBe('—');
    expect(formatDate('2024-05-01T12:34:56Z', 'en-GB')).toMatch(/2024/);
  });
  it('scales bars', () => {
    expect(barPercent(5, 10)).toBe(50);
    expect(barPercent(0, 10)).toBe(0);
    expect(barPercent(0.001, 1000)).toBe(1);
    expect(barPercent(5, 0)).toBe(0);
  });
});

describe('percentile', () => {
  it('interpolates', () => {
    expect(percentile([], 50)).toBe(0);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 95)).toBeCloseTo(10.5);
  });
});

describe('summarizeByTransport', () => {
  const stat = (transport: string, count: number, p50: number, p95: number, errors = 0): CallStats => ({
    transport,
    service: 'pictures',
    method: 'ListPictures',
    count,
    error_count: errors,
    p50_ms: p50,
    p95_ms: p95,
  });
  const log = (transport: string, latency: number): CallLog => ({
    transport,
    service: 'pictures',
    method: 'ListPictures',
    status: 200,
    latency_ms: latency,
    user_id: 'u',
    time: '',
  });

  it('counts from stats and takes percentiles from logs, ordered rest, grpc, events', () => {
    const s = summarizeByTransport(
      [stat('events', 4, 10, 20), stat('rest', 2, 1, 2, 1), stat('rest', 3, 3, 4)],
      [log('rest', 1), log('rest', 3), log('rest', 5)],
    );
    expect(s.map((x) => x.transport)).toEqual(['rest', 'events']);
    expect(s[0]).toMatchObject({ count: 5, errors: 1, p50: 3, samples: 3 });
    // No logs for events: weighted mean of its methods' percentiles.
    expect(s[1]).toMatchObject({ count: 4, p50: 10, p95: 20, samples: 0 });
  });
  it('uses log counts when stats are missing', () => {
    expect(summarizeByTransport([], [log('grpc', 2), log('grpc', 4)])[0]).toMatchObject({ transport: 'grpc', count: 2, p50: 3 });
  });
});
