/** `MailSentinel`: the generated resources on the hand-written core. */

import { type ClientOptions } from './core.js';
import * as Errors from './errors.js';
import { GeneratedClient } from './generated/resources.js';

/**
 * The MailSentinel API client.
 *
 * ```ts
 * const client = new MailSentinel({ apiKey: process.env.MAILSENTINEL_API_KEY });
 * const domains = await client.domains.list('org_123');
 * ```
 */
export class MailSentinel extends GeneratedClient {
  static readonly MailSentinelError = Errors.MailSentinelError;
  static readonly APIError = Errors.APIError;
  static readonly APIConnectionError = Errors.APIConnectionError;
  static readonly APITimeoutError = Errors.APITimeoutError;
  static readonly APIUserAbortError = Errors.APIUserAbortError;
  static readonly NotModifiedError = Errors.NotModifiedError;
  static readonly ValidationError = Errors.ValidationError;
  static readonly AuthenticationError = Errors.AuthenticationError;
  static readonly PermissionDeniedError = Errors.PermissionDeniedError;
  static readonly NotFoundError = Errors.NotFoundError;
  static readonly MethodNotAllowedError = Errors.MethodNotAllowedError;
  static readonly RequestTimeoutError = Errors.RequestTimeoutError;
  static readonly ConflictError = Errors.ConflictError;
  static readonly PayloadTooLargeError = Errors.PayloadTooLargeError;
  static readonly UnsupportedMediaTypeError = Errors.UnsupportedMediaTypeError;
  static readonly InvalidReportError = Errors.InvalidReportError;
  static readonly RequestHeaderFieldsTooLargeError = Errors.RequestHeaderFieldsTooLargeError;
  static readonly RateLimitError = Errors.RateLimitError;
  static readonly InternalServerError = Errors.InternalServerError;
  static readonly ServiceUnavailableError = Errors.ServiceUnavailableError;
  static readonly WebhookVerificationError = Errors.WebhookVerificationError;

  constructor(options: ClientOptions = {}) {
    super(options);
  }
}
