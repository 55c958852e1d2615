import { MailSentinel } from '@mailsentinel/sdk';
const client = new MailSentinel({ apiKey: process.env.MAILSENTINEL_API_KEY });
const domains = await client.domains.list('org_123');
console.log(JSON.stringify(domains.data.map((d) => d.domain)));
