// The console in a real browser (Debian's chromium driven by playwright-core) against a running
// `mailsentinel mock` or `serve`. tests/console/test_console_browser.py starts the server (and,
// for serve, a loopback DNS server) and runs this file with:
//   CONSOLE_URL, CONSOLE_MODE (mock|serve), OWNER_TOKEN, VIEWER_TOKEN, ORG_ID,
//   ADD_DOMAIN (added through the UI), SCAN_DOMAIN + SCAN_ISSUE (scanned, the issue code expected),
//   REPORT_FILE + REPORT_DOMAIN (uploaded; the domain's chart must change),
//   SCREENSHOTS (a directory: every screen is saved there), CHROMIUM (default /usr/bin/chromium).
// Nothing leaves loopback: the browser starts with its background networking off, and every
// request to another host is aborted and fails the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set (run through tests/console/test_console_browser.py)`);
  return value;
};
const URL_ = env('CONSOLE_URL').replace(/\/$/, '');
const MODE = env('CONSOLE_MODE');
const OWNER = env('OWNER_TOKEN');
const VIEWER = env('VIEWER_TOKEN');
const ORG = env('ORG_ID');
const ADD_DOMAIN = env('ADD_DOMAIN');
const SCAN_DOMAIN = env('SCAN_DOMAIN');
const SCAN_ISSUE = env('SCAN_ISSUE');
const REPORT_FILE = env('REPORT_FILE');
const REPORT_DOMAIN = env('REPORT_DOMAIN');
const SHOTS = process.env.SCREENSHOTS ?? '';
const curl = promisify(execFile);

const LAUNCH_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-default-apps', '--disable-extensions', '--no-default-browser-check',
];

async function api(path, token, init = {}) {
  const response = await fetch(URL_ + path, { ...init, headers: { Authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
  return { status: response.status, body: await response.json().catch(() => null) };
}

async function shot(page, name) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${MODE}-${name}.png`), fullPage: true });
}

async function signIn(page, token) {
  await page.goto(URL_ + '/');
  // By keyboard, as a person without a mouse would.
  await page.getByLabel('API token').focus();
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
}

async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API token').waitFor();
}

async function openDomain(page, name) {
  await page.goto(URL_ + '/#/domains');
  await page.getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: new RegExp(`^${name.replace(/\./g, '\\.')}`) }).waitFor();
}

async function chartDays(page) {
  const chart = page.getByTestId('pass-rate-chart');
  const empty = page.getByTestId('chart-empty');
  await chart.or(empty).first().waitFor();
  if (await empty.count()) return 0;
  return Number(await chart.getAttribute('data-days'));
}

/** A page whose every request must stay on the server under test. */
async function newPage(browser, outside, problems, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: URL_ });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.origin === URL_ || url.protocol === 'data:') return route.continue();
    outside.push(url.href);
    return route.abort();
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('console', (message) => { if (message.type() === 'error' && !/status of 40[0-9]/.test(message.text())) problems.push(message.text()); });
  page.on('pageerror', (error) => problems.push(String(error)));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  return page;
}

test(`console against ${MODE}`, async (t) => {
  // playwright-core starts chromium with a fresh, empty --user-data-dir of its own (removed on close).
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: LAUNCH_ARGS.filter((a) => a !== '--headless'),
    headless: true,
  });
  const outside = [];
  const problems = [];
  const page = await newPage(browser, outside, problems);
  try {
    await t.test('served with a strict Content-Security-Policy and first render timed', async () => {
      const response = await page.goto(URL_ + '/');
      const csp = response.headers()['content-security-policy'];
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      await page.getByLabel('API token').waitFor();
      const rendered = await page.evaluate(() => performance.getEntriesByName('console:first-render')[0]?.startTime);
      assert.ok(rendered > 0, 'the console marks its first render');
      console.log(`# first render of the console (sign-in form) on ${MODE}: ${rendered.toFixed(0)} ms after navigation start`);
      // The bundle as the server sends it (gzip): every script and style the page loaded.
      const sizes = await page.evaluate(() => performance.getEntriesByType('resource')
        .filter((e) => /\/assets\//.test(e.name)).map((e) => ({ name: e.name, transfer: e.transferSize, body: e.decodedBodySize })));
      const sent = sizes.reduce((sum, s) => sum + s.transfer, 0);
      console.log(`# assets loaded: ${sizes.length}, ${sizes.reduce((s, e) => s + e.body, 0)} bytes decoded, ${sent} bytes transferred`);
      await shot(page, '01-sign-in');
    });

    await t.test('a wrong token gets a clear message', async () => {
      await signIn(page, 'ms_live_ThisTokenDoesNotExist000000000000');
      const alert = page.getByRole('alert');
      await alert.waitFor();
      assert.match(await alert.innerText(), /Invalid API token/);
      await shot(page, '02-wrong-token');
    });

    await t.test('sign in with the owner token (kept in sessionStorage, not in the URL or a cookie)', async () => {
      await page.getByLabel('API token').fill('');
      await page.getByLabel('API token').fill(OWNER);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: 'Domains' }).waitFor();
      assert.equal(await page.evaluate(() => sessionStorage.getItem('mailsentinel.token')), OWNER);
      assert.equal((await page.context().cookies()).length, 0);
      assert.ok(!page.url().includes(OWNER));
      assert.ok(await page.getByLabel('Organization').count());
      await page.getByTestId('domains-table').waitFor();
      await shot(page, '03-domains');
    });

    await t.test('the organization switcher shows another organization\'s domains', async () => {
      const created = await api('/api/organizations', OWNER, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'Second Org' }),
      });
      assert.equal(created.status, 201);
      await page.reload();
      const switcher = page.getByLabel('Organization');
      await page.getByTestId('domains-table').waitFor();
      await switcher.selectOption(created.body.data.organization.id);
      await page.getByText('No domains yet').waitFor();
      await switcher.selectOption(ORG);
      await page.getByTestId('domains-table').waitFor();
      // A reload of a signed-in tab: the time until the domains table is on screen.
      await page.reload();
      await page.getByTestId('domains-table').locator('tbody tr').first().waitFor();
      const shown = await page.evaluate(() => performance.getEntriesByName('console:domains')[0]?.startTime);
      console.log(`# signed-in reload to the domains list rendered on ${MODE}: ${shown.toFixed(0)} ms after navigation start`);
    });

    await t.test('add a domain and see its verification record; verify says what it found', async () => {
      await page.getByLabel('Domain name').fill(ADD_DOMAIN);
      await page.getByRole('button', { name: 'Add domain' }).click();
      const record = page.getByTestId('verification-record');
      await record.waitFor();
      assert.equal(await page.getByTestId('verification-name').innerText(), `_mailsentinel.${ADD_DOMAIN}`);
      assert.match(await page.getByTestId('verification-value').innerText(), /^mailsentinel-verify=[A-Za-z0-9]+$/);
      await page.getByTestId('added-domain').getByRole('button', { name: `Verify ${ADD_DOMAIN}` }).click();
      const status = page.getByTestId('added-domain').getByRole('status').filter({ hasText: /_mailsentinel/ });
      await status.waitFor();
      await page.getByTestId('domains-table').locator(`tr[data-domain="${ADD_DOMAIN}"]`).waitFor();
      await shot(page, '04-domain-added');
    });

    await t.test('scan a domain and see its issues by severity', async () => {
      await openDomain(page, SCAN_DOMAIN);
      await page.getByRole('button', { name: `Scan ${SCAN_DOMAIN} now` }).click();
      const issues = page.getByTestId('issues');
      await issues.getByText(SCAN_ISSUE).waitFor();
      assert.ok(await page.getByRole('heading', { name: /^Errors/ }).count(), 'an Errors group');
      assert.match(await page.getByTestId('spf-lookups').innerText(), /\d+ of 10/);
      for (const part of ['DMARC', 'SPF', 'DKIM', 'MX', 'MTA-STS', 'TLS-RPT', 'BIMI', 'DNSSEC']) {
        assert.equal(await page.locator(`[data-part="${part}"]`).count(), 1, part);
      }
      await page.getByTestId('record-history').waitFor();
      await shot(page, '05-domain-scanned');
    });

    await t.test('upload a fixture report by drag and drop and see the pass-rate chart change', async () => {
      await openDomain(page, REPORT_DOMAIN);
      const before = await chartDays(page);
      await page.goto(URL_ + '/#/reports');
      await page.getByRole('heading', { level: 1, name: 'Reports' }).waitFor();
      const bytes = readFileSync(REPORT_FILE).toString('base64');
      // A real drop event carrying the file, as the browser dispatches it.
      const transfer = await page.evaluateHandle(({ b64, name }) => {
        const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([raw], name));
        return dt;
      }, { b64: bytes, name: basename(REPORT_FILE) });
      await page.getByTestId('dropzone').dispatchEvent('dragover', { dataTransfer: transfer });
      await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer: transfer });
      const result = page.getByTestId('upload-results').locator('li').first();
      await result.getByText(/stored\./).waitFor();
      assert.match(await result.innerText(), new RegExp(`about ${REPORT_DOMAIN.replace(/\./g, '\\.')}`));
      await shot(page, '06-report-uploaded');
      await result.getByRole('link', { name: 'Open the report' }).click();
      await page.getByTestId('report-records').waitFor();
      await shot(page, '07-report');
      await openDomain(page, REPORT_DOMAIN);
      const after = await chartDays(page);
      assert.ok(after > before, `chart days ${before} -> ${after}`);
      await page.getByTestId('sources').waitFor();
      await page.getByTestId('reporters').waitFor();
      await shot(page, '08-domain-traffic');
    });

    await t.test('generate an API key, copy it, and use it with curl; revoke it', async () => {
      await page.goto(URL_ + '/#/settings/keys');
      await page.getByRole('heading', { level: 1, name: 'API Keys' }).waitFor();
      await page.getByLabel('Name').fill('browser test key');
      await page.getByLabel('read (GET requests)').check();
      await page.getByLabel('write (changes)').uncheck();
      await page.getByLabel('Expires').selectOption('30');
      await page.getByRole('button', { name: 'Generate New Key' }).click();
      const secret = await page.getByTestId('secret-value').innerText();
      assert.match(secret, /^ms_live_[A-Za-z0-9]+$/);
      await page.getByRole('button', { name: 'Copy to clipboard' }).click();
      await page.getByText('Copied').waitFor();
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      assert.equal(copied, secret);
      await shot(page, '09-api-key-generated');
      const me = JSON.parse((await curl('curl', ['-s', '-H', `Authorization: Bearer ${copied}`, `${URL_}/api/me`])).stdout);
      assert.equal(me.success, true);
      assert.deepEqual(me.data.token.scopes, ['read']);
      // A read-only key: a write is refused, in the envelope.
      const refused = JSON.parse((await curl('curl', ['-s', '-X', 'POST', '-H', `Authorization: Bearer ${copied}`,
        '-H', 'Content-Type: application/json', '-d', '{"domain": "refused.example.com"}', `${URL_}/api/organizations/${ORG}/domains`])).stdout);
      assert.equal(refused.error.code, 'FORBIDDEN');
      await page.getByRole('button', { name: 'I have stored it' }).click();
      assert.equal(await page.getByTestId('secret-once').count(), 0, 'the secret is shown only once');
      const row = page.locator('tr[data-token="browser test key"]').first();
      await row.getByRole('button', { name: 'Revoke' }).click();
      await row.getByRole('button', { name: 'Yes, revoke' }).click();
      await row.getByText('revoked').waitFor();
      const after = JSON.parse((await curl('curl', ['-s', '-H', `Authorization: Bearer ${copied}`, `${URL_}/api/me`])).stdout);
      assert.equal(after.error.code, 'UNAUTHORIZED');
      await shot(page, '10-api-keys');
    });

    await t.test('members, plan and rate-limit usage', async () => {
      await page.goto(URL_ + '/#/settings/members');
      await page.getByTestId('members-table').waitFor();
      await page.getByTestId('plan').waitFor();
      assert.match(await page.getByTestId('rate-usage').innerText(), /of [\d,]+ requests used/);
      await shot(page, '11-members');
    });

    await t.test('webhooks: add an endpoint, send a test, see it in the log (or "not available")', async () => {
      const probe = await api(`/api/organizations/${ORG}/webhooks`, OWNER);
      await page.goto(URL_ + '/#/settings/webhooks');
      await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
      if (probe.status === 404) {
        await page.getByTestId('not-available').waitFor();
        assert.match(await page.getByTestId('not-available').innerText(), /not available on this server/);
        await shot(page, '12-webhooks');
        return;
      }
      const received = [];
      const receiver = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => { body += c; });
        req.on('end', () => { received.push({ headers: req.headers, body }); res.writeHead(200).end('ok'); });
      });
      await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      try {
        const hook = `http://127.0.0.1:${receiver.address().port}/hook`;
        await page.getByLabel('Endpoint URL').fill(hook);
        await page.getByRole('button', { name: 'Save endpoint' }).click();
        const card = page.locator(`[data-webhook="${hook}"]`);
        await card.waitFor();
        await card.getByRole('button', { name: 'Send test' }).click();
        await card.getByTestId('delivery-result').first().waitFor();
        assert.ok(received.length >= 1, 'the receiver got the test delivery');
        assert.ok(received[0].headers['webhook-signature'], 'signed');
        await card.getByTestId('deliveries').waitFor();
        await shot(page, '12-webhooks');
      } finally {
        receiver.close();
      }
    });

    await t.test('alerts: acknowledge one (or "not available")', async () => {
      const probe = await api(`/api/organizations/${ORG}/alerts`, OWNER);
      await page.goto(URL_ + '/#/alerts');
      await page.getByRole('heading', { level: 1, name: 'Alerts' }).waitFor();
      if (probe.status === 404) {
        await page.getByTestId('not-available').waitFor();
        await shot(page, '13-alerts');
        return;
      }
      const open = probe.body.data.alerts.filter((a) => a.status === 'open');
      if (open.length) {
        const row = page.locator(`tr[data-alert="${open[0].id}"]`);
        await row.getByRole('button', { name: 'Acknowledge' }).click();
        await row.waitFor({ state: 'detached' });
        const after = await api(`/api/alerts/${open[0].id}`, OWNER);
        assert.equal(after.body.data.alert.status, 'acknowledged');
      } else {
        await page.getByText('No open alerts.').waitFor();
      }
      await shot(page, '13-alerts');
    });

    await t.test('usable at 360 px: nothing wider than the screen', async () => {
      const narrow = await newPage(browser, outside, problems, { width: 360, height: 740 });
      await narrow.goto(URL_ + '/');
      await narrow.getByLabel('API token').fill(OWNER);
      await narrow.getByRole('button', { name: 'Sign in' }).click();
      await narrow.getByTestId('domains-table').waitFor();
      for (const [route, name] of [['#/domains', 'domains'], ['#/reports', 'reports'], ['#/settings/keys', 'keys']]) {
        await narrow.goto(`${URL_}/${route}`);
        await narrow.locator('main h1').waitFor();
        await narrow.waitForLoadState('networkidle');
        const width = await narrow.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= 360, `${route} is ${width} px wide`);
        await shot(narrow, `14-narrow-${name}`);
      }
      await openDomain(narrow, SCAN_DOMAIN);
      await narrow.getByTestId('scan').waitFor();
      assert.ok(await narrow.evaluate(() => document.documentElement.scrollWidth) <= 360, 'domain page fits');
      await shot(narrow, '14-narrow-domain');
      await narrow.context().close();
    });

    await t.test('keyboard: the skip link and the main navigation are reachable with Tab', async () => {
      await page.goto(URL_ + '/#/domains');
      await page.reload();
      await page.locator('main h1').waitFor();
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
      for (let i = 0; i < 12; i += 1) {
        await page.keyboard.press('Tab');
        if ((await page.evaluate(() => document.activeElement?.textContent)) === 'Reports') break;
      }
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: 'Reports' }).waitFor();
    });

    await t.test('a viewer sees no write buttons', async () => {
      await signOut(page);
      assert.equal(await page.evaluate(() => sessionStorage.getItem('mailsentinel.token')), null);
      await signIn(page, VIEWER);
      await page.getByTestId('domains-table').waitFor();
      assert.match(await page.getByTestId('who').innerText(), /viewer/);
      const writeButtons = /^(Add domain|Scan .* now|Verify .*|Generate New Key|Revoke|Rotate|Save endpoint|Send test|Acknowledge|Resolve|Delete.*|Add member|Choose files)$/;
      const screens = [['#/domains', 'domains'], ['#/reports', 'reports'], ['#/settings/keys', 'keys'], ['#/settings/webhooks', 'webhooks'], ['#/settings/members', 'members'], ['#/alerts', 'alerts']];
      for (const [route] of screens) {
        await page.goto(`${URL_}/${route}`);
        await page.locator('main h1').waitFor();
        await page.waitForLoadState('networkidle');
        const buttons = await page.getByRole('button').allInnerTexts();
        const labels = await page.locator('label.button').allInnerTexts();
        const offending = [...buttons, ...labels].map((b) => b.trim()).filter((b) => writeButtons.test(b));
        assert.deepEqual(offending, [], `${route} shows ${offending.join(', ')}`);
        assert.equal(await page.locator('main select:not([disabled])').count(), 0, `${route} offers no role or plan changes`);
      }
      await openDomain(page, SCAN_DOMAIN);
      await page.getByTestId('scan').waitFor();
      assert.equal(await page.getByRole('button', { name: /Scan|Delete/ }).count(), 0);
      await shot(page, '15-viewer-domain');
    });

    assert.deepEqual(outside, [], 'requests to other origins');
    assert.deepEqual(problems, [], 'console errors, page errors or CSP violations');
  } finally {
    await browser.close();
  }
});
