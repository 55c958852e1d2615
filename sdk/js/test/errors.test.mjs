// Error classes from the mock's real refusals and from its `Prefer: code=...` simulations.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as sdk from '../dist/index.mjs';
import { OWNER_TOKEN, VIEWER_TOKEN, freePort, mockServer, resetMock } from './support/mock.mjs';

const { MailSentinel } = sdk;
let url;
let client;
let orgId;
before(async (t) => {
  ({ url } = await mockServer(t));
  await resetMock(url);
  client = new MailSentinel({ apiKey: OWNER_TOKEN, baseURL: url, maxRetries: 0 });
  orgId = (await client.me.get()).memberships[0].organization.id;
});

async function caught(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected the call to throw');
}

test('a 404 is a NotFoundError with the envelope and the headers', async () => {
  const error = await caught(client.domains.get('dom_doesnotexist'));
  assert.ok(error instanceof sdk.NotFoundError && error instanceof sdk.APIError && error instanceof Error);
  assert.equal(error.name, 'NotFoundError');
  assert.equal(error.status, 404);
  assert.equal(error.code, 'NOT_FOUND');
  assert.match(error.message, /dom_doesnotexist/);
  assert.match(error.requestId, /^req_/);
  assert.equal(error.requestId, error.headers.get('x-request-id'));
  assert.ok(error.headers.get('x-ratelimit-limit'));
  assert.ok(MailSentinel.NotFoundError === sdk.NotFoundError);
});

test('validation problems carry details naming the field', async () => {
  const error = await caught(client.domains.create(orgId, { domain: 'co.uk' }));
  assert.ok(error instanceof sdk.ValidationError);
  assert.equal(error.status, 400);
  assert.ok(error.details.length >= 1);
  assert.equal(error.details[0].field, 'domain');
});

test('a bad token is an AuthenticationError; a viewer writing is a PermissionDeniedError', async () => {
  const stranger = new MailSentinel({ apiKey: 'ms_live_NoSuchToken000000000000000000000', baseURL: url, maxRetries: 0 });
  const unauthorized = await caught(stranger.me.get());
  assert.ok(unauthorized instanceof sdk.AuthenticationError);
  assert.equal(unauthorized.code, 'UNAUTHORIZED');
  const viewer = new MailSentinel({ apiKey: VIEWER_TOKEN, baseURL: url, maxRetries: 0 });
  const forbidden = await caught(viewer.domains.create(orgId, { domain: 'example.info' }));
  assert.ok(forbidden instanceof sdk.PermissionDeniedError);
  assert.equal(forbidden.status, 403);
});

test('a domain added twice is a ConflictError; a broken report an InvalidReportError', async () => {
  const conflict = await caught(client.domains.create(orgId, { domain: 'example.com' }));
  assert.ok(conflict instanceof sdk.ConflictError);
  assert.equal(conflict.code, 'CONFLICT');
  const invalid = await caught(client.reports.upload(orgId, '<feedback><nope/></feedback>'));
  assert.ok(invalid instanceof sdk.InvalidReportError);
  assert.equal(invalid.status, 422);
});

test('each documented code the mock simulates maps to its class', async () => {
  const cases = [
    [401, sdk.AuthenticationError, 'UNAUTHORIZED'],
    [429, sdk.RateLimitError, 'RATE_LIMITED'],
    [500, sdk.InternalServerError, 'INTERNAL_ERROR'],
    [503, sdk.ServiceUnavailableError, 'SERVICE_UNAVAILABLE'],
  ];
  for (const [status, Class, code] of cases) {
    const error = await caught(client.me.get({ headers: { Prefer: `code=${status}` } }));
    assert.ok(error instanceof Class, `${status} gave ${error.name}`);
    assert.equal(error.status, status);
    assert.equal(error.code, code);
  }
  const simulated404 = await caught(client.organizations.get(orgId, { headers: { Prefer: 'code=404' } }));
  assert.ok(simulated404 instanceof sdk.NotFoundError);
  const limited = await caught(client.me.get({ headers: { Prefer: 'code=429' } }));
  assert.equal(limited.retryAfter, Number(limited.headers.get('retry-after')));
  assert.ok(limited.retryAfter >= 1);
  const tooLarge = await caught(client.domains.create(orgId, { domain: 'example.info' }, { headers: { Prefer: 'code=413' } }));
  assert.ok(tooLarge instanceof sdk.PayloadTooLargeError);
  const unsupported = await caught(client.domains.create(orgId, { domain: 'example.info' }, { headers: { Prefer: 'code=415' } }));
  assert.ok(unsupported instanceof sdk.UnsupportedMediaTypeError);
  const timeout = await caught(client.domains.create(orgId, { domain: 'example.info' }, { headers: { Prefer: 'code=408' } }));
  assert.ok(timeout instanceof sdk.RequestTimeoutError);
});

test('a 304 for a matching If-None-Match is a NotModifiedError', async () => {
  const { response } = await client.me.get().withResponse();
  const etag = response.headers.get('etag');
  assert.ok(etag);
  const error = await caught(client.me.get({ headers: { 'If-None-Match': etag } }));
  assert.ok(error instanceof sdk.NotModifiedError);
  assert.equal(error.status, 304);
});

test('no answer in time is an APITimeoutError', async () => {
  const error = await caught(client.me.get({ timeout: 100, headers: { Prefer: 'delay=3000' } }));
  assert.ok(error instanceof sdk.APITimeoutError && error instanceof sdk.APIConnectionError);
});

test('nobody listening is an APIConnectionError', async () => {
  const closed = new MailSentinel({ apiKey: OWNER_TOKEN, baseURL: `http://127.0.0.1:${await freePort()}`, maxRetries: 0 });
  const error = await caught(closed.me.get());
  assert.ok(error instanceof sdk.APIConnectionError && !(error instanceof sdk.APITimeoutError));
  assert.match(error.message, /get_me/);
});

test('an aborted signal is an APIUserAbortError, before and during the request', async () => {
  const before = await caught(client.me.get({ signal: AbortSignal.abort() }));
  assert.ok(before instanceof sdk.APIUserAbortError);
  const controller = new AbortController();
  const pending = client.me.get({ signal: controller.signal, headers: { Prefer: 'delay=3000' } });
  setTimeout(() => controller.abort(), 50);
  assert.ok((await caught(pending)) instanceof sdk.APIUserAbortError);
});

test('withResponse hands back the raw response beside the data', async () => {
  const { data, response, requestId } = await client.me.get({ headers: { 'X-Request-Id': 'req_sdk_test_000001' } }).withResponse();
  assert.equal(data.user.email, 'owner@example.com');
  assert.equal(response.status, 200);
  assert.equal(requestId, 'req_sdk_test_000001');
});

test('defaultHeaders go with every request; a per-request null removes one', async () => {
  const seen = [];
  const tagged = new MailSentinel({
    apiKey: OWNER_TOKEN,
    baseURL: url,
    defaultHeaders: { 'X-Request-Id': 'req_from_defaults_0001' },
    fetch: (input, init) => {
      seen.push(init.headers.get('x-request-id'));
      return fetch(input, init);
    },
  });
  const { requestId } = await tagged.me.get().withResponse();
  assert.equal(requestId, 'req_from_defaults_0001');
  const { requestId: fresh } = await tagged.me.get({ headers: { 'X-Request-Id': null } }).withResponse();
  assert.notEqual(fresh, 'req_from_defaults_0001');
  assert.deepEqual(seen, ['req_from_defaults_0001', null]);
});

test('apiKey and baseURL default to MAILSENTINEL_API_KEY and MAILSENTINEL_BASE_URL', async () => {
  // Each test file runs in a process of its own, so changing its environment touches nothing else.
  const saved = { key: process.env.MAILSENTINEL_API_KEY, base: process.env.MAILSENTINEL_BASE_URL };
  try {
    process.env.MAILSENTINEL_API_KEY = OWNER_TOKEN;
    process.env.MAILSENTINEL_BASE_URL = `${url}/`;
    const fromEnv = new MailSentinel({ maxRetries: 0 });
    assert.equal(fromEnv.baseURL, url);
    assert.equal((await fromEnv.me.get()).user.email, 'owner@example.com');
    delete process.env.MAILSENTINEL_API_KEY;
    const anonymous = new MailSentinel({ maxRetries: 0 });
    assert.equal(anonymous.apiKey, undefined);
    assert.equal((await anonymous.health.get()).status, 'ok');
    await assert.rejects(anonymous.me.get(), sdk.AuthenticationError);
    delete process.env.MAILSENTINEL_BASE_URL;
    assert.equal(new MailSentinel().baseURL, 'https://api.mailsentinel.io');
  } finally {
    for (const [name, value] of [['MAILSENTINEL_API_KEY', saved.key], ['MAILSENTINEL_BASE_URL', saved.base]]) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
});

test("a relative baseURL is resolved against the page's location (a browser page served by the API)", async () => {
  // Node has no location; a page's would be the server that served it.
  globalThis.location = { href: `${url}/console/index.html` };
  try {
    const sameOrigin = new MailSentinel({ apiKey: OWNER_TOKEN, baseURL: '' });
    assert.equal((await sameOrigin.me.get()).user.email, 'owner@example.com');
  } finally {
    delete globalThis.location;
  }
  await assert.rejects(new MailSentinel({ apiKey: OWNER_TOKEN, baseURL: '', maxRetries: 0 }).me.get(), TypeError);
});
