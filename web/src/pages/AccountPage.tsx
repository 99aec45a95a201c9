import { useState } from 'react';
import { ApiError } from '../api';
import { CallInfo } from '../components/CallInfo';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { useSession } from '../session';

export function AccountPage() {
  const { user, meCall, deleteAccount, signOut } = useSession();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  async function onDelete() {
    setBusy(true);
    setError('');
    try {
      await deleteAccount();
    } catch (e) {
      setError(e instanceof ApiError || e instanceof Error ? e.message : String(e));
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
      <CallInfo meta={meCall} label="Profile" />
      <div className="actions">
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
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
