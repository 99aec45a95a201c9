// Things remembered in localStorage: the chosen transport and the refresh token.
import { isTransport, type Transport } from './api';

export const TRANSPORT_KEY = 'trident.transport';
export const REFRESH_TOKEN_KEY = 'trident.refresh_token';

type Store = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

function store(s?: Store): Store | null {
  if (s) return s;
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export function loadTransport(s?: Store): Transport {
  try {
    const v = store(s)?.getItem(TRANSPORT_KEY);
    return isTransport(v) ? v : 'rest';
  } catch {
    return 'rest';
  }
}

export function saveTransport(t: Transport, s?: Store): void {
  try {
    store(s)?.setItem(TRANSPORT_KEY, t);
  } catch {
    /* storage full or disabled: the choice lasts for this page only */
  }
}

export function loadRefreshToken(s?: Store): string {
  try {
    return store(s)?.getItem(REFRESH_TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

export function saveRefreshToken(token: string, s?: Store): void {
  try {
    if (token) store(s)?.setItem(REFRESH_TOKEN_KEY, token);
    else store(s)?.removeItem(REFRESH_TOKEN_KEY);
  } catch {
    /* ignore */
  }
}
