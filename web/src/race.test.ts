import { describe, expect, it } from 'vitest';
import { ApiClient, type RawRequest, type RawResponse } from './api';
import { RACE_MAX, raceSchedule, runRace, summarizeRace, winner, type RaceSample } from './race';

describe('raceSchedule', () => {
  it('runs every transport once a round, rotating who goes first', () => {
    const s = raceSchedule(3);
    expect(s).toHaveLength(9);
    expect(s.slice(0, 3).map((x) => x.transport)).toEqual(['rest', 'grpc', 'events']);
    expect(s.slice(3, 6).map((x) => x.transport)).toEqual(['grpc', 'events', 'rest']);
    expect(s.slice(6, 9).map((x) => x.transport)).toEqual(['events', 'rest', 'grpc']);
  });
  it('is bounded', () => {
    expect(raceSchedule(10_000)).toHaveLength(RACE_MAX * 3);
    expect(raceSchedule(-1)).toEqual([]);
  });
});

describe('summarizeRace', () => {
  const s = (transport: RaceSample['transport'], ms: number, ok = true, upstreamMs: number | null = null): RaceSample => ({
    transport,
    round: 0,
    ok,
    ms,
    upstreamMs,
  });
  it('takes p50/p95 of the successful calls and counts failures', () => {
    const r = summarizeRace([s('rest', 1), s('rest', 3, true, 2), s('grpc', 2), s('grpc', 50, false), s('events', 9)]);
    expect(r.map((x) => [x.transport, x.runs, x.errors, x.p50])).toEqual([
      ['rest', 2, 0, 2],
      ['grpc', 2, 1, 2],
      ['events', 1, 0, 9],
    ]);
    expect(r[0].upstreamP50).toBe(2);
    expect(r[1].upstreamP50).toBeNull();
    expect(winner(r)).toBe('rest');
  });
  it('has no winner without a successful call', () => {
    expect(winner(summarizeRace([s('rest', 1, false)]))).toBe('');
  });
});

describe('runRace', () => {
  function client(fail: (url: string) => boolean) {
    const urls: string[] = [];
    const sender = async (req: RawRequest): Promise<RawResponse> => {
      urls.push(req.url);
      const status = fail(req.url) ? 503 : 200;
      return { status, header: (h) => (h === 'Server-Timing' ? 'upstream;dur=1.5' : null), text: '{}' };
    };
    return { c: new ApiClient({ getTransport: () => 'rest', sender }), urls };
  }

  it('warms up each transport, then records one sample per scheduled call', async () => {
    const { c, urls } = client(() => false);
    const progress: number[] = [];
    const samples = await runRace(c, 'me', 2, (_s, done) => progress.push(done));
    expect(urls).toEqual([
      '/rest/me', '/grpc/me', '/events/me', // warm-up
      '/rest/me', '/grpc/me', '/events/me',
      '/grpc/me', '/events/me', '/rest/me',
    ]);
    expect(samples).toHaveLength(6);
    expect(samples.every((x) => x.ok && x.upstreamMs === 1.5)).toBe(true);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('counts a failing transport as errors and keeps going', async () => {
    const { c } = client((u) => u.startsWith('/events/'));
    const samples = await runRace(c, 'list', 2, () => {});
    const r = summarizeRace(samples);
    expect(r.find((x) => x.transport === 'events')).toMatchObject({ runs: 2, errors: 2 });
    expect(r.find((x) => x.transport === 'grpc')).toMatchObject({ runs: 2, errors: 0 });
  });

  it('stops when aborted', async () => {
    const { c } = client(() => false);
    const ctl = new AbortController();
    const samples = await runRace(c, 'me', 50, (_s, done) => done === 4 && ctl.abort(), ctl.signal);
    expect(samples).toHaveLength(4);
  });
});
