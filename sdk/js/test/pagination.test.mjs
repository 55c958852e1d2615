// Pages against the mock: the seed's five domains, two per page.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { MailSentinel, Page } from '../dist/index.mjs';
import { OWNER_TOKEN, mockServer, resetMock } from './support/mock.mjs';

let client;
let orgId;
const requested = [];
before(async (t) => {
  const { url } = await mockServer(t);
  await resetMock(url);
  client = new MailSentinel({
    apiKey: OWNER_TOKEN,
    baseURL: url,
    fetch: (input, init) => {
      requested.push(new URL(input).search);
      return fetch(input, init);
    },
  });
  orgId = (await client.me.get()).memberships[0].organization.id;
});

test('awaiting a list gives its first page with pagination', async () => {
  const page = await client.domains.list(orgId, { limit: 2 });
  assert.ok(page instanceof Page);
  assert.deepEqual(page.pagination, { page: 1, limit: 2, total: 5, totalPages: 3 });
  assert.deepEqual(page.data.map((d) => d.domain), ['example.com', 'example.net']);
  assert.deepEqual(page.body.domains, page.data);
  assert.equal(page.response.status, 200);
  assert.equal(page.hasNextPage(), true);
});

test('getNextPage keeps the filters and moves on until the last page', async () => {
  requested.length = 0;
  const first = await client.domains.listAll({ limit: 2, q: 'example' });
  const second = await first.getNextPage();
  const third = await second.getNextPage();
  assert.deepEqual(second.data.map((d) => d.domain), ['example.org', 'legacy.example.org']);
  assert.deepEqual(third.data.map((d) => d.domain), ['parked.example.com']);
  assert.equal(third.hasNextPage(), false);
  await assert.rejects(() => third.getNextPage(), /No next page/);
  assert.deepEqual(requested, ['?limit=2&q=example', '?limit=2&q=example&page=2', '?limit=2&q=example&page=3']);
});

test('for await over a list walks every item of every page', async () => {
  requested.length = 0;
  const names = [];
  for await (const domain of client.domains.list(orgId, { limit: 2 })) names.push(domain.domain);
  assert.deepEqual(names, ['example.com', 'example.net', 'example.org', 'legacy.example.org', 'parked.example.com']);
  assert.equal(requested.length, 3);
});

test('iterPages yields each page once; a filter with no match is one empty page', async () => {
  const first = await client.domains.list(orgId, { limit: 4 });
  const sizes = [];
  for await (const page of first.iterPages()) sizes.push(page.data.length);
  assert.deepEqual(sizes, [4, 1]);
  const empty = [];
  for await (const d of client.domains.list(orgId, { q: 'no-such-domain' })) empty.push(d);
  assert.deepEqual(empty, []);
});

test('stopping early fetches no further page', async () => {
  requested.length = 0;
  for await (const domain of client.domains.list(orgId, { limit: 1 })) {
    assert.equal(domain.domain, 'example.com');
    break;
  }
  assert.equal(requested.length, 1);
});
