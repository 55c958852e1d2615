// Type-checked by test/package.test.mjs as a consumer of the installed package would be
// (moduleResolution node16 as .mts/.cts copies of this file, and bundler as it is).
import {
  APIError,
  MailSentinel,
  NotFoundError,
  RateLimitError,
  verifyWebhook,
  type Domain,
  type DomainDetail,
  type Page,
  type ReportSummary,
  type WebhookEvent,
} from '@mailsentinel/sdk';

export async function main(): Promise<void> {
  const client = new MailSentinel({ apiKey: process.env.MAILSENTINEL_API_KEY });
  const domains = await client.domains.list('org_123');
  const page: Page<Domain, unknown> = domains;
  const first: Domain | undefined = domains.data[0];
  const total: number = domains.pagination.total;
  for await (const domain of client.domains.list('org_123', { verified: true, limit: 10 })) {
    const name: string = domain.domain;
    void name;
  }
  const detail: DomainDetail = (await client.domains.get('dom_1')).domain;
  const created = await client.domains.create('org_123', { domain: 'example.com', dkimSelectors: ['s1'] });
  // Properties the spec gives a default (enabled: true) may be left out of a request.
  const hook = await client.webhooks.create('org_123', { url: 'https://hooks.example.com/ms', events: ['report.received'] });
  const secret: string = hook.secret;
  const rule = await client.alertRules.create('org_123', { name: 'SPF near its limit', type: 'dns_error', params: { spfLookupThreshold: 8 } });
  const enabled: boolean = rule.rule.enabled;
  for await (const alert of client.alerts.list('org_123', { status: 'open', type: 'dns_error' })) {
    const severity: 'info' | 'warning' | 'critical' = alert.severity;
    void severity;
  }
  const upload: ReportSummary = (await client.reports.upload('org_123', '<feedback/>')).report;
  const { response } = await client.me.get({ headers: { 'If-None-Match': '"x"' } }).withResponse();
  const status: number = response.status;
  const event: WebhookEvent = await verifyWebhook('{}', new Headers(), 'whsec_x');
  try {
    await client.health.get();
  } catch (error) {
    if (error instanceof RateLimitError) console.log(error.retryAfter, error.requestId);
    else if (error instanceof NotFoundError || error instanceof APIError) console.log(error.status, error.code, error.details);
  }
  // @ts-expect-error unknown query parameter
  await client.domains.list('org_123', { nope: true });
  // @ts-expect-error the domain is required
  await client.domains.create('org_123', { description: 'no name' });
  // @ts-expect-error not an event type
  await client.webhooks.create('org_123', { url: 'https://hooks.example.com/ms', events: ['report.lost'] });
  // @ts-expect-error results are typed, not any
  const wrong: number = detail.domain;
  void [page, first, total, created, secret, enabled, upload, status, event, wrong];
}
