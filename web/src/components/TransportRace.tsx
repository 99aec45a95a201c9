import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../api';
import { formatMs } from '../format';
import { RACE_CALLS, RACE_SIZES, runRace, summarizeRace, winner, type RaceCall, type RaceSample } from '../race';
import { useSession } from '../session';
import { transportLabel } from './CallInfo';
import { LatencyBars } from './Charts';

/** The same read call N times over REST, gRPC and events, and how long each took. */
export function TransportRace() {
  const { client } = useSession();
  const [call, setCall] = useState<RaceCall>('list');
  const [rounds, setRounds] = useState<number>(RACE_SIZES[0]);
  const [samples, setSamples] = useState<RaceSample[]>([]);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState('');
  const [ran, setRan] = useState<{ call: RaceCall; rounds: number } | null>(null);
  const abort = useRef<AbortController | null>(null);

  useEffect(() => () => abort.current?.abort(), []);

  async function start() {
    abort.current?.abort();
    const ctl = new AbortController();
    abort.current = ctl;
    setRunning(true);
    setError('');
    setSamples([]);
    setProgress({ done: 0, total: rounds * 3 });
    setRan({ call, rounds });
    try {
      await runRace(
        client,
        call,
        rounds,
        (s, done, total) => {
          if (ctl.signal.aborted) return;
          setSamples((cur) => [...cur, s]);
          setProgress({ done, total });
        },
        ctl.signal,
      );
    } catch (e) {
      if (!ctl.signal.aborted) setError(e instanceof ApiError || e instanceof Error ? e.message : String(e));
    } finally {
      if (abort.current === ctl) setRunning(false);
    }
  }

  const results = summarizeRace(samples);
  const best = running ? '' : winner(results);
  const done = samples.length > 0;

  return (
    <section className="race" aria-labelledby="race-title" data-testid="race">
      <h2 id="race-title">Transport race</h2>
      <p className="help">
        The same read call, made over each transport in turn (the order rotates every round), one call at a time,
        after one warm-up call per transport. Times are measured in this browser; “upstream” is the gateway's own
        time for the call to the service.
      </p>
      <div className="race-controls">
        <label className="inline">
          Call
          <select value={call} onChange={(e) => setCall(e.target.value as RaceCall)} disabled={running} data-testid="race-call">
            {(Object.keys(RACE_CALLS) as RaceCall[]).map((k) => (
              <option key={k} value={k}>
                {RACE_CALLS[k]}
              </option>
            ))}
          </select>
        </label>
        <label className="inline">
          Rounds
          <select value={rounds} onChange={(e) => setRounds(Number(e.target.value))} disabled={running} data-testid="race-rounds">
            {RACE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n} per transport
              </option>
            ))}
          </select>
        </label>
        {running ? (
          <button type="button" onClick={() => abort.current?.abort()} data-testid="race-stop">
            Stop
          </button>
        ) : (
          <button type="button" className="primary" onClick={() => void start()} data-testid="race-run">
            {done ? 'Run again' : 'Run the race'}
          </button>
        )}
      </div>
      {progress ? (
        <div className="race-progress">
          <progress max={progress.total} value={progress.done} aria-label="Race progress" data-testid="race-progress" />
          <span role="status" data-testid="race-status">
            {running ? `${progress.done} of ${progress.total} calls…` : `${progress.done} of ${progress.total} calls done.`}
          </span>
        </div>
      ) : null}
      {error ? (
        <p className="error" role="alert" data-testid="race-error">
          {error}
        </p>
      ) : null}
      {done && ran ? (
        <>
          {best ? (
            <p className="race-winner" data-testid="race-winner" data-transport={best}>
              Fastest by median: <strong>{transportLabel(best)}</strong> ({RACE_CALLS[ran.call]})
            </p>
          ) : null}
          <ul className="cards race-results" aria-label="Race results">
            {results.map((r) => (
              <li key={r.transport} className="card" data-testid="race-result" data-transport={r.transport} data-runs={r.runs}>
                <h3>{transportLabel(r.transport)}</h3>
                <p className="big">
                  <span data-testid="race-p50">p50 {formatMs(r.p50)}</span>
                  <span data-testid="race-p95">p95 {formatMs(r.p95)}</span>
                </p>
                <p className="help">
                  {r.runs} {r.runs === 1 ? 'call' : 'calls'}
                  {r.errors ? `, ${r.errors} failed` : ''}
                  {r.upstreamP50 != null ? ` · upstream p50 ${formatMs(r.upstreamP50)}, p95 ${formatMs(r.upstreamP95)}` : ''}
                </p>
              </li>
            ))}
          </ul>
          <LatencyBars
            title={`Race: ${RACE_CALLS[ran.call]}, p50 and p95 per transport`}
            testId="race-chart"
            rows={results.map((r) => ({ label: transportLabel(r.transport), p50: r.p50, p95: r.p95 }))}
            summary={results
              .map((r) => `${transportLabel(r.transport)}: p50 ${formatMs(r.p50)}, p95 ${formatMs(r.p95)}`)
              .join('; ')}
          />
        </>
      ) : null}
    </section>
  );
}
