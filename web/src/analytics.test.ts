import { describe, expect, it } from 'vitest';
import type { CallLog } from './api';
import {
  byMethod,
  byTransport,
  describeTotals,
  filterOptions,
  isTruncated,
  NO_FILTER,
  selectLogs,
  timeSeries,
  totals,
  windowOf,
} from './analytics';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const at = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();
function log(transport: string, method: string, status: number, latency: number, secondsAgo: number, service = 'pictures'): CallLog {
  return { transport, service, method, status, latency_ms: latency, user_id: 'u', time: at(secondsAgo), request_id: '', trace_id: '' };
}

const LOGS = [
  log('rest', 'ListPictures', 200, 2, 5),
  log('grpc', 'ListPictures', 200, 1, 15),
  log('grpc', 'ListPictures', 500, 9, 20),
  log('events', 'GetUser', 404, 7, 100, 'users'),
  log('rest', 'ListPictures', 200, 4, 400), // older than 5 minutes
  log('rest', 'ListPictures', 200, 4, 7200), // older than an hour
];

describe('selectLogs', () => {
  it('keeps the calls of the window', () => {
    expect(selectLogs(LOGS, NO_FILTER, NOW - windowOf('5m').ms)).toHaveLength(4);
    expect(selectLogs(LOGS, NO_FILTER, NOW - windowOf('1h').ms)).toHaveLength(5);
    expect(selectLogs(LOGS, NO_FILTER, NOW - windowOf('24h').ms)).toHaveLength(6);
  });
  it('filters by transport, service, method and status', () => {
    const since = NOW - windowOf('24h').ms;
    expect(selectLogs(LOGS, { ...NO_FILTER, transport: 'GRPC' }, since)).toHaveLength(2);
    expect(selectLogs(LOGS, { ...NO_FILTER, service: 'users' }, since)).toHaveLength(1);
    expect(selectLogs(LOGS, { ...NO_FILTER, method: 'ListPictures', status: 'ok' }, since)).toHaveLength(4);
    expect(selectLogs(LOGS, { ...NO_FILTER, status: 'error' }, since)).toHaveLength(2);
    expect(selectLogs(LOGS, { ...NO_FILTER, status: '4xx' }, since).map((l) => l.status)).toEqual([404]);
    expect(selectLogs(LOGS, { ...NO_FILTER, status: '5xx' }, since).map((l) => l.status)).toEqual([500]);
  });
  it('drops calls without a time', () => {
    expect(selectLogs([{ ...LOGS[0], time: '' }], NO_FILTER, 0)).toEqual([]);
  });
});

describe('summaries add up', () => {
  const logs = selectLogs(LOGS, NO_FILTER, NOW - windowOf('5m').ms);
  it('per transport, ordered REST, gRPC, Events, with counts summing to the total', () => {
    const t = byTransport(logs);
    expect(t.map((x) => x.transport)).toEqual(['rest', 'grpc', 'events']);
    expect(t.reduce((a, x) => a + x.count, 0)).toBe(totals(logs).count);
    expect(t.reduce((a, x) => a + x.errors, 0)).toBe(totals(logs).errors);
    expect(t[1]).toMatchObject({ count: 2, errors: 1, p50: 5 });
  });
  it('per method and transport', () => {
    const m = byMethod(logs);
    expect(m.map((x) => `${x.service}.${x.method}/${x.transport}`)).toEqual([
      'pictures.ListPictures/rest',
      'pictures.ListPictures/grpc',
      'users.GetUser/events',
    ]);
    expect(m.reduce((a, x) => a + x.count, 0)).toBe(logs.length);
  });
  it('describes totals in words', () => {
    expect(describeTotals({ count: 47, errors: 3 })).toBe('47 calls, 3 errors (6.4%)');
    expect(describeTotals({ count: 1, errors: 1 })).toBe('1 call, 1 error (100%)');
    expect(describeTotals({ count: 2, errors: 0 })).toBe('2 calls, no errors');
    expect(describeTotals({ count: 0, errors: 0 })).toBe('0 calls');
  });
});

describe('timeSeries', () => {
  it('buckets the window and counts calls and error rates per transport', () => {
    const w = windowOf('5m');
    const logs = selectLogs(LOGS, NO_FILTER, NOW - w.ms);
    const s = timeSeries(logs, w, NOW);
    expect(s).toHaveLength(31); // 5 min of 10 s buckets, both ends included
    expect(s[0].t).toBe(NOW - w.ms);
    expect(s.at(-1)!.t).toBe(NOW);
    const sum = (k: string) => s.reduce((a, p) => a + p.calls[k], 0);
    expect(sum('rest') + sum('grpc') + sum('events')).toBe(logs.length);
    const grpcBucket = s.find((p) => p.calls.grpc === 2)!;
    expect(grpcBucket.errorRate.grpc).toBe(50);
    expect(grpcBucket.errorRate.rest).toBeNull();
  });
  it('has 61 points for an hour and 49 for a day', () => {
    expect(timeSeries([], windowOf('1h'), NOW)).toHaveLength(61);
    expect(timeSeries([], windowOf('24h'), NOW)).toHaveLength(49);
  });
});

describe('isTruncated', () => {
  it('is true only when the answer was full and did not reach back to the window start', () => {
    const since = NOW - windowOf('5m').ms;
    const recent = [log('rest', 'A', 200, 1, 5), log('rest', 'A', 200, 1, 6)];
    expect(isTruncated(recent, 2, since)).toBe(true);
    expect(isTruncated(recent, 3, since)).toBe(false);
    expect(isTruncated([log('rest', 'A', 200, 1, 5), log('rest', 'A', 200, 1, 600)], 2, since)).toBe(false);
  });
  it('believes the server when it says how many calls the window holds', () => {
    const since = NOW - windowOf('5m').ms;
    const recent = [log('rest', 'A', 200, 1, 5), log('rest', 'A', 200, 1, 6)];
    expect(isTruncated(recent, 2, since, 2)).toBe(false);
    expect(isTruncated(recent, 500, since, 3)).toBe(true);
  });
});

describe('filterOptions', () => {
  it('lists services, and methods of the chosen service', () => {
    const entries = [
      { service: 'pictures', method: 'ListPictures' },
      { service: 'users', method: 'GetUser' },
      { service: 'pictures', method: 'CreatePicture' },
    ];
    expect(filterOptions(entries, '')).toEqual({ services: ['pictures', 'users'], methods: ['CreatePicture', 'GetUser', 'ListPictures'] });
    expect(filterOptions(entries, 'pictures').methods).toEqual(['CreatePicture', 'ListPictures']);
  });
});
