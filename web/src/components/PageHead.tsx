/** A page's title with its refresh button (disabled, and saying so, while a refresh runs). */
export function PageHead({ title, busy, onRefresh, testId }: {
  title: string;
  busy: boolean;
  onRefresh: () => void;
  testId: string;
}) {
  return (
    <div className="page-head">
      <h1>{title}</h1>
      <button type="button" onClick={onRefresh} disabled={busy} data-testid={testId}>
        {busy ? 'Refreshing…' : 'Refresh'}
      </button>
    </div>
  );
}
