// Retries against the mock's simulated 429/5xx answers. The client's `sleep` records each wait
// instead of sleeping, so the test checks the waits the client computed, not the wall clock.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as sdk from '../dist/index.mjs';
import { OWNER_TOKEN, freePort, mockServer, resetMock } from './support/mock.mjs';

const { MailSentinel, retryDelay } = sdk;
let url;
let orgId;
before(async (t) => {
  ({ url } = await mockServer(t));
  await resetMock(url);
  orgId = (await new MailSentinel({ apiKey: OWNER_TOKEN, baseURL: url }).me.get()).memberships[0].organization.id;
});

/** A client whose attempts (with their answers) and waits are recorded. */
function observed(options = {}, { preferOnlyFirst = false } = {}) {
  const attempts = [];
  const waits = [];
  const client = new MailSentinel({
    apiKey: OWNER_TOKEN,
    baseURL: url,
    ...options,
    sleep: async (ms) => {
      waits.push(ms);
    },
    fetch: async (input, init) => {
      if (preferOnlyFirst && attempts.length > 0) init.headers.delete('prefer');
      const response = await fetch(input, init);
      attempts.push({ method: init.method, status: response.status, headers: response.headers });
      return response;
    },
  });
  return { client, attempts, waits };
}

test('a 429 is retried after Retry-After seconds, then the error is thrown', async () => {
  const { client, attempts, waits } = observed({ maxRetries: 2 });
  await assert.rejects(client.me.get({ headers: { Prefer: 'code=429' } }), sdk.RateLimitError);
  assert.equal(attempts.length, 3);
  assert.ok(attempts.every((a) => a.status === 429));
  const expected = attempts.slice(0, 2).map((a) => Number(a.headers.get('retry-after')) * 1000);
  assert.ok(expected.every((ms) => ms >= 1000 && ms <= 61_000), String(expected));
  assert.deepEqual(waits, expected);
});

test('a 429 followed by a success resolves with the data after one wait', async () => {
  const { client, attempts, waits } = observed({}, { preferOnlyFirst: true });
  const me = await client.me.get({ headers: { Prefer: 'code=429' } });
  assert.equal(me.user.email, 'owner@example.com');
  assert.deepEqual(attempts.map((a) => a.status), [429, 200]);
  assert.deepEqual(waits, [Number(attempts[0].headers.get('retry-after')) * 1000]);
});

test('a 429 is retried for a POST too (the request did nothing)', async () => {
  const { client, attempts } = observed({ maxRetries: 1 });
  await assert.rejects(
    client.domains.create(orgId, { domain: 'example.info' }, { headers: { Prefer: 'code=429' } }),
    sdk.RateLimitError,
  );
  assert.equal(attempts.length, 2);
});

test('a 500 is retried for a GET with exponential backoff and jitter', async () => {
  const { client, attempts, waits } = observed({ maxRetries: 3 });
  await assert.rejects(client.me.get({ headers: { Prefer: 'code=500' } }), sdk.InternalServerError);
  assert.equal(attempts.length, 4);
  assert.equal(waits.length, 3);
  [500, 1000, 2000].forEach((base, i) => assert.ok(waits[i] >= base * 0.75 && waits[i] <= base, `${waits[i]} for ${base}`));
});

test('a 500 is not retried for a POST, nor a 404 for anything', async () => {
  const post = observed();
  await assert.rejects(
    post.client.domains.create(orgId, { domain: 'example.info' }, { headers: { Prefer: 'code=500' } }),
    sdk.InternalServerError,
  );
  assert.equal(post.attempts.length, 1);
  const get = observed();
  await assert.rejects(get.client.domains.get('dom_doesnotexist'), sdk.NotFoundError);
  assert.equal(get.attempts.length, 1);
  assert.deepEqual([...post.waits, ...get.waits], []);
});

test("a 503's Retry-After is honoured, and report uploads retry (a repeat is stored once)", async () => {
  const { client, attempts, waits } = observed({ maxRetries: 2 });
  await assert.rejects(
    client.reports.upload(orgId, '<feedback/>', { headers: { Prefer: 'code=503' } }),
    sdk.ServiceUnavailableError,
  );
  assert.deepEqual(attempts.map((a) => [a.method, a.status]), [['POST', 503], ['POST', 503], ['POST', 503]]);
  assert.deepEqual(waits, attempts.slice(0, 2).map((a) => Number(a.headers.get('retry-after')) * 1000));
});

test('a lost connection is retried for a GET with backoff, not for a POST', async () => {
  // Nobody listens on this port: every attempt fails before an answer.
  const waits = [];
  let attempts = 0;
  const client = new MailSentinel({
    apiKey: OWNER_TOKEN,
    baseURL: `http://127.0.0.1:${await freePort()}`,
    maxRetries: 2,
    sleep: async (ms) => void waits.push(ms),
    fetch: (input, init) => {
      attempts++;
      return fetch(input, init);
    },
  });
  await assert.rejects(client.me.get(), sdk.APIConnectionError);
  assert.equal(attempts, 3);
  assert.ok(waits.length === 2 && waits[0] >= 375 && waits[0] <= 500 && waits[1] >= 750 && waits[1] <= 1000, String(waits));
  attempts = 0;
  await assert.rejects(client.organizations.create({ name: 'x' }), sdk.APIConnectionError);
  assert.equal(attempts, 1);
});

test('maxRetries per request (0: no retry) and per client', async () => {
  const once = observed({ maxRetries: 5 });
  await assert.rejects(once.client.me.get({ maxRetries: 0, headers: { Prefer: 'code=503' } }), sdk.ServiceUnavailableError);
  assert.equal(once.attempts.length, 1);
});

test('aborting during a retry wait stops at once', async () => {
  const controller = new AbortController();
  const client = new MailSentinel({ apiKey: OWNER_TOKEN, baseURL: url, maxRetries: 2 }); // the real timer
  const pending = client.me.get({ signal: controller.signal, headers: { Prefer: 'code=429' } });
  setTimeout(() => controller.abort(), 100);
  await assert.rejects(pending, sdk.APIUserAbortError);
});

test('retryDelay: Retry-After seconds or date, X-RateLimit-Reset on a 429, else capped backoff', () => {
  const now = Date.UTC(2026, 0, 15, 10, 0, 0);
  assert.equal(retryDelay(new Headers({ 'retry-after': '7' }), 429, 0, now), 7000);
  assert.equal(retryDelay(new Headers({ 'retry-after': new Date(now + 3000).toUTCString() }), 503, 0, now), 3000);
  assert.equal(retryDelay(new Headers({ 'x-ratelimit-reset': String(now / 1000 + 12) }), 429, 0, now), 12_000);
  // The reset of a window that is not exhausted says nothing about a 503.
  assert.equal(retryDelay(new Headers({ 'x-ratelimit-reset': String(now / 1000 + 12) }), 503, 0, now, () => 0), 500);
  assert.equal(retryDelay(new Headers({ 'retry-after': '0' }), 429, 0, now), 0);
  assert.equal(retryDelay(new Headers({ 'retry-after': '3600' }), 429, 0, now), null); // a daily limit: not worth waiting for
  assert.deepEqual([0, 1, 2, 3, 4, 5, 9].map((n) => retryDelay(undefined, 500, n, now, () => 0)), [500, 1000, 2000, 4000, 8000, 8000, 8000]);
  assert.equal(retryDelay(undefined, 500, 0, now, () => 1), 375); // jitter takes off at most a quarter
});
