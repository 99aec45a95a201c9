import { useEffect, useState } from 'react';
import { ApiError, type CallMeta, type User } from '../api';
import { CallInfo } from '../components/CallInfo';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { useSession } from '../session';

function message(e: unknown): string {
  return e instanceof ApiError || e instanceof Error ? e.message : String(e);
}

/** The profile, read afresh on every visit (and transport switch) so the timing shown is this visit's. */
export function AccountPage() {
  const { client, transport, user: sessionUser, deleteAccount } = useSession();
  const [user, setUser] = useState<User | null>(sessionUser);
  const [call, setCall] = useState<CallMeta | null>(null);
  const [loadError, setLoadError] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  useEffect(() => {
    let live = true;
    setCall(null);
    client
      .me()
      .then((r) => {
        if (!live) return;
        setUser(r.data);
        setCall(r.meta);
        setLoadError('');
      })
      .catch((e) => live && setLoadError(message(e)));
    return () => {
      live = false;
    };
  }, [client, transport]);

  async function onDelete() {
    setBusy(true);
    setError('');
    try {
      await deleteAccount();
    } catch (e) {
      setError(message(e));
      setBusy(false);
    }
  }

  return (
    <main data-testid="account-page">
      <h1>Account</h1>
      <dl className="meta">
        <dt>Username</dt>
        <dd data-testid="account-username">{user?.username}</dd>
        <dt>User id</dt>
        <dd data-testid="account-id">{user?.id}</dd>
      </dl>
      {call ? (
        <CallInfo meta={call} label="Profile" testId="account-call-info" />
      ) : loadError ? (
        <p className="error" role="alert">
          {loadError}
        </p>
      ) : (
        <p className="call-info" role="status">
          Loading the profile…
        </p>
      )}
      <h2>Delete the account</h2>
      <p>Deletes your account and every picture in it.</p>
      <div className="actions">
        <button type="button" className="danger" onClick={() => setConfirming(true)} data-testid="delete-account">
          Delete account…
        </button>
      </div>
      {confirming ? (
        <ConfirmDialog
          title="Delete your account?"
          message="This deletes your account and all your pictures. It cannot be undone."
          confirmLabel="Delete account"
          busy={busy}
          error={error}
          onConfirm={() => void onDelete()}
          onCancel={() => {
            setConfirming(false);
            setError('');
          }}
        />
      ) : null}
    </main>
  );
}
