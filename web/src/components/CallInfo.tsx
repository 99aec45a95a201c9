import { TRANSPORT_LABELS, isTransport, type CallMeta } from '../api';
import { formatMs } from '../format';

export function transportLabel(t: string): string {
  const k = t.toLowerCase();
  return isTransport(k) ? TRANSPORT_LABELS[k] : t;
}

/** "Served by gRPC in 12.3 ms (upstream 8.1 ms)" for one call. */
export function CallInfo({ meta, label, testId = 'call-info' }: { meta: CallMeta | null; label?: string; testId?: string }) {
  if (!meta) return null;
  return (
    <p className="call-info" data-testid={testId} data-transport={meta.servedBy.toLowerCase()} aria-live="polite">
      {label ? <span className="call-label">{label}: </span> : null}
      served by <strong data-testid={`${testId}-transport`}>{transportLabel(meta.servedBy)}</strong> in{' '}
      <strong data-testid={`${testId}-ms`}>{formatMs(meta.durationMs)}</strong>
      {meta.upstreamMs != null ? <> (upstream {formatMs(meta.upstreamMs)})</> : null}
    </p>
  );
}
