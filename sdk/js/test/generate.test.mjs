// The spec-derived sources are what the generator makes of openapi.yaml today, and the spec walk:
// every operation has a method on the client; an operation without `x-sdk-method` fails generation.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { MailSentinel, OPERATIONS } from '../dist/index.mjs';
import { SPEC_PATH, camel, generate, planOperations, renderModels, renderResources } from '../scripts/generate.mjs';
import { PACKAGE_ROOT } from './support/mock.mjs';

const spec = YAML.parse(await readFile(SPEC_PATH, 'utf8'));
const METHODS = ['get', 'put', 'post', 'patch', 'delete'];
const specOperations = Object.entries(spec.paths).flatMap(([route, item]) =>
  METHODS.filter((m) => item[m]).map((m) => ({ route, http: m.toUpperCase(), op: item[m] })),
);

test('regenerating from openapi.yaml changes none of the committed files (run `npm run generate`)', async () => {
  const outputs = await generate();
  assert.deepEqual(Object.keys(outputs).sort(), ['API.md', 'src/generated/models.ts', 'src/generated/resources.ts', 'src/schema.d.ts']);
  for (const [relative, content] of Object.entries(outputs)) {
    const committed = await readFile(path.join(PACKAGE_ROOT, relative), 'utf8');
    assert.ok(committed === content, `${relative} is stale: run \`npm run generate\` in sdk/js`);
  }
});

test('spec walk: every operation of openapi.yaml is a method of the built client, once', () => {
  const client = new MailSentinel({ apiKey: 'ms_live_x', baseURL: 'http://127.0.0.1:9' });
  const missing = [];
  for (const { route, http, op } of specOperations) {
    const [resource, method] = String(op['x-sdk-method'] ?? '').split('.');
    const fn = resource && method ? client[camel(resource)]?.[camel(method)] : undefined;
    if (typeof fn !== 'function') missing.push(`${http} ${route} ${op.operationId} -> ${op['x-sdk-method']}`);
  }
  assert.deepEqual(missing, []);
  assert.deepEqual(
    OPERATIONS.map((o) => o.operationId).sort(),
    specOperations.map((s) => s.op.operationId).sort(),
  );
  assert.equal(new Set(OPERATIONS.map((o) => `${o.resource}.${o.method}`)).size, OPERATIONS.length);
});

test('an operation without x-sdk-method (or with a bad or duplicate one) fails generation', () => {
  const broken = structuredClone(spec);
  delete broken.paths['/api/me'].get['x-sdk-method'];
  assert.throws(() => planOperations(broken), /GET \/api\/me \(get_me\): x-sdk-method missing/);
  const badName = structuredClone(spec);
  badName.paths['/api/me'].get['x-sdk-method'] = 'Me.Get';
  assert.throws(() => planOperations(badName), /is not resource\.method/);
  const duplicate = structuredClone(spec);
  duplicate.paths['/api/me'].get['x-sdk-method'] = 'health.get';
  assert.throws(() => planOperations(duplicate), /health\.get is also/);
  const hiding = structuredClone(spec);
  hiding.paths['/api/me'].get['x-sdk-method'] = 'webhooks.verify';
  assert.throws(() => planOperations(hiding), /hand-written webhooks\.verify/);
});

test('a new snake_case resource and method become camelCase members (alert_rules.list_all -> alertRules.listAll)', () => {
  const grown = structuredClone(spec);
  grown.paths['/api/organizations/{orgId}/alert-rules'] = {
    parameters: [{ $ref: '#/components/parameters/OrgId' }],
    get: {
      operationId: 'list_alert_rules',
      'x-sdk-method': 'alert_rules.list_all',
      parameters: [{ $ref: '#/components/parameters/Page' }],
      responses: { 200: { $ref: '#/paths/~1api~1organizations/get/responses/200' } },
    },
  };
  const planned = planOperations(grown).find((o) => o.operationId === 'list_alert_rules');
  assert.equal(planned.method, 'listAll');
  assert.equal(planned.itemsKey, 'organizations');
  const source = renderResources(planOperations(grown));
  assert.match(source, /readonly alertRules: AlertRulesResource = new AlertRulesResource\(this\);/);
  assert.match(source, /listAll\(orgId: string, query\?: QueryParams<'list_alert_rules'>, options\?: RequestOptions\)/);
});

test("a schema named like one of the SDK's own exports is exported as <Name>Schema", () => {
  const models = renderModels({ components: { schemas: { WebhookEvent: { type: 'object' }, Webhook: { type: 'object' } } } });
  assert.match(models, /export type WebhookEventSchema = components\['schemas'\]\['WebhookEvent'\];/);
  assert.match(models, /export type Webhook = components\['schemas'\]\['Webhook'\];/);
});
