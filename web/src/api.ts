// Typed client for the Trident gateway. Every call goes to `/{transport}/...` on the same origin;
// the transport (rest | grpc | events) is read from `getTransport()` at call time.

import type { components, operations } from './api-schema';

/** The `{transport}` of every public route, as the contract lists them. */
export type Transport = operations['login']['parameters']['path']['transport'];
export const TRANSPORTS: readonly Transport[] = ['rest', 'grpc', 'events'];
export const TRANSPORT_LABELS: Record<Transport, string> = { rest: 'REST', grpc: 'gRPC', events: 'Events' };

export function isTransport(v: unknown): v is Transport {
  return typeof v === 'string' && (TRANSPORTS as readonly string[]).includes(v);
}

/** The error codes of the contract's one error model, and UNKNOWN for an answer that is not in it. */
export type ErrorCode = components['schemas']['Error']['error']['code'] | 'UNKNOWN';

// The messages of the contract, as the gateway's OpenAPI document states them: src/api-schema.ts is generated
// from api/openapi/openapi.json (`npm run api-types`; api-schema.test.ts fails when it is stale). proto3 JSON
// leaves out fields at their default value; these are the shapes the app reads once it has them all.
type Schemas = components['schemas'];

export type TokenPair = Required<Pick<Schemas['auth_TokenPair'], 'access_token' | 'refresh_token' | 'token_type' | 'expires_in'>>;

export type User = Required<Pick<Schemas['users_User'], 'id' | 'username'>>;

/** A picture without its bytes; width and height are 0 when the server does not report them. */
export type PictureMeta = Required<
  Pick<Schemas['pictures_Picture'], 'id' | 'title' | 'user_id' | 'content_type' | 'size' | 'created_at' | 'width' | 'height'>
>;

export type Picture = PictureMeta & Required<Pick<Schemas['pictures_Picture'], 'base64'>>;

export interface PictureList {
  pictures: PictureMeta[];
  next_page_token: string;
}

export type CallLog = Required<
  Pick<
    Schemas['analytics_CallLog'],
    'transport' | 'service' | 'method' | 'status' | 'latency_ms' | 'user_id' | 'time' | 'request_id' | 'trace_id'
  >
>;

/** One span of a trace; times in milliseconds after the trace's earliest span began. */
export type TraceSpan = Required<
  Pick<
    Schemas['analytics_Span'],
    | 'span_id'
    | 'parent_span_id'
    | 'name'
    | 'service'
    | 'kind'
    | 'start_ms'
    | 'duration_ms'
    | 'status'
    | 'status_message'
    | 'attributes'
  >
>;

export interface TraceData {
  trace_id: string;
  spans: TraceSpan[];
  /** A tracing UI's page of this trace (Jaeger in compose), or "". */
  ui_url: string;
  /** When the earliest span began (RFC 3339), or "". */
  start: string;
}

export type CallStats = Required<
  Pick<Schemas['analytics_CallStats'], 'transport' | 'service' | 'method' | 'count' | 'error_count' | 'p50_ms' | 'p95_ms'>
>;

export interface AnalyticsData {
  logs: CallLog[];
  stats: CallStats[];
  /** Every call of the window matching the filters, when the gateway says (newer gateways do). */
  total: number | null;
}

/** What the client measured about one HTTP call. */
export interface CallMeta {
  /** Transport the client asked for (URL prefix). */
  transport: Transport;
  /** Transport the gateway says served the call (X-Trident-Transport), else the requested one. */
  servedBy: string;
  method: string;
  path: string;
  status: number;
  /** Client-side round trip, performance.now() based. */
  durationMs: number;
  /** Upstream duration from `Server-Timing: upstream;dur=<ms>`, when present. */
  upstreamMs: number | null;
}

export interface ApiResult<T> {
  data: T;
  meta: CallMeta;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly meta: CallMeta | null;
  constructor(status: number, code: ErrorCode, message: string, meta: CallMeta | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.meta = meta;
  }
}

// ---------------------------------------------------------------------------------------------
// Normalisation: proto3 JSON omits empty/zero fields, and 64-bit ints may arrive as strings.

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}
function str(v: unknown): string {
  return typeof v === 'string' ? v : v == null ? '' : String(v);
}
function num(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : 0;
  return Number.isFinite(n) ? n : 0;
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function toTokenPair(v: unknown): TokenPair {
  const o = obj(v);
  return {
    access_token: str(o.access_token),
    refresh_token: str(o.refresh_token),
    token_type: str(o.token_type) || 'Bearer',
    expires_in: num(o.expires_in),
  };
}
export function toUser(v: unknown): User {
  const o = obj(v);
  return { id: str(o.id), username: str(o.username) };
}
export function toPictureMeta(v: unknown): PictureMeta {
  const o = obj(v);
  return {
    id: str(o.id),
    title: str(o.title),
    user_id: str(o.user_id),
    content_type: str(o.content_type),
    size: num(o.size),
    created_at: str(o.created_at),
    width: num(o.width),
    height: num(o.height),
  };
}
export function toPicture(v: unknown): Picture {
  return { ...toPictureMeta(v), base64: str(obj(v).base64) };
}
export function toPictureList(v: unknown): PictureList {
  const o = obj(v);
  return { pictures: arr(o.pictures).map(toPictureMeta), next_page_token: str(o.next_page_token) };
}
export function toAnalytics(v: unknown): AnalyticsData {
  const o = obj(v);
  return {
    logs: arr(o.logs).map((l) => {
      const x = obj(l);
      return {
        transport: str(x.transport),
        service: str(x.service),
        method: str(x.method),
        status: num(x.status),
        latency_ms: num(x.latency_ms),
        user_id: str(x.user_id),
        time: str(x.time),
        request_id: str(x.request_id),
        trace_id: str(x.trace_id),
      };
    }),
    stats: arr(o.stats).map((s) => {
      const x = obj(s);
      return {
        transport: str(x.transport),
        service: str(x.service),
        method: str(x.method),
        count: num(x.count),
        error_count: num(x.error_count),
        p50_ms: num(x.p50_ms),
        p95_ms: num(x.p95_ms),
      };
    }),
    total: 'total' in o ? num(o.total) : null,
  };
}

export function toTrace(v: unknown): TraceData {
  const o = obj(v);
  return {
    trace_id: str(o.trace_id),
    ui_url: str(o.ui_url),
    start: str(o.start),
    spans: arr(o.spans).map((s) => {
      const x = obj(s);
      const attributes: Record<string, string> = {};
      for (const [k, val] of Object.entries(obj(x.attributes))) attributes[k] = str(val);
      return {
        span_id: str(x.span_id),
        parent_span_id: str(x.parent_span_id),
        name: str(x.name),
        service: str(x.service),
        kind: str(x.kind),
        start_ms: num(x.start_ms),
        duration_ms: num(x.duration_ms),
        status: str(x.status) || 'UNSET',
        status_message: str(x.status_message),
        attributes,
      };
    }),
  };
}

/** Reads the `upstream` entry's `dur` from a Server-Timing header value. */
export function parseServerTiming(header: string | null | undefined, name = 'upstream'): number | null {
  if (!header) return null;
  for (const entry of header.split(',')) {
    const parts = entry.split(';').map((p) => p.trim());
    if (parts[0] !== name) continue;
    for (const p of parts.slice(1)) {
      const m = /^dur=("?)([0-9.eE+-]+)\1$/.exec(p);
      if (m) {
        const n = Number(m[2]);
        if (Number.isFinite(n)) return n;
      }
    }
  }
  return null;
}

const FALLBACK_MESSAGES: Record<number, string> = {
  0: 'Could not reach the server.',
  400: 'The request was refused.',
  401: 'Not signed in or the session has expired.',
  403: 'Permission denied.',
  404: 'Not found.',
  409: 'Already exists.',
  413: 'The file is too large (the limit is 10 MiB).',
  429: 'Too many requests; try again shortly.',
  502: 'The backend is unavailable.',
  503: 'The backend is unavailable.',
  504: 'The backend took too long to answer.',
};
const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  413: 'RESOURCE_EXHAUSTED',
  429: 'RESOURCE_EXHAUSTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** Builds an ApiError from an error response body `{"error":{"code","message"}}` (or anything else). */
export function errorFromResponse(status: number, text: string, meta: CallMeta | null = null): ApiError {
  let code: ErrorCode = CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'UNKNOWN');
  let message = '';
  try {
    const e = obj(obj(JSON.parse(text)).error);
    if (typeof e.code === 'string' && e.code) code = e.code as ErrorCode;
    message = str(e.message);
  } catch {
    /* not JSON */
  }
  if (!message) message = FALLBACK_MESSAGES[status] ?? `Request failed (HTTP ${status}).`;
  return new ApiError(status, code, message, meta);
}

// ---------------------------------------------------------------------------------------------
// Senders: the low-level HTTP hop, swappable for tests. Upload uses XHR for progress events.

export interface RawRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  onUploadProgress?: (loaded: number, total: number) => void;
}
export interface RawResponse {
  status: number;
  header(name: string): string | null;
  text: string;
}
export type Sender = (req: RawRequest) => Promise<RawResponse>;

export const fetchSender: Sender = async (req) => {
  const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
  const text = await res.text();
  return { status: res.status, header: (n) => res.headers.get(n), text };
};

export const xhrSender: Sender = (req) =>
  new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(req.method, req.url);
    for (const [k, v] of Object.entries(req.headers)) xhr.setRequestHeader(k, v);
    if (req.onUploadProgress) {
      const cb = req.onUploadProgress;
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) cb(e.loaded, e.total);
      };
    }
    xhr.onload = () =>
      resolve({ status: xhr.status, header: (n) => xhr.getResponseHeader(n), text: xhr.responseText ?? '' });
    xhr.onerror = () => reject(new TypeError('Network error'));
    xhr.onabort = () => reject(new TypeError('Upload aborted'));
    xhr.send(req.body ?? null);
  });

/** A GET whose answer is kept as bytes (images); abortable when the screen goes away. */
export interface BlobRequest {
  url: string;
  headers: Record<string, string>;
  signal?: AbortSignal;
}
export interface BlobResponse {
  status: number;
  header(name: string): string | null;
  blob: Blob;
}
export type BlobSender = (req: BlobRequest) => Promise<BlobResponse>;

export const fetchBlobSender: BlobSender = async (req) => {
  const res = await fetch(req.url, { headers: req.headers, signal: req.signal });
  const blob = await res.blob();
  return { status: res.status, header: (n) => res.headers.get(n), blob };
};

function blobText(b: Blob): Promise<string> {
  if (typeof b.text === 'function') return b.text();
  return new Promise((resolve) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result ?? ''));
    r.onerror = () => resolve('');
    r.readAsText(b);
  });
}

function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}

// ---------------------------------------------------------------------------------------------

export interface ClientOptions {
  getTransport: () => Transport;
  sender?: Sender;
  uploadSender?: Sender;
  blobSender?: BlobSender;
  now?: () => number;
  /** Called whenever the token pair changes (null: signed out). */
  onTokens?: (pair: TokenPair | null) => void;
  /** Called after every HTTP call with what was measured. */
  onCall?: (meta: CallMeta) => void;
  /** How the client waits before trying a shed call again (tests pass a fake). */
  sleep?: (ms: number) => Promise<void>;
}

export interface CallOptions<T> {
  body?: unknown;
  auth?: boolean;
  parse: (v: unknown) => T;
  upload?: (loaded: number, total: number) => void;
  retried?: boolean;
  /** Overrides the chosen transport for this call (the transport race). */
  transport?: Transport;
  /** Not reported to onCall (calls the user did not ask for one by one, e.g. a race). */
  quiet?: boolean;
  /** Sent as Idempotency-Key: the server applies a call with this key once, however often it is sent. */
  idempotencyKey?: string;
  /** Times this call was already tried again after the server shed it (503 with Retry-After). */
  shedRetries?: number;
}

/** A shed call (503 with Retry-After: refused before anything was done) is tried again this often at most. */
const SHED_RETRIES = 2;

export type ImageKind = 'thumbnail' | 'raw';

export interface AnalyticsQuery {
  limit: number;
  transport?: string;
  service?: string;
  method?: string;
  /** RFC 3339; only calls at or after it. */
  since?: string;
}

export class ApiClient {
  accessToken = '';
  refreshToken = '';
  private refreshing: Promise<ApiResult<TokenPair>> | null = null;
  /** False once the gateway refused `since` as an unknown analytics field (older servers). */
  sinceSupported = true;
  private readonly opts: ClientOptions;

  constructor(opts: ClientOptions) {
    this.opts = { ...opts };
  }

  /** Replaces the token / call listeners (the app's session hooks onto a given client). */
  listen(l: Pick<ClientOptions, 'onTokens' | 'onCall'>): void {
    this.opts.onTokens = l.onTokens;
    this.opts.onCall = l.onCall;
  }

  get transport(): Transport {
    return this.opts.getTransport();
  }

  setTokens(pair: TokenPair | null): void {
    this.accessToken = pair?.access_token ?? '';
    this.refreshToken = pair?.refresh_token ?? '';
    this.opts.onTokens?.(pair);
  }

  /** One HTTP call with JSON in/out; on 401 tries one refresh and retries, else signs out. */
  async call<T>(method: string, path: string, o: CallOptions<T>): Promise<ApiResult<T>> {
    const transport = o.transport ?? this.transport;
    const auth = o.auth ?? true;
    const headers: Record<string, string> = { Accept: 'application/json' };
    let body: string | undefined;
    if (o.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(o.body);
    }
    if (auth && this.accessToken) headers.Authorization = `Bearer ${this.accessToken}`;
    if (o.idempotencyKey) headers['Idempotency-Key'] = o.idempotencyKey;
    const sender = (o.upload ? this.opts.uploadSender ?? xhrSender : this.opts.sender) ?? fetchSender;
    const now = this.opts.now ?? (() => performance.now());

    const start = now();
    let raw: RawResponse;
    try {
      raw = await sender({ method, url: `/${transport}${path}`, headers, body, onUploadProgress: o.upload });
    } catch {
      throw new ApiError(0, 'UNAVAILABLE', FALLBACK_MESSAGES[0]);
    }
    const meta: CallMeta = {
      transport,
      servedBy: raw.header('X-Trident-Transport') || transport,
      method,
      path,
      status: raw.status,
      durationMs: now() - start,
      upstreamMs: parseServerTiming(raw.header('Server-Timing')),
    };
    if (!o.quiet) this.opts.onCall?.(meta);

    // Shed before anything was done: safe to send again after the wait it asks for, if reading, or if keyed.
    const retryAfter = Number(raw.header('Retry-After'));
    const shedRetries = o.shedRetries ?? 0;
    if (raw.status === 503 && retryAfter > 0 && shedRetries < SHED_RETRIES && (method === 'GET' || o.idempotencyKey)) {
      const sleep = this.opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
      await sleep(Math.min(retryAfter, 2) * 1000);
      return this.call(method, path, { ...o, shedRetries: shedRetries + 1 });
    }

    if (raw.status === 401 && auth) {
      if (!o.retried && (await this.refreshAfter401())) return this.call(method, path, { ...o, retried: true });
      this.setTokens(null);
      throw errorFromResponse(raw.status, raw.text, meta);
    }
    if (raw.status < 200 || raw.status >= 300) throw errorFromResponse(raw.status, raw.text, meta);
    let json: unknown = {};
    if (raw.text.trim()) {
      try {
        json = JSON.parse(raw.text);
      } catch {
        throw new ApiError(raw.status, 'INTERNAL', 'The server sent an unreadable answer.', meta);
      }
    }
    return { data: o.parse(json), meta };
  }

  /** After a 401: true when a refresh succeeded (retry), false when the session is over. */
  private async refreshAfter401(): Promise<boolean> {
    if (!this.refreshToken) return false;
    try {
      await this.refresh();
      return true;
    } catch (e) {
      if (e instanceof ApiError && (e.status === 0 || e.status >= 500)) throw e;
      return false;
    }
  }

  /**
   * Image bytes with the access token in the Authorization header, never in the URL (URLs end up in
   * history, caches and proxy logs). Not reported to onCall: a gallery page loads dozens.
   */
  async image(id: string, kind: ImageKind, signal?: AbortSignal, retried = false): Promise<ApiResult<Blob>> {
    const transport = this.transport;
    const path = `/pictures/${encodeURIComponent(id)}/${kind}`;
    const headers: Record<string, string> = { Accept: 'image/*' };
    if (this.accessToken) headers.Authorization = `Bearer ${this.accessToken}`;
    const now = this.opts.now ?? (() => performance.now());
    const start = now();
    let raw: BlobResponse;
    try {
      raw = await (this.opts.blobSender ?? fetchBlobSender)({ url: `/${transport}${path}`, headers, signal });
    } catch (e) {
      if (isAbort(e)) throw e;
      throw new ApiError(0, 'UNAVAILABLE', FALLBACK_MESSAGES[0]);
    }
    const meta: CallMeta = {
      transport,
      servedBy: raw.header('X-Trident-Transport') || transport,
      method: 'GET',
      path,
      status: raw.status,
      durationMs: now() - start,
      upstreamMs: parseServerTiming(raw.header('Server-Timing')),
    };
    if (raw.status === 401) {
      if (!retried && (await this.refreshAfter401())) return this.image(id, kind, signal, true);
      this.setTokens(null);
    }
    if (raw.status < 200 || raw.status >= 300) throw errorFromResponse(raw.status, await blobText(raw.blob), meta);
    return { data: raw.blob, meta };
  }

  // --- auth ---------------------------------------------------------------------------------

  async signup(username: string, password: string): Promise<ApiResult<TokenPair>> {
    const r = await this.call('POST', '/signup', { body: { username, password }, auth: false, parse: toTokenPair });
    this.setTokens(r.data);
    return r;
  }

  async login(username: string, password: string): Promise<ApiResult<TokenPair>> {
    const r = await this.call('POST', '/login', { body: { username, password }, auth: false, parse: toTokenPair });
    this.setTokens(r.data);
    return r;
  }

  /** Exchanges the refresh token for a new pair; concurrent callers share one request. */
  refresh(): Promise<ApiResult<TokenPair>> {
    if (!this.refreshing) {
      const token = this.refreshToken;
      this.refreshing = this.call('POST', '/refresh', { body: { refresh_token: token }, auth: false, parse: toTokenPair })
        .then((r) => {
          this.setTokens(r.data);
          return r;
        })
        .finally(() => {
          this.refreshing = null;
        });
    }
    return this.refreshing;
  }

  async logout(): Promise<void> {
    const token = this.refreshToken;
    try {
      if (token) await this.call('POST', '/logout', { body: { refresh_token: token }, auth: false, parse: () => null });
    } finally {
      this.setTokens(null);
    }
  }

  me(o: Pick<CallOptions<User>, 'transport' | 'quiet'> = {}): Promise<ApiResult<User>> {
    return this.call('GET', '/me', { parse: toUser, ...o });
  }

  async deleteMe(): Promise<ApiResult<null>> {
    const r = await this.call('DELETE', '/me', { parse: () => null });
    this.setTokens(null);
    return r;
  }

  // --- pictures -----------------------------------------------------------------------------

  createPicture(
    title: string,
    base64: string,
    onProgress?: (loaded: number, total: number) => void,
  ): Promise<ApiResult<PictureMeta>> {
    return this.call('POST', '/pictures', {
      body: { title, base64 },
      parse: toPictureMeta,
      upload: onProgress ?? (() => {}),
      // One key per upload: if it has to be sent again, the server stores it once.
      idempotencyKey: crypto.randomUUID(),
    });
  }

  listPictures(
    pageSize = 20,
    pageToken = '',
    o: Pick<CallOptions<PictureList>, 'transport' | 'quiet'> = {},
  ): Promise<ApiResult<PictureList>> {
    const q = new URLSearchParams({ page_size: String(pageSize) });
    if (pageToken) q.set('page_token', pageToken);
    return this.call('GET', `/pictures?${q}`, { parse: toPictureList, ...o });
  }

  getPicture(id: string): Promise<ApiResult<Picture>> {
    return this.call('GET', `/pictures/${encodeURIComponent(id)}`, { parse: toPicture });
  }

  deletePicture(id: string): Promise<ApiResult<null>> {
    return this.call('DELETE', `/pictures/${encodeURIComponent(id)}`, { parse: () => null });
  }

  // --- analytics ----------------------------------------------------------------------------

  /**
   * Latest calls and per-method stats. `since` is sent while the gateway accepts it; a gateway that
   * refuses it as an unknown field is asked again without it (the caller filters by time itself).
   */
  async analytics(query: AnalyticsQuery): Promise<ApiResult<AnalyticsData>> {
    const q = new URLSearchParams({ limit: String(query.limit) });
    for (const k of ['transport', 'service', 'method'] as const) if (query[k]) q.set(k, query[k]);
    if (query.since && this.sinceSupported) {
      const withSince = new URLSearchParams(q);
      withSince.set('since', query.since);
      try {
        return await this.call('GET', `/analytics?${withSince}`, { parse: toAnalytics });
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 400 && /unknown field 'since'/.test(e.message))) throw e;
        this.sinceSupported = false;
      }
    }
    return this.call('GET', `/analytics?${q}`, { parse: toAnalytics });
  }

  /** The spans of one of the caller's calls (404 for a trace of anyone else's). */
  trace(traceId: string): Promise<ApiResult<TraceData>> {
    return this.call('GET', `/traces/${encodeURIComponent(traceId)}`, { parse: toTrace });
  }
}
