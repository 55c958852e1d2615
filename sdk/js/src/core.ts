/** The hand-written core: options, one request path with retries, timeouts and error mapping. */

import {
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  CODE_BY_STATUS,
  type ErrorDetail,
} from './errors.js';
import { Page, PagePromise, type PageRequest } from './pagination.js';
import { toUploadBody, type UploadInput } from './uploads.js';

export const VERSION = '0.1.0';
export const DEFAULT_BASE_URL = 'https://api.mailsentinel.io';
export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_RETRIES = 2;
/** Backoff without a server hint: 0.5 s, doubling per attempt, at most 8 s (then up to 25 % less, as jitter). */
export const INITIAL_RETRY_DELAY_MS = 500;
export const MAX_RETRY_DELAY_MS = 8_000;
/** A server asking for a longer wait than this (a daily limit, say) is not retried: the error is thrown at once.
 * Two minutes covers a per-minute window (the server may say 61 s) with room to spare. */
export const MAX_RETRY_AFTER_MS = 120_000;

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

/** Header values: `null` removes a default header for one request. */
export type HeadersLike = Record<string, string | null | undefined>;

export interface ClientOptions {
  /** API token (`ms_live_...`). Default: `process.env.MAILSENTINEL_API_KEY` where `process` exists. */
  apiKey?: string | undefined;
  /** Default: `MAILSENTINEL_BASE_URL` or `https://api.mailsentinel.io`. In a browser, `''` means the page's own origin. */
  baseURL?: string | undefined;
  /** Milliseconds one attempt may take, answer body included (default 60 000). */
  timeout?: number | undefined;
  /** Retries after the first attempt (default 2). */
  maxRetries?: number | undefined;
  /** A fetch implementation (default: the global `fetch`). */
  fetch?: Fetch | undefined;
  /** Headers sent with every request. */
  defaultHeaders?: HeadersLike | undefined;
  /** Secret (`whsec_...`) for `client.webhooks.verify` when none is passed there. */
  webhookSecret?: string | undefined;
  /** How the client waits between attempts (default: a timer). Schedulers and tests may supply their own. */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
}

/** Per-request options, the last argument of every method. */
export interface RequestOptions {
  /** Extra headers (e.g. `{ 'If-None-Match': etag }`); `null` removes a default header. */
  headers?: HeadersLike | undefined;
  /** Abort the request (and any retry wait). */
  signal?: AbortSignal | undefined;
  timeout?: number | undefined;
  maxRetries?: number | undefined;
  /** Whether a 5xx or lost connection may be retried; default: GET/HEAD/PUT/DELETE and report uploads. */
  idempotent?: boolean | undefined;
}

/** Options of an upload: also the media type, when the content should not decide it. */
export interface UploadOptions extends RequestOptions {
  contentType?: string | undefined;
}

export type QueryValue = string | number | boolean | null | undefined | ReadonlyArray<string | number | boolean>;

/** What a generated method asks of the client. */
export interface RequestSpec {
  /** The spec's operationId (for error messages and tracing). */
  operationId: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: object | undefined;
  body?: unknown;
  /** Whether the success body is the `{success, data}` envelope (then `data` is returned). */
  envelope: boolean;
}

export interface RawRequest extends RequestSpec {
  rawBody?: Uint8Array | undefined;
  contentType?: string | undefined;
}

export interface APIResponse<T> {
  data: T;
  response: Response;
  requestId: string | undefined;
}

/** A promise of a method's result that can also hand back the HTTP response (`withResponse()`). */
export class APIPromise<T> implements PromiseLike<T> {
  #inner: Promise<APIResponse<T>>;
  #data: Promise<T> | undefined;

  constructor(inner: Promise<APIResponse<T>>) {
    this.#inner = inner;
  }

  /** The result together with the raw `Response` (headers such as `ETag` and `X-RateLimit-Remaining`). */
  withResponse(): Promise<APIResponse<T>> {
    return this.#inner;
  }

  #result(): Promise<T> {
    this.#data ??= this.#inner.then((r) => r.data);
    return this.#data;
  }

  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#result().then(onfulfilled, onrejected);
  }

  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.#result().catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<T> {
    return this.#result().finally(onfinally);
  }
}

/** Base of the resource classes: each holds its client. */
export class APIResource {
  protected readonly _client: BaseClient;

  constructor(client: BaseClient) {
    this._client = client;
  }
}

type Env = Record<string, string | undefined>;

function readEnv(name: string): string | undefined {
  // `process` exists in Node, Bun and Deno (npm compatibility); browsers have none.
  const env = (globalThis as { process?: { env?: Env } }).process?.env;
  const value = env?.[name]?.trim();
  return value ? value : undefined;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new APIUserAbortError());
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new APIUserAbortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * How long to wait before retry number `attempt + 1` (attempt counts from 0), in milliseconds:
 * `Retry-After` (seconds or an HTTP date) first, then `X-RateLimit-Reset` (Unix seconds) on a 429,
 * else exponential backoff with jitter. `null` when the server asks for more than MAX_RETRY_AFTER_MS.
 */
export function retryDelay(
  headers: Headers | undefined,
  status: number | undefined,
  attempt: number,
  now: number = Date.now(),
  random: () => number = Math.random,
): number | null {
  const retryAfter = headers?.get('retry-after');
  let hinted: number | undefined;
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) hinted = seconds * 1000;
    else {
      const date = Date.parse(retryAfter);
      if (!Number.isNaN(date)) hinted = date - now;
    }
  }
  const reset = headers?.get('x-ratelimit-reset');
  if (hinted === undefined && status === 429 && reset) {
    const seconds = Number(reset);
    if (Number.isFinite(seconds)) hinted = seconds * 1000 - now;
  }
  if (hinted !== undefined) {
    if (hinted > MAX_RETRY_AFTER_MS) return null;
    return Math.max(0, Math.ceil(hinted));
  }
  const base = Math.min(INITIAL_RETRY_DELAY_MS * 2 ** attempt, MAX_RETRY_DELAY_MS);
  return Math.round(base * (1 - 0.25 * random()));
}

function shouldRetry(status: number, idempotent: boolean): boolean {
  // 408 and 429 mean the request did nothing; a 5xx may have done part of it.
  if (status === 408 || status === 429) return true;
  return idempotent && (status === 500 || status === 502 || status === 503 || status === 504);
}

function appendQuery(url: URL, query: object | undefined): void {
  if (!query) return;
  for (const [key, value] of Object.entries(query as Record<string, QueryValue>)) {
    if (value === undefined || value === null) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) url.searchParams.append(key, String(item));
  }
}

export function encodePath(value: string): string {
  return encodeURIComponent(value);
}

interface Envelope {
  success?: unknown;
  data?: unknown;
  error?: { code?: unknown; message?: unknown; details?: unknown; requestId?: unknown };
}

/** The client without its resources (src/client.ts adds the generated ones). */
export class BaseClient {
  readonly apiKey: string | undefined;
  readonly baseURL: string;
  readonly timeout: number;
  readonly maxRetries: number;
  protected readonly options: ClientOptions;
  readonly #fetch: Fetch;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(options: ClientOptions = {}) {
    this.options = { ...options };
    this.apiKey = options.apiKey ?? readEnv('MAILSENTINEL_API_KEY');
    this.baseURL = (options.baseURL ?? readEnv('MAILSENTINEL_BASE_URL') ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    const fetchImpl = options.fetch ?? (globalThis.fetch as Fetch | undefined);
    if (!fetchImpl) {
      throw new TypeError('No fetch implementation: pass `fetch` to new MailSentinel({...}) (Node 18+ has one).');
    }
    // Some runtimes' fetch must be called unbound from its object; a wrapper keeps `this` out of it.
    this.#fetch = (input, init) => fetchImpl(input, init);
    this.#sleep = options.sleep ?? defaultSleep;
  }

  /** The secret `client.webhooks.verify` uses when given none. */
  get webhookSecret(): string | undefined {
    return this.options.webhookSecret ?? readEnv('MAILSENTINEL_WEBHOOK_SECRET');
  }

  /** One operation; resolves to `data` of the envelope (or the whole body without one). */
  request<T>(spec: RequestSpec, options?: RequestOptions): APIPromise<T> {
    return new APIPromise(this.#send<T>(spec, options));
  }

  /** A list operation: a page that is also an async iterable over every item of every page. */
  getPage<Item, Body>(spec: RequestSpec & { itemsKey: string }, options?: RequestOptions): PagePromise<Item, Body> {
    const load = (request: PageRequest): Promise<APIResponse<Body>> =>
      this.#send<Body>({ ...spec, query: request.query }, request.options);
    const first: PageRequest = { query: { ...(spec.query ?? {}) }, options };
    const promise = load(first).then(({ data, response }) => new Page<Item, Body>(data, response, spec.itemsKey, first, load));
    return new PagePromise<Item, Body>(promise);
  }

  /** A raw-body upload: `data` is read (files and streams too) and its media type recognised. */
  upload<T>(spec: RequestSpec, data: UploadInput, options?: UploadOptions): APIPromise<T> {
    const send = async (): Promise<APIResponse<T>> => {
      const { bytes, contentType } = await toUploadBody(data, options?.contentType);
      // A report stored twice is stored once (the repeat answers duplicate: true), so uploads retry like GETs.
      return this.#send<T>({ ...spec, rawBody: bytes, contentType }, { idempotent: true, ...options });
    };
    return new APIPromise(send());
  }

  #headers(spec: RawRequest, options: RequestOptions | undefined): Headers {
    const headers = new Headers({ Accept: 'application/json' });
    if (this.apiKey) headers.set('Authorization', `Bearer ${this.apiKey}`);
    if (spec.rawBody !== undefined) headers.set('Content-Type', spec.contentType ?? 'application/octet-stream');
    else if (spec.body !== undefined) headers.set('Content-Type', 'application/json');
    for (const extra of [this.options.defaultHeaders, options?.headers]) {
      for (const [name, value] of Object.entries(extra ?? {})) {
        if (value === null) headers.delete(name);
        else if (value !== undefined) headers.set(name, value);
      }
    }
    return headers;
  }

  async #send<T>(spec: RawRequest, options: RequestOptions | undefined): Promise<APIResponse<T>> {
    // A relative baseURL ('' or '/api-proxy') is resolved against the page's address in a browser.
    const page = (globalThis as { location?: { href?: string } }).location?.href;
    const url = new URL(this.baseURL + spec.path, page);
    appendQuery(url, spec.query);
    const headers = this.#headers(spec, options);
    const body: BodyInit | undefined =
      spec.rawBody !== undefined ? (spec.rawBody as BodyInit) : spec.body !== undefined ? JSON.stringify(spec.body) : undefined;
    const maxRetries = options?.maxRetries ?? this.maxRetries;
    const timeout = options?.timeout ?? this.timeout;
    const idempotent = options?.idempotent ?? IDEMPOTENT.has(spec.method);
    const signal = options?.signal;

    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw new APIUserAbortError();
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeout);
      const onAbort = (): void => controller.abort();
      signal?.addEventListener('abort', onAbort, { once: true });
      const init: RequestInit = { method: spec.method, headers, signal: controller.signal };
      if (body !== undefined) init.body = body;
      let failure: Error;
      let response: Response | undefined;
      try {
        response = await this.#fetch(url.toString(), init);
        const text = await response.text();
        clearTimeout(timer);
        if (response.ok) return this.#success<T>(spec, response, text);
        failure = this.#error(response, text);
      } catch (error) {
        clearTimeout(timer);
        if (signal?.aborted) throw new APIUserAbortError(undefined, { cause: error });
        if (error instanceof APIError) throw error;
        failure = timedOut
          ? new APITimeoutError(`${spec.operationId}: no answer within ${timeout} ms.`, { cause: error })
          : new APIConnectionError(`${spec.operationId}: ${describe(error)}`, { cause: error });
        response = undefined;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
      const retryable = response ? shouldRetry(response.status, idempotent) : idempotent;
      if (!retryable || attempt >= maxRetries) throw failure;
      const wait = retryDelay(response?.headers, response?.status, attempt);
      if (wait === null) throw failure;
      await this.#sleep(wait, signal);
    }
  }

  #success<T>(spec: RawRequest, response: Response, text: string): APIResponse<T> {
    const requestId = response.headers.get('x-request-id') ?? undefined;
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new APIError({
          status: response.status,
          code: 'INVALID_RESPONSE',
          message: `${spec.operationId}: the answer is not JSON (${describe(error)}).`,
          requestId,
          headers: response.headers,
        });
      }
    }
    const data = spec.envelope && isEnvelope(parsed) ? parsed.data : parsed;
    return { data: data as T, response, requestId };
  }

  #error(response: Response, text: string): APIError {
    let envelope: Envelope | undefined;
    try {
      envelope = text ? (JSON.parse(text) as Envelope) : undefined;
    } catch {
      envelope = undefined;
    }
    const error = envelope?.error;
    const headerId = response.headers.get('x-request-id') ?? undefined;
    const code = typeof error?.code === 'string' ? error.code : (CODE_BY_STATUS[response.status] ?? `HTTP_${response.status}`);
    const message =
      typeof error?.message === 'string'
        ? error.message
        : `${response.status} ${response.statusText || code}${text && !envelope ? `: ${text.slice(0, 200)}` : ''}`;
    return APIError.from({
      status: response.status,
      code,
      message,
      details: Array.isArray(error?.details) ? (error.details as ErrorDetail[]) : [],
      requestId: typeof error?.requestId === 'string' ? error.requestId : headerId,
      headers: response.headers,
    });
  }
}

function isEnvelope(value: unknown): value is { success: true; data: unknown } {
  return typeof value === 'object' && value !== null && (value as Envelope).success === true && 'data' in value;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
