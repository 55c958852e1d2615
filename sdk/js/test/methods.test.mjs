// Every generated method, called once against the mock with the seed's data, must succeed; and
// every operation of openapi.yaml must have been reached by one of them (checked on the wire).

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, test } from 'node:test';
import { MailSentinel, OPERATIONS } from '../dist/index.mjs';
import { FIXTURES, OWNER_TOKEN, mockServer, resetMock } from './support/mock.mjs';

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

  // Every operation was called through its method, and answered 2xx on the wire.
  assert.deepEqual([...called].sort(), OPERATIONS.map((o) => o.sdkMethod).sort());
  for (const op of OPERATIONS) {
    const pattern = new RegExp(`^${op.path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    const hits = seen.filter((r) => r.method === op.http && pattern.test(r.path) && r.status < 300);
    assert.ok(hits.length > 0, `${op.operationId} (${op.sdkMethod}) was never answered 2xx`);
  }
});
