// Every generated method, called once against the mock with the seed's data, must succeed; and
// every operation of openapi.yaml must have been reached by one of them (checked on the wire).

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import YAML from 'yaml';
import { APIError, MailSentinel, OPERATIONS, verifyWebhook } from '../dist/index.mjs';
import { SPEC_PATH, planOperations } from '../scripts/generate.mjs';
import { FIXTURES, OWNER_TOKEN, REPO_ROOT, mockControl, mockServer, resetMock, runDueJobs } from './support/mock.mjs';
import { startReceiver } from './support/receiver.mjs';

const spec = YAML.parse(await readFile(SPEC_PATH, 'utf8'));

let url;
let receiver;
before(async (t) => {
  ({ url } = await mockServer(t));
  await resetMock(url);
  receiver = await startReceiver();
});
after(() => receiver?.close());

/** Requests as they went out and how they were answered (the client's own fetch, observed). */
function recordingClient(seen) {
  return new MailSentinel({
    apiKey: OWNER_TOKEN,
    baseURL: url,
    maxRetries: 0,
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      seen.push({ method: init.method, path: new URL(input).pathname, status: response.status });
      return response;
    },
  });
}

test('every method of the client succeeds against the mock, covering every operation', async () => {
  const seen = [];
  const client = recordingClient(seen);
  const called = new Set();
  const call = async (sdkMethod, fn) => {
    called.add(sdkMethod);
    return fn();
  };

  const health = await call('health.get', () => client.health.get());
  assert.equal(health.status, 'ok');
  const me = await call('me.get', () => client.me.get());
  assert.equal(me.user.email, 'owner@example.com');
  const orgId = me.memberships[0].organization.id;

  // Organizations
  const orgs = await call('organizations.list', () => client.organizations.list());
  assert.ok(orgs.data.some((o) => o.id === orgId));
  assert.equal((await call('organizations.get', () => client.organizations.get(orgId))).organization.name, 'Example Corp');
  const created = await call('organizations.create', () => client.organizations.create({ name: 'SDK Org' }));
  const newOrg = created.organization.id;
  const renamed = await call('organizations.update', () => client.organizations.update(newOrg, { name: 'SDK Org renamed' }));
  assert.equal(renamed.organization.name, 'SDK Org renamed');

  // Members
  const members = await call('members.list', () => client.members.list(orgId));
  assert.ok(members.data.length >= 2);
  const added = await call('members.add', () => client.members.add(orgId, { email: 'sdk@example.com', role: 'member' }));
  const userId = added.member.userId;
  assert.equal((await call('members.get', () => client.members.get(orgId, userId))).member.role, 'member');
  const demoted = await call('members.update', () => client.members.update(orgId, userId, { role: 'viewer' }));
  assert.equal(demoted.member.role, 'viewer');
  assert.equal((await call('members.remove', () => client.members.remove(orgId, userId))).deleted, true);

  // Tokens
  assert.ok((await call('tokens.list', () => client.tokens.list())).data.length >= 1);
  const token = await call('tokens.create', () => client.tokens.create({ name: 'sdk test', scopes: ['read'] }));
  assert.match(token.token.token, /^ms_live_/);
  assert.equal((await call('tokens.get', () => client.tokens.get(token.token.id))).token.name, 'sdk test');
  const rotated = await call('tokens.rotate', () => client.tokens.rotate(token.token.id));
  assert.notEqual(rotated.token.token, token.token.token);
  await call('tokens.revoke', () => client.tokens.revoke(rotated.token.id));

  // Domains and scans
  const all = await call('domains.list_all', () => client.domains.listAll({ q: 'example' }));
  assert.equal(all.pagination.total, 5);
  const domains = await call('domains.list', () => client.domains.list(orgId));
  const byName = Object.fromEntries(domains.data.map((d) => [d.domain, d.id]));
  const domain = await call('domains.create', () => client.domains.create(orgId, { domain: 'example.info', description: 'SDK' }));
  const domainId = domain.domain.id;
  assert.equal((await call('domains.get', () => client.domains.get(domainId))).domain.domain, 'example.info');
  const updated = await call('domains.update', () => client.domains.update(domainId, { description: 'changed' }));
  assert.equal(updated.domain.description, 'changed');
  const verification = await call('domains.verify', () => client.domains.verify(byName['example.org']));
  assert.equal(typeof verification.verification.verified, 'boolean');
  const scan = await call('domains.scan', () => client.domains.scan(byName['example.com']));
  assert.equal(scan.domain, 'example.com');
  const scans = await call('domains.scans', () => client.domains.scans(byName['example.com']));
  assert.ok(scans.data.length >= 1);
  const scanId = scans.data[0].id;
  assert.equal((await call('scans.get', () => client.scans.get(scanId))).domain, 'example.com');
  const stats = await call('domains.stats', () => client.domains.stats(byName['example.com'], { from: '2000-01-01' }));
  assert.ok(stats);
  const sources = await call('domains.sources', () => client.domains.sources(byName['example.com'], { sort: 'volume' }));
  assert.ok(sources.data.length >= 1);
  assert.equal((await call('domains.delete', () => client.domains.delete(domainId))).deleted, true);

  // Reports
  const xml = await readFile(path.join(FIXTURES, 'reports/aggregate/addisonfoods.com!example.com!1536105600!1536191999.xml'), 'utf8');
  const upload = await call('reports.upload', () => client.reports.upload(orgId, xml));
  assert.equal(upload.duplicate, false);
  const reports = await call('reports.list', () => client.reports.list({ domainId: byName['example.com'] }));
  assert.ok(reports.data.some((r) => r.id === upload.report.id));
  const report = await call('reports.get', () => client.reports.get(upload.report.id, { limit: 1 }));
  assert.equal(report.report.id, upload.report.id);
  assert.equal(report.pagination.limit, 1);
  assert.equal((await call('reports.delete', () => client.reports.delete(upload.report.id))).deleted, true);

  assert.equal((await call('organizations.delete', () => client.organizations.delete(newOrg))).deleted, true);

  // Webhooks: an endpoint on the receiver of this file (the mock lets plain http:// reach loopback),
  // created once every event so far has been dispatched, so that it gets only those that follow.
  await allEventsDispatched();
  const hook = await call('webhooks.create', () => client.webhooks.create(orgId, { url: receiver.url, description: 'SDK receiver' }));
  const webhookId = hook.webhook.id;
  assert.match(hook.secret, /^whsec_/);
  assert.equal(hook.webhook.url, receiver.url);
  assert.ok((await call('webhooks.list', () => client.webhooks.list(orgId))).data.some((w) => w.id === webhookId));
  assert.equal((await call('webhooks.get', () => client.webhooks.get(webhookId))).webhook.description, 'SDK receiver');
  const tested = await call('webhooks.test', () => client.webhooks.test(webhookId));
  assert.equal(tested.delivery.status, 'succeeded');
  assert.equal(tested.delivery.lastStatusCode, 200);
  const [testDelivery] = receiver.find((body) => body.event === 'webhook.test');
  assert.equal((await verifyWebhook(testDelivery.body, testDelivery.headers, hook.secret)).id, tested.delivery.eventId);
  receiver.status = 500; // refuse what follows, for deliveries.* and webhooks.recover below

  // Alert rules and alerts (the seed's scan of example.org has opened dns_error alerts).
  const rules = await call('alert_rules.list', () => client.alertRules.list(orgId));
  assert.ok(rules.data.some((r) => r.type === 'dns_error'));
  const rule = await call('alert_rules.create', () =>
    client.alertRules.create(orgId, { name: 'SPF near its limit', type: 'dns_error', params: { spfLookupThreshold: 8 }, domainIds: [byName['example.org']] }),
  );
  const ruleId = rule.rule.id;
  const fetchedRule = await call('alert_rules.get', () => client.alertRules.get(ruleId));
  assert.deepEqual([fetchedRule.rule.params.spfLookupThreshold, fetchedRule.rule.domainIds], [8, [byName['example.org']]]);
  const disabled = await call('alert_rules.update', () => client.alertRules.update(ruleId, { enabled: false, severity: 'warning' }));
  assert.deepEqual([disabled.rule.enabled, disabled.rule.severity], [false, 'warning']);
  assert.equal((await call('alert_rules.delete', () => client.alertRules.delete(ruleId))).deleted, true);

  const open = await call('alerts.list', () => client.alerts.list(orgId, { status: 'open', domainId: byName['example.org'], type: 'dns_error' }));
  assert.ok(open.data.length >= 2, 'the seed opens dns_error alerts for example.org');
  const alert = await call('alerts.get', () => client.alerts.get(open.data[0].id));
  assert.equal(alert.alert.domain, 'example.org');
  const acknowledged = await call('alerts.acknowledge', () => client.alerts.acknowledge(open.data[0].id));
  assert.deepEqual([acknowledged.alert.status, acknowledged.alert.acknowledgedBy], ['acknowledged', me.user.id]);
  const resolved = await call('alerts.resolve', () => client.alerts.resolve(open.data[1].id));
  assert.equal(resolved.alert.status, 'resolved');

  // DNS record changes: example.com's SPF soft-fails from the next scan on.
  const zone = await readFile(path.join(REPO_ROOT, 'mocks/zones/example.com.zone'), 'utf8');
  assert.ok(zone.includes('"v=spf1 mx include:_spf.example.com -all"'));
  await mockControl(url, 'zones', { zone: zone.replace('"v=spf1 mx include:_spf.example.com -all"', '"v=spf1 mx include:_spf.example.com ~all"') });
  await client.domains.scan(byName['example.com']);
  const changes = await call('domains.changes', () => client.domains.changes(byName['example.com'], { record: 'spf' }));
  assert.deepEqual(
    changes.data.map((c) => [c.change, c.before, c.after]),
    [['changed', 'v=spf1 mx include:_spf.example.com -all', 'v=spf1 mx include:_spf.example.com ~all']],
  );
  const triggered = await client.alerts.list(orgId, { status: 'open', domainId: byName['example.com'], type: 'dns_record_changed' });
  assert.ok(triggered.data.length >= 1, 'the record change opened a dns_record_changed alert');

  // Deliveries of those events. The receiver refused them (500 since webhooks.test above), so
  // each waits for a retry on the mock's clock, which stands still ...
  const sent = await deliveriesOnce(client, webhookId, (all) => {
    const events = all.filter((d) => d.event !== 'webhook.test');
    const wanted = ['alert.resolved', 'alert.triggered', 'domain.scan.completed'];
    return wanted.every((e) => events.some((d) => d.event === e)) && events.every((d) => d.status === 'pending' && d.attemptCount === 1);
  });
  const pending = await call('deliveries.list', () => client.deliveries.list(webhookId, { status: 'pending' }));
  assert.equal(pending.pagination.total, sent.length - 1);
  const failedOnce = await call('deliveries.get', () => client.deliveries.get(webhookId, pending.data[0].id));
  assert.deepEqual(failedOnce.delivery.attempts.map((a) => a.statusCode), [500]);
  // ... disabling the endpoint fails them, and recovering (once enabled again) sends them again.
  await call('webhooks.update', () => client.webhooks.update(webhookId, { enabled: false }));
  const enabled = await client.webhooks.update(webhookId, { enabled: true, description: 'SDK receiver (again)' });
  assert.deepEqual([enabled.webhook.enabled, enabled.webhook.description], [true, 'SDK receiver (again)']);
  const failed = await client.deliveries.list(webhookId, { status: 'failed' });
  assert.equal(failed.pagination.total, pending.pagination.total);
  receiver.status = 200;
  const recovered = await call('webhooks.recover', () => client.webhooks.recover(webhookId, { since: '2026-01-01T00:00:00Z' }));
  assert.equal(recovered.recovered, failed.pagination.total);
  await deliveriesOnce(client, webhookId, (all) => all.every((d) => d.status === 'succeeded'));
  const again = await call('deliveries.redeliver', () => client.deliveries.redeliver(webhookId, failedOnce.delivery.id));
  assert.equal(again.delivery.id, failedOnce.delivery.id);
  const sameId = () => receiver.deliveries.filter((d) => d.headers['webhook-id'] === failedOnce.delivery.eventId);
  await deliveriesOnce(client, webhookId, () => sameId().length >= 3);
  // Refused, recovered, redelivered: the same webhook-id and payload each time.
  assert.deepEqual(sameId().map((d) => JSON.parse(d.body)), [1, 2, 3].map(() => failedOnce.delivery.payload));
  const rotated2 = await call('webhooks.rotate_secret', () => client.webhooks.rotateSecret(webhookId));
  assert.notEqual(rotated2.secret, hook.secret);
  assert.ok(rotated2.previousSecretExpiresAt);
  assert.equal((await call('webhooks.delete', () => client.webhooks.delete(webhookId))).deleted, true);

  // Every operation has a scripted call above (a new one fails here until it gets one) ...
  const unscripted = OPERATIONS.filter((o) => !called.has(o.sdkMethod)).map((o) => o.sdkMethod);
  assert.deepEqual(unscripted, [], `operations without a scripted call in this test (add one): ${unscripted.join(', ')}`);
  assert.deepEqual([...called].sort(), OPERATIONS.map((o) => o.sdkMethod).sort());
  // ... and each answered 2xx on the wire, at the operation's own method and path.
  for (const op of OPERATIONS) {
    const pattern = new RegExp(`^${op.path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    const hits = seen.filter((r) => r.method === op.http && pattern.test(r.path) && r.status < 300);
    assert.ok(hits.length > 0, `${op.operationId} (${op.sdkMethod}) was never answered 2xx`);
  }
});

test('the script has a call for every operation, through its own method', async () => {
  // Read, not run: this names every missing call even when the script above stops early.
  const script = await readFile(fileURLToPath(import.meta.url), 'utf8');
  const missing = OPERATIONS.filter((o) => !new RegExp(`call\\('${o.sdkMethod}', \\(\\) =>\\s+client\\.${o.resource}\\.${o.method}\\(`).test(script));
  assert.deepEqual(missing.map((o) => o.sdkMethod), [], 'operations without a scripted call (add one to the test above)');
});

/** Run the due jobs until the mock's outbox holds no event still to dispatch. */
async function allEventsDispatched(rounds = 300) {
  for (let round = 0; round < rounds; round += 1) {
    await runDueJobs(url);
    const { data } = await (await fetch(`${url}/_mock/events`)).json();
    if (data.events.every((e) => e.deliveredAt !== null)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail('events are left undispatched');
}

/**
 * The mock's in-process worker delivers on its own too: run the due jobs and read the endpoint's
 * deliveries until `done(deliveries)` holds (or give up after `rounds` tries), then give them.
 */
async function deliveriesOnce(client, webhookId, done, rounds = 300) {
  let all = [];
  for (let round = 0; round < rounds; round += 1) {
    await runDueJobs(url);
    all = [];
    for await (const d of client.deliveries.list(webhookId)) all.push(d);
    if (done(all)) return all;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`the deliveries never got there: ${JSON.stringify(all.map((d) => [d.event, d.status, d.attemptCount]))}`);
}

const planned = new Map(planOperations(spec).map((op) => [op.operationId, op]));
const documented = (operationId) => {
  for (const item of Object.values(spec.paths)) {
    for (const op of Object.values(item)) if (op?.operationId === operationId) return Object.keys(op.responses).map(Number);
  }
  return [];
};

/** Call an operation's method with the seed's IDs (or the spec's examples) and its example body: the
 * answer must come from that operation (2xx, or one of its documented refusals), not "no such endpoint". */
async function reachGenerically(client, op, world) {
  const plan = planned.get(op.operationId);
  const examples = Object.fromEntries(
    Object.values(spec.paths).flatMap((item) => (item.parameters ?? []).map((p) => (p.$ref ? spec.components.parameters[p.$ref.split('/').pop()] : p)))
      .map((p) => [p.name, p.example]),
  );
  const args = plan.pathParams.map((name) => world[name] ?? examples[name] ?? 'x_0');
  if (plan.json) {
    const item = Object.values(spec.paths).find((i) => Object.values(i).some((o) => o?.operationId === op.operationId));
    const definition = Object.values(item).find((o) => o?.operationId === op.operationId);
    args.push(definition.requestBody?.content?.['application/json']?.example ?? {});
  }
  if (plan.upload) args.push('<feedback/>');
  const method = client[op.resource][op.method];
  try {
    await method.apply(client[op.resource], [...args, { maxRetries: 0 }]);
  } catch (error) {
    assert.ok(error instanceof APIError, `${op.sdkMethod}: ${error}`);
    assert.ok(documented(op.operationId).includes(error.status) && error.status !== 405, `${op.sdkMethod}: undocumented ${error.status}`);
    assert.doesNotMatch(error.message, /No such endpoint/, `${op.sdkMethod} went to a path the server does not have`);
  }
}

test('the generic call reaches each GET operation with the seed IDs and gets its data', async () => {
  const client = new MailSentinel({ apiKey: OWNER_TOKEN, baseURL: url });
  const me = await client.me.get();
  const orgId = me.memberships[0].organization.id;
  const domains = await client.domains.list(orgId);
  const reports = await client.reports.list();
  const scan = await client.domains.scan(domains.data[0].id);
  const members = await client.members.list(orgId);
  const rules = await client.alertRules.list(orgId);
  const alerts = await client.alerts.list(orgId);
  const { webhook } = await client.webhooks.create(orgId, { url: receiver.url });
  const { delivery } = await client.webhooks.test(webhook.id);
  const world = {
    orgId, domainId: domains.data[0].id, reportId: reports.data[0].id, scanId: scan.id, tokenId: me.token.id, userId: members.data[1].userId,
    ruleId: rules.data[0].id, alertId: alerts.data[0].id, webhookId: webhook.id, deliveryId: delivery.id,
  };
  for (const op of OPERATIONS.filter((o) => o.http === 'GET')) {
    const plan = planned.get(op.operationId);
    const args = plan.pathParams.map((name) => {
      assert.ok(world[name], `no seed ID for ${name} (${op.sdkMethod}): add one to world`);
      return world[name];
    });
    const result = await client[op.resource][op.method](...args);
    assert.ok(result !== undefined, op.sdkMethod);
  }
  // And a wrong ID is one of the operation's documented refusals, which reachGenerically accepts.
  await reachGenerically(client, OPERATIONS.find((o) => o.operationId === 'get_domain'), { domainId: 'dom_doesnotexist' });
});
