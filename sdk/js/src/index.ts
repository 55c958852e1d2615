/** @mailsentinel/sdk: the MailSentinel API client for Node 18+, Deno, Bun and browsers. */

export { MailSentinel } from './client.js';
export {
  APIPromise,
  APIResource,
  BaseClient,
  DEFAULT_BASE_URL,
  VERSION,
  retryDelay,
  type APIResponse,
  type ClientOptions,
  type Fetch,
  type HeadersLike,
  type RequestOptions,
  type UploadOptions,
} from './core.js';
export * from './errors.js';
export { Page, PagePromise } from './pagination.js';
export { REPORT_MEDIA_TYPES, sniffMediaType, type UploadInput } from './uploads.js';
export {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  verifyWebhook,
  type VerifyOptions,
  type WebhookEvent,
  type WebhookHeaders,
  type WebhookPayload,
} from './webhooks.js';
export * from './generated/resources.js';
export type * from './generated/models.js';
export type {
  OperationId,
  PageItem,
  QueryParams,
  RequestBody,
  ResponseBody,
  ResponseData,
  components,
  operations,
  paths,
} from './types.js';
