/** Errors the client throws. Every answer outside 2xx is an `APIError` (a subclass per error code);
 * failures before an answer are `APIConnectionError` / `APITimeoutError` / `APIUserAbortError`. */

/** One problem with one field, as the server lists them for VALIDATION_ERROR. */
export interface ErrorDetail {
  field: string;
  message: string;
}

/** The error codes of the API's envelope (openapi.yaml `ErrorResponse.error.code`). */
export type ErrorCode =
  | 'VALIDATION_ERROR'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'REQUEST_TIMEOUT'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'REQUEST_HEADER_FIELDS_TOO_LARGE'
  | 'INVALID_REPORT'
  | 'RATE_LIMITED'
  | 'INTERNAL_ERROR'
  | 'SERVICE_UNAVAILABLE';

/** Base class of everything this SDK throws. */
export class MailSentinelError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface APIErrorInit {
  status: number;
  code: string;
  message: string;
  details?: ErrorDetail[];
  requestId?: string;
  headers: Headers;
}

/** The server answered outside 2xx. */
export class APIError extends MailSentinelError {
  /** HTTP status. */
  readonly status: number;
  /** The envelope's `error.code` (e.g. `NOT_FOUND`); derived from the status when the body had none. */
  readonly code: string;
  /** Field-level problems (VALIDATION_ERROR); empty otherwise. */
  readonly details: ErrorDetail[];
  /** `error.requestId`, or the `X-Request-Id` header: quote it when reporting a problem. */
  readonly requestId: string | undefined;
  /** The answer's headers (`Retry-After`, `X-RateLimit-*`, ...). */
  readonly headers: Headers;

  constructor(init: APIErrorInit) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.details = init.details ?? [];
    this.requestId = init.requestId;
    this.headers = init.headers;
  }

  /** The subclass for an answer's code (or, without one, its status). */
  static from(init: APIErrorInit): APIError {
    const Class = CLASS_BY_CODE[init.code] ?? CLASS_BY_STATUS[init.status] ?? APIError;
    return new Class(init);
  }
}

/** 304: the resource still matches the `If-None-Match` ETag you sent. */
export class NotModifiedError extends APIError {}
/** 400 VALIDATION_ERROR; `details` names the fields. */
export class ValidationError extends APIError {}
/** 401 UNAUTHORIZED: missing, malformed, unknown, revoked or expired token. */
export class AuthenticationError extends APIError {}
/** 403 FORBIDDEN: your role or token scope does not allow this. */
export class PermissionDeniedError extends APIError {}
/** 404 NOT_FOUND (also for another organization's resources). */
export class NotFoundError extends APIError {}
/** 405 METHOD_NOT_ALLOWED. */
export class MethodNotAllowedError extends APIError {}
/** 408 REQUEST_TIMEOUT: the request body did not arrive in time. */
export class RequestTimeoutError extends APIError {}
/** 409 CONFLICT. */
export class ConflictError extends APIError {}
/** 413 PAYLOAD_TOO_LARGE. */
export class PayloadTooLargeError extends APIError {}
/** 415 UNSUPPORTED_MEDIA_TYPE. */
export class UnsupportedMediaTypeError extends APIError {}
/** 422 INVALID_REPORT: the uploaded file is not a readable DMARC aggregate report. */
export class InvalidReportError extends APIError {}
/** 431 REQUEST_HEADER_FIELDS_TOO_LARGE. */
export class RequestHeaderFieldsTooLargeError extends APIError {}
/** 429 RATE_LIMITED; `retryAfter` says how many seconds to wait. */
export class RateLimitError extends APIError {
  /** Seconds from `Retry-After`, when the server sent it. */
  get retryAfter(): number | undefined {
    const value = this.headers.get('retry-after');
    const seconds = value === null ? NaN : Number(value);
    return Number.isFinite(seconds) ? seconds : undefined;
  }
}
/** 500 INTERNAL_ERROR. */
export class InternalServerError extends APIError {}
/** 503 SERVICE_UNAVAILABLE: a dependency is down or the server is busy; honour `Retry-After`. */
export class ServiceUnavailableError extends APIError {}

type APIErrorClass = new (init: APIErrorInit) => APIError;

const CLASS_BY_CODE: Record<string, APIErrorClass | undefined> = {
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
  SERVICE_UNAVAILABLE: ServiceUnavailableError,
};

/** The code each status stands for when an answer carries no envelope (a proxy's 502, a bare 304). */
export const CODE_BY_STATUS: Record<number, string | undefined> = {
  304: 'NOT_MODIFIED',
  400: 'VALIDATION_ERROR',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'INVALID_REPORT',
  429: 'RATE_LIMITED',
  431: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
  500: 'INTERNAL_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};

const CLASS_BY_STATUS: Record<number, APIErrorClass | undefined> = Object.fromEntries(
  Object.entries(CODE_BY_STATUS).map(([status, code]) => [status, code ? CLASS_BY_CODE[code] : undefined]),
);

/** No answer arrived: refused connection, DNS failure, reset, CORS refusal in a browser. */
export class APIConnectionError extends MailSentinelError {
  constructor(message = 'Connection error.', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** No answer within the client's `timeout`. */
export class APITimeoutError extends APIConnectionError {
  constructor(message = 'Request timed out.', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The `signal` you passed was aborted. */
export class APIUserAbortError extends MailSentinelError {
  constructor(message = 'Request was aborted.', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A webhook's signature, timestamp or headers did not check out; do not trust its payload. */
export class WebhookVerificationError extends MailSentinelError {}
