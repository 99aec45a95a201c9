import { act, cleanup, configure, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiClient, type BlobRequest, type BlobResponse, type RawRequest, type RawResponse } from './api';
import { App } from './App';
import { readQuery, writeQuery } from './pages/AnalyticsPage';
import { loadTransport, REFRESH_TOKEN_KEY, TRANSPORT_KEY } from './prefs';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const JAEGER_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

/** A tiny in-memory gateway good enough for the screens. */
function fakeGateway() {
  const users = new Map<string, string>();
  const pictures: { id: string; title: string; user_id: string; content_type: string; size: number; created_at: string }[] = [];
  const requests: RawRequest[] = [];
  const blobRequests: BlobRequest[] = [];
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
      case 'GET /analytics': {
        const ago = (s: number) => new Date(Date.now() - s * 1000).toISOString();
        const log = (transport: string, method: string, status: number, latency_ms: number, s: number) => ({
          transport, service: 'pictures', method, status, latency_ms, time: ago(s),
        });
        return ok(200, {
          logs: [
            { ...log('rest', 'CreatePicture', 201, 4.5, 10), trace_id: TRACE_ID },
            log('grpc', 'ListPictures', 200, 2, 20),
            log('grpc', 'ListPictures', 404, 1, 30),
            log('events', 'ListPictures', 200, 8, 40),
            log('rest', 'ListPictures', 200, 3, 2 * 3600), // outside the last hour
          ],
          // All-time stats count more calls than the logs: the screen must not mix the two.
          stats: [{ transport: 'rest', service: 'pictures', method: 'CreatePicture', count: 52, p50_ms: 4.5, p95_ms: 4.5 }],
        });
      }
    }
    if (req.method === 'GET' && path.startsWith('/traces/')) {
      // Compose: the system keeps no traces itself, and names Jaeger's page of the trace.
      if (path === `/traces/${JAEGER_TRACE_ID}`)
        return ok(200, { trace_id: JAEGER_TRACE_ID, ui_url: `http://localhost:16686/trace/${JAEGER_TRACE_ID}` });
      if (path !== `/traces/${TRACE_ID}`) return err(404, 'NOT_FOUND', 'none of your calls has this trace');
      const span = (id: string, parent: string, service: string, start_ms: number, duration_ms: number, attributes = {}) => ({
        span_id: id, parent_span_id: parent, name: `${service} ${id}`, service, kind: 'SERVER', start_ms, duration_ms, attributes,
      });
      return ok(200, {
        trace_id: TRACE_ID,
        spans: [
          span('edge', '', 'gateway', 0, 10, { 'trident.transport': 'rest' }),
          span('client', 'edge', 'gateway', 1, 8, { 'trident.transport': 'rest' }),
          span('server', 'client', 'pictures', 2, 6, { 'trident.transport': 'rest' }),
          span('sql', 'server', 'pictures', 3, 1, { 'db.system': 'postgresql', 'db.statement': 'INSERT INTO pictures' }),
        ],
      });
    }
    if (req.method === 'GET' && /^\/pictures\/[^/]+$/.test(path)) {
      const p = pictures.find((x) => x.id === path.split('/')[2]);
      return p ? ok(200, { ...p, base64: 'iVBORw0KGgo=' }) : err(404, 'NOT_FOUND', 'picture not found');
    }
    if (req.method === 'DELETE' && path.startsWith('/pictures/')) {
      const i = pictures.findIndex((p) => p.id === path.split('/')[2]);
      if (i < 0) return err(404, 'NOT_FOUND', 'picture not found');
      pictures.splice(i, 1);
      return ok(204);
    }
    return err(404, 'NOT_FOUND', `no route ${req.method} ${path}`);
  };
  const blobSender = async (req: BlobRequest): Promise<BlobResponse> => {
    blobRequests.push(req);
    const id = req.url.split('/')[3];
    const found = pictures.some((p) => p.id === id);
    return {
      status: found ? 200 : 404,
      header: () => null,
      blob: found ? new Blob([new Uint8Array([1, 2, 3, 4])], { type: 'image/webp' }) : new Blob(['{}']),
    };
  };
  return { sender, blobSender, requests, blobRequests, users, pictures };
}

function renderApp(path: string, gw = fakeGateway()) {
  window.history.pushState({}, '', path);
  const client = new ApiClient({
    getTransport: () => loadTransport(),
    sender: gw.sender,
    uploadSender: gw.sender,
    blobSender: gw.blobSender,
  });
  render(<App client={client} />);
  return { gw, client };
}

// The machine running the tests may be busy (the e2e suite alongside): wait generously, fail clearly.
configure({ asyncUtilTimeout: 5_000 });

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);

beforeEach(() => {
  localStorage.clear();
  // jsdom has no object URLs.
  let n = 0;
  URL.createObjectURL = vi.fn(() => `blob:object-${++n}`);
  URL.revokeObjectURL = vi.fn();
  // jsdom has no layout: charts get a fixed size through a stub ResizeObserver.
  globalThis.ResizeObserver ??= class {
    observe() {}
    unobserve() {}
    disconnect() {}
  } as unknown as typeof ResizeObserver;
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
    // The analytics screen is a lazily loaded chunk: the first import can take a while under load.
    expect(await screen.findByTestId('analytics-table', {}, { timeout: 10_000 })).toBeTruthy();
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
    expect(screen.getByTestId('gallery-count').textContent).toBe('All 3 pictures shown.');
  });
});

describe('picture page', () => {
  async function withPictures() {
    localStorage.setItem(REFRESH_TOKEN_KEY, 'stored');
    const gw = fakeGateway();
    gw.pictures.push(
      { id: 'p1', title: 'harbour', user_id: 'u1', content_type: 'image/jpeg', size: 11_000_000, created_at: '2024-01-02T00:00:00Z' },
      { id: 'p2', title: 'hills', user_id: 'u1', content_type: 'image/png', size: 2048, created_at: '2024-01-01T00:00:00Z' },
    );
    return gw;
  }

  it('opens from the gallery at /pictures/:id, loads /raw as a blob, and goes back', async () => {
    const gw = await withPictures();
    renderApp('/gallery', gw);
    const tiles = await screen.findAllByTestId('gallery-item');
    fireEvent.click(within(tiles[0]).getByTestId('open-picture'));
    expect(await screen.findByTestId('picture-page')).toBeTruthy();
    expect(window.location.pathname).toBe('/pictures/p1');
    expect(screen.getByTestId('viewer-title').textContent).toBe('harbour');
    expect(screen.getByTestId('viewer-size').textContent).toBe('10.49 MiB');
    await waitFor(() => expect(screen.getByTestId('viewer-image').getAttribute('src')).toMatch(/^blob:/));
    expect(gw.blobRequests.at(-1)?.url).toBe('/rest/pictures/p1/raw');
    // Details came with the gallery: no GetPicture call.
    expect(gw.requests.some((r) => r.url === '/rest/pictures/p1')).toBe(false);
    fireEvent.click(screen.getByTestId('picture-back'));
    expect(await screen.findByTestId('gallery-page')).toBeTruthy();
    expect(window.location.pathname).toBe('/gallery');
  });

  it('opens by link with one GetPicture and no token in any URL', async () => {
    const gw = await withPictures();
    renderApp('/pictures/p2', gw);
    await waitFor(() => expect(screen.getByTestId('viewer-title').textContent).toBe('hills'));
    await waitFor(() => expect(screen.getByTestId('viewer-image').getAttribute('src')).toMatch(/^blob:/));
    expect(gw.requests.filter((r) => r.url === '/rest/pictures/p2')).toHaveLength(1);
    expect(gw.blobRequests).toHaveLength(0);
    for (const r of [...gw.requests, ...gw.blobRequests]) expect(r.url).not.toMatch(/token=|Bearer|a\d+$/);
  });

  it('says so when the picture does not exist', async () => {
    const gw = await withPictures();
    renderApp('/pictures/nope', gw);
    expect((await screen.findByTestId('viewer-error')).textContent).toMatch(/no such picture/);
  });

  it('deletes from the picture page and returns to the gallery without it', async () => {
    const gw = await withPictures();
    renderApp('/gallery', gw);
    const tiles = await screen.findAllByTestId('gallery-item');
    fireEvent.click(within(tiles[1]).getByTestId('open-picture'));
    fireEvent.click(await screen.findByTestId('viewer-delete'));
    await act(async () => {
      fireEvent.click(within(await screen.findByTestId('confirm-dialog')).getByTestId('confirm-ok'));
    });
    await waitFor(() => expect(window.location.pathname).toBe('/gallery'));
    await waitFor(() => expect(screen.getAllByTestId('gallery-item')).toHaveLength(1));
    expect(gw.pictures.map((p) => p.id)).toEqual(['p1']);
  });
});

describe('analytics', () => {
  it('keeps its choices in the URL, defaults left out', () => {
    const q = readQuery(new URLSearchParams('window=5m&transport=grpc&status=nonsense'));
    expect(q).toEqual({ window: '5m', transport: 'grpc', service: '', method: '', status: 'all' });
    expect(writeQuery(q).toString()).toBe('window=5m&transport=grpc');
    expect(writeQuery(readQuery(new URLSearchParams('window=forever'))).toString()).toBe('');
  });

  it('applies two quick filter changes both', async () => {
    localStorage.setItem(REFRESH_TOKEN_KEY, 'stored');
    renderApp('/analytics');
    await screen.findByTestId('analytics-total', {}, { timeout: 10_000 });
    fireEvent.change(screen.getByTestId('filter-transport'), { target: { value: 'grpc' } });
    fireEvent.change(screen.getByTestId('filter-status'), { target: { value: 'ok' } });
    await waitFor(() => expect(window.location.search).toBe('?transport=grpc&status=ok'));
    await waitFor(() => expect(screen.getByTestId('analytics-total').textContent).toBe('1 call, no errors'));
  });

  it('counts only the calls in the window, and the counts add up', async () => {
    localStorage.setItem(REFRESH_TOKEN_KEY, 'stored');
    const { gw } = renderApp('/analytics?window=1h');
    const total = await screen.findByTestId('analytics-total', {}, { timeout: 10_000 });
    expect(total.textContent).toBe('4 calls, 1 error (25%)');
    const cards = screen.getAllByTestId('transport-card');
    expect(cards.map((c) => c.getAttribute('data-transport'))).toEqual(['rest', 'grpc', 'events']);
    expect(cards.reduce((a, c) => a + Number(c.getAttribute('data-count')), 0)).toBe(4);
    expect(screen.getAllByTestId('analytics-row')).toHaveLength(4);
    expect(gw.requests.at(-1)?.url).toMatch(/^\/rest\/analytics\?limit=500&since=/);
  });

  it('filters by status in the browser and by transport on the server', async () => {
    localStorage.setItem(REFRESH_TOKEN_KEY, 'stored');
    const { gw } = renderApp('/analytics');
    await screen.findByTestId('analytics-total', {}, { timeout: 10_000 });
    fireEvent.change(screen.getByTestId('filter-status'), { target: { value: 'error' } });
    await waitFor(() => expect(screen.getByTestId('analytics-total').textContent).toBe('1 call, 1 error (100%)'));
    fireEvent.change(screen.getByTestId('filter-transport'), { target: { value: 'grpc' } });
    await waitFor(() => expect(gw.requests.at(-1)?.url).toMatch(/transport=grpc/));
    expect(window.location.search).toMatch(/status=error/);
  });

  it("opens a call's trace as a waterfall nested by parent", async () => {
    localStorage.setItem(REFRESH_TOKEN_KEY, 'stored');
    renderApp('/analytics');
    await screen.findByTestId('analytics-total', {}, { timeout: 10_000 });
    const links = screen.getAllByTestId('trace-link');
    expect(links).toHaveLength(1); // only the call with a trace id
    fireEvent.click(links[0]);
    await screen.findByTestId('waterfall', {}, { timeout: 5000 });
    expect(window.location.pathname).toBe(`/traces/${TRACE_ID}`);
    const rows = screen.getAllByTestId('span-row');
    expect(rows.map((r) => [r.getAttribute('data-service'), r.getAttribute('data-depth'), r.getAttribute('data-layer')])).toEqual([
      ['gateway', '0', 'rest'],
      ['gateway', '1', 'rest'],
      ['pictures', '2', 'rest'],
      ['pictures', '3', 'sql'],
    ]);
    expect(screen.getByTestId('trace-summary').textContent).toMatch(/^4 spans in 2 processes \(gateway, pictures\), 10\.0 ms/);
  });

  it('links to Jaeger where the system sends its traces there', async () => {
    localStorage.setItem(REFRESH_TOKEN_KEY, 'stored');
    renderApp(`/traces/${JAEGER_TRACE_ID}`);
    const link = within(await screen.findByTestId('trace-ui-link', {}, { timeout: 5000 })).getByRole('link');
    expect(link.getAttribute('href')).toBe(`http://localhost:16686/trace/${JAEGER_TRACE_ID}`);
    expect(screen.getByTestId('trace-empty').textContent).toMatch(/tracing UI/);
    expect(screen.queryByTestId('waterfall')).toBeNull();
  });

  it("says so when a trace is not the user's", async () => {
    localStorage.setItem(REFRESH_TOKEN_KEY, 'stored');
    renderApp('/traces/0123456789abcdef0123456789abcdef');
    expect((await screen.findByTestId('trace-error', {}, { timeout: 5000 })).textContent).toMatch(/none of your calls/);
    expect(screen.queryByTestId('waterfall')).toBeNull();
  });

  it('races the same call over the three transports', async () => {
    localStorage.setItem(REFRESH_TOKEN_KEY, 'stored');
    const { gw } = renderApp('/analytics');
    await screen.findByTestId('analytics-total', {}, { timeout: 10_000 });
    fireEvent.click(screen.getByTestId('race-run'));
    await waitFor(() => expect(screen.getAllByTestId('race-result')).toHaveLength(3), { timeout: 5000 });
    await waitFor(() => expect(screen.getByTestId('race-status').textContent).toBe('30 of 30 calls done.'));
    const results = screen.getAllByTestId('race-result');
    expect(results.map((r) => r.getAttribute('data-runs'))).toEqual(['10', '10', '10']);
    const raced = gw.requests.filter((r) => r.url.endsWith('/pictures?page_size=1'));
    // One warm-up per transport, then ten rounds.
    expect(raced).toHaveLength(33);
    expect(new Set(raced.map((r) => r.url.split('/')[1]))).toEqual(new Set(['rest', 'grpc', 'events']));
    expect(screen.getByTestId('race-winner').getAttribute('data-transport')).toMatch(/rest|grpc|events/);
  });
});

describe('header', () => {
  it('has one sign-out, and the account page shows a fresh profile call', async () => {
    localStorage.setItem(REFRESH_TOKEN_KEY, 'stored');
    const { gw } = renderApp('/account');
    await screen.findByTestId('account-call-info');
    expect(screen.getAllByText('Sign out')).toHaveLength(1);
    expect(gw.requests.filter((r) => r.url === '/rest/me')).toHaveLength(2); // session restore, then this visit
  });

  it('opens and closes the menu', async () => {
    localStorage.setItem(REFRESH_TOKEN_KEY, 'stored');
    renderApp('/gallery');
    const button = await screen.findByTestId('menu-button');
    expect(button.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(button);
    expect(button.getAttribute('aria-expanded')).toBe('true');
    expect(screen.getByTestId('header-menu').className).toMatch(/open/);
    fireEvent.click(screen.getByTestId('nav-analytics'));
    await screen.findByTestId('analytics-page');
    expect(button.getAttribute('aria-expanded')).toBe('false');
  });
});

describe('sign-up form', () => {
  it('shows the password rule before any error', async () => {
    renderApp('/signup');
    expect((await screen.findByTestId('password-rule')).textContent).toMatch(/at least 8 characters, not a common password.*username/i);
    expect(screen.getByTestId('password-error').textContent).toBe('');
  });

  it('refuses a password containing the username before sending', async () => {
    const { gw } = renderApp('/signup');
    await signUp('walrus', 'walrus-forever');
    expect(screen.getByTestId('password-error').textContent).toMatch(/must not contain your username/);
    expect(gw.requests).toHaveLength(0);
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
    // The thumbnail comes through a blob: URL, fetched with the token in a header, not in the URL.
    await waitFor(() => expect(tile.querySelector('img')?.getAttribute('src')).toMatch(/^blob:/));
    expect(gw.blobRequests.map((r) => r.url)).toEqual(['/rest/pictures/p1/thumbnail']);
    expect(gw.blobRequests[0].headers.Authorization).toMatch(/^Bearer a\d+$/);
    expect(within(tile).getByTestId('picture-type').textContent).toBe('PNG');
    expect(within(tile).getByTestId('picture-size').textContent).toBe('12 B');
    expect(within(tile).getByTestId('picture-date').textContent).toMatch(/2024/);
    fireEvent.click(within(tile).getByTestId('delete-picture'));
    const dialog = await screen.findByTestId('confirm-dialog');
    await act(async () => {
      fireEvent.click(within(dialog).getByTestId('confirm-ok'));
    });
    await waitFor(() => expect(screen.queryAllByTestId('gallery-item')).toHaveLength(0));
    expect(gw.pictures).toHaveLength(0);
  });
});
