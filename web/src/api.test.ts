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

function makeClient(handler: Handler, transport: Transport = 'rest', sleep?: (ms: number) => Promise<void>) {
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
    sleep,
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
    expect(l.pictures[0]).toEqual({ id: 'p1', title: '', user_id: '', content_type: '', size: 42, created_at: '', width: 0, height: 0 });
    expect(toPictureList({})).toEqual({ pictures: [], next_page_token: '' });
    const a = toAnalytics({ logs: [{ transport: 'grpc', method: 'Login' }], stats: [{ transport: 'grpc', count: 3 }] });
    expect(a.logs[0].status).toBe(0);
    expect(a.logs[0].latency_ms).toBe(0);
    expect(a.stats[0]).toMatchObject({ count: 3, error_count: 0, p50_ms: 0, p95_ms: 0 });
    expect(a.total).toBeNull();
    expect(toAnalytics({ total: '7' }).total).toBe(7);
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
  });

  it('passes the page token and deletes by id', async () => {
    const { client, calls } = makeClient((req) => (req.method === 'DELETE' ? { status: 204 } : { status: 200, body: {} }));
    client.setTokens(pair(1));
    await client.listPictures(5, 'abc=');
    const del = await client.deletePicture('p1');
    expect(del.data).toBeNull();
    await client.analytics({ limit: 50, transport: 'grpc', method: 'ListPictures' });
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET /rest/pictures?page_size=5&page_token=abc%3D',
      'DELETE /rest/pictures/p1',
      'GET /rest/analytics?limit=50&transport=grpc&method=ListPictures',
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

describe('images', () => {
  function blobClient(statuses: number[]) {
    const seen: { url: string; headers: Record<string, string> }[] = [];
    const blobSender = vi.fn(async (req: { url: string; headers: Record<string, string> }) => {
      seen.push(req);
      const status = statuses.shift() ?? 200;
      const body = status === 200 ? new Blob([new Uint8Array([1, 2, 3])], { type: 'image/webp' }) : new Blob(['{}']);
      return { status, header: () => null, blob: body };
    });
    const { sender } = fakeSender((req) => (req.url.endsWith('/refresh') ? { status: 200, body: pair(2) } : { status: 404 }));
    const client = new ApiClient({ getTransport: () => 'grpc', sender, blobSender });
    client.setTokens(pair(1));
    return { client, seen };
  }

  it('sends the token in the Authorization header, never in the URL', async () => {
    const { client, seen } = blobClient([200]);
    const r = await client.image('p 1', 'thumbnail');
    expect(r.data.size).toBe(3);
    expect(seen[0].url).toBe('/grpc/pictures/p%201/thumbnail');
    expect(seen[0].url).not.toMatch(/token|a1/);
    expect(seen[0].headers.Authorization).toBe('Bearer a1');
  });

  it('refreshes once on 401 and retries with the new token', async () => {
    const { client, seen } = blobClient([401, 200]);
    await client.image('p1', 'raw');
    expect(seen.map((s) => s.headers.Authorization)).toEqual(['Bearer a1', 'Bearer a2']);
    expect(seen[1].url).toBe('/grpc/pictures/p1/raw');
  });

  it('turns an error answer into an ApiError', async () => {
    const { client } = blobClient([404]);
    await expect(client.image('gone', 'raw')).rejects.toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});

describe('per-call transport and analytics time window', () => {
  it('overrides the transport for one call and keeps quiet calls out of onCall', async () => {
    const { client, calls, onCall } = makeClient(() => ({ status: 200, body: { id: 'u', username: 'x' } }));
    client.setTokens(pair(1));
    await client.me({ transport: 'events', quiet: true });
    await client.listPictures(1, '', { transport: 'grpc' });
    expect(calls.map((c) => c.url)).toEqual(['/events/me', '/grpc/pictures?page_size=1']);
    expect(onCall).toHaveBeenCalledTimes(1);
  });

  it('sends since, and asks again without it when the gateway does not know the field', async () => {
    const { client, calls } = makeClient((req) =>
      req.url.includes('since=')
        ? { status: 400, body: { error: { code: 'INVALID_ARGUMENT', message: "unknown field 'since'; expected one of: limit" } } }
        : { status: 200, body: { logs: [] } },
    );
    client.setTokens(pair(1));
    const since = '2024-01-01T00:00:00.000Z';
    await client.analytics({ limit: 500, since });
    await client.analytics({ limit: 500, since });
    expect(calls.map((c) => c.url)).toEqual([
      '/rest/analytics?limit=500&since=2024-01-01T00%3A00%3A00.000Z',
      '/rest/analytics?limit=500',
      '/rest/analytics?limit=500',
    ]);
  });

  it('keeps since when the gateway accepts it', async () => {
    const { client, calls } = makeClient(() => ({ status: 200, body: { logs: [] } }));
    client.setTokens(pair(1));
    await client.analytics({ limit: 10, since: '2024-01-01T00:00:00Z' });
    expect(calls[0].url).toBe('/rest/analytics?limit=10&since=2024-01-01T00%3A00%3A00Z');
    expect(client.sinceSupported).toBe(true);
  });
});

describe('shed calls and idempotency keys', () => {
  it('sends every upload with its own key and sends it again with the same key when shed', async () => {
    let shed = 1;
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
    };
    const { client, calls } = makeClient((req) => {
      if (req.method === 'POST' && shed-- > 0) {
        return { status: 503, headers: { 'Retry-After': '1' }, body: { error: { code: 'UNAVAILABLE', message: 'busy' } } };
      }
      return { status: 201, body: { id: 'p1', title: 't', content_type: 'image/png', size_bytes: 3 } };
    }, 'rest', sleep);
    const created = await client.createPicture('t', 'AAAA');
    expect(created.data.id).toBe('p1');
    expect(calls).toHaveLength(2);
    const [first, second] = calls.map((c) => c.headers['Idempotency-Key']);
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(second).toBe(first);
    expect(waits).toEqual([1000]);
    await client.createPicture('t', 'AAAA');
    expect(calls[2].headers['Idempotency-Key']).not.toBe(first);
  });

  it('does not send a call with side effects again without a key', async () => {
    const { client, calls } = makeClient(() => ({
      status: 503,
      headers: { 'Retry-After': '1' },
      body: { error: { code: 'UNAVAILABLE', message: 'busy' } },
    }));
    await expect(client.deleteMe()).rejects.toBeInstanceOf(ApiError);
    expect(calls).toHaveLength(1);
  });
});
