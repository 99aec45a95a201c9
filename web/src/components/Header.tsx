import { NavLink } from 'react-router-dom';
import { TRANSPORTS, TRANSPORT_LABELS } from '../api';
import { useSession } from '../session';
import { formatMs } from '../format';
import { transportLabel } from './CallInfo';

export function TransportSwitch() {
  const { transport, setTransport } = useSession();
  return (
    <fieldset className="transport-switch" data-testid="transport-switch">
      <legend>Transport</legend>
      {TRANSPORTS.map((t) => (
        <label key={t} className={t === transport ? 'active' : ''}>
          <input
            type="radio"
            name="transport"
            value={t}
            checked={t === transport}
            onChange={() => setTransport(t)}
            data-testid={`transport-${t}`}
            aria-label={`Use ${TRANSPORT_LABELS[t]}`}
          />
          <span>{TRANSPORT_LABELS[t]}</span>
        </label>
      ))}
    </fieldset>
  );
}

export function Header() {
  const { status, user, signOut, lastCall } = useSession();
  return (
    <header className="app-header">
      <div className="brand">
        <NavLink to="/" aria-label="Trident home">
          Trident
        </NavLink>
      </div>
      {status === 'signedIn' ? (
        <nav aria-label="Main">
          <NavLink to="/gallery" data-testid="nav-gallery">
            Gallery
          </NavLink>
          <NavLink to="/upload" data-testid="nav-upload">
            Upload
          </NavLink>
          <NavLink to="/analytics" data-testid="nav-analytics">
            Analytics
          </NavLink>
          <NavLink to="/account" data-testid="nav-account">
            Account
          </NavLink>
        </nav>
      ) : null}
      <TransportSwitch />
      <div className="header-end">
        {lastCall ? (
          <span className="last-call" data-testid="last-call" title="Last API call">
            {transportLabel(lastCall.servedBy)} · {formatMs(lastCall.durationMs)}
          </span>
        ) : null}
        {status === 'signedIn' && user ? (
          <>
            <span className="user" data-testid="current-user">
              {user.username}
            </span>
            <button type="button" onClick={() => void signOut()} data-testid="sign-out">
              Sign out
            </button>
          </>
        ) : null}
      </div>
    </header>
  );
}
