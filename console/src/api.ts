import { APIConnectionError, APIError, MailSentinel } from '@mailsentinel/sdk';

// Every API call of the console goes through this module, and through the JS SDK
// (@mailsentinel/sdk). Its resources and methods are the
// JS SDK's (`x-sdk-method` of openapi.yaml, camelCased: client.domains.list(orgId),
// client.tokens.create(...)); list methods answer pages with .data and .pagination, errors
// carry .message/.code/.status. Screens import only from here.

// The API's types, generated from openapi.yaml by the SDK.
import type {
  Domain as SdkDomain, DomainDetail, DomainStats, Me as SdkMe, Member as SdkMember, Organization as SdkOrganization,
  Report as SdkReport, ReportRecord as SdkReportRecord, ReportSummary as SdkReportSummary, Role as SdkRole,
  ScanIssue, ScanResult, ScanSummary as SdkScanSummary, Scope as SdkScope, SeenRecord as SdkSeenRecord,
  Source as SdkSource, SpfNode as SdkSpfNode, Token as SdkToken, TokenWithSecret as SdkTokenWithSecret,
  Pagination as SdkPagination, ResponseData,
} from '@mailsentinel/sdk';

export type Role = SdkRole;
export type Scope = SdkScope;
export type Pagination = SdkPagination;
export interface Page<T> { data: T[]; pagination: Pagination }
export type Me = SdkMe;
export type Organization = SdkOrganization;
export type Member = SdkMember;
export type SeenRecord = SdkSeenRecord;
export type Domain = SdkDomain & Partial<Pick<DomainDetail, 'dmarcRecords' | 'spfRecords' | 'dkimRecords'>>;
export type Issue = ScanIssue;
export type SpfNode = SdkSpfNode;
export type Scan = ScanResult & { id?: string; domainId?: string };
export type ScanSummary = SdkScanSummary;
/** What POST /verify answers: the domain, and what the TXT look-up found. */
export type Verification = ResponseData<'verify_domain'>;
export type Stats = DomainStats;
export type Source = SdkSource;
export type ReportSummary = SdkReportSummary;
export type ReportRecord = SdkReportRecord;
export type Report = SdkReport;
export type Token = SdkToken;
export type TokenWithSecret = SdkTokenWithSecret;

export function summarize(scan: Scan): ScanSummary {
  return {
    id: scan.id ?? '', domainId: scan.domainId ?? '', domain: scan.domain, scannedAt: scan.scannedAt, durationMs: scan.durationMs,
    dmarcPolicy: scan.dmarc.found ? scan.dmarc.policy : null, spfValid: scan.spf.found ? Boolean(scan.spf.valid) : null,
    spfDnsLookups: scan.spf.dnsLookups, errorCount: scan.issues.filter((i) => i.severity === 'error').length,
    warningCount: scan.issues.filter((i) => i.severity === 'warning').length,
  } as ScanSummary;
}

// Webhooks, alerts and record changes (issues 11/12) are typed here from their planned schemas
// until the SDK is regenerated with them; the screens read only these fields.
export interface Webhook {
  id: string; url: string; description: string | null; events: string[]; enabled: boolean;
  disabledReason: string | null; createdAt: string;
  stats?: { lastAttemptAt: string | null; lastSuccessAt: string | null; lastFailureAt: string | null; consecutiveFailures: number; failingSince: string | null };
}
export interface Attempt { attemptedAt: string; statusCode: number | null; latencyMs: number | null; error: string | null; responseBody?: string | null }
export interface Delivery {
  id: string; webhookId: string; event: string; status: 'pending' | 'succeeded' | 'failed' | string;
  attemptCount: number; lastStatusCode: number | null; lastAttemptAt: string | null; nextAttemptAt: string | null; createdAt: string;
  attempts?: Attempt[];
}
export interface Alert {
  id: string; status: 'open' | 'acknowledged' | 'resolved'; type: string; severity: 'info' | 'warning' | 'critical' | string;
  message: string; subject?: string; domainId: string | null; domain?: string | null; triggeredAt: string; resolution?: string | null;
}
export interface RecordChange {
  id: string; changedAt: string; record: string; selector: string | null; change: 'appeared' | 'changed' | 'vanished' | string;
  before: string | null; after: string | null;
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
    changes(domainId: string, query?: Query): Promise<Page<RecordChange>>;
  };
  scans: { get(scanId: string): Promise<Scan> };
  reports: {
    upload(orgId: string, data: Blob): Promise<{ report: ReportSummary; duplicate: boolean }>;
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
    create(orgId: string, body: { url: string; events?: string[]; description?: string }): Promise<{ webhook: Webhook; secret: string }>;
    get(webhookId: string): Promise<Webhook>;
    update(webhookId: string, body: Record<string, unknown>): Promise<Webhook>;
    delete(webhookId: string): Promise<unknown>;
    test(webhookId: string): Promise<Delivery>;
    rotateSecret(webhookId: string): Promise<{ webhook: Webhook; secret: string }>;
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

type Sdk = InstanceType<typeof MailSentinel>;
type AnyMethod = (...args: unknown[]) => Promise<unknown>;

/** The SDK's error (or a failed connection) as the console shows it: the envelope's message. */
function translate(error: unknown, what?: string): unknown {
  if (error instanceof APIError) {
    if (what && error.status === 404 && error.message.startsWith('No such endpoint')) return new NotAvailableError(what);
    return new ApiError(error.message, error.status, error.code, error.details, error.requestId);
  }
  if (error instanceof APIConnectionError) {
    return new ApiError(`Cannot reach the server (${error.message}).`, 0, 'CONNECTION_ERROR');
  }
  return error;
}

async function run<T>(call: () => PromiseLike<T>, what?: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw translate(error, what);
  }
}

/** A list as the console uses it (the SDK's page has .data and .pagination). */
async function page<T>(call: () => PromiseLike<{ data: unknown[]; pagination: Pagination }>, what?: string): Promise<Page<T>> {
  const answer = await run(async () => call(), what);
  return { data: answer.data as T[], pagination: answer.pagination };
}

/** A client for this origin's API, authenticated with `token`; every call goes through the SDK. */
export function createClient(token: string): Client {
  // The rate-limit headers of every answer are recorded for the plan screen.
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, { ...init, credentials: 'omit', referrerPolicy: 'no-referrer' });
    recordRateLimit(response.headers);
    return response;
  };
  // No retries: a person is waiting, and sees the error (with Retry-After's advice) at once.
  const sdk: Sdk = new MailSentinel({ apiKey: token, baseURL: window.location.origin, maxRetries: 0, fetch: recordingFetch });
  const q = (query: Query | undefined) => query as never;

  // Operations of features a server or this SDK build may not have yet (webhooks, alerts,
  // record changes): a missing method, or the router's "No such endpoint", is "not available".
  function optional(resource: string, method: string, what: string): AnyMethod {
    const target = (sdk as unknown as Record<string, Record<string, unknown> | undefined>)[resource];
    const fn = target?.[method];
    if (typeof fn !== 'function') return () => Promise.reject(new NotAvailableError(what));
    return (...args: unknown[]) => run(async () => (fn as AnyMethod).apply(target, args), what);
  }
  const optionalPage = <T>(resource: string, method: string, what: string) =>
    (...args: unknown[]) => page<T>(() => optional(resource, method, what)(...args) as Promise<{ data: unknown[]; pagination: Pagination }>, what);
  const optionalOne = <T>(resource: string, method: string, what: string, key: string) =>
    async (...args: unknown[]) => oneOf<T>((await optional(resource, method, what)(...args)) as Record<string, unknown>, key);

  return {
    token,
    me: { get: () => run(() => sdk.me.get()) as Promise<Me> },
    organizations: {
      list: (query) => page(() => sdk.organizations.list(q(query))),
      get: async (orgId) => (await run(() => sdk.organizations.get(orgId))).organization as Organization,
      update: async (orgId, body) => (await run(() => sdk.organizations.update(orgId, body as never))).organization as Organization,
    },
    members: {
      list: (orgId, query) => page(() => sdk.members.list(orgId, q(query))),
      add: async (orgId, body) => (await run(() => sdk.members.add(orgId, body))).member as Member,
      update: async (orgId, userId, body) => (await run(() => sdk.members.update(orgId, userId, body))).member as Member,
      remove: (orgId, userId) => run(() => sdk.members.remove(orgId, userId)),
    },
    domains: {
      listAll: (query) => page(() => sdk.domains.listAll(q(query))),
      list: (orgId, query) => page(() => sdk.domains.list(orgId, q(query))),
      create: async (orgId, body) => (await run(() => sdk.domains.create(orgId, body))).domain as Domain,
      get: async (id) => (await run(() => sdk.domains.get(id))).domain as Domain,
      delete: (id) => run(() => sdk.domains.delete(id)),
      scan: (id) => run(() => sdk.domains.scan(id)) as Promise<Scan>,
      scans: (id, query) => page(() => sdk.domains.scans(id, q(query))),
      verify: (id) => run(() => sdk.domains.verify(id)) as Promise<Verification>,
      stats: (id, query) => run(() => sdk.domains.stats(id, q(query))) as Promise<Stats>,
      sources: (id, query) => page(() => sdk.domains.sources(id, q(query))),
      changes: optionalPage('domains', 'changes', 'Record changes'),
    },
    scans: { get: (id) => run(() => sdk.scans.get(id)) as Promise<Scan> },
    reports: {
      upload: (orgId, data) => run(() => sdk.reports.upload(orgId, data)),
      list: (query) => page(() => sdk.reports.list(q(query))),
      get: (id, query) => run(() => sdk.reports.get(id, q(query))) as Promise<{ report: Report; pagination: Pagination }>,
      delete: (id) => run(() => sdk.reports.delete(id)),
    },
    tokens: {
      list: (query) => page(() => sdk.tokens.list(q(query))),
      create: async (body) => (await run(() => sdk.tokens.create(body))).token as TokenWithSecret,
      get: async (id) => (await run(() => sdk.tokens.get(id))).token as Token,
      revoke: async (id) => (await run(() => sdk.tokens.revoke(id))).token as Token,
      rotate: async (id) => (await run(() => sdk.tokens.rotate(id))).token as TokenWithSecret,
    },
    webhooks: {
      list: optionalPage('webhooks', 'list', 'Webhooks'),
      create: optional('webhooks', 'create', 'Webhooks') as Client['webhooks']['create'],
      get: optionalOne('webhooks', 'get', 'Webhooks', 'webhook'),
      update: optionalOne('webhooks', 'update', 'Webhooks', 'webhook'),
      delete: optional('webhooks', 'delete', 'Webhooks'),
      test: optionalOne('webhooks', 'test', 'Webhooks', 'delivery'),
      rotateSecret: optional('webhooks', 'rotateSecret', 'Webhooks') as Client['webhooks']['rotateSecret'],
    },
    deliveries: {
      list: optionalPage('deliveries', 'list', 'Webhook deliveries'),
      get: optionalOne('deliveries', 'get', 'Webhook deliveries', 'delivery'),
      redeliver: optionalOne('deliveries', 'redeliver', 'Webhook deliveries', 'delivery'),
    },
    alerts: {
      list: optionalPage('alerts', 'list', 'Alerts'),
      acknowledge: optionalOne('alerts', 'acknowledge', 'Alerts', 'alert'),
      resolve: optionalOne('alerts', 'resolve', 'Alerts', 'alert'),
    },
  } as Client;
}

/** Whether an error means the feature is absent on this server. */
export function isNotAvailable(error: unknown): boolean {
  return error instanceof NotAvailableError;
}
