import { describe, expect, it, vi } from 'vitest';
import {
  ApiClient,
  ApiError,
  errorFromResponse,
  parseServerTiming,
  toAnalytics,
  toPictureList,
  type RawRequest,
  type RawResponse,
  type Transport,
} from './api';

type Handler = (req: RawRequest) => { status: number; body?: unknown; headers?: Record<string, string> };

function fakeSender(handler: Handler) {
  const calls: RawRequest[] = [];
  const sender = vi.fn(async (req: RawRequest): Promise<RawResponse> => {
    calls.push(req);
    const r = handler(req);
    const headers = Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    return {
      status: r.status,
      header: (n) => headers[n.toLowerCase()] ?? null,
      text: r.body === undefined ? '' : JSON.stringify(r.body),
    };
  });
  return { sender, calls };
}

const pair = (n: number) => ({ access_token: `a${n}`, refresh_token: `r${n}`, token_type: 'Bearer', expires_in: 900 });

function makeClient(handler: Handler, transport: Transport = 'rest') {
  const { sender, calls } = fakeSender(handler);
  const onTokens = vi.fn();
  const onCall = vi.fn();
  let t = 0;
  const client = new ApiClient({
    getTransport: () => transport,
    sender,
    uploadSender: sender,
    now: () => (t += 5),
    onTokens,
    onCall,
  });
  return { client, calls, onTokens, onCall, sender };
}

describe('parseServerTiming', () => {
  it('reads the upstream duration', () => {
    expect(parseServerTiming('upstream;dur=12.5')).toBe(12.5);
    expect(parseServerTiming('gw;dur=1, upstream;desc="x";dur=3')).toBe(3);
    expect(parseServerTiming('gw;dur=1')).toBeNull();
    expect(parseServerTiming(null)).toBeNull();
    expect(parseServerTiming('upstream;dur=abc')).toBeNull();
  });
});

describe('errorFromResponse', () => {
  it('uses the API error body', () => {
    const e = errorFromResponse(409, JSON.stringify({ error: { code: 'ALREADY_EXISTS', message: 'username already exists' } }));
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(409);
    expect(e.code).toBe('ALREADY_EXISTS');
    expect(e.message).toBe('username already exists');
  });
  it('falls back when the body is not JSON', () => {
    const e = errorFromResponse(413, '<html>too large</html>');
    expect(e.code).toBe('RESOURCE_EXHAUSTED');
    expect(e.message).toMatch(/10 MiB/);
    expect(errorFromResponse(500, '').code).toBe('INTERNAL');
  });
});

describe('normalisation of proto3 JSON', () => {
  it('defaults absent fields and converts numeric strings', () => {
    const l = toPictureList({ pictures: [{ id: 'p1', size: '42' }] });
    expect(l.next_page_token).toBe('');
    expect(l.pictures[0]).toEqual({ id: 'p1', title: '', user_id: '', content_type: '', size: 42, created_at: '' });
    expect(toPictureList({})).toEqual({ pictures: [], next_page_token: '' });
    const a = toAnalytics({ logs: [{ transport: 'grpc', method: 'Login' }], stats: [{ transport: 'grpc', count: 3 }] });
    expect(a.logs[0].status).toBe(0);
    expect(a.logs[0].latency_ms).toBe(0);
    expect(a.stats[0]).toMatchObject({ count: 3, error_count: 0, p50_ms: 0, p95_ms: 0 });
  });
});

describe('ApiClient', () => {
  it('prefixes the transport, sends JSON and stores tokens on login', async () => {
    const { client, calls, onTokens, onCall } = makeClient(
      () => ({ status: 200, body: pair(1), headers: { 'X-Trident-Transport': 'grpc', 'Server-Timing': 'upstream;dur=7' } }),
      'grpc',
    );
    const r = await client.login('alice', 'secret123');
    expect(calls[0].url).toBe('/grpc/login');
    expect(calls[0].method).toBe('POST');
    expect(JSON.parse(calls[0].body!)).toEqual({ username: 'alice', password: 'secret123' });
    expect(calls[0].headers.Authorization).toBeUndefined();
    expect(client.accessToken).toBe('a1');
    expect(client.refreshToken).toBe('r1');
    expect(onTokens).toHaveBeenCalledWith(pair(1));
    expect(r.meta).toMatchObject({ transport: 'grpc', servedBy: 'grpc', status: 200, durationMs: 5, upstreamMs: 7 });
    expect(onCall).toHaveBeenCalledTimes(1);
  });

  it('sends the bearer token and reads the transport from the getter on every call', async () => {
    let transport: Transport = 'rest';
    const { sender, calls } = fakeSender(() => ({ status: 200, body: { id: 'u1', username: 'bob' } }));
    const client = new ApiClient({ getTransport: () => transport, sender });
    client.accessToken = 'tok';
    expect((await client.me()).data).toEqual({ id: 'u1', username: 'bob' });
    transport = 'events';
    await client.me();
    expect(calls.map((c) => c.url)).toEqual(['/rest/me', '/events/me']);
    expect(calls[1].headers.Authorization).toBe('Bearer tok');
    expect(sender).toHaveBeenCalledTimes(2);
  });

  it('throws the server message on refusal', async () => {
    const { client } = makeClient(() => ({
      status: 409,
      body: { error: { code: 'ALREADY_EXISTS', message: 'username already exists' } },
    }));
    await expect(client.signup('alice', 'secret123')).rejects.toMatchObject({
      status: 409,
      code: 'ALREADY_EXISTS',
      message: 'username already exists',
    });
  });

  it('does not sign out when a login is refused with 401', async () => {
    const { client, onTokens, calls } = makeClient(() => ({
      status: 401,
      body: { error: { code: 'UNAUTHENTICATED', message: 'invalid username or password' } },
    }));
    await expect(client.login('a', 'b')).rejects.toThrow('invalid username or password');
    expect(calls).toHaveLength(1);
    expect(onTokens).not.toHaveBeenCalled();
  });

  it('refreshes once on 401 and retries the call', async () => {
    const { client, calls } = makeClient((req) => {
      if (req.url.endsWith('/refresh')) return { status: 200, body: pair(2) };
      if (req.headers.Authorization === 'Bearer a2') return { status: 200, body: { pictures: [], next_page_token: 'n' } };
      return { status: 401, body: { error: { code: 'UNAUTHENTICATED', message: 'token expired' } } };
    });
    client.setTokens(pair(1));
    const r = await client.listPictures(20);
    expect(r.data.next_page_token).toBe('n');
    expect(calls.map((c) => c.url)).toEqual(['/rest/pictures?page_size=20', '/rest/refresh', '/rest/pictures?page_size=20']);
    expect(JSON.parse(calls[1].body!)).toEqual({ refresh_token: 'r1' });
    expect(client.refreshToken).toBe('r2');
  });

  it('signs out when the refresh fails too', async () => {
    const { client, onTokens, calls } = makeClient(() => ({
      status: 401,
      body: { error: { code: 'UNAUTHENTICATED', message: 'nope' } },
    }));
    client.setTokens(pair(1));
    onTokens.mockClear();
    await expect(client.me()).rejects.toMatchObject({ status: 401 });
    expect(calls).toHaveLength(2);
    expect(onTokens).toHaveBeenLastCalledWith(null);
    expect(client.accessToken).toBe('');
    expect(client.refreshToken).toBe('');
  });

  it('shares one refresh between concurrent 401s', async () => {
    const { client, calls } = makeClient((req) => {
      if (req.url.endsWith('/refresh')) return { status: 200, body: pair(2) };
      if (req.headers.Authorization === 'Bearer a2') return { status: 200, body: { id: 'u', username: 'x' } };
      return { status: 401 };
    });
    client.setTokens(pair(1));
    await Promise.all([client.me(), client.me(), client.me()]);
    expect(calls.filter((c) => c.url.endsWith('/refresh'))).toHaveLength(1);
  });

  it('logs out with the refresh token and clears tokens even on failure', async () => {
    const { client, calls, onTokens } = makeClient(() => ({ status: 503 }));
    client.setTokens(pair(1));
    await expect(client.logout()).rejects.toBeInstanceOf(ApiError);
    expect(calls[0].url).toBe('/rest/logout');
    expect(JSON.parse(calls[0].body!)).toEqual({ refresh_token: 'r1' });
    expect(onTokens).toHaveBeenLastCalledWith(null);
  });

  it('uploads through the upload sender with progress and builds raw URLs', async () => {
    const { client, calls } = makeClient((req) => {
      req.onUploadProgress?.(50, 100);
      return { status: 201, body: { id: 'p 1', title: 't', size: 10, content_type: 'image/png' } };
    }, 'events');
    client.setTokens(pair(1));
    const progress = vi.fn();
    const r = await client.createPicture('t', 'iVBORw0KGgo=', progress);
    expect(progress).toHaveBeenCalledWith(50, 100);
    expect(calls[0].url).toBe('/events/pictures');
    expect(JSON.parse(calls[0].body!)).toEqual({ title: 't', base64: 'iVBORw0KGgo=' });
    expect(r.data.id).toBe('p 1');
    expect(client.rawUrl('p 1')).toBe('/events/pictures/p%201/raw?access_token=a1');
  });

  it('passes the page token and deletes by id', async () => {
    const { client, calls } = makeClient((req) => (req.method === 'DELETE' ? { status: 204 } : { status: 200, body: {} }));
    client.setTokens(pair(1));
    await client.listPictures(5, 'abc=');
    const del = await client.deletePicture('p1');
    expect(del.data).toBeNull();
    await client.analytics(50);
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET /rest/pictures?page_size=5&page_token=abc%3D',
      'DELETE /rest/pictures/p1',
      'GET /rest/analytics?limit=50',
    ]);
  });

  it('reports an unreachable server as UNAVAILABLE', async () => {
    const client = new ApiClient({
      getTransport: () => 'rest',
      sender: () => Promise.reject(new TypeError('fetch failed')),
    });
    await expect(client.me()).rejects.toMatchObject({ status: 0, code: 'UNAVAILABLE' });
  });
});
