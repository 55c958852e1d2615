// src/errors.ts
var MailSentinelError = class extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = new.target.name;
  }
};
var APIError = class _APIError extends MailSentinelError {
  /** HTTP status. */
  status;
  /** The envelope's `error.code` (e.g. `NOT_FOUND`); derived from the status when the body had none. */
  code;
  /** Field-level problems (VALIDATION_ERROR); empty otherwise. */
  details;
  /** `error.requestId`, or the `X-Request-Id` header: quote it when reporting a problem. */
  requestId;
  /** The answer's headers (`Retry-After`, `X-RateLimit-*`, ...). */
  headers;
  constructor(init) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.details = init.details ?? [];
    this.requestId = init.requestId;
    this.headers = init.headers;
  }
  /** The subclass for an answer's code (or, without one, its status). */
  static from(init) {
    const Class = CLASS_BY_CODE[init.code] ?? CLASS_BY_STATUS[init.status] ?? _APIError;
    return new Class(init);
  }
};
var NotModifiedError = class extends APIError {
};
var ValidationError = class extends APIError {
};
var AuthenticationError = class extends APIError {
};
var PermissionDeniedError = class extends APIError {
};
var NotFoundError = class extends APIError {
};
var MethodNotAllowedError = class extends APIError {
};
var RequestTimeoutError = class extends APIError {
};
var ConflictError = class extends APIError {
};
var PayloadTooLargeError = class extends APIError {
};
var UnsupportedMediaTypeError = class extends APIError {
};
var InvalidReportError = class extends APIError {
};
var RequestHeaderFieldsTooLargeError = class extends APIError {
};
var RateLimitError = class extends APIError {
  /** Seconds from `Retry-After`, when the server sent it. */
  get retryAfter() {
    const value = this.headers.get("retry-after");
    const seconds = value === null ? NaN : Number(value);
    return Number.isFinite(seconds) ? seconds : void 0;
  }
};
var InternalServerError = class extends APIError {
};
var ServiceUnavailableError = class extends APIError {
};
var CLASS_BY_CODE = {
  NOT_MODIFIED: NotModifiedError,
  VALIDATION_ERROR: ValidationError,
  UNAUTHORIZED: AuthenticationError,
  FORBIDDEN: PermissionDeniedError,
  NOT_FOUND: NotFoundError,
  METHOD_NOT_ALLOWED: MethodNotAllowedError,
  REQUEST_TIMEOUT: RequestTimeoutError,
  CONFLICT: ConflictError,
  PAYLOAD_TOO_LARGE: PayloadTooLargeError,
  UNSUPPORTED_MEDIA_TYPE: UnsupportedMediaTypeError,
  REQUEST_HEADER_FIELDS_TOO_LARGE: RequestHeaderFieldsTooLargeError,
  INVALID_REPORT: InvalidReportError,
  RATE_LIMITED: RateLimitError,
  INTERNAL_ERROR: InternalServerError,
  SERVICE_UNAVAILABLE: ServiceUnavailableError
};
var CODE_BY_STATUS = {
  304: "NOT_MODIFIED",
  400: "VALIDATION_ERROR",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  408: "REQUEST_TIMEOUT",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  422: "INVALID_REPORT",
  429: "RATE_LIMITED",
  431: "REQUEST_HEADER_FIELDS_TOO_LARGE",
  500: "INTERNAL_ERROR",
  503: "SERVICE_UNAVAILABLE"
};
var CLASS_BY_STATUS = Object.fromEntries(
  Object.entries(CODE_BY_STATUS).map(([status, code]) => [status, code ? CLASS_BY_CODE[code] : void 0])
);
var APIConnectionError = class extends MailSentinelError {
  constructor(message = "Connection error.", options) {
    super(message, options);
  }
};
var APITimeoutError = class extends APIConnectionError {
  constructor(message = "Request timed out.", options) {
    super(message, options);
  }
};
var APIUserAbortError = class extends MailSentinelError {
  constructor(message = "Request was aborted.", options) {
    super(message, options);
  }
};
var WebhookVerificationError = class extends MailSentinelError {
};

// src/pagination.ts
var Page = class _Page {
  /** The items of this page. */
  data;
  pagination;
  /** The envelope's `data` as sent (e.g. `{ domains, pagination }`). */
  body;
  response;
  #itemsKey;
  #request;
  #load;
  constructor(body, response, itemsKey, request, load) {
    const record = body;
    this.body = body;
    this.response = response;
    this.data = record[itemsKey] ?? [];
    this.pagination = record.pagination;
    this.#itemsKey = itemsKey;
    this.#request = request;
    this.#load = load;
  }
  hasNextPage() {
    return this.pagination.page < this.pagination.totalPages;
  }
  /** The next page (same filters and limit); throws when there is none (check `hasNextPage()`). */
  async getNextPage() {
    if (!this.hasNextPage()) throw new Error("No next page: check hasNextPage() first.");
    const request = {
      query: { ...this.#request.query, page: this.pagination.page + 1 },
      options: this.#request.options
    };
    const { data, response } = await this.#load(request);
    return new _Page(data, response, this.#itemsKey, request, this.#load);
  }
  /** This page and every later one. */
  async *iterPages() {
    let page = this;
    yield page;
    while (page.hasNextPage()) {
      page = await page.getNextPage();
      yield page;
    }
  }
  /** Every item from this page on, fetching later pages as needed. */
  async *[Symbol.asyncIterator]() {
    for await (const page of this.iterPages()) yield* page.data;
  }
};
var PagePromise = class {
  #page;
  constructor(page) {
    this.#page = page;
  }
  then(onfulfilled, onrejected) {
    return this.#page.then(onfulfilled, onrejected);
  }
  catch(onrejected) {
    return this.#page.catch(onrejected);
  }
  finally(onfinally) {
    return this.#page.finally(onfinally);
  }
  async *[Symbol.asyncIterator]() {
    const page = await this.#page;
    yield* page;
  }
};

// src/uploads.ts
var REPORT_MEDIA_TYPES = [
  "application/xml",
  "text/xml",
  "application/gzip",
  "application/zip",
  "message/rfc822",
  "application/octet-stream"
];
var encoder = new TextEncoder();
var HEADER_LINE = /^[!-9;-~]+:[ \t]/;
function sniffMediaType(bytes, fallback = "application/octet-stream") {
  if (bytes[0] === 31 && bytes[1] === 139) return "application/gzip";
  if (bytes[0] === 80 && bytes[1] === 75 && (bytes[2] === 3 || bytes[2] === 5) && (bytes[3] === 4 || bytes[3] === 6)) {
    return "application/zip";
  }
  let start = 0;
  if (bytes[0] === 239 && bytes[1] === 187 && bytes[2] === 191) start = 3;
  while (start < bytes.length && [32, 9, 10, 13].includes(bytes[start])) start++;
  if (bytes[start] === 60) return "application/xml";
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 1024));
  if (HEADER_LINE.test(head)) return "message/rfc822";
  return fallback;
}
function isXmlText(text) {
  return /^\uFEFF?\s*</.test(text);
}
function isAsyncIterable(value) {
  return Symbol.asyncIterator in value;
}
function isReadableStream(value) {
  return typeof value.getReader === "function";
}
async function collect(chunks) {
  const parts = [];
  let length = 0;
  for await (const chunk of chunks) {
    const part = typeof chunk === "string" ? encoder.encode(chunk) : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    parts.push(part);
    length += part.byteLength;
  }
  return concat(parts, length);
}
async function collectStream(stream) {
  const reader = stream.getReader();
  const parts = [];
  let length = 0;
  for (; ; ) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    length += value.byteLength;
  }
  return concat(parts, length);
}
function concat(parts, length) {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
async function readFile(path) {
  const specifier = "node:fs/promises";
  let fs;
  try {
    fs = await import(
      /* @vite-ignore */
      /* webpackIgnore: true */
      specifier
    );
  } catch (error) {
    throw new TypeError("A file path can only be uploaded where node:fs exists (Node, Bun, Deno); pass a Blob or bytes.", {
      cause: error
    });
  }
  const buffer = await fs.readFile(path);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
async function toUploadBody(data, contentType) {
  let bytes;
  let declared;
  if (typeof data === "string") {
    bytes = isXmlText(data) ? encoder.encode(data) : await readFile(data);
  } else if (data instanceof URL) {
    bytes = await readFile(data);
  } else if (typeof Blob !== "undefined" && data instanceof Blob) {
    bytes = new Uint8Array(await data.arrayBuffer());
    declared = data.type.split(";")[0]?.trim().toLowerCase();
  } else if (data instanceof ArrayBuffer) {
    bytes = new Uint8Array(data);
  } else if (ArrayBuffer.isView(data)) {
    bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } else if (isReadableStream(data)) {
    bytes = await collectStream(data);
  } else if (isAsyncIterable(data)) {
    bytes = await collect(data);
  } else {
    throw new TypeError("Upload a Blob, ArrayBuffer, typed array, XML string, file path, URL or stream.");
  }
  const known = REPORT_MEDIA_TYPES.includes(declared ?? "") ? declared : void 0;
  return { bytes, contentType: contentType ?? sniffMediaType(bytes, known) };
}

// src/core.ts
var VERSION = "0.1.0";
var DEFAULT_BASE_URL = "https://api.mailsentinel.io";
var DEFAULT_TIMEOUT_MS = 6e4;
var DEFAULT_MAX_RETRIES = 2;
var INITIAL_RETRY_DELAY_MS = 500;
var MAX_RETRY_DELAY_MS = 8e3;
var MAX_RETRY_AFTER_MS = 12e4;
var APIPromise = class {
  #inner;
  #data;
  constructor(inner) {
    this.#inner = inner;
  }
  /** The result together with the raw `Response` (headers such as `ETag` and `X-RateLimit-Remaining`). */
  withResponse() {
    return this.#inner;
  }
  #result() {
    this.#data ??= this.#inner.then((r) => r.data);
    return this.#data;
  }
  then(onfulfilled, onrejected) {
    return this.#result().then(onfulfilled, onrejected);
  }
  catch(onrejected) {
    return this.#result().catch(onrejected);
  }
  finally(onfinally) {
    return this.#result().finally(onfinally);
  }
};
var APIResource = class {
  _client;
  constructor(client) {
    this._client = client;
  }
};
function readEnv(name) {
  const env = globalThis.process?.env;
  const value = env?.[name]?.trim();
  return value ? value : void 0;
}
var IDEMPOTENT = /* @__PURE__ */ new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);
function defaultSleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new APIUserAbortError());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new APIUserAbortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
function retryDelay(headers, status, attempt, now = Date.now(), random = Math.random) {
  const retryAfter = headers?.get("retry-after");
  let hinted;
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) hinted = seconds * 1e3;
    else {
      const date = Date.parse(retryAfter);
      if (!Number.isNaN(date)) hinted = date - now;
    }
  }
  const reset = headers?.get("x-ratelimit-reset");
  if (hinted === void 0 && status === 429 && reset) {
    const seconds = Number(reset);
    if (Number.isFinite(seconds)) hinted = seconds * 1e3 - now;
  }
  if (hinted !== void 0) {
    if (hinted > MAX_RETRY_AFTER_MS) return null;
    return Math.max(0, Math.ceil(hinted));
  }
  const base = Math.min(INITIAL_RETRY_DELAY_MS * 2 ** attempt, MAX_RETRY_DELAY_MS);
  return Math.round(base * (1 - 0.25 * random()));
}
function shouldRetry(status, idempotent) {
  if (status === 408 || status === 429) return true;
  return idempotent && (status === 500 || status === 502 || status === 503 || status === 504);
}
function appendQuery(url, query) {
  if (!query) return;
  for (const [key, value] of Object.entries(query)) {
    if (value === void 0 || value === null) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) url.searchParams.append(key, String(item));
  }
}
function encodePath(value) {
  return encodeURIComponent(value);
}
var BaseClient = class {
  apiKey;
  baseURL;
  timeout;
  maxRetries;
  options;
  #fetch;
  #sleep;
  constructor(options = {}) {
    this.options = { ...options };
    this.apiKey = options.apiKey ?? readEnv("MAILSENTINEL_API_KEY");
    this.baseURL = (options.baseURL ?? readEnv("MAILSENTINEL_BASE_URL") ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (!fetchImpl) {
      throw new TypeError("No fetch implementation: pass `fetch` to new MailSentinel({...}) (Node 18+ has one).");
    }
    this.#fetch = (input, init) => fetchImpl(input, init);
    this.#sleep = options.sleep ?? defaultSleep;
  }
  /** The secret `client.webhooks.verify` uses when given none. */
  get webhookSecret() {
    return this.options.webhookSecret ?? readEnv("MAILSENTINEL_WEBHOOK_SECRET");
  }
  /** One operation; resolves to `data` of the envelope (or the whole body without one). */
  request(spec, options) {
    return new APIPromise(this.#send(spec, options));
  }
  /** A list operation: a page that is also an async iterable over every item of every page. */
  getPage(spec, options) {
    const load = (request) => this.#send({ ...spec, query: request.query }, request.options);
    const first = { query: { ...spec.query ?? {} }, options };
    const promise = load(first).then(({ data, response }) => new Page(data, response, spec.itemsKey, first, load));
    return new PagePromise(promise);
  }
  /** A raw-body upload: `data` is read (files and streams too) and its media type recognised. */
  upload(spec, data, options) {
    const send = async () => {
      const { bytes, contentType } = await toUploadBody(data, options?.contentType);
      return this.#send({ ...spec, rawBody: bytes, contentType }, { idempotent: true, ...options });
    };
    return new APIPromise(send());
  }
  #headers(spec, options) {
    const headers = new Headers({ Accept: "application/json" });
    if (this.apiKey) headers.set("Authorization", `Bearer ${this.apiKey}`);
    if (spec.rawBody !== void 0) headers.set("Content-Type", spec.contentType ?? "application/octet-stream");
    else if (spec.body !== void 0) headers.set("Content-Type", "application/json");
    for (const extra of [this.options.defaultHeaders, options?.headers]) {
      for (const [name, value] of Object.entries(extra ?? {})) {
        if (value === null) headers.delete(name);
        else if (value !== void 0) headers.set(name, value);
      }
    }
    return headers;
  }
  async #send(spec, options) {
    const page = globalThis.location?.href;
    const url = new URL(this.baseURL + spec.path, page);
    appendQuery(url, spec.query);
    const headers = this.#headers(spec, options);
    const body = spec.rawBody !== void 0 ? spec.rawBody : spec.body !== void 0 ? JSON.stringify(spec.body) : void 0;
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
      const onAbort = () => controller.abort();
      signal?.addEventListener("abort", onAbort, { once: true });
      const init = { method: spec.method, headers, signal: controller.signal };
      if (body !== void 0) init.body = body;
      let failure;
      let response;
      try {
        response = await this.#fetch(url.toString(), init);
        const text = await response.text();
        clearTimeout(timer);
        if (response.ok) return this.#success(spec, response, text);
        failure = this.#error(response, text);
      } catch (error) {
        clearTimeout(timer);
        if (signal?.aborted) throw new APIUserAbortError(void 0, { cause: error });
        if (error instanceof APIError) throw error;
        failure = timedOut ? new APITimeoutError(`${spec.operationId}: no answer within ${timeout} ms.`, { cause: error }) : new APIConnectionError(`${spec.operationId}: ${describe(error)}`, { cause: error });
        response = void 0;
      } finally {
        signal?.removeEventListener("abort", onAbort);
      }
      const retryable = response ? shouldRetry(response.status, idempotent) : idempotent;
      if (!retryable || attempt >= maxRetries) throw failure;
      const wait = retryDelay(response?.headers, response?.status, attempt);
      if (wait === null) throw failure;
      await this.#sleep(wait, signal);
    }
  }
  #success(spec, response, text) {
    const requestId = response.headers.get("x-request-id") ?? void 0;
    let parsed = void 0;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new APIError({
          status: response.status,
          code: "INVALID_RESPONSE",
          message: `${spec.operationId}: the answer is not JSON (${describe(error)}).`,
          requestId,
          headers: response.headers
        });
      }
    }
    const data = spec.envelope && isEnvelope(parsed) ? parsed.data : parsed;
    return { data, response, requestId };
  }
  #error(response, text) {
    let envelope;
    try {
      envelope = text ? JSON.parse(text) : void 0;
    } catch {
      envelope = void 0;
    }
    const error = envelope?.error;
    const headerId = response.headers.get("x-request-id") ?? void 0;
    const code = typeof error?.code === "string" ? error.code : CODE_BY_STATUS[response.status] ?? `HTTP_${response.status}`;
    const message = typeof error?.message === "string" ? error.message : `${response.status} ${response.statusText || code}${text && !envelope ? `: ${text.slice(0, 200)}` : ""}`;
    return APIError.from({
      status: response.status,
      code,
      message,
      details: Array.isArray(error?.details) ? error.details : [],
      requestId: typeof error?.requestId === "string" ? error.requestId : headerId,
      headers: response.headers
    });
  }
};
function isEnvelope(value) {
  return typeof value === "object" && value !== null && value.success === true && "data" in value;
}
function describe(error) {
  if (error instanceof Error) {
    const cause = error.cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

// src/webhooks.ts
var DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 5 * 60;
var encoder2 = new TextEncoder();
function header(headers, name) {
  if (typeof Headers !== "undefined" && headers instanceof Headers) return headers.get(name) ?? void 0;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(" ") : value;
  }
  return void 0;
}
function base64ToBytes(text) {
  try {
    const binary = atob(text);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}
async function subtle() {
  const global = globalThis.crypto;
  if (global?.subtle) return global.subtle;
  const specifier = "node:crypto";
  const nodeCrypto = await import(
    /* @vite-ignore */
    /* webpackIgnore: true */
    specifier
  );
  return nodeCrypto.webcrypto.subtle;
}
function toBytes(payload) {
  if (typeof payload === "string") return encoder2.encode(payload);
  return payload instanceof ArrayBuffer ? new Uint8Array(payload) : payload;
}
async function verifyWebhook(payload, headers, secret, options = {}) {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError("Missing webhook-id, webhook-timestamp or webhook-signature header.");
  }
  if (!/^\d{1,15}$/.test(timestamp)) throw new WebhookVerificationError("Invalid webhook-timestamp.");
  const now = options.now instanceof Date ? options.now.getTime() : options.now ?? Date.now();
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  const age = Math.floor(now / 1e3) - Number(timestamp);
  if (age > tolerance) throw new WebhookVerificationError("Message timestamp too old.");
  if (age < -tolerance) throw new WebhookVerificationError("Message timestamp too new.");
  const key = base64ToBytes(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret);
  if (!key || key.length === 0) throw new WebhookVerificationError("The webhook secret is not base64 (whsec_...).");
  const body = toBytes(payload);
  const prefix = encoder2.encode(`${id}.${timestamp}.`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix, 0);
  signed.set(body, prefix.length);
  const crypto = await subtle();
  const hmac = await crypto.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  for (const candidate of signatures.split(" ")) {
    const [version, encoded] = candidate.split(",", 2);
    if (version !== "v1" || !encoded) continue;
    const signature = base64ToBytes(encoded);
    if (signature && await crypto.verify("HMAC", hmac, signature, signed)) {
      const text = new TextDecoder().decode(body);
      try {
        return JSON.parse(text);
      } catch {
        throw new WebhookVerificationError("The signed payload is not JSON.");
      }
    }
  }
  throw new WebhookVerificationError("No matching signature found.");
}
var WebhooksBase = class extends APIResource {
  /** `verifyWebhook` with the client's `webhookSecret` (or `MAILSENTINEL_WEBHOOK_SECRET`) by default. */
  verify(payload, headers, secret, options) {
    const key = secret ?? this._client.webhookSecret;
    if (!key) return Promise.reject(new WebhookVerificationError("No webhook secret given (pass one, or webhookSecret)."));
    return verifyWebhook(payload, headers, key, options);
  }
};

// src/generated/resources.ts
var AlertRulesResource = class extends APIResource {
  /**
   * The organization's alert rules, oldest first
   *
   * `GET /api/organizations/{orgId}/alert-rules` (operationId `list_alert_rules`).
   * Await it for the first page, or `for await` it for every item of every page.
   */
  list(orgId, query, options) {
    return this._client.getPage({ operationId: "list_alert_rules", method: "GET", path: `/api/organizations/${encodePath(orgId)}/alert-rules`, query, envelope: true, itemsKey: "rules" }, options);
  }
  /**
   * Add an alert rule (admin)
   *
   * `POST /api/organizations/{orgId}/alert-rules` (operationId `create_alert_rule`).
   */
  create(orgId, body, options) {
    return this._client.request({ operationId: "create_alert_rule", method: "POST", path: `/api/organizations/${encodePath(orgId)}/alert-rules`, body, envelope: true }, options);
  }
  /**
   * One alert rule
   *
   * `GET /api/alert-rules/{ruleId}` (operationId `get_alert_rule`).
   */
  get(ruleId, options) {
    return this._client.request({ operationId: "get_alert_rule", method: "GET", path: `/api/alert-rules/${encodePath(ruleId)}`, envelope: true }, options);
  }
  /**
   * Change, enable or disable an alert rule (admin)
   *
   * `PATCH /api/alert-rules/{ruleId}` (operationId `update_alert_rule`).
   */
  update(ruleId, body, options) {
    return this._client.request({ operationId: "update_alert_rule", method: "PATCH", path: `/api/alert-rules/${encodePath(ruleId)}`, body, envelope: true }, options);
  }
  /**
   * Delete an alert rule (admin); its unresolved alerts resolve
   *
   * `DELETE /api/alert-rules/{ruleId}` (operationId `delete_alert_rule`).
   */
  delete(ruleId, options) {
    return this._client.request({ operationId: "delete_alert_rule", method: "DELETE", path: `/api/alert-rules/${encodePath(ruleId)}`, envelope: true }, options);
  }
};
var AlertsResource = class extends APIResource {
  /**
   * The organization's alerts, newest first
   *
   * `GET /api/organizations/{orgId}/alerts` (operationId `list_alerts`).
   * Await it for the first page, or `for await` it for every item of every page.
   */
  list(orgId, query, options) {
    return this._client.getPage({ operationId: "list_alerts", method: "GET", path: `/api/organizations/${encodePath(orgId)}/alerts`, query, envelope: true, itemsKey: "alerts" }, options);
  }
  /**
   * One alert, with its details (the diff, the figures)
   *
   * `GET /api/alerts/{alertId}` (operationId `get_alert`).
   */
  get(alertId, options) {
    return this._client.request({ operationId: "get_alert", method: "GET", path: `/api/alerts/${encodePath(alertId)}`, envelope: true }, options);
  }
  /**
   * Acknowledge an open alert (member)
   *
   * `POST /api/alerts/{alertId}/acknowledge` (operationId `acknowledge_alert`).
   */
  acknowledge(alertId, options) {
    return this._client.request({ operationId: "acknowledge_alert", method: "POST", path: `/api/alerts/${encodePath(alertId)}/acknowledge`, envelope: true }, options);
  }
  /**
   * Resolve an alert by hand (member)
   *
   * `POST /api/alerts/{alertId}/resolve` (operationId `resolve_alert`).
   */
  resolve(alertId, options) {
    return this._client.request({ operationId: "resolve_alert", method: "POST", path: `/api/alerts/${encodePath(alertId)}/resolve`, envelope: true }, options);
  }
};
var DeliveriesResource = class extends APIResource {
  /**
   * An endpoint's deliveries, newest first (viewer)
   *
   * `GET /api/webhooks/{webhookId}/deliveries` (operationId `list_webhook_deliveries`).
   * Await it for the first page, or `for await` it for every item of every page.
   */
  list(webhookId, query, options) {
    return this._client.getPage({ operationId: "list_webhook_deliveries", method: "GET", path: `/api/webhooks/${encodePath(webhookId)}/deliveries`, query, envelope: true, itemsKey: "deliveries" }, options);
  }
  /**
   * One delivery with its payload and every attempt (viewer)
   *
   * `GET /api/webhooks/{webhookId}/deliveries/{deliveryId}` (operationId `get_webhook_delivery`).
   */
  get(webhookId, deliveryId, options) {
    return this._client.request({ operationId: "get_webhook_delivery", method: "GET", path: `/api/webhooks/${encodePath(webhookId)}/deliveries/${encodePath(deliveryId)}`, envelope: true }, options);
  }
  /**
   * Queue a delivery to be sent again now (admin)
   *
   * `POST /api/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver` (operationId `redeliver_webhook_delivery`).
   */
  redeliver(webhookId, deliveryId, options) {
    return this._client.request({ operationId: "redeliver_webhook_delivery", method: "POST", path: `/api/webhooks/${encodePath(webhookId)}/deliveries/${encodePath(deliveryId)}/redeliver`, envelope: true }, options);
  }
};
var DomainsResource = class extends APIResource {
  /**
   * Every domain in every organization the caller belongs to
   *
   * `GET /api/domains` (operationId `list_domains`).
   * Await it for the first page, or `for await` it for every item of every page.
   */
  listAll(query, options) {
    return this._client.getPage({ operationId: "list_domains", method: "GET", path: `/api/domains`, query, envelope: true, itemsKey: "domains" }, options);
  }
  /**
   * An organization's domains
   *
   * `GET /api/organizations/{orgId}/domains` (operationId `list_organization_domains`).
   * Await it for the first page, or `for await` it for every item of every page.
   */
  list(orgId, query, options) {
    return this._client.getPage({ operationId: "list_organization_domains", method: "GET", path: `/api/organizations/${encodePath(orgId)}/domains`, query, envelope: true, itemsKey: "domains" }, options);
  }
  /**
   * Start monitoring a domain (admin)
   *
   * `POST /api/organizations/{orgId}/domains` (operationId `create_domain`).
   */
  create(orgId, body, options) {
    return this._client.request({ operationId: "create_domain", method: "POST", path: `/api/organizations/${encodePath(orgId)}/domains`, body, envelope: true }, options);
  }
  /**
   * One domain, with the DNS records scans have seen
   *
   * `GET /api/domains/{domainId}` (operationId `get_domain`).
   */
  get(domainId, options) {
    return this._client.request({ operationId: "get_domain", method: "GET", path: `/api/domains/${encodePath(domainId)}`, envelope: true }, options);
  }
  /**
   * Change a domain's description, DKIM selectors or rescan interval (admin)
   *
   * `PATCH /api/domains/{domainId}` (operationId `update_domain`).
   */
  update(domainId, body, options) {
    return this._client.request({ operationId: "update_domain", method: "PATCH", path: `/api/domains/${encodePath(domainId)}`, body, envelope: true }, options);
  }
  /**
   * Stop monitoring a domain (admin)
   *
   * `DELETE /api/domains/{domainId}` (operationId `delete_domain`).
   */
  delete(domainId, options) {
    return this._client.request({ operationId: "delete_domain", method: "DELETE", path: `/api/domains/${encodePath(domainId)}`, envelope: true }, options);
  }
  /**
   * Scan the domain's DNS now and store the result (member)
   *
   * `POST /api/domains/{domainId}/scan` (operationId `scan_domain`).
   */
  scan(domainId, options) {
    return this._client.request({ operationId: "scan_domain", method: "POST", path: `/api/domains/${encodePath(domainId)}/scan`, envelope: true }, options);
  }
  /**
   * The domain's scan history, newest first
   *
   * `GET /api/domains/{domainId}/scans` (operationId `list_domain_scans`).
   * Await it for the first page, or `for await` it for every item of every page.
   */
  scans(domainId, query, options) {
    return this._client.getPage({ operationId: "list_domain_scans", method: "GET", path: `/api/domains/${encodePath(domainId)}/scans`, query, envelope: true, itemsKey: "scans" }, options);
  }
  /**
   * Check the TXT record _mailsentinel.<domain> and mark the domain verified (member)
   *
   * `POST /api/domains/{domainId}/verify` (operationId `verify_domain`).
   */
  verify(domainId, options) {
    return this._client.request({ operationId: "verify_domain", method: "POST", path: `/api/domains/${encodePath(domainId)}/verify`, envelope: true }, options);
  }
  /**
   * DMARC results of a domain from its reports
   *
   * `GET /api/domains/{domainId}/stats` (operationId `get_domain_stats`).
   */
  stats(domainId, query, options) {
    return this._client.request({ operationId: "get_domain_stats", method: "GET", path: `/api/domains/${encodePath(domainId)}/stats`, query, envelope: true }, options);
  }
  /**
   * The IP addresses that sent mail as the domain, with their results
   *
   * `GET /api/domains/{domainId}/sources` (operationId `get_domain_sources`).
   * Await it for the first page, or `for await` it for every item of every page.
   */
  sources(domainId, query, options) {
    return this._client.getPage({ operationId: "get_domain_sources", method: "GET", path: `/api/domains/${encodePath(domainId)}/sources`, query, envelope: true, itemsKey: "sources" }, options);
  }
  /**
   * The domain's DNS record changes between consecutive scans, newest first
   *
   * `GET /api/domains/{domainId}/changes` (operationId `list_domain_changes`).
   * Await it for the first page, or `for await` it for every item of every page.
   */
  changes(domainId, query, options) {
    return this._client.getPage({ operationId: "list_domain_changes", method: "GET", path: `/api/domains/${encodePath(domainId)}/changes`, query, envelope: true, itemsKey: "changes" }, options);
  }
};
var HealthResource = class extends APIResource {
  /**
   * Service health
   *
   * `GET /health` (operationId `get_health`).
   */
  get(options) {
    return this._client.request({ operationId: "get_health", method: "GET", path: `/health`, envelope: false }, options);
  }
};
var MeResource = class extends APIResource {
  /**
   * The calling user, their memberships and the token in use
   *
   * `GET /api/me` (operationId `get_me`).
   */
  get(options) {
    return this._client.request({ operationId: "get_me", method: "GET", path: `/api/me`, envelope: true }, options);
  }
};
var MembersResource = class extends APIResource {
  /**
   * Members of an organization
   *
   * `GET /api/organizations/{orgId}/members` (operationId `list_members`).
   * Await it for the first page, or `for await` it for every item of every page.
   */
  list(orgId, query, options) {
    return this._client.getPage({ operationId: "list_members", method: "GET", path: `/api/organizations/${encodePath(orgId)}/members`, query, envelope: true, itemsKey: "members" }, options);
  }
  /**
   * Add a member by e-mail address (admin; only owners add owners)
   *
   * `POST /api/organizations/{orgId}/members` (operationId `add_member`).
   */
  add(orgId, body, options) {
    return this._client.request({ operationId: "add_member", method: "POST", path: `/api/organizations/${encodePath(orgId)}/members`, body, envelope: true }, options);
  }
  /**
   * One member
   *
   * `GET /api/organizations/{orgId}/members/{userId}` (operationId `get_member`).
   */
  get(orgId, userId, options) {
    return this._client.request({ operationId: "get_member", method: "GET", path: `/api/organizations/${encodePath(orgId)}/members/${encodePath(userId)}`, envelope: true }, options);
  }
  /**
   * Change a member's role (admin; only owners grant or remove ownership)
   *
   * `PATCH /api/organizations/{orgId}/members/{userId}` (operationId `update_member`).
   */
  update(orgId, userId, body, options) {
    return this._client.request({ operationId: "update_member", method: "PATCH", path: `/api/organizations/${encodePath(orgId)}/members/${encodePath(userId)}`, body, envelope: true }, options);
  }
  /**
   * Remove a member (admin), or leave (anyone); their tokens bound here are revoked
   *
   * `DELETE /api/organizations/{orgId}/members/{userId}` (operationId `remove_member`).
   */
  remove(orgId, userId, options) {
    return this._client.request({ operationId: "remove_member", method: "DELETE", path: `/api/organizations/${encodePath(orgId)}/members/${encodePath(userId)}`, envelope: true }, options);
  }
};
var OrganizationsResource = class extends APIResource {
  /**
   * Organizations the caller belongs to
   *
   * `GET /api/organizations` (operationId `list_organizations`).
   * Await it for the first page, or `for await` it for every item of every page.
   */
  list(query, options) {
    return this._client.getPage({ operationId: "list_organizations", method: "GET", path: `/api/organizations`, query, envelope: true, itemsKey: "organizations" }, options);
  }
  /**
   * Create an organization; the caller becomes its owner
   *
   * `POST /api/organizations` (operationId `create_organization`).
   */
  create(body, options) {
    return this._client.request({ operationId: "create_organization", method: "POST", path: `/api/organizations`, body, envelope: true }, options);
  }
  /**
   * One organization
   *
   * `GET /api/organizations/{orgId}` (operationId `get_organization`).
   */
  get(orgId, options) {
    return this._client.request({ operationId: "get_organization", method: "GET", path: `/api/organizations/${encodePath(orgId)}`, envelope: true }, options);
  }
  /**
   * Rename (admin) or change the plan (owner)
   *
   * `PATCH /api/organizations/{orgId}` (operationId `update_organization`).
   */
  update(orgId, body, options) {
    return this._client.request({ operationId: "update_organization", method: "PATCH", path: `/api/organizations/${encodePath(orgId)}`, body, envelope: true }, options);
  }
  /**
   * Delete an organization (owner) with its domains, memberships and bound tokens
   *
   * `DELETE /api/organizations/{orgId}` (operationId `delete_organization`).
   */
  delete(orgId, options) {
    return this._client.request({ operationId: "delete_organization", method: "DELETE", path: `/api/organizations/${encodePath(orgId)}`, envelope: true }, options);
  }
};
var ReportsResource = class extends APIResource {
  /**
   * Upload a DMARC aggregate report (member)
   *
   * `POST /api/organizations/{orgId}/reports` (operationId `upload_report`).
   */
  upload(orgId, file, options) {
    return this._client.upload({ operationId: "upload_report", method: "POST", path: `/api/organizations/${encodePath(orgId)}/reports`, envelope: true }, file, options);
  }
  /**
   * Stored reports of every organization the caller belongs to, newest first
   *
   * `GET /api/reports` (operationId `list_reports`).
   * Await it for the first page, or `for await` it for every item of every page.
   */
  list(query, options) {
    return this._client.getPage({ operationId: "list_reports", method: "GET", path: `/api/reports`, query, envelope: true, itemsKey: "reports" }, options);
  }
  /**
   * One stored report, with a page of its records
   *
   * `GET /api/reports/{reportId}` (operationId `get_report`).
   */
  get(reportId, query, options) {
    return this._client.request({ operationId: "get_report", method: "GET", path: `/api/reports/${encodePath(reportId)}`, query, envelope: true }, options);
  }
  /**
   * Delete a stored report and take it out of the stats (admin)
   *
   * `DELETE /api/reports/{reportId}` (operationId `delete_report`).
   */
  delete(reportId, options) {
    return this._client.request({ operationId: "delete_report", method: "DELETE", path: `/api/reports/${encodePath(reportId)}`, envelope: true }, options);
  }
};
var ScansResource = class extends APIResource {
  /**
   * One stored scan, whole
   *
   * `GET /api/scans/{scanId}` (operationId `get_scan`).
   */
  get(scanId, options) {
    return this._client.request({ operationId: "get_scan", method: "GET", path: `/api/scans/${encodePath(scanId)}`, envelope: true }, options);
  }
};
var TokensResource = class extends APIResource {
  /**
   * List the caller's API tokens (secrets are never shown again)
   *
   * `GET /api/tokens` (operationId `list_tokens`).
   * Await it for the first page, or `for await` it for every item of every page.
   */
  list(query, options) {
    return this._client.getPage({ operationId: "list_tokens", method: "GET", path: `/api/tokens`, query, envelope: true, itemsKey: "tokens" }, options);
  }
  /**
   * Create an API token (the secret is in this response only)
   *
   * `POST /api/tokens` (operationId `create_token`).
   */
  create(body, options) {
    return this._client.request({ operationId: "create_token", method: "POST", path: `/api/tokens`, body, envelope: true }, options);
  }
  /**
   * One of the caller's tokens
   *
   * `GET /api/tokens/{tokenId}` (operationId `get_token`).
   */
  get(tokenId, options) {
    return this._client.request({ operationId: "get_token", method: "GET", path: `/api/tokens/${encodePath(tokenId)}`, envelope: true }, options);
  }
  /**
   * Revoke a token; it is rejected from the next request on
   *
   * `DELETE /api/tokens/{tokenId}` (operationId `revoke_token`).
   */
  revoke(tokenId, options) {
    return this._client.request({ operationId: "revoke_token", method: "DELETE", path: `/api/tokens/${encodePath(tokenId)}`, envelope: true }, options);
  }
  /**
   * Replace a token's secret; the old secret stops working at once
   *
   * `POST /api/tokens/{tokenId}/rotate` (operationId `rotate_token`).
   */
  rotate(tokenId, options) {
    return this._client.request({ operationId: "rotate_token", method: "POST", path: `/api/tokens/${encodePath(tokenId)}/rotate`, envelope: true }, options);
  }
};
var WebhooksResource = class extends WebhooksBase {
  /**
   * An organization's webhook endpoints (viewer)
   *
   * `GET /api/organizations/{orgId}/webhooks` (operationId `list_webhooks`).
   * Await it for the first page, or `for await` it for every item of every page.
   */
  list(orgId, query, options) {
    return this._client.getPage({ operationId: "list_webhooks", method: "GET", path: `/api/organizations/${encodePath(orgId)}/webhooks`, query, envelope: true, itemsKey: "webhooks" }, options);
  }
  /**
   * Add a webhook endpoint (admin)
   *
   * `POST /api/organizations/{orgId}/webhooks` (operationId `create_webhook`).
   */
  create(orgId, body, options) {
    return this._client.request({ operationId: "create_webhook", method: "POST", path: `/api/organizations/${encodePath(orgId)}/webhooks`, body, envelope: true }, options);
  }
  /**
   * One webhook endpoint, with its delivery stats (viewer)
   *
   * `GET /api/webhooks/{webhookId}` (operationId `get_webhook`).
   */
  get(webhookId, options) {
    return this._client.request({ operationId: "get_webhook", method: "GET", path: `/api/webhooks/${encodePath(webhookId)}`, envelope: true }, options);
  }
  /**
   * Change an endpoint's URL, description, events or enabled (admin)
   *
   * `PATCH /api/webhooks/{webhookId}` (operationId `update_webhook`).
   */
  update(webhookId, body, options) {
    return this._client.request({ operationId: "update_webhook", method: "PATCH", path: `/api/webhooks/${encodePath(webhookId)}`, body, envelope: true }, options);
  }
  /**
   * Remove an endpoint and its delivery log (admin)
   *
   * `DELETE /api/webhooks/{webhookId}` (operationId `delete_webhook`).
   */
  delete(webhookId, options) {
    return this._client.request({ operationId: "delete_webhook", method: "DELETE", path: `/api/webhooks/${encodePath(webhookId)}`, envelope: true }, options);
  }
  /**
   * Send a webhook.test event now and answer with the outcome (admin)
   *
   * `POST /api/webhooks/{webhookId}/test` (operationId `test_webhook`).
   */
  test(webhookId, options) {
    return this._client.request({ operationId: "test_webhook", method: "POST", path: `/api/webhooks/${encodePath(webhookId)}/test`, envelope: true }, options);
  }
  /**
   * Send again every failed delivery created since a time (admin)
   *
   * `POST /api/webhooks/{webhookId}/recover` (operationId `recover_webhook`).
   */
  recover(webhookId, body, options) {
    return this._client.request({ operationId: "recover_webhook", method: "POST", path: `/api/webhooks/${encodePath(webhookId)}/recover`, body, envelope: true }, options);
  }
  /**
   * Replace the signing secret; the old one keeps signing for 24 h (admin)
   *
   * `POST /api/webhooks/{webhookId}/rotate-secret` (operationId `rotate_webhook_secret`).
   */
  rotateSecret(webhookId, options) {
    return this._client.request({ operationId: "rotate_webhook_secret", method: "POST", path: `/api/webhooks/${encodePath(webhookId)}/rotate-secret`, envelope: true }, options);
  }
};
var OPERATIONS = [
  { operationId: "get_health", sdkMethod: "health.get", resource: "health", method: "get", http: "GET", path: "/health", list: false },
  { operationId: "get_me", sdkMethod: "me.get", resource: "me", method: "get", http: "GET", path: "/api/me", list: false },
  { operationId: "list_tokens", sdkMethod: "tokens.list", resource: "tokens", method: "list", http: "GET", path: "/api/tokens", list: true },
  { operationId: "create_token", sdkMethod: "tokens.create", resource: "tokens", method: "create", http: "POST", path: "/api/tokens", list: false },
  { operationId: "get_token", sdkMethod: "tokens.get", resource: "tokens", method: "get", http: "GET", path: "/api/tokens/{tokenId}", list: false },
  { operationId: "revoke_token", sdkMethod: "tokens.revoke", resource: "tokens", method: "revoke", http: "DELETE", path: "/api/tokens/{tokenId}", list: false },
  { operationId: "rotate_token", sdkMethod: "tokens.rotate", resource: "tokens", method: "rotate", http: "POST", path: "/api/tokens/{tokenId}/rotate", list: false },
  { operationId: "list_organizations", sdkMethod: "organizations.list", resource: "organizations", method: "list", http: "GET", path: "/api/organizations", list: true },
  { operationId: "create_organization", sdkMethod: "organizations.create", resource: "organizations", method: "create", http: "POST", path: "/api/organizations", list: false },
  { operationId: "get_organization", sdkMethod: "organizations.get", resource: "organizations", method: "get", http: "GET", path: "/api/organizations/{orgId}", list: false },
  { operationId: "update_organization", sdkMethod: "organizations.update", resource: "organizations", method: "update", http: "PATCH", path: "/api/organizations/{orgId}", list: false },
  { operationId: "delete_organization", sdkMethod: "organizations.delete", resource: "organizations", method: "delete", http: "DELETE", path: "/api/organizations/{orgId}", list: false },
  { operationId: "list_members", sdkMethod: "members.list", resource: "members", method: "list", http: "GET", path: "/api/organizations/{orgId}/members", list: true },
  { operationId: "add_member", sdkMethod: "members.add", resource: "members", method: "add", http: "POST", path: "/api/organizations/{orgId}/members", list: false },
  { operationId: "get_member", sdkMethod: "members.get", resource: "members", method: "get", http: "GET", path: "/api/organizations/{orgId}/members/{userId}", list: false },
  { operationId: "update_member", sdkMethod: "members.update", resource: "members", method: "update", http: "PATCH", path: "/api/organizations/{orgId}/members/{userId}", list: false },
  { operationId: "remove_member", sdkMethod: "members.remove", resource: "members", method: "remove", http: "DELETE", path: "/api/organizations/{orgId}/members/{userId}", list: false },
  { operationId: "list_domains", sdkMethod: "domains.list_all", resource: "domains", method: "listAll", http: "GET", path: "/api/domains", list: true },
  { operationId: "list_organization_domains", sdkMethod: "domains.list", resource: "domains", method: "list", http: "GET", path: "/api/organizations/{orgId}/domains", list: true },
  { operationId: "create_domain", sdkMethod: "domains.create", resource: "domains", method: "create", http: "POST", path: "/api/organizations/{orgId}/domains", list: false },
  { operationId: "get_domain", sdkMethod: "domains.get", resource: "domains", method: "get", http: "GET", path: "/api/domains/{domainId}", list: false },
  { operationId: "update_domain", sdkMethod: "domains.update", resource: "domains", method: "update", http: "PATCH", path: "/api/domains/{domainId}", list: false },
  { operationId: "delete_domain", sdkMethod: "domains.delete", resource: "domains", method: "delete", http: "DELETE", path: "/api/domains/{domainId}", list: false },
  { operationId: "scan_domain", sdkMethod: "domains.scan", resource: "domains", method: "scan", http: "POST", path: "/api/domains/{domainId}/scan", list: false },
  { operationId: "list_domain_scans", sdkMethod: "domains.scans", resource: "domains", method: "scans", http: "GET", path: "/api/domains/{domainId}/scans", list: true },
  { operationId: "get_scan", sdkMethod: "scans.get", resource: "scans", method: "get", http: "GET", path: "/api/scans/{scanId}", list: false },
  { operationId: "verify_domain", sdkMethod: "domains.verify", resource: "domains", method: "verify", http: "POST", path: "/api/domains/{domainId}/verify", list: false },
  { operationId: "upload_report", sdkMethod: "reports.upload", resource: "reports", method: "upload", http: "POST", path: "/api/organizations/{orgId}/reports", list: false },
  { operationId: "list_reports", sdkMethod: "reports.list", resource: "reports", method: "list", http: "GET", path: "/api/reports", list: true },
  { operationId: "get_report", sdkMethod: "reports.get", resource: "reports", method: "get", http: "GET", path: "/api/reports/{reportId}", list: false },
  { operationId: "delete_report", sdkMethod: "reports.delete", resource: "reports", method: "delete", http: "DELETE", path: "/api/reports/{reportId}", list: false },
  { operationId: "get_domain_stats", sdkMethod: "domains.stats", resource: "domains", method: "stats", http: "GET", path: "/api/domains/{domainId}/stats", list: false },
  { operationId: "get_domain_sources", sdkMethod: "domains.sources", resource: "domains", method: "sources", http: "GET", path: "/api/domains/{domainId}/sources", list: true },
  { operationId: "list_alert_rules", sdkMethod: "alert_rules.list", resource: "alertRules", method: "list", http: "GET", path: "/api/organizations/{orgId}/alert-rules", list: true },
  { operationId: "create_alert_rule", sdkMethod: "alert_rules.create", resource: "alertRules", method: "create", http: "POST", path: "/api/organizations/{orgId}/alert-rules", list: false },
  { operationId: "get_alert_rule", sdkMethod: "alert_rules.get", resource: "alertRules", method: "get", http: "GET", path: "/api/alert-rules/{ruleId}", list: false },
  { operationId: "update_alert_rule", sdkMethod: "alert_rules.update", resource: "alertRules", method: "update", http: "PATCH", path: "/api/alert-rules/{ruleId}", list: false },
  { operationId: "delete_alert_rule", sdkMethod: "alert_rules.delete", resource: "alertRules", method: "delete", http: "DELETE", path: "/api/alert-rules/{ruleId}", list: false },
  { operationId: "list_alerts", sdkMethod: "alerts.list", resource: "alerts", method: "list", http: "GET", path: "/api/organizations/{orgId}/alerts", list: true },
  { operationId: "get_alert", sdkMethod: "alerts.get", resource: "alerts", method: "get", http: "GET", path: "/api/alerts/{alertId}", list: false },
  { operationId: "acknowledge_alert", sdkMethod: "alerts.acknowledge", resource: "alerts", method: "acknowledge", http: "POST", path: "/api/alerts/{alertId}/acknowledge", list: false },
  { operationId: "resolve_alert", sdkMethod: "alerts.resolve", resource: "alerts", method: "resolve", http: "POST", path: "/api/alerts/{alertId}/resolve", list: false },
  { operationId: "list_domain_changes", sdkMethod: "domains.changes", resource: "domains", method: "changes", http: "GET", path: "/api/domains/{domainId}/changes", list: true },
  { operationId: "list_webhooks", sdkMethod: "webhooks.list", resource: "webhooks", method: "list", http: "GET", path: "/api/organizations/{orgId}/webhooks", list: true },
  { operationId: "create_webhook", sdkMethod: "webhooks.create", resource: "webhooks", method: "create", http: "POST", path: "/api/organizations/{orgId}/webhooks", list: false },
  { operationId: "get_webhook", sdkMethod: "webhooks.get", resource: "webhooks", method: "get", http: "GET", path: "/api/webhooks/{webhookId}", list: false },
  { operationId: "update_webhook", sdkMethod: "webhooks.update", resource: "webhooks", method: "update", http: "PATCH", path: "/api/webhooks/{webhookId}", list: false },
  { operationId: "delete_webhook", sdkMethod: "webhooks.delete", resource: "webhooks", method: "delete", http: "DELETE", path: "/api/webhooks/{webhookId}", list: false },
  { operationId: "test_webhook", sdkMethod: "webhooks.test", resource: "webhooks", method: "test", http: "POST", path: "/api/webhooks/{webhookId}/test", list: false },
  { operationId: "recover_webhook", sdkMethod: "webhooks.recover", resource: "webhooks", method: "recover", http: "POST", path: "/api/webhooks/{webhookId}/recover", list: false },
  { operationId: "rotate_webhook_secret", sdkMethod: "webhooks.rotate_secret", resource: "webhooks", method: "rotateSecret", http: "POST", path: "/api/webhooks/{webhookId}/rotate-secret", list: false },
  { operationId: "list_webhook_deliveries", sdkMethod: "deliveries.list", resource: "deliveries", method: "list", http: "GET", path: "/api/webhooks/{webhookId}/deliveries", list: true },
  { operationId: "get_webhook_delivery", sdkMethod: "deliveries.get", resource: "deliveries", method: "get", http: "GET", path: "/api/webhooks/{webhookId}/deliveries/{deliveryId}", list: false },
  { operationId: "redeliver_webhook_delivery", sdkMethod: "deliveries.redeliver", resource: "deliveries", method: "redeliver", http: "POST", path: "/api/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver", list: false }
];
var GeneratedClient = class extends BaseClient {
  alertRules = new AlertRulesResource(this);
  alerts = new AlertsResource(this);
  deliveries = new DeliveriesResource(this);
  domains = new DomainsResource(this);
  health = new HealthResource(this);
  me = new MeResource(this);
  members = new MembersResource(this);
  organizations = new OrganizationsResource(this);
  reports = new ReportsResource(this);
  scans = new ScansResource(this);
  tokens = new TokensResource(this);
  webhooks = new WebhooksResource(this);
};

// src/client.ts
var MailSentinel = class extends GeneratedClient {
  static MailSentinelError = MailSentinelError;
  static APIError = APIError;
  static APIConnectionError = APIConnectionError;
  static APITimeoutError = APITimeoutError;
  static APIUserAbortError = APIUserAbortError;
  static NotModifiedError = NotModifiedError;
  static ValidationError = ValidationError;
  static AuthenticationError = AuthenticationError;
  static PermissionDeniedError = PermissionDeniedError;
  static NotFoundError = NotFoundError;
  static MethodNotAllowedError = MethodNotAllowedError;
  static RequestTimeoutError = RequestTimeoutError;
  static ConflictError = ConflictError;
  static PayloadTooLargeError = PayloadTooLargeError;
  static UnsupportedMediaTypeError = UnsupportedMediaTypeError;
  static InvalidReportError = InvalidReportError;
  static RequestHeaderFieldsTooLargeError = RequestHeaderFieldsTooLargeError;
  static RateLimitError = RateLimitError;
  static InternalServerError = InternalServerError;
  static ServiceUnavailableError = ServiceUnavailableError;
  static WebhookVerificationError = WebhookVerificationError;
  constructor(options = {}) {
    super(options);
  }
};

export { APIConnectionError, APIError, APIPromise, APIResource, APITimeoutError, APIUserAbortError, AlertRulesResource, AlertsResource, AuthenticationError, BaseClient, CODE_BY_STATUS, ConflictError, DEFAULT_BASE_URL, DEFAULT_WEBHOOK_TOLERANCE_SECONDS, DeliveriesResource, DomainsResource, GeneratedClient, HealthResource, InternalServerError, InvalidReportError, MailSentinel, MailSentinelError, MeResource, MembersResource, MethodNotAllowedError, NotFoundError, NotModifiedError, OPERATIONS, OrganizationsResource, Page, PagePromise, PayloadTooLargeError, PermissionDeniedError, REPORT_MEDIA_TYPES, RateLimitError, ReportsResource, RequestHeaderFieldsTooLargeError, RequestTimeoutError, ScansResource, ServiceUnavailableError, TokensResource, UnsupportedMediaTypeError, VERSION, ValidationError, WebhookVerificationError, WebhooksResource, encodePath, retryDelay, sniffMediaType, verifyWebhook };
