// Charts drawn with recharts. Each is an image for assistive technology, named by a text summary;
// the numbers themselves are always also on the screen as text.
import type { ReactElement } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { SeriesPoint, TimeWindow } from '../analytics';
import { formatMs } from '../format';
import { transportLabel } from './CallInfo';

/** Distinct in hue and in dash pattern, each with at least 4.5:1 contrast on white. */
export const TRANSPORT_STYLE: Record<string, { color: string; dash?: string }> = {
  rest: { color: '#1f5fa8' },
  grpc: { color: '#1e7a3a', dash: '6 3' },
  events: { color: '#a34a00', dash: '2 3' },
};
const OTHER = { color: '#5b6570', dash: '1 2' };
export const P50_COLOR = '#4a7fc1';
export const P95_COLOR = '#c0661a';

function styleOf(t: string) {
  return TRANSPORT_STYLE[t.toLowerCase()] ?? OTHER;
}

function timeLabel(t: number, w: TimeWindow): string {
  const d = new Date(t);
  return w.ms <= 10 * 60_000
    ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })
    : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** "10 s", "30 min", with a no-break space so the unit never wraps alone. */
function bucketLabel(w: TimeWindow): string {
  return w.bucketMs >= 60_000 ? `${w.bucketMs / 60_000}\u00a0min` : `${w.bucketMs / 1000}\u00a0s`;
}

function ChartFrame(props: { title: string; summary: string; testId: string; height: number; children: ReactElement }) {
  return (
    <figure className="chart" data-testid={props.testId}>
      <figcaption>{props.title}</figcaption>
      <div role="img" aria-label={props.summary} className="chart-canvas" style={{ height: props.height }}>
        <ResponsiveContainer width="100%" height="100%" minWidth={0}>
          {props.children}
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

function flatten(points: SeriesPoint[], pick: 'calls' | 'errorRate', transports: string[]) {
  return points.map((p) => ({ t: p.t, ...Object.fromEntries(transports.map((t) => [t, p[pick][t]])) }));
}

export function OverTimeChart(props: {
  kind: 'calls' | 'errorRate';
  points: SeriesPoint[];
  transports: string[];
  window: TimeWindow;
  summary: string;
  testId: string;
}) {
  const { kind, points, transports, window: w } = props;
  const data = flatten(points, kind, transports);
  const isRate = kind === 'errorRate';
  return (
    <ChartFrame
      title={isRate ? 'Error rate over time, per transport' : `Calls over time, per transport (per ${bucketLabel(w)})`}
      summary={props.summary}
      testId={props.testId}
      height={220}
    >
      <LineChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }} accessibilityLayer={false}>
        <CartesianGrid stroke="#e3e7ec" vertical={false} />
        <XAxis
          dataKey="t"
          type="number"
          scale="time"
          domain={['dataMin', 'dataMax']}
          tickFormatter={(t: number) => timeLabel(t, w)}
          tick={{ fontSize: 12, fill: '#3d4650' }}
          minTickGap={24}
        />
        <YAxis
          allowDecimals={false}
          domain={isRate ? [0, 100] : [0, 'auto']}
          tickFormatter={(v: number) => (isRate ? `${v}%` : String(v))}
          tick={{ fontSize: 12, fill: '#3d4650' }}
          width={44}
        />
        <Tooltip
          labelFormatter={(t) => timeLabel(Number(t), w)}
          formatter={(v, name) => [isRate ? (v == null ? '—' : `${Number(v).toFixed(1)}%`) : String(v), transportLabel(String(name))]}
        />
        <Legend formatter={(v) => transportLabel(String(v))} itemSorter={null} wrapperStyle={{ fontSize: 13 }} />
        {transports.map((t) => (
          <Line
            key={t}
            type="linear"
            dataKey={t}
            name={t}
            stroke={styleOf(t).color}
            strokeDasharray={styleOf(t).dash}
            strokeWidth={2}
            dot={false}
            connectNulls={false}
            isAnimationActive={false}
          />
        ))}
      </LineChart>
    </ChartFrame>
  );
}

export interface LatencyRow {
  label: string;
  p50: number;
  p95: number;
}

/** Grouped bars: p50 and p95 side by side for each row. */
export function LatencyBars(props: { title: string; rows: LatencyRow[]; summary: string; testId: string }) {
  return (
    <ChartFrame title={props.title} summary={props.summary} testId={props.testId} height={200}>
      <BarChart data={props.rows} margin={{ top: 8, right: 16, bottom: 0, left: 0 }} accessibilityLayer={false}>
        <CartesianGrid stroke="#e3e7ec" vertical={false} />
        <XAxis dataKey="label" tick={{ fontSize: 12, fill: '#3d4650' }} interval={0} />
        <YAxis tickFormatter={(v: number) => (v === 0 ? '0' : formatMs(v))} tick={{ fontSize: 12, fill: '#3d4650' }} width={64} />
        <Tooltip formatter={(v, name) => [formatMs(Number(v)), String(name)]} />
        <Legend wrapperStyle={{ fontSize: 13 }} />
        <Bar dataKey="p50" name="p50" fill={P50_COLOR} isAnimationActive={false} />
        <Bar dataKey="p95" name="p95" fill={P95_COLOR} isAnimationActive={false} />
      </BarChart>
    </ChartFrame>
  );
}
