// Uploads of the shared fixture reports (../shared/fixtures/reports) in every form the SDK takes,
// with the media type it picked checked on the wire and the server's verdict on the report.

import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, test } from 'node:test';
import * as sdk from '../dist/index.mjs';
import { FIXTURES, OWNER_TOKEN, mockServer, resetMock } from './support/mock.mjs';

const { MailSentinel, sniffMediaType } = sdk;
const AGGREGATE = path.join(FIXTURES, 'reports/aggregate');
const fixture = (name) => path.join(AGGREGATE, name);
let client;
let orgId;
const sent = [];

before(async (t) => {
  const { url } = await mockServer(t);
  await resetMock(url);
  client = new MailSentinel({
    apiKey: OWNER_TOKEN,
    baseURL: url,
    maxRetries: 0,
    fetch: (input, init) => {
      sent.push({ contentType: init.headers.get('content-type'), bytes: init.body?.byteLength });
      return fetch(input, init);
    },
  });
  orgId = (await client.me.get()).memberships[0].organization.id;
});

async function upload(data, options) {
  sent.length = 0;
  const result = await client.reports.upload(orgId, data, options);
  assert.equal(sent.length, 1);
  return { ...result, contentType: sent[0].contentType, bytes: sent[0].bytes };
}

test('an XML string is sent as application/xml', async () => {
  const xml = await readFile(fixture('addisonfoods.com!example.com!1536105600!1536191999.xml'), 'utf8');
  const result = await upload(xml);
  assert.equal(result.contentType, 'application/xml');
  assert.equal(result.duplicate, false);
  assert.equal(result.report.orgName, 'addisonfoods.com');
});

test('a file path, a file: URL and a Node stream are read from disk', async () => {
  const byPath = await upload(fixture('protection.outlook.com!example.com!1711756800!1711843200.xml'));
  assert.equal(byPath.contentType, 'application/xml');
  assert.equal(byPath.report.orgName, 'Outlook.com');
  const byUrl = await upload(pathToFileURL(fixture('veeam.com!example.com!1530133200!1530219600.xml')));
  assert.equal(byUrl.report.orgName, 'veeam.com');
  const name = 'usssa.com!example.com!1538784000!1538870399.xml';
  const byStream = await upload(createReadStream(fixture(name), { highWaterMark: 256 }));
  assert.equal(byStream.bytes, (await readFile(fixture(name))).byteLength);
  assert.equal(byStream.report.orgName, 'usssa.com');
});

test('gzip bytes, then the same report zipped in a Blob: stored once', async () => {
  const gz = await upload(new Uint8Array(await readFile(fixture('nice-input.xml.gz'))));
  assert.equal(gz.contentType, 'application/gzip');
  const zipped = await readFile(fixture('nice-input.xml.zip'));
  const blob = await upload(new Blob([zipped], { type: 'application/x-zip-compressed' }));
  assert.equal(blob.contentType, 'application/zip');
  assert.equal(blob.duplicate, true);
  assert.equal(blob.report.id, gz.report.id);
});

test('an ArrayBuffer and a web ReadableStream', async () => {
  const zip = await readFile(fixture('estadocuenta1.infonacot.gob.mx!example.com!1536853302!1536939702!2940.xml.zip'));
  const buffer = zip.buffer.slice(zip.byteOffset, zip.byteOffset + zip.byteLength);
  const fromBuffer = await upload(buffer);
  assert.equal(fromBuffer.contentType, 'application/zip');
  assert.equal(fromBuffer.report.orgName, 'XYZ Corporation');
  const xml = await readFile(fixture('zoho.com!example.com!1581753600!1581840000.xml'));
  const fromStream = await upload(new Blob([xml]).stream());
  assert.equal(fromStream.contentType, 'application/xml');
  assert.equal(fromStream.report.recordCount, 8);
});

test('a whole report e-mail is sent as message/rfc822', async () => {
  await client.domains.create(orgId, { domain: 'borschow.com' });
  const eml = await upload(fixture('Report domain- borschow.com Submitter- google.com Report-ID- 949348866075514174.eml'));
  assert.equal(eml.contentType, 'message/rfc822');
  assert.equal(eml.report.domain, 'borschow.com');
});

test('a broken fixture is an InvalidReportError; contentType overrides the guess', async () => {
  await assert.rejects(client.reports.upload(orgId, fixture('empty.xml')), sdk.InvalidReportError);
  const xml = await readFile(fixture('example.net!example.com!1529366400!1529452799.xml'));
  const forced = await upload(xml, { contentType: 'text/xml' });
  assert.equal(forced.contentType, 'text/xml');
  assert.equal(forced.report.orgName, 'example.net');
});

test('sniffMediaType recognises each container from its first bytes', () => {
  const bytes = (s) => new TextEncoder().encode(s);
  assert.equal(sniffMediaType(Uint8Array.of(0x1f, 0x8b, 8, 0)), 'application/gzip');
  assert.equal(sniffMediaType(bytes('PK\x03\x04rest')), 'application/zip');
  assert.equal(sniffMediaType(bytes('\uFEFF\n  <?xml version="1.0"?><feedback/>')), 'application/xml');
  assert.equal(sniffMediaType(bytes('Received: from mx.example.net\r\nSubject: Report\r\n\r\n')), 'message/rfc822');
  assert.equal(sniffMediaType(bytes('just text')), 'application/octet-stream');
});
