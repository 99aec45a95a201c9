import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { ApiError, TRANSPORT_LABELS } from '../api';
import { useSession } from '../session';
import { PASSWORD_RULE, validatePassword, validateUsername } from '../validation';

export function AuthPage({ mode }: { mode: 'login' | 'signup' }) {
  const { signIn, notice, transport } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [touched, setTouched] = useState({ username: false, password: false });
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [serverError, setServerError] = useState('');

  const usernameError = validateUsername(username);
  // On sign-in only emptiness is checked: older accounts must still be able to sign in.
  const passwordError = mode === 'signup' ? validatePassword(password, username) : password ? '' : 'Enter a password.';
  const showUser = (touched.username || submitted) && usernameError;
  const showPass = (touched.password || submitted) && passwordError;
  const title = mode === 'signup' ? 'Create an account' : 'Sign in';

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setSubmitted(true);
    setServerError('');
    if (usernameError || passwordError) return;
    setBusy(true);
    try {
      await signIn(mode, username, password);
    } catch (err) {
      setServerError(err instanceof ApiError || err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  }

  return (
    <main className="auth-page" data-testid={`${mode}-page`}>
      <h1>{title}</h1>
      {notice ? (
        <p className="notice" role="status" data-testid="session-notice">
          {notice}
        </p>
      ) : null}
      <form onSubmit={onSubmit} noValidate aria-label={title} data-testid={`${mode}-form`}>
        <div className="field">
          <label htmlFor="username">Username or email</label>
          <input
            id="username"
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            onBlur={() => setTouched((t) => ({ ...t, username: true }))}
            aria-invalid={showUser ? true : undefined}
            aria-describedby="username-help"
            data-testid="username"
          />
          <small id="username-help" className={showUser ? 'error' : 'help'} data-testid="username-error">
            {showUser || '3–64 characters: letters, digits and _ . @ + -'}
          </small>
        </div>
        <div className="field">
          <label htmlFor="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            onBlur={() => setTouched((t) => ({ ...t, password: true }))}
            aria-invalid={showPass ? true : undefined}
            aria-describedby={mode === 'signup' ? 'password-rule password-help' : 'password-help'}
            data-testid="password"
          />
          {mode === 'signup' ? (
            <small id="password-rule" className="help" data-testid="password-rule">
              {PASSWORD_RULE}
            </small>
          ) : null}
          <small id="password-help" className="error" data-testid="password-error">
            {showPass || ''}
          </small>
        </div>
        {serverError ? (
          <p className="error" role="alert" data-testid="auth-error">
            {serverError}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy} data-testid="auth-submit">
          {busy ? 'Please wait…' : mode === 'signup' ? 'Sign up' : 'Sign in'}
        </button>
        <p className="help">Using {TRANSPORT_LABELS[transport]} (change it in the header).</p>
      </form>
      <p>
        {mode === 'signup' ? (
          <>
            Already have an account? <Link to="/login" data-testid="to-login">Sign in</Link>
          </>
        ) : (
          <>
            New here? <Link to="/signup" data-testid="to-signup">Create an account</Link>
          </>
        )}
      </p>
    </main>
  );
}
