// Every API call of the console goes through this module. Its resources and methods are the
// JS SDK's (`x-sdk-method` of openapi.yaml, camelCased: client.domains.list(orgId),
// client.tokens.create(...)); list methods answer pages with .data and .pagination, errors
// carry .message/.code/.status. Screens import only from here.

export type Role = 'owner' | 'admin' | 'member' | 'viewer';
export type Scope = 'read' | 'write';

export interface Pagination { page: number; limit: number; total: number; totalPages: number }
export interface Page<T> { data: T[]; pagination: Pagination }

export interface Me {
  user: { id: string; email: string; name: string | null };
  memberships: { organization: { id: string; name: string; plan: string }; role: Role; joinedAt: string }[];
  token: { id: string; organizationId: string; scopes: Scope[] };
}
export interface Organization {
  id: string; name: string; plan: string; role: Role; memberCount: number; domainCount: number;
}
export interface Member { userId: string; email: string; name: string | null; role: Role; joinedAt: string }
export interface SeenRecord { record: string; selector?: string; firstSeen: string; lastSeen: string; current: boolean }
export interface Domain {
  id: string; organizationId: string; domain: string; unicodeDomain: string; description?: string | null;
  verified: boolean; verifiedAt: string | null;
  verification: { recordType: string; recordName: string; recordValue: string };
  dkimSelectors: string[]; learnedDkimSelectors: string[]; createdAt: string;
  dmarcRecords?: SeenRecord[]; spfRecords?: SeenRecord[]; dkimRecords?: SeenRecord[];
}
export interface Issue { severity: 'error' | 'warning' | 'info'; code: string; message: string }
export interface SpfNode {
  domain: string; via: string; qualifier: string | null; record: string | null; status: string;
  error: string | null; dnsLookups: number; voidLookups: number; children: SpfNode[];
}
// The scan object is large (see openapi.yaml Scan); the console reads these parts and shows
// the rest generically.
export interface Scan {
  id: string; domainId: string; domain: string; scannedAt: string; durationMs: number;
  issues: Issue[];
  dmarc: Record<string, unknown> & { found: boolean; record: string | null; policy: string | null; errors: string[]; warnings: string[] };
  spf: Record<string, unknown> & {
    found: boolean; record: string | null; dnsLookups: number; dnsLookupLimit: number; voidLookups: number;
    includeTree: SpfNode | null; errors: string[]; warnings: string[];
  };
  dkim: Record<string, unknown> & {
    selectors: { selector: string; found: boolean; keyType: string | null; keyBits: number | null; revoked: boolean; errors: string[]; warnings: string[] }[];
    errors: string[]; warnings: string[];
  };
  [part: string]: unknown;
}
/** One entry of a domain's scan list (GET /api/domains/{id}/scans); the full scan is scans.get(id). */
export interface ScanSummary {
  id: string; domainId: string; domain: string; scannedAt: string; durationMs: number;
  dmarcPolicy: string | null; spfValid: boolean | null; spfDnsLookups: number | null; errorCount: number; warningCount: number;
}
export function summarize(scan: Scan): ScanSummary {
  return {
    id: scan.id, domainId: scan.domainId, domain: scan.domain, scannedAt: scan.scannedAt, durationMs: scan.durationMs,
    dmarcPolicy: scan.dmarc.found ? scan.dmarc.policy : null, spfValid: scan.spf.found ? Boolean(scan.spf.valid) : null,
    spfDnsLookups: scan.spf.dnsLookups, errorCount: scan.issues.filter((i) => i.severity === 'error').length,
    warningCount: scan.issues.filter((i) => i.severity === 'warning').length,
  };
}
export interface Verification {
  domain: Domain;
  verification: { verified: boolean; status: string; message: string; recordName: string; expectedValue: string; foundValues: string[] };
}
export interface Tallies {
  messages: number; dmarcPass: number; dmarcFail: number; dmarcPassRate: number | null;
  dkimAlignedRate: number | null; spfAlignedRate: number | null;
}
export interface Stats {
  domainId: string; domain: string; summary: Tallies & { reports: number };
  timeSeries: (Tallies & { date: string; reports: number })[];
  reporters: (Tallies & { reporter: string; reports: number })[];
}
export interface Source extends Tallies { sourceIp: string; headerFromDomains: string[]; dkimDomains: string[]; firstSeen: string; lastSeen: string }
export interface ReportSummary {
  id: string; domainId: string; domain: string; reportId: string; orgName: string; email: string;
  dateRange: { begin: string; end: string }; recordCount: number; messageCount: number; dmarcPassCount: number;
  skippedCount: number; receivedAt: string; policyPublished: Record<string, unknown>;
}
export interface ReportRecord {
  sourceIp: string; count: number; disposition: string; dkim: string; spf: string; dmarcPass: boolean;
  headerFrom: string; envelopeFrom?: string | null;
}
export interface Report extends ReportSummary { records: ReportRecord[] }
export interface Token {
  id: string; name: string; organizationId: string; scopes: Scope[]; hint: string; status: string;
  createdAt: string; lastUsedAt: string | null; expiresAt: string | null; revokedAt: string | null; rotatedAt: string | null;
}
export interface TokenWithSecret extends Token { token: string }
export interface Webhook {
  id: string; url: string; description?: string | null; events: string[]; enabled: boolean;
  disabledReason?: string | null; createdAt: string; secret?: string;
  [field: string]: unknown;
}
export interface Delivery {
  id: string; event?: string; eventType?: string; status: string; attempts?: Attempt[] | number; createdAt?: string;
  [field: string]: unknown;
}
export interface Attempt { attemptedAt?: string; at?: string; statusCode?: number | null; latencyMs?: number | null; error?: string | null }
export interface Alert {
  id: string; status: 'open' | 'acknowledged' | 'resolved'; type: string; message: string; severity?: string;
  domainId?: string | null; createdAt?: string; triggeredAt?: string;
  [field: string]: unknown;
}
export interface RateLimit { limit: number; remaining: number; reset: number }

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly details: { field: string; message: string }[] = [],
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The operation is not part of this server's API (an older server, or a feature not merged yet). */
export class NotAvailableError extends ApiError {
  constructor(what: string) {
    super(`${what} is not available on this server.`, 404, 'NOT_AVAILABLE');
    this.name = 'NotAvailableError';
  }
}

type Query = Record<string, string | number | boolean | undefined | null>;
interface CallOptions { query?: Query; json?: unknown; body?: BodyInit; contentType?: string }

// The rate-limit window of the latest answer (X-RateLimit-*), for the plan screen.
let lastRateLimit: RateLimit | null = null;
const rateListeners = new Set<(r: RateLimit) => void>();
export function rateLimit(): RateLimit | null { return lastRateLimit; }
export function onRateLimit(listener: (r: RateLimit) => void): () => void {
  rateListeners.add(listener);
  return () => rateListeners.delete(listener);
}

function recordRateLimit(headers: Headers): void {
  const limit = headers.get('X-RateLimit-Limit');
  const remaining = headers.get('X-RateLimit-Remaining');
  const reset = headers.get('X-RateLimit-Reset');
  if (limit === null || remaining === null || reset === null) return;
  lastRateLimit = { limit: Number(limit), remaining: Number(remaining), reset: Number(reset) };
  for (const listener of rateListeners) listener(lastRateLimit);
}

function pageOf<T>(data: Record<string, unknown>, key?: string): Page<T> {
  const items = key ? data[key] : Object.entries(data).find(([k, v]) => k !== 'pagination' && Array.isArray(v))?.[1];
  return { data: (items ?? []) as T[], pagination: data.pagination as Pagination };
}

function oneOf<T>(data: Record<string, unknown>, key: string): T {
  return (data[key] ?? data) as T;
}

export interface Client {
  token: string;
  me: { get(): Promise<Me> };
  organizations: {
    list(query?: Query): Promise<Page<Organization>>;
    get(orgId: string): Promise<Organization>;
    update(orgId: string, body: { name?: string; plan?: string }): Promise<Organization>;
  };
  members: {
    list(orgId: string, query?: Query): Promise<Page<Member>>;
    add(orgId: string, body: { email: string; role: Role; name?: string }): Promise<Member>;
    update(orgId: string, userId: string, body: { role: Role }): Promise<Member>;
    remove(orgId: string, userId: string): Promise<unknown>;
  };
  domains: {
    listAll(query?: Query): Promise<Page<Domain>>;
    list(orgId: string, query?: Query): Promise<Page<Domain>>;
    create(orgId: string, body: { domain: string; dkimSelectors?: string[] }): Promise<Domain>;
    get(domainId: string): Promise<Domain>;
    delete(domainId: string): Promise<unknown>;
    scan(domainId: string): Promise<Scan>;
    scans(domainId: string, query?: Query): Promise<Page<ScanSummary>>;
    verify(domainId: string): Promise<Verification>;
    stats(domainId: string, query?: Query): Promise<Stats>;
    sources(domainId: string, query?: Query): Promise<Page<Source>>;
    changes(domainId: string, query?: Query): Promise<Page<Record<string, unknown>>>;
  };
  scans: { get(scanId: string): Promise<Scan> };
  reports: {
    upload(orgId: string, data: Blob): Promise<{ report: Report; duplicate: boolean }>;
    list(query?: Query): Promise<Page<ReportSummary>>;
    get(reportId: string, query?: Query): Promise<{ report: Report; pagination: Pagination }>;
    delete(reportId: string): Promise<unknown>;
  };
  tokens: {
    list(query?: Query): Promise<Page<Token>>;
    create(body: { name: string; scopes?: Scope[]; expiresAt?: string; organizationId?: string }): Promise<TokenWithSecret>;
    get(tokenId: string): Promise<Token>;
    revoke(tokenId: string): Promise<Token>;
    rotate(tokenId: string): Promise<TokenWithSecret>;
  };
  webhooks: {
    list(orgId: string, query?: Query): Promise<Page<Webhook>>;
    create(orgId: string, body: { url: string; events?: string[]; description?: string }): Promise<Webhook>;
    get(webhookId: string): Promise<Webhook>;
    update(webhookId: string, body: Record<string, unknown>): Promise<Webhook>;
    delete(webhookId: string): Promise<unknown>;
    test(webhookId: string): Promise<Delivery>;
    rotateSecret(webhookId: string): Promise<Record<string, unknown>>;
  };
  deliveries: {
    list(webhookId: string, query?: Query): Promise<Page<Delivery>>;
    get(webhookId: string, deliveryId: string): Promise<Delivery>;
    redeliver(webhookId: string, deliveryId: string): Promise<Delivery>;
  };
  alerts: {
    list(orgId: string, query?: Query): Promise<Page<Alert>>;
    acknowledge(alertId: string): Promise<Alert>;
    resolve(alertId: string): Promise<Alert>;
  };
}

const enc = encodeURIComponent;

/** A client for this origin's API, authenticated with `token`. */
export function createClient(token: string): Client {
  async function call(method: string, path: string, options: CallOptions = {}): Promise<Record<string, unknown>> {
    const url = new URL(path, window.location.origin);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
    let body: BodyInit | undefined = options.body;
    if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.contentType) {
      headers['Content-Type'] = options.contentType;
    }
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body, credentials: 'omit', referrerPolicy: 'no-referrer' });
    } catch (error) {
      throw new ApiError(`Cannot reach the server (${(error as Error).message}).`, 0, 'CONNECTION_ERROR');
    }
    recordRateLimit(response.headers);
    let payload: { success?: boolean; data?: Record<string, unknown>; error?: { code: string; message: string; details?: { field: string; message: string }[]; requestId?: string } } | null = null;
    try {
      payload = await response.json();
    } catch {
      payload = null;
    }
    if (payload?.success === true) return payload.data ?? {};
    const err = payload?.error;
    if (err) throw new ApiError(err.message, response.status, err.code, err.details ?? [], err.requestId);
    throw new ApiError(`The server answered ${response.status} ${response.statusText} without an error message.`, response.status, 'HTTP_ERROR');
  }

  // Operations of features a server may not have yet (webhooks, alerts, changes): its router
  // answers "No such endpoint" for them, which the screens show as "not available".
  async function optional(what: string, method: string, path: string, options?: CallOptions) {
    try {
      return await call(method, path, options);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404 && error.message.startsWith('No such endpoint')) {
        throw new NotAvailableError(what);
      }
      throw error;
    }
  }

  return {
    token,
    me: { get: async () => (await call('GET', '/api/me')) as unknown as Me },
    organizations: {
      list: async (query) => pageOf(await call('GET', '/api/organizations', { query }), 'organizations'),
      get: async (orgId) => oneOf(await call('GET', `/api/organizations/${enc(orgId)}`), 'organization'),
      update: async (orgId, json) => oneOf(await call('PATCH', `/api/organizations/${enc(orgId)}`, { json }), 'organization'),
    },
    members: {
      list: async (orgId, query) => pageOf(await call('GET', `/api/organizations/${enc(orgId)}/members`, { query }), 'members'),
      add: async (orgId, json) => oneOf(await call('POST', `/api/organizations/${enc(orgId)}/members`, { json }), 'member'),
      update: async (orgId, userId, json) =>
        oneOf(await call('PATCH', `/api/organizations/${enc(orgId)}/members/${enc(userId)}`, { json }), 'member'),
      remove: async (orgId, userId) => call('DELETE', `/api/organizations/${enc(orgId)}/members/${enc(userId)}`),
    },
    domains: {
      listAll: async (query) => pageOf(await call('GET', '/api/domains', { query }), 'domains'),
      list: async (orgId, query) => pageOf(await call('GET', `/api/organizations/${enc(orgId)}/domains`, { query }), 'domains'),
      create: async (orgId, json) => oneOf(await call('POST', `/api/organizations/${enc(orgId)}/domains`, { json }), 'domain'),
      get: async (id) => oneOf(await call('GET', `/api/domains/${enc(id)}`), 'domain'),
      delete: async (id) => call('DELETE', `/api/domains/${enc(id)}`),
      scan: async (id) => (await call('POST', `/api/domains/${enc(id)}/scan`)) as unknown as Scan,
      scans: async (id, query) => pageOf(await call('GET', `/api/domains/${enc(id)}/scans`, { query }), 'scans'),
      verify: async (id) => (await call('POST', `/api/domains/${enc(id)}/verify`)) as unknown as Verification,
      stats: async (id, query) => (await call('GET', `/api/domains/${enc(id)}/stats`, { query })) as unknown as Stats,
      sources: async (id, query) => pageOf(await call('GET', `/api/domains/${enc(id)}/sources`, { query }), 'sources'),
      changes: async (id, query) => pageOf(await optional('Record changes', 'GET', `/api/domains/${enc(id)}/changes`, { query })),
    },
    scans: { get: async (id) => (await call('GET', `/api/scans/${enc(id)}`)) as unknown as Scan },
    reports: {
      upload: async (orgId, data) =>
        (await call('POST', `/api/organizations/${enc(orgId)}/reports`, {
          body: data,
          contentType: await reportMediaType(data),
        })) as unknown as { report: Report; duplicate: boolean },
      list: async (query) => pageOf(await call('GET', '/api/reports', { query }), 'reports'),
      get: async (id, query) => (await call('GET', `/api/reports/${enc(id)}`, { query })) as unknown as { report: Report; pagination: Pagination },
      delete: async (id) => call('DELETE', `/api/reports/${enc(id)}`),
    },
    tokens: {
      list: async (query) => pageOf(await call('GET', '/api/tokens', { query }), 'tokens'),
      create: async (json) => oneOf(await call('POST', '/api/tokens', { json }), 'token'),
      get: async (id) => oneOf(await call('GET', `/api/tokens/${enc(id)}`), 'token'),
      revoke: async (id) => oneOf(await call('DELETE', `/api/tokens/${enc(id)}`), 'token'),
      rotate: async (id) => oneOf(await call('POST', `/api/tokens/${enc(id)}/rotate`), 'token'),
    },
    webhooks: {
      list: async (orgId, query) => pageOf(await optional('Webhooks', 'GET', `/api/organizations/${enc(orgId)}/webhooks`, { query }), 'webhooks'),
      create: async (orgId, json) => oneOf(await optional('Webhooks', 'POST', `/api/organizations/${enc(orgId)}/webhooks`, { json }), 'webhook'),
      get: async (id) => oneOf(await optional('Webhooks', 'GET', `/api/webhooks/${enc(id)}`), 'webhook'),
      update: async (id, json) => oneOf(await optional('Webhooks', 'PATCH', `/api/webhooks/${enc(id)}`, { json }), 'webhook'),
      delete: async (id) => optional('Webhooks', 'DELETE', `/api/webhooks/${enc(id)}`),
      test: async (id) => oneOf(await optional('Webhooks', 'POST', `/api/webhooks/${enc(id)}/test`), 'delivery'),
      rotateSecret: async (id) => optional('Webhooks', 'POST', `/api/webhooks/${enc(id)}/rotate-secret`),
    },
    deliveries: {
      list: async (id, query) => pageOf(await optional('Webhook deliveries', 'GET', `/api/webhooks/${enc(id)}/deliveries`, { query }), 'deliveries'),
      get: async (id, dlv) => oneOf(await optional('Webhook deliveries', 'GET', `/api/webhooks/${enc(id)}/deliveries/${enc(dlv)}`), 'delivery'),
      redeliver: async (id, dlv) =>
        oneOf(await optional('Webhook deliveries', 'POST', `/api/webhooks/${enc(id)}/deliveries/${enc(dlv)}/redeliver`), 'delivery'),
    },
    alerts: {
      list: async (orgId, query) => pageOf(await optional('Alerts', 'GET', `/api/organizations/${enc(orgId)}/alerts`, { query }), 'alerts'),
      acknowledge: async (id) => oneOf(await optional('Alerts', 'POST', `/api/alerts/${enc(id)}/acknowledge`), 'alert'),
      resolve: async (id) => oneOf(await optional('Alerts', 'POST', `/api/alerts/${enc(id)}/resolve`), 'alert'),
    },
  };
}

/** The media type of a report file, from its first bytes (gzip, zip, e-mail) or else XML. */
export async function reportMediaType(data: Blob): Promise<string> {
  const head = new Uint8Array(await data.slice(0, 512).arrayBuffer());
  if (head[0] === 0x1f && head[1] === 0x8b) return 'application/gzip';
  if (head[0] === 0x50 && head[1] === 0x4b) return 'application/zip';
  const text = new TextDecoder('utf-8', { fatal: false }).decode(head).trimStart();
  if (text.startsWith('<')) return 'application/xml';
  if (/^[A-Za-z-]+:/.test(text)) return 'message/rfc822';
  return 'application/xml';
}

/** Whether an error means the feature is absent on this server. */
export function isNotAvailable(error: unknown): boolean {
  return error instanceof NotAvailableError;
}
