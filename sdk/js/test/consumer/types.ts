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
  // @ts-expect-error results are typed, not any
  const wrong: number = detail.domain;
  void [page, first, total, created, upload, status, event, wrong];
}
