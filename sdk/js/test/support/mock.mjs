// Starts `mailsentinel mock` (the repository's .venv) on a free loopback port, or reuses the one
// test/run.mjs started (MAILSENTINEL_TEST_MOCK_URL), so that tests talk to the real mock server.

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const REPO_ROOT = path.resolve(PACKAGE_ROOT, '../..');
export const FIXTURES = path.resolve(REPO_ROOT, '../shared/fixtures');
export const OWNER_TOKEN = 'ms_live_MailSentinelMockOwnerToken00000000000001';
export const VIEWER_TOKEN = 'ms_live_MailSentinelMockViewerToken0000000000002';
const BIN = process.env.MAILSENTINEL_BIN ?? path.join(REPO_ROOT, '.venv/bin/mailsentinel');
const START_TIMEOUT_MS = 180_000; // start-up is ~2 s of CPU, far longer on a loaded 2-core machine

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(url, child) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`mailsentinel mock exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`mailsentinel mock did not answer within ${START_TIMEOUT_MS} ms`);
}

/** A running mock: `{ url, stop() }`. */
export async function startMock({ env = {} } = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output = [];
  const child = spawn(BIN, ['mock', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: REPO_ROOT,
    // The whole run's requests share one organization's plan window: lift it so no test meets a real 429.
    env: {
      ...process.env,
      MAILSENTINEL_MOCK_SEED: '',
      MAILSENTINEL_RATE_LIMITS: 'free=100000/0,pro=100000/0,enterprise=100000/0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => output.push(chunk));
  try {
    await waitUntilUp(url, child);
  } catch (error) {
    child.kill('SIGTERM');
    throw new Error(`${error.message}\n${Buffer.concat(output).toString().slice(-2000)}`);
  }
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  return { url, stop };
}

/** The shared mock's URL (started by test/run.mjs) or a mock of this test file's own. */
export async function mockServer(t) {
  if (process.env.MAILSENTINEL_TEST_MOCK_URL) return { url: process.env.MAILSENTINEL_TEST_MOCK_URL, stop: async () => {} };
  const mock = await startMock();
  t?.after?.(() => mock.stop());
  return mock;
}

/** Back to the seed: same IDs, same clock. */
export async function resetMock(url) {
  const response = await fetch(`${url}/_mock/reset`, { method: 'POST' });
  if (!response.ok) throw new Error(`/_mock/reset answered ${response.status}`);
}

/** POST a mock control (`/_mock/clock`, `/_mock/zones`, ...) and give its `data`. */
export async function mockControl(url, control, body) {
  const response = await fetch(`${url}/_mock/${control}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const envelope = await response.json();
  if (!response.ok) throw new Error(`/_mock/${control} answered ${response.status}: ${JSON.stringify(envelope)}`);
  return envelope.data;
}

/** Run the jobs due now (webhook dispatch and deliveries among them) without moving time. */
export const runDueJobs = (url) => mockControl(url, 'clock', { advanceSeconds: 0 });
