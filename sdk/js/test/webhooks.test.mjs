// Webhook verification against signatures made by the `standardwebhooks` package (the reference
// implementation of Standard Webhooks v1), the reference verifier against ours, and deliveries the
// mock really sends to a receiver on loopback.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { MailSentinel, WebhookVerificationError, verifyWebhook } from '../dist/index.mjs';
import { FIXTURES, OWNER_TOKEN, mockServer, resetMock, runDueJobs } from './support/mock.mjs';
import { startReceiver } from './support/receiver.mjs';

const secret = `whsec_${randomBytes(24).toString('base64')}`;
const reference = new Webhook(secret);
const event = {
  id: 'evt_0000000000000000000001',
  event: 'domain.verified',
  timestamp: '2026-01-15T10:00:00Z',
  data: { domain: { id: 'dom_1', domain: 'example.com' } },
};
const payload = JSON.stringify(event);

function signed(body = payload, at = new Date(), id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W') {
  const timestamp = Math.floor(at.getTime() / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': reference.sign(id, new Date(timestamp * 1000), body),
  };
}

test('a delivery signed by standardwebhooks verifies and parses', async () => {
  const headers = signed();
  assert.deepEqual(await verifyWebhook(payload, headers, secret), event);
  assert.deepEqual(await verifyWebhook(new TextEncoder().encode(payload), new Headers(headers), secret), event);
  // Node's req.headers may keep any letter case.
  const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
  assert.deepEqual(await verifyWebhook(payload, upper, secret), event);
  // standardwebhooks agrees on the same input.
  assert.deepEqual(reference.verify(payload, headers), event);
});

test('client.webhooks.verify uses the given secret or the client option', async () => {
  const headers = signed();
  const client = new MailSentinel({ apiKey: 'ms_live_x', baseURL: 'http://127.0.0.1:9', webhookSecret: secret });
  assert.deepEqual(await client.webhooks.verify(payload, headers), event);
  const other = new MailSentinel({ apiKey: 'ms_live_x', baseURL: 'http://127.0.0.1:9' });
  assert.deepEqual(await other.webhooks.verify(payload, headers, secret), event);
});

test('any one of several signatures may match (secret rotation)', async () => {
  const headers = signed();
  const old = new Webhook(`whsec_${randomBytes(24).toString('base64')}`);
  const oldSignature = old.sign(headers['webhook-id'], new Date(Number(headers['webhook-timestamp']) * 1000), payload);
  const both = { ...headers, 'webhook-signature': `${oldSignature} v2,ignored ${headers['webhook-signature']}` };
  assert.deepEqual(await verifyWebhook(payload, both, secret), event);
  await assert.rejects(verifyWebhook(payload, { ...headers, 'webhook-signature': oldSignature }, secret), WebhookVerificationError);
});

test('a changed body, id, timestamp or secret fails', async () => {
  const headers = signed();
  await assert.rejects(verifyWebhook(payload.replace('example.com', 'evil.com'), headers, secret), /No matching signature/);
  await assert.rejects(verifyWebhook(payload, { ...headers, 'webhook-id': 'msg_other' }, secret), WebhookVerificationError);
  const later = String(Number(headers['webhook-timestamp']) + 1);
  await assert.rejects(verifyWebhook(payload, { ...headers, 'webhook-timestamp': later }, secret), WebhookVerificationError);
  await assert.rejects(verifyWebhook(payload, headers, `whsec_${randomBytes(24).toString('base64')}`), WebhookVerificationError);
});

test('timestamps more than five minutes away fail either way; the tolerance can be set', async () => {
  const now = Date.UTC(2026, 0, 15, 10, 0, 0);
  const at = (seconds) => signed(payload, new Date(now + seconds * 1000));
  assert.deepEqual(await verifyWebhook(payload, at(-299), secret, { now }), event);
  assert.deepEqual(await verifyWebhook(payload, at(299), secret, { now: new Date(now) }), event);
  await assert.rejects(verifyWebhook(payload, at(-301), secret, { now }), /too old/);
  await assert.rejects(verifyWebhook(payload, at(301), secret, { now }), /too new/);
  assert.deepEqual(await verifyWebhook(payload, at(-3000), secret, { now, toleranceSeconds: 3600 }), event);
});

test('missing headers and malformed values fail with WebhookVerificationError', async () => {
  const headers = signed();
  for (const name of Object.keys(headers)) {
    const partial = { ...headers };
    delete partial[name];
    await assert.rejects(verifyWebhook(payload, partial, secret), /Missing/);
  }
  await assert.rejects(verifyWebhook(payload, { ...headers, 'webhook-timestamp': 'soon' }, secret), /Invalid webhook-timestamp/);
  await assert.rejects(verifyWebhook(payload, { ...headers, 'webhook-signature': 'v1,***' }, secret), WebhookVerificationError);
  await assert.rejects(verifyWebhook(payload, headers, 'whsec_***'), /not base64/);
  const client = new MailSentinel({ apiKey: 'ms_live_x', baseURL: 'http://127.0.0.1:9' });
  await assert.rejects(client.webhooks.verify(payload, headers), /No webhook secret/);
});

test('our signatures check out with the reference verifier too', async () => {
  // Sign with Web Crypto the way a server would, verify with standardwebhooks.
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const id = 'msg_ours';
  const timestamp = String(Math.floor(Date.now() / 1000));
  const hmac = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const signature = Buffer.from(await crypto.subtle.sign('HMAC', hmac, new TextEncoder().encode(`${id}.${timestamp}.${payload}`)));
  const headers = { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature.toString('base64')}` };
  assert.deepEqual(reference.verify(payload, headers), event);
  assert.deepEqual(await verifyWebhook(payload, headers, secret), event);
});

test("without a global crypto (Node 18) node:crypto's Web Crypto is used", async () => {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
  Object.defineProperty(globalThis, 'crypto', { value: undefined, configurable: true, writable: true });
  try {
    assert.equal(globalThis.crypto, undefined);
    assert.deepEqual(await verifyWebhook(payload, signed(), secret), event);
  } finally {
    Object.defineProperty(globalThis, 'crypto', descriptor);
  }
  assert.ok(globalThis.crypto.subtle);
});

/** Run the mock's due jobs until the receiver has a delivery whose body matches (its in-process
 * worker may have sent it already), or give up after `rounds` tries. */
async function deliveredTo(receiver, url, predicate, rounds = 300) {
  for (let round = 0; round < rounds; round += 1) {
    const [delivery] = receiver.find(predicate);
    if (delivery) return delivery;
    await runDueJobs(url);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`no such delivery among ${receiver.deliveries.length}`);
}

test('deliveries the mock sends to a loopback receiver verify; tampered ones throw', async (t) => {
  const { url } = await mockServer(t);
  await resetMock(url);
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  const client = new MailSentinel({ apiKey: OWNER_TOKEN, baseURL: url });
  const orgId = (await client.me.get()).memberships[0].organization.id;
  const { webhook, secret } = await client.webhooks.create(orgId, { url: receiver.url, events: ['report.received'] });

  // webhook.test: the mock makes the attempt before it answers.
  const { delivery } = await client.webhooks.test(webhook.id);
  assert.equal(delivery.status, 'succeeded');
  const [sentTest] = receiver.find((body) => body.event === 'webhook.test');
  assert.equal(sentTest.method, 'POST');
  assert.equal(sentTest.headers['content-type'], 'application/json');
  assert.equal(sentTest.headers['webhook-id'], delivery.eventId);
  const testEvent = await verifyWebhook(sentTest.body, sentTest.headers, secret);
  assert.deepEqual(testEvent, delivery.payload);
  assert.equal(testEvent.event, 'webhook.test');
  assert.deepEqual(await client.webhooks.verify(Buffer.from(sentTest.body), new Headers(sentTest.headers), secret), testEvent);

  // report.received, for a fixture report uploaded through the SDK.
  const fixture = path.join(FIXTURES, 'reports/aggregate/protection.outlook.com!example.com!1711756800!1711843200.xml');
  const { report } = await client.reports.upload(orgId, fixture);
  const sentReport = await deliveredTo(receiver, url, (body) => body.event === 'report.received' && body.data.reportId === report.id);
  const event = await verifyWebhook(sentReport.body, sentReport.headers, secret);
  assert.equal(event.event, 'report.received');
  assert.equal(event.data.domain, 'example.com');
  assert.equal(event.data.messageCount, report.messageCount);
  assert.deepEqual(event, JSON.parse(sentReport.body));

  // A body changed in transit, a header of another delivery or the wrong secret: no event.
  const tampered = sentReport.body.replace(`"messageCount":${report.messageCount}`, `"messageCount":${report.messageCount + 1}`);
  assert.notEqual(tampered, sentReport.body);
  await assert.rejects(verifyWebhook(tampered, sentReport.headers, secret), WebhookVerificationError);
  await assert.rejects(verifyWebhook(sentReport.body, { ...sentReport.headers, 'webhook-id': sentTest.headers['webhook-id'] }, secret), WebhookVerificationError);
  await assert.rejects(verifyWebhook(sentReport.body, sentReport.headers, `whsec_${randomBytes(24).toString('base64')}`), WebhookVerificationError);
  // The reference verifier agrees on what the mock sent.
  assert.deepEqual(new Webhook(secret).verify(sentReport.body, sentReport.headers), event);

  // After a rotation each delivery carries both signatures: either secret verifies it.
  const rotated = await client.webhooks.rotateSecret(webhook.id);
  const { delivery: second } = await client.webhooks.test(webhook.id);
  const [sentAfter] = receiver.find((body) => body.id === second.eventId);
  assert.equal(sentAfter.headers['webhook-signature'].split(' ').length, 2);
  assert.deepEqual(await verifyWebhook(sentAfter.body, sentAfter.headers, rotated.secret), second.payload);
  assert.deepEqual(await verifyWebhook(sentAfter.body, sentAfter.headers, secret), second.payload);
});
