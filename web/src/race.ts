// The transport race: the same read call over REST, gRPC and events, one call at a time.
import { ApiError, TRANSPORTS, type ApiClient, type CallMeta, type Transport } from './api';
import { percentile } from './format';

export type RaceCall = 'me' | 'list';

export const RACE_CALLS: Record<RaceCall, string> = {
  me: 'GET /me',
  list: 'GET /pictures?page_size=1',
};

export const RACE_SIZES = [10, 25, 50] as const;
export const RACE_MAX = 100;

export interface RaceSample {
  transport: Transport;
  round: number;
  ok: boolean;
  /** Round trip measured in the browser. */
  ms: number;
  /** The gateway's time for the upstream call (Server-Timing), when it said. */
  upstreamMs: number | null;
}

/**
 * Round r runs the transports in an order rotated by r, so none of them always goes first (right
 * after the browser was idle) or last.
 */
export function raceSchedule(rounds: number, transports: readonly Transport[] = TRANSPORTS): { round: number; transport: Transport }[] {
  const n = Math.max(0, Math.min(RACE_MAX, Math.floor(rounds)));
  const out: { round: number; transport: Transport }[] = [];
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < transports.length; i++) out.push({ round: r, transport: transports[(i + r) % transports.length] });
  }
  return out;
}

export interface RaceResult {
  transport: Transport;
  runs: number;
  errors: number;
  p50: number;
  p95: number;
  upstreamP50: number | null;
  upstreamP95: number | null;
}

export function summarizeRace(samples: RaceSample[], transports: readonly Transport[] = TRANSPORTS): RaceResult[] {
  return transports.map((t) => {
    const mine = samples.filter((s) => s.transport === t);
    const ok = mine.filter((s) => s.ok);
    const ms = ok.map((s) => s.ms);
    const up = ok.map((s) => s.upstreamMs).filter((v): v is number => v != null);
    return {
      transport: t,
      runs: mine.length,
      errors: mine.length - ok.length,
      p50: percentile(ms, 50),
      p95: percentile(ms, 95),
      upstreamP50: up.length ? percentile(up, 50) : null,
      upstreamP95: up.length ? percentile(up, 95) : null,
    };
  });
}

/** The fastest transport by p50 among those with successful runs, or '' when none. */
export function winner(results: RaceResult[]): Transport | '' {
  const ran = results.filter((r) => r.runs > r.errors);
  if (ran.length === 0) return '';
  return ran.reduce((a, b) => (b.p50 < a.p50 ? b : a)).transport;
}

function callOnce(client: ApiClient, call: RaceCall, transport: Transport): Promise<CallMeta> {
  const o = { transport, quiet: true };
  return (call === 'me' ? client.me(o) : client.listPictures(1, '', o)).then((r) => r.meta);
}

/**
 * Runs the race: one unrecorded warm-up call per transport (connection set-up, first-call caches),
 * then `rounds` rounds. Stops between calls once `signal` is aborted.
 */
export async function runRace(
  client: ApiClient,
  call: RaceCall,
  rounds: number,
  onSample: (s: RaceSample, done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<RaceSample[]> {
  for (const t of TRANSPORTS) {
    if (signal?.aborted) return [];
    await callOnce(client, call, t).catch(() => undefined);
  }
  const schedule = raceSchedule(rounds);
  const samples: RaceSample[] = [];
  for (const { round, transport } of schedule) {
    if (signal?.aborted) break;
    let sample: RaceSample;
    try {
      const meta = await callOnce(client, call, transport);
      sample = { transport, round, ok: true, ms: meta.durationMs, upstreamMs: meta.upstreamMs };
    } catch (e) {
      // A refused session ends the race; other failures count as errors of that transport.
      if (e instanceof ApiError && e.status === 401) throw e;
      const meta = e instanceof ApiError ? e.meta : null;
      sample = { transport, round, ok: false, ms: meta?.durationMs ?? 0, upstreamMs: null };
    }
    samples.push(sample);
    onSample(sample, samples.length, schedule.length);
  }
  return samples;
}
