// App-wide state: the API client, the chosen transport, the signed-in user and the last call.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiClient, ApiError, type CallMeta, type PictureMeta, type TokenPair, type Transport, type User } from './api';
import { loadRefreshToken, loadTransport, saveRefreshToken, saveTransport } from './prefs';

export type SessionStatus = 'loading' | 'signedIn' | 'signedOut';

/** What the gallery had loaded, so coming back from a picture shows it at once, scrolled as left. */
export interface GalleryState {
  /** `${user id}:${transport}`: a cache of another user or transport is not used. */
  key: string;
  items: PictureMeta[];
  next: string;
  scrollY: number;
}

export interface Session {
  client: ApiClient;
  status: SessionStatus;
  user: User | null;
  transport: Transport;
  setTransport: (t: Transport) => void;
  lastCall: CallMeta | null;
  /** Kept across screens; null when nothing is kept (after an upload it is dropped). */
  gallery: { current: GalleryState | null };
  signIn: (kind: 'login' | 'signup', username: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
  deleteAccount: () => Promise<void>;
  /** Message shown on the sign-in screen after an involuntary sign-out. */
  notice: string;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

export function SessionProvider({ children, client: given }: { children: ReactNode; client?: ApiClient }) {
  const [transport, setTransportState] = useState<Transport>(() => loadTransport());
  const transportRef = useRef(transport);
  const [status, setStatus] = useState<SessionStatus>('loading');
  const [user, setUser] = useState<User | null>(null);
  const [lastCall, setLastCall] = useState<CallMeta | null>(null);
  const gallery = useRef<GalleryState | null>(null);
  const [notice, setNotice] = useState('');
  const [tokenVersion, setTokenVersion] = useState(0);
  const expiresIn = useRef(0);
  const statusRef = useRef<SessionStatus>('loading');
  statusRef.current = status;
  /** Set while the user signs out or deletes the account on purpose. */
  const leaving = useRef(false);

  const client = useMemo(() => {
    const onTokens = (pair: TokenPair | null) => {
      saveRefreshToken(pair?.refresh_token ?? '');
      expiresIn.current = pair?.expires_in ?? 0;
      setTokenVersion((v) => v + 1);
      if (!pair) {
        setUser(null);
        gallery.current = null;
        if (statusRef.current === 'signedIn' && !leaving.current) setNotice('Your session ended; please sign in again.');
        statusRef.current = 'signedOut';
        setStatus('signedOut');
      }
    };
    const onCall = (m: CallMeta) => setLastCall(m);
    if (given) {
      given.listen({ onTokens, onCall }); // tests pass their own client
      return given;
    }
    return new ApiClient({ getTransport: () => transportRef.current, onTokens, onCall });
  }, [given]);

  const setTransport = useCallback((t: Transport) => {
    transportRef.current = t;
    saveTransport(t);
    setTransportState(t);
  }, []);

  const loadUser = useCallback(async () => {
    const r = await client.me();
    setUser(r.data);
    setStatus('signedIn');
    setNotice('');
  }, [client]);

  // Restore the session from the stored refresh token once on load.
  useEffect(() => {
    let cancelled = false;
    const token = loadRefreshToken();
    if (!token) {
      setStatus('signedOut');
      return;
    }
    client.refreshToken = token;
    client
      .refresh()
      .then(() => (cancelled ? undefined : loadUser()))
      .catch((e) => {
        if (cancelled) return;
        // Keep the stored token when the server was merely unreachable; drop it when refused.
        if (e instanceof ApiError && e.status >= 400 && e.status < 500) client.setTokens(null);
        else setNotice('Could not restore your session: ' + (e instanceof Error ? e.message : String(e)));
        setStatus('signedOut');
      });
    return () => {
      cancelled = true;
    };
  }, [client, loadUser]);

  // Refresh the access token shortly before it expires, so image loads rarely meet a 401.
  useEffect(() => {
    if (status !== 'signedIn' || !client.refreshToken || !(expiresIn.current > 0)) return;
    const ms = Math.max(5_000, (expiresIn.current - 30) * 1000);
    const id = window.setTimeout(() => {
      client.refresh().catch((e) => {
        if (e instanceof ApiError && e.status >= 400 && e.status < 500) client.setTokens(null);
      });
    }, ms);
    return () => window.clearTimeout(id);
  }, [client, status, tokenVersion]);

  const signIn = useCallback(
    async (kind: 'login' | 'signup', username: string, password: string) => {
      if (kind === 'signup') await client.signup(username, password);
      else await client.login(username, password);
      await loadUser();
    },
    [client, loadUser],
  );

  const signOut = useCallback(async () => {
    leaving.current = true;
    try {
      await client.logout();
    } catch {
      /* signed out locally regardless */
    } finally {
      leaving.current = false;
    }
    setNotice('');
    setStatus('signedOut');
  }, [client]);

  const deleteAccount = useCallback(async () => {
    leaving.current = true;
    try {
      await client.deleteMe();
    } finally {
      leaving.current = false;
    }
    setNotice('Your account was deleted.');
    setStatus('signedOut');
  }, [client]);

  const value: Session = {
    client,
    status,
    user,
    transport,
    setTransport,
    lastCall,
    gallery,
    signIn,
    signOut,
    deleteAccount,
    notice,
  };
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}
