import { beforeEach, describe, expect, it } from 'vitest';
import { loadRefreshToken, loadTransport, REFRESH_TOKEN_KEY, saveRefreshToken, saveTransport, TRANSPORT_KEY } from './prefs';

describe('transport preference', () => {
  beforeEach(() => localStorage.clear());

  it('defaults to REST and remembers the choice', () => {
    expect(loadTransport()).toBe('rest');
    saveTransport('grpc');
    expect(localStorage.getItem(TRANSPORT_KEY)).toBe('grpc');
    expect(loadTransport()).toBe('grpc');
    saveTransport('events');
    expect(loadTransport()).toBe('events');
  });

  it('ignores unknown stored values', () => {
    localStorage.setItem(TRANSPORT_KEY, 'carrier-pigeon');
    expect(loadTransport()).toBe('rest');
  });

  it('survives a storage that throws', () => {
    const broken = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
      removeItem: () => {
        throw new Error('denied');
      },
    };
    expect(loadTransport(broken)).toBe('rest');
    expect(() => saveTransport('grpc', broken)).not.toThrow();
    expect(loadRefreshToken(broken)).toBe('');
  });
});

describe('refresh token storage', () => {
  beforeEach(() => localStorage.clear());
  it('stores and clears', () => {
    saveRefreshToken('r1');
    expect(localStorage.getItem(REFRESH_TOKEN_KEY)).toBe('r1');
    expect(loadRefreshToken()).toBe('r1');
    saveRefreshToken('');
    expect(localStorage.getItem(REFRESH_TOKEN_KEY)).toBeNull();
  });
});
