// Every generated method, called once against the mock with the seed's data, must succeed; and
// every operation of openapi.yaml must have been reached by one of them (checked on the wire).

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, test } from 'node:test';
import YAML from 'yaml';
import { APIError, MailSentinel, OPERATIONS } from '../dist/index.mjs';
import { SPEC_PATH, camel, planOperations } from '../scripts/generate.mjs';
import { FIXTURES, OWNER_TOKEN, mockServer, resetMock } from './support/mock.mjs';

const spec = YAML.parse(await readFile(SPEC_PATH, 'utf8'));

let url;
before(async (t) => {
  ({ url } = await mockServer(t));
  await resetMock(url);
});

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

test('every method of the client succeeds against the mock, covering every operation', async (t) => {
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

  // Operations the script above does not know yet (generated since) are reached generically.
  const world = { orgId, domainId: byName['example.com'], reportId: reports.data[0].id, scanId, tokenId: me.token.id, userId: members.data[1].userId };
  const unscripted = OPERATIONS.filter((o) => !called.has(o.sdkMethod));
  for (const op of unscripted) {
    called.add(op.sdkMethod);
    await reachGenerically(client, op, world);
  }
  if (unscripted.length) t.diagnostic(`reached without a scripted call (add one above): ${unscripted.map((o) => o.sdkMethod).join(', ')}`);

  // Every operation was called through its method, and the scripted ones answered 2xx on the wire.
  assert.deepEqual([...called].sort(), OPERATIONS.map((o) => o.sdkMethod).sort());
  for (const op of OPERATIONS.filter((o) => !unscripted.includes(o))) {
    const pattern = new RegExp(`^${op.path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    const hits = seen.filter((r) => r.method === op.http && pattern.test(r.path) && r.status < 300);
    assert.ok(hits.length > 0, `${op.operationId} (${op.sdkMethod}) was never answered 2xx`);
  }
});

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
  const world = { orgId, domainId: domains.data[0].id, reportId: reports.data[0].id, scanId: scan.id, tokenId: me.token.id, userId: members.data[1].userId };
  for (const op of OPERATIONS.filter((o) => o.http === 'GET')) {
    const plan = planned.get(op.operationId);
    const args = plan.pathParams.map((name) => world[name]);
    const result = await client[op.resource][op.method](...args);
    assert.ok(result !== undefined, op.sdkMethod);
  }
  // And a wrong ID is one of the operation's documented refusals, which reachGenerically accepts.
  await reachGenerically(client, OPERATIONS.find((o) => o.operationId === 'get_domain'), { domainId: 'dom_doesnotexist' });
});
