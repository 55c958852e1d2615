// The package as shipped: dist/ is what the sources build to; `npm pack`'s tarball installed in an
// empty folder runs the seed's example against the mock with `import` and with `require`; and its
// types check in a consumer with moduleResolution node16 (.mts and .cts) and bundler.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { buildTo } from '../scripts/build.mjs';
import { OWNER_TOKEN, PACKAGE_ROOT, mockServer, resetMock } from './support/mock.mjs';

const run = promisify(execFile);
const CONSUMER = path.join(PACKAGE_ROOT, 'test/consumer');
const TSC = path.join(PACKAGE_ROOT, 'node_modules/typescript/bin/tsc');
const NPM = process.env.npm_execpath && process.env.npm_execpath.endsWith('.js') ? process.env.npm_execpath : null;
let work;
let url;

function npm(args, cwd) {
  // Under `npm test` use the npm that runs us; otherwise the one on PATH.
  return NPM ? run(process.execPath, [NPM, ...args], { cwd }) : run('npm', args, { cwd });
}

before(async (t) => {
  ({ url } = await mockServer(t));
  await resetMock(url);
  work = await mkdtemp(path.join(os.tmpdir(), 'mailsentinel-sdk-'));
  await writeFile(path.join(work, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  const { stdout } = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], PACKAGE_ROOT);
  const [{ filename }] = JSON.parse(stdout);
  await npm(['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', path.join(work, filename)], work);
  for (const name of await readdir(CONSUMER)) await copyFile(path.join(CONSUMER, name), path.join(work, name));
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test('dist/ is exactly what the sources build to (run `npm run build`)', async () => {
  const fresh = await mkdtemp(path.join(os.tmpdir(), 'mailsentinel-sdk-build-'));
  try {
    await buildTo(fresh);
    const names = (await readdir(fresh)).sort();
    assert.deepEqual(names, ['index.cjs', 'index.d.cts', 'index.d.mts', 'index.mjs']);
    assert.deepEqual((await readdir(path.join(PACKAGE_ROOT, 'dist'))).sort(), names);
    for (const name of names) {
      const [built, committed] = await Promise.all([readFile(path.join(fresh, name), 'utf8'), readFile(path.join(PACKAGE_ROOT, 'dist', name), 'utf8')]);
      assert.ok(built === committed, `dist/${name} is stale: run \`npm run build\` in sdk/js`);
    }
  } finally {
    await rm(fresh, { recursive: true, force: true });
  }
});

test('the tarball holds the builds, the types and the README, and no runtime dependency', async () => {
  const pkg = JSON.parse(await readFile(path.join(work, 'node_modules/@mailsentinel/sdk/package.json'), 'utf8'));
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.sideEffects, false);
  assert.equal(pkg.engines.node, '>=18');
  assert.equal(pkg.dependencies, undefined);
  const files = (await readdir(path.join(work, 'node_modules/@mailsentinel/sdk/dist'))).sort();
  assert.deepEqual(files, ['index.cjs', 'index.d.cts', 'index.d.mts', 'index.mjs']);
});

test('the bundles import nothing at load time (browsers, Deno, Bun need no Node modules)', async () => {
  for (const name of ['index.mjs', 'index.cjs']) {
    const code = await readFile(path.join(PACKAGE_ROOT, 'dist', name), 'utf8');
    assert.doesNotMatch(code, /^\s*import\s[^(]/m, `${name} has a static import`);
    assert.doesNotMatch(code, /\brequire\(/, `${name} requires a module`);
    assert.doesNotMatch(code, /\bprocess\.env\b/, `${name} reads process.env unguarded`);
  }
});

async function seed(file) {
  const env = { ...process.env, MAILSENTINEL_API_KEY: OWNER_TOKEN, MAILSENTINEL_BASE_URL: url };
  return run(process.execPath, [path.join(work, file)], { cwd: work, env });
}

for (const file of ['seed.mjs', 'seed.cjs']) {
  test(`the seed's example runs unchanged from the installed tarball (${file === 'seed.mjs' ? 'import' : 'require'})`, async () => {
    // The mock's seeded organization is the docs' org_123, so the three lines list its domains.
    const { stdout } = await seed(file);
    assert.deepEqual(JSON.parse(stdout), ['example.com', 'example.net', 'example.org', 'legacy.example.org', 'parked.example.com']);
  });
}

test('a sibling folder depending on "file:../sdk/js" installs offline and imports it without building', async () => {
  const sibling = path.join(work, 'console');
  await rm(sibling, { recursive: true, force: true });
  await mkdir(sibling);
  const dependency = `file:${path.relative(sibling, PACKAGE_ROOT)}`;
  await writeFile(path.join(sibling, 'package.json'), JSON.stringify({ name: 'console', private: true, type: 'module', dependencies: { '@mailsentinel/sdk': dependency } }));
  await npm(['install', '--offline', '--no-audit', '--no-fund'], sibling);
  await rm(path.join(sibling, 'node_modules'), { recursive: true, force: true });
  await npm(['ci', '--offline', '--no-audit', '--no-fund'], sibling); // what the console's CI runs
  await writeFile(path.join(sibling, 'check.mjs'), "import { MailSentinel } from '@mailsentinel/sdk';\nconsole.log((await new MailSentinel({ apiKey: process.env.MAILSENTINEL_API_KEY }).health.get()).status);\n");
  const env = { ...process.env, MAILSENTINEL_API_KEY: OWNER_TOKEN, MAILSENTINEL_BASE_URL: url };
  const { stdout } = await run(process.execPath, ['check.mjs'], { cwd: sibling, env });
  assert.equal(stdout.trim(), 'ok');
});

test('both module formats load the same API with import and require', async () => {
  const script = [
    "const esm = await import('@mailsentinel/sdk');",
    "const { createRequire } = await import('node:module');",
    "const cjs = createRequire(import.meta.url)('@mailsentinel/sdk');",
    'const keys = (m) => Object.keys(m).sort().join(",");',
    'if (keys(esm) !== keys(cjs)) throw new Error("exports differ");',
    'if (typeof cjs.MailSentinel !== "function" || new cjs.MailSentinel({ apiKey: "k" }).baseURL !== "https://api.mailsentinel.io") throw new Error("cjs");',
    'console.log(keys(esm));',
  ].join('\n');
  await writeFile(path.join(work, 'formats.mjs'), script);
  const env = { ...process.env, MAILSENTINEL_BASE_URL: '' };
  const { stdout } = await run(process.execPath, [path.join(work, 'formats.mjs')], { cwd: work, env });
  for (const name of ['MailSentinel', 'APIError', 'NotFoundError', 'verifyWebhook', 'Page', 'OPERATIONS']) assert.ok(stdout.includes(name), name);
});

test('the types check in a consumer: moduleResolution node16 (.mts, .cts) and bundler', async () => {
  // Unused @ts-expect-error lines in types.ts are errors, so results typed as any would fail here.
  const source = await readFile(path.join(work, 'types.ts'), 'utf8');
  await writeFile(path.join(work, 'types.mts'), source);
  await writeFile(path.join(work, 'types.cts'), source);
  // No @types/node, and the package's own declarations checked too (skipLibCheck off).
  const common = { strict: true, noEmit: true, target: 'ES2022', lib: ['ES2022', 'DOM', 'DOM.Iterable'], types: [], skipLibCheck: false, skipDefaultLibCheck: true };
  const configs = {
    'tsconfig.node16.json': { compilerOptions: { ...common, module: 'node16', moduleResolution: 'node16' }, files: ['env.d.ts', 'types.mts', 'types.cts'] },
    'tsconfig.bundler.json': { compilerOptions: { ...common, module: 'esnext', moduleResolution: 'bundler' }, files: ['env.d.ts', 'types.ts'] },
  };
  const traces = {};
  for (const [name, config] of Object.entries(configs)) {
    await writeFile(path.join(work, name), JSON.stringify(config));
    const result = await run(process.execPath, [TSC, '-p', name, '--traceResolution'], { cwd: work, maxBuffer: 64 << 20 }).catch((error) => error);
    assert.ok(!(result instanceof Error), `${name}: ${String(result.stdout).split('\n').filter((l) => l.includes('error')).join('\n')}`);
    traces[name] = result.stdout;
  }
  // Which declaration file each resolution picked: import -> .d.mts, require -> .d.cts.
  const resolved = (name, file) => traces[name].includes(`dist/${file}'`) && new RegExp(`'@mailsentinel/sdk' was successfully resolved to '[^']*dist/${file.replaceAll('.', '\\.')}'`).test(traces[name]);
  assert.ok(resolved('tsconfig.node16.json', 'index.d.mts') && resolved('tsconfig.node16.json', 'index.d.cts'));
  assert.ok(resolved('tsconfig.bundler.json', 'index.d.mts'));
});
