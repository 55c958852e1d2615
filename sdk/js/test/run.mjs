#!/usr/bin/env node
// `npm test`: one `mailsentinel mock` on a free loopback port for every test file (start-up costs
// seconds of CPU), files run one at a time since they share it. Extra arguments go to `node --test`.

import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMock } from './support/mock.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const files = args.some((a) => a.endsWith('.mjs'))
  ? []
  : readdirSync(here).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => path.join(here, f));

const started = Date.now();
const mock = await startMock();
console.log(`mailsentinel mock at ${mock.url} (up after ${((Date.now() - started) / 1000).toFixed(1)} s)`);
let code = 1;
try {
  code = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...args, ...files], {
      stdio: 'inherit',
      env: { ...process.env, MAILSENTINEL_TEST_MOCK_URL: mock.url },
    });
    child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0)));
  });
} finally {
  await mock.stop();
}
console.log(`sdk/js tests: ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
process.exit(code);
