/** Webhook signatures, Standard Webhooks v1 (https://www.standardwebhooks.com), checked with Web Crypto. */

import { APIResource } from './core.js';
import { WebhookVerificationError } from './errors.js';

/** Seconds a delivery's timestamp may differ from now, either way (replays older than this fail). */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

/** A delivery's body: `{ id: "evt_...", event, timestamp, data }`. */
export interface WebhookEvent<Data = Record<string, unknown>> {
  id: string;
  event: string;
  timestamp: string;
  data: Data;
  [key: string]: unknown;
}

/** A `Headers` object, or a plain record such as Node's `req.headers` (any letter case). */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/** The raw body exactly as received (re-serialised JSON would not match the signature). */
export type WebhookPayload = string | Uint8Array | ArrayBuffer;

export interface VerifyOptions {
  /** Default 300 (5 minutes). */
  toleranceSeconds?: number;
  /** The time to check against (default now): a `Date` or milliseconds since the epoch. */
  now?: Date | number;
}

const encoder = new TextEncoder();

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof Headers !== 'undefined' && headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(' ') : value;
  }
  return undefined;
}

function base64ToBytes(text: string): Uint8Array<ArrayBuffer> | null {
  try {
    const binary = atob(text);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

async function subtle(): Promise<SubtleCrypto> {
  const global = (globalThis as { crypto?: Crypto }).crypto;
  if (global?.subtle) return global.subtle;
  // Node 18 has Web Crypto only as node:crypto's `webcrypto`.
  const specifier = 'node:crypto';
  const nodeCrypto = (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as { webcrypto: Crypto };
  return nodeCrypto.webcrypto.subtle;
}

function toBytes(payload: WebhookPayload): Uint8Array {
  if (typeof payload === 'string') return encoder.encode(payload);
  return payload instanceof ArrayBuffer ? new Uint8Array(payload) : payload;
}

/**
 * Check a delivery's `webhook-signature` (any of its space-separated `v1,<base64>` signatures may
 * match) over `${webhook-id}.${webhook-timestamp}.${body}` with the endpoint's `whsec_...` secret,
 * and that `webhook-timestamp` is within the tolerance. Returns the parsed payload; throws
 * `WebhookVerificationError` otherwise.
 */
export async function verifyWebhook<Data = Record<string, unknown>>(
  payload: WebhookPayload,
  headers: WebhookHeaders,
  secret: string,
  options: VerifyOptions = {},
): Promise<WebhookEvent<Data>> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError('Missing webhook-id, webhook-timestamp or webhook-signature header.');
  }
  if (!/^\d{1,15}$/.test(timestamp)) throw new WebhookVerificationError('Invalid webhook-timestamp.');
  const now = options.now instanceof Date ? options.now.getTime() : (options.now ?? Date.now());
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  const age = Math.floor(now / 1000) - Number(timestamp);
  if (age > tolerance) throw new WebhookVerificationError('Message timestamp too old.');
  if (age < -tolerance) throw new WebhookVerificationError('Message timestamp too new.');

  const key = base64ToBytes(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret);
  if (!key || key.length === 0) throw new WebhookVerificationError('The webhook secret is not base64 (whsec_...).');
  const body = toBytes(payload);
  const prefix = encoder.encode(`${id}.${timestamp}.`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix, 0);
  signed.set(body, prefix.length);

  const crypto = await subtle();
  const hmac = await crypto.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  for (const candidate of signatures.split(' ')) {
    const [version, encoded] = candidate.split(',', 2);
    if (version !== 'v1' || !encoded) continue;
    const signature = base64ToBytes(encoded);
    // subtle.verify compares in constant time.
    if (signature && (await crypto.verify('HMAC', hmac, signature, signed as Uint8Array<ArrayBuffer>))) {
      const text = new TextDecoder().decode(body);
      try {
        return JSON.parse(text) as WebhookEvent<Data>;
      } catch {
        throw new WebhookVerificationError('The signed payload is not JSON.');
      }
    }
  }
  throw new WebhookVerificationError('No matching signature found.');
}

/** The hand-written part of `client.webhooks` (the generated operations extend it). */
export class WebhooksBase extends APIResource {
  /** `verifyWebhook` with the client's `webhookSecret` (or `MAILSENTINEL_WEBHOOK_SECRET`) by default. */
  verify<Data = Record<string, unknown>>(
    payload: WebhookPayload,
    headers: WebhookHeaders,
    secret?: string,
    options?: VerifyOptions,
  ): Promise<WebhookEvent<Data>> {
    const key = secret ?? this._client.webhookSecret;
    if (!key) return Promise.reject(new WebhookVerificationError('No webhook secret given (pass one, or webhookSecret).'));
    return verifyWebhook<Data>(payload, headers, key, options);
  }
}
