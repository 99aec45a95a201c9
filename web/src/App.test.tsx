import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiClient, type RawRequest, type RawResponse } from './api';
import { App } from './App';
import { loadTransport, REFRESH_TOKEN_KEY, TRANSPORT_KEY } from './prefs';

/** A tiny in-memory gateway good enough for the screens. */
function fakeGateway() {
  const users = new Map<string, string>();
  const pictures: { id: string; title: string; user_id: string; content_type: string; size: number; created_at: string }[] = [];
  const requests: RawRequest[] = [];
  let n = 0;
  const tokens = () => ({ access_token: `a${++n}`, refresh_token: `r${n}`, token_type: 'Bearer', expires_in: 900 });
  const json = (status: number, body?: unknown, transport = 'rest'): RawResponse => ({
    status,
    header: (h) =>
      h.toLowerCase() === 'x-trident-transport' ? transport : h.toLowerCase() === 'server-timing' ? 'upstream;dur=3' : null,
    text: body === undefined ? '' : JSON.stringify(body),
  });
  const err = (status: number, code: string, message: string) => json(status, { error: { code, message } });

  const sender = async (req: RawRequest): Promise<RawResponse> => {
    requests.push(req);
    const [, transport, ...rest] = req.url.split('?')[0].split('/');
    const path = '/' + rest.join('/');
    const body = req.body ? JSON.parse(req.body) : {};
    const ok = (status: number, b?: unknown) => json(status, b, transport);
    switch (`${req.method} ${path}`) {
      case 'POST /signup':
        if (users.has(body.username)) return err(409, 'ALREADY_EXISTS', 'username already exists');
        users.set(body.username, body.password);
        return ok(201, tokens());
      case 'POST /login':
        if (users.get(body.username) !== body.password) return err(401, 'UNAUTHENTICATED', 'invalid username or password');
        return ok(200, tokens());
      case 'POST /refresh':
        return body.refresh_token === 'stored' ? ok(200, tokens()) : err(401, 'UNAUTHENTICATED', 'bad refresh token');
      case 'POST /logout':
        return ok(204);
      case 'DELETE /me':
        users.clear();
        return ok(204);
      case 'GET /me':
        return ok(200, { id: 'u1', username: [...users.keys()][0] ?? 'restored' });
      case 'GET /pictures':
        return ok(200, { pictures: [...pictures].reverse() }); // next_page_token absent, as proto3 JSON allows
      case 'POST /pictures': {
        req.onUploadProgress?.(1, 2);
        const p = {
          id: `p${pictures.length + 1}`,
          title: body.title,
          user_id: 'u1',
          content_type: 'image/png',
          size: 12,
          created_at: new Date(Date.UTC(2024, 0, 1 + pictures.length)).toISOString(),
        };
        pictures.push(p);
        return ok(201, p);
      }
      case 'GET /analytics':
        return ok(200, {
          logs: [{ transport: 'rest', service: 'pictures', method: 'CreatePicture', status: 201, latency_ms: 4.5, time: '2024-01-01T00:00:00Z' }],
          stats: [{ transport: 'rest', service: 'pictures', method: 'CreatePicture', count: 1, p50_ms: 4.5, p95_ms: 4.5 }],
        });
    }
    if (req.method === 'DELETE' && path.startsWith('/pictures/')) {
      const i = pictures.findIndex((p) => p.id === path.split('/')[2]);
      if (i < 0) return err(404, 'NOT_FOUND', 'picture not found');
      pictures.splice(i, 1);
      return ok(204);
    }
    return err(404, 'NOT_FOUND', `no route ${req.method} ${path}`);
  };
  return { sender, requests, users, pictures };
}

function renderApp(path: string, gw = fakeGateway()) {
  window.history.pushState({}, '', path);
  const client = new ApiClient({ getTransport: () => loadTransport(), sender: gw.sender, uploadSender: gw.sender });
  render(<App client={client} />);
  return { gw, client };
}

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);

beforeEach(() => {
  localStorage.clear();
  // jsdom has no object URLs.
  URL.createObjectURL = vi.fn(() => 'blob:preview');
  URL.revokeObjectURL = vi.fn();
});
afterEach(cleanup);

async function signUp(username = 'alice@example.com', password = 'secret123') {
  fireEvent.change(await screen.findByTestId('username'), { target: { value: username } });
  fireEvent.change(screen.getByTestId('password'), { target: { value: password } });
  fireEvent.click(screen.getByTestId('auth-submit'));
}

describe('sign up', () => {
  it('validates inline and sends nothing while invalid', async () => {
    const { gw } = renderApp('/signup');
    const user = await screen.findByTestId('username');
    fireEvent.change(user, { target: { value: 'a b' } });
    fireEvent.blur(user);
    expect(screen.getByTestId('username-error').textContent).toMatch(/letters, digits/);
    expect(user.getAttribute('aria-invalid')).toBe('true');
    fireEvent.change(screen.getByTestId('password'), { target: { value: 'short' } });
    fireEvent.click(screen.getByTestId('auth-submit'));
    expect(screen.getByTestId('password-error').textContent).toMatch(/at least 8/);
    expect(gw.requests).toHaveLength(0);
  });

  it('shows the server message when refused', async () => {
    const gw = fakeGateway();
    gw.users.set('alice@example.com', 'whatever1');
    renderApp('/signup', gw);
    await signUp();
    expect((await screen.findByTestId('auth-error')).textContent).toBe('username already exists');
  });

  it('signs up, lands on the gallery, keeps the refresh token and shows the call transport', async () => {
    const { gw } = renderApp('/signup');
    await signUp();
    expect(await screen.findByTestId('gallery-empty')).toBeTruthy();
    expect(screen.getByTestId('current-user').textContent).toBe('alice@example.com');
    expect(localStorage.getItem(REFRESH_TOKEN_KEY)).toMatch(/^r/);
    expect(screen.getByTestId('call-info-transport').textContent).toBe('REST');
    expect(gw.requests.map((r) => r.url)).toContain('/rest/pictures?page_size=20');
  });
});

describe('session', () => {
  it('restores a session from the stored refresh token', async () => {
    localStorage.setItem(REFRESH_TOKEN_KEY, 'stored');
    const { gw } = renderApp('/analytics');
    expect(await screen.findByTestId('analytics-table')).toBeTruthy();
    expect(gw.requests[0].url).toBe('/rest/refresh');
    expect(screen.getByTestId('current-user').textContent).toBe('restored');
  });

  it('drops a refused stored token and shows the sign-in form', async () => {
    localStorage.setItem(REFRESH_TOKEN_KEY, 'stale');
    renderApp('/gallery');
    expect(await screen.findByTestId('login-page')).toBeTruthy();
    expect(localStorage.getItem(REFRESH_TOKEN_KEY)).toBeNull();
  });

  it('signs out', async () => {
    localStorage.setItem(REFRESH_TOKEN_KEY, 'stored');
    const { gw } = renderApp('/gallery');
    fireEvent.click(await screen.findByTestId('sign-out'));
    expect(await screen.findByTestId('login-page')).toBeTruthy();
    expect(gw.requests.some((r) => r.url === '/rest/logout')).toBe(true);
    expect(localStorage.getItem(REFRESH_TOKEN_KEY)).toBeNull();
  });
});

describe('gallery paging', () => {
  it('loads the next page with next_page_token, newest first', async () => {
    localStorage.setItem(REFRESH_TOKEN_KEY, 'stored');
    const gw = fakeGateway();
    const pic = (i: number) => ({ id: `p${i}`, title: `pic ${i}`, created_at: `2024-01-${String(10 + i).padStart(2, '0')}T00:00:00Z` });
    const sender = (req: RawRequest): Promise<RawResponse> => {
      if (!req.url.startsWith('/rest/pictures?')) return gw.sender(req);
      const second = req.url.includes('page_token=t2');
      const body = second ? { pictures: [pic(1)] } : { pictures: [pic(3), pic(2)], next_page_token: 't2' };
      return Promise.resolve({ status: 200, header: () => null, text: JSON.stringify(body) });
    };
    window.history.pushState({}, '', '/gallery');
    render(<App client={new ApiClient({ getTransport: () => 'rest', sender, uploadSender: sender })} />);
    await waitFor(() => expect(screen.getAllByTestId('gallery-item')).toHaveLength(2));
    fireEvent.click(screen.getByTestId('load-more'));
    await waitFor(() => expect(screen.getAllByTestId('gallery-item')).toHaveLength(3));
    expect(screen.getAllByTestId('picture-title').map((e) => e.textContent)).toEqual(['pic 3', 'pic 2', 'pic 1']);
    expect(screen.queryByTestId('load-more')).toBeNull();
  });
});

describe('account', () => {
  it('deletes the account after confirmation', async () => {
    localStorage.setItem(REFRESH_TOKEN_KEY, 'stored');
    const { gw } = renderApp('/account');
    fireEvent.click(await screen.findByTestId('delete-account'));
    fireEvent.click(within(await screen.findByTestId('confirm-dialog')).getByTestId('confirm-ok'));
    expect((await screen.findByTestId('session-notice')).textContent).toMatch(/deleted/);
    expect(gw.requests.some((r) => r.method === 'DELETE' && r.url === '/rest/me')).toBe(true);
    expect(localStorage.getItem(REFRESH_TOKEN_KEY)).toBeNull();
  });

  it('says so when the session ends on its own', async () => {
    localStorage.setItem(REFRESH_TOKEN_KEY, 'stored');
    const gw = fakeGateway();
    const base = gw.sender;
    let expired = false;
    const sender = (req: RawRequest) =>
      expired && req.url !== '/rest/logout'
        ? Promise.resolve({ status: 401, header: () => null, text: '' })
        : base(req);
    window.history.pushState({}, '', '/gallery');
    render(<App client={new ApiClient({ getTransport: () => 'rest', sender, uploadSender: sender })} />);
    await screen.findByTestId('gallery-empty');
    expired = true;
    fireEvent.click(screen.getByTestId('gallery-reload'));
    expect((await screen.findByTestId('session-notice')).textContent).toMatch(/session ended/);
  });
});

describe('transport switch', () => {
  it('is remembered and applied to the next calls', async () => {
    localStorage.setItem(REFRESH_TOKEN_KEY, 'stored');
    const { gw } = renderApp('/gallery');
    await screen.findByTestId('gallery-empty');
    fireEvent.click(screen.getByTestId('transport-grpc'));
    expect(localStorage.getItem(TRANSPORT_KEY)).toBe('grpc');
    // The gallery reloads over the new transport.
    await waitFor(() => expect(gw.requests.at(-1)?.url).toBe('/grpc/pictures?page_size=20'));
    await waitFor(() => expect(screen.getByTestId('call-info-transport').textContent).toBe('gRPC'));
  });
});

describe('upload and gallery', () => {
  it('rejects a non-image before sending, uploads a PNG, then deletes it from the grid', async () => {
    localStorage.setItem(REFRESH_TOKEN_KEY, 'stored');
    const { gw } = renderApp('/upload');
    const input = (await screen.findByTestId('upload-input')) as HTMLInputElement;
    const files = [
      new File(['not an image at all'], 'notes.txt', { type: 'text/plain' }),
      new File([PNG], 'red_dot.png', { type: 'image/png' }),
    ];
    fireEvent.change(input, { target: { files } });
    const items = await screen.findAllByTestId('upload-item');
    expect(items).toHaveLength(2);
    await waitFor(() => expect(items[0].getAttribute('data-state')).toBe('invalid'));
    expect(within(items[0]).getByTestId('upload-error').textContent).toMatch(/Not an image/);
    await waitFor(() => expect(items[1].getAttribute('data-state')).toBe('ready'));
    expect((within(items[1]).getByTestId('upload-title') as HTMLInputElement).value).toBe('red dot');

    fireEvent.click(screen.getByTestId('upload-submit'));
    await waitFor(() => expect(items[1].getAttribute('data-state')).toBe('done'));
    const sent = gw.requests.filter((r) => r.method === 'POST' && r.url === '/rest/pictures');
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0].body!).title).toBe('red dot');
    expect(gw.pictures).toHaveLength(1);

    fireEvent.click(screen.getByTestId('upload-to-gallery'));
    const tile = await screen.findByTestId('gallery-item');
    expect(tile.querySelector('img')?.getAttribute('src')).toMatch(/^\/rest\/pictures\/p1\/raw\?access_token=a\d+$/);
    expect(tile.querySelector('img')?.getAttribute('loading')).toBe('lazy');
    fireEvent.click(within(tile).getByTestId('delete-picture'));
    const dialog = await screen.findByTestId('confirm-dialog');
    await act(async () => {
      fireEvent.click(within(dialog).getByTestId('confirm-ok'));
    });
    await waitFor(() => expect(screen.queryAllByTestId('gallery-item')).toHaveLength(0));
    expect(gw.pictures).toHaveLength(0);
  });
});
