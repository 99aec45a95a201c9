import { useEffect, useState } from 'react';
import { NavLink, useLocation } from 'react-router-dom';
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

/**
 * One row at any width: brand, transport switch and, signed in, the pages and the user. Below 1000 px
 * the pages and the user move into a menu opened by a button, so the row still fits 320 px.
 */
export function Header() {
  const { status, user, signOut, lastCall } = useSession();
  const [open, setOpen] = useState(false);
  const { pathname } = useLocation();
  const signedIn = status === 'signedIn' && user !== null;

  useEffect(() => setOpen(false), [pathname, signedIn]);

  return (
    <header className="app-header" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
      <div className="brand">
        <NavLink to="/" aria-label="Trident home">
          Trident
        </NavLink>
      </div>
      <TransportSwitch />
      {signedIn ? (
        <button
          type="button"
          className="menu-button"
          aria-expanded={open}
          aria-controls="header-menu"
          onClick={() => setOpen((o) => !o)}
          data-testid="menu-button"
        >
          <span aria-hidden="true" className="menu-icon">
            ☰
          </span>{' '}
          Menu
        </button>
      ) : null}
      <div id="header-menu" className={`header-menu${open ? ' open' : ''}`} data-testid="header-menu">
        {signedIn ? (
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
        <div className="header-end">
          {lastCall ? (
            <span className="last-call" data-testid="last-call" title="Last API call">
              Last call: {transportLabel(lastCall.servedBy)} · {formatMs(lastCall.durationMs)}
            </span>
          ) : null}
          {signedIn ? (
            <>
              <span className="user" title={user.username} data-testid="current-user">
                {user.username}
              </span>
              <button type="button" onClick={() => void signOut()} data-testid="sign-out">
                Sign out
              </button>
            </>
          ) : null}
        </div>
      </div>
    </header>
  );
}
