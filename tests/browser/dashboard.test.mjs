/*
 * The dashboard in real headless Chromium (Debian's `chromium`), driven by
 * playwright-core, against a real shelterd on loopback with a temp data
 * dir, fed by the real shelter-report. Run by tests/browser/run.sh (meson:
 * `meson test -C build --suite browser`).
 *
 * Environment (tests/meson.build sets it): SHELTERD, SHELTER_REPORT,
 * BROWSER_OUT (where screenshots go), SOURCE_ROOT.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SOURCE_ROOT = process.env.SOURCE_ROOT || path.join(HERE, '..', '..');
const SHELTERD = process.env.SHELTERD;
const SHELTER_REPORT = process.env.SHELTER_REPORT;
const OUT = process.env.BROWSER_OUT || path.join(os.tmpdir(), 'shelterd-browser');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TOKEN = 'browser-test-token-4f9c2a7e1b';
const RED = 'rgb(200, 16, 46)';     // --critical in dashboard.css
const GREEN = 'rgb(46, 158, 91)';   // --ok

assert.ok(SHELTERD && SHELTER_REPORT, 'SHELTERD and SHELTER_REPORT must be ' +
  'set (run through meson or tests/browser/run.sh)');
assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: tools/deps ` +
  'installs the chromium package');

/* ---- the daemon ----------------------------------------------------- */

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

class Daemon {
  constructor() {
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'shelterd-browser-'));
    this.api = `ipc://${this.tmp}/api.sock`;
    this.events = `ipc://${this.tmp}/events.sock`;
    this.conf = path.join(this.tmp, 'shelterd.conf');
    this.logPath = path.join(this.tmp, 'shelterd.log');
    this.env = { ...process.env, SHELTERD_API: this.api,
      SHELTERD_OUTBOX: path.join(this.tmp, 'outbox') };
  }

  async start(port) {
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    fs.writeFileSync(this.conf, [
      '[daemon]', `http_url = ${this.url}`,
      '[http]', `token = ${TOKEN}`,
      // A config file turns unsigned requests off; this test is about
      // the page, and its api is a private ipc socket.
      '[security]', 'allow_unsigned = 1', ''].join('\n'));
    const log = fs.openSync(this.logPath, 'a');
    this.proc = spawn(SHELTERD, ['--config', this.conf, '--data-dir',
      path.join(this.tmp, 'data'), '--api', this.api, '--events',
      this.events, '--log-level', 'debug'],
    { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.exited = once(this.proc, 'exit');
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null)
        throw new Error(`shelterd exited ${this.proc.exitCode}:\n` +
          this.log());
      try {
        const r = await fetch(`${this.url}/api/status`);
        if (r.ok) return;
      } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`shelterd did not serve ${this.url}:\n${this.log()}`);
  }

  /* SIGTERM: must exit 0 (under ASan too: no leak, no error). */
  async stop() {
    this.proc.kill('SIGTERM');
    const [code, signal] = await this.exited;
    assert.equal(code, 0, `shelterd exit ${code} ${signal}:\n${this.log()}`);
  }

  log() {
    try { return fs.readFileSync(this.logPath, 'utf8').slice(-4000); }
    catch { return ''; }
  }

  report(id, beds) {
    const args = ['--shelter', id, '--quiet', '--no-outbox'];
    for (const [cat, cap, occ] of beds) args.push('--beds', `${cat}=${cap}/${occ}`);
    return new Promise((resolve, reject) => {
      const p = spawn(SHELTER_REPORT, args, { env: this.env,
        stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.on('data', (d) => { err += d; });
      p.on('exit', (code) => code === 0 ? resolve() :
        reject(new Error(`shelter-report ${id}: exit ${code}: ${err}`)));
    });
  }

  cleanup() {
    if (this.proc && this.proc.exitCode === null) this.proc.kill('SIGKILL');
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

/* The demo registry: id, region, beds [[category, capacity]]. */
function demoShelters() {
  const csv = fs.readFileSync(path.join(SOURCE_ROOT, 'registry', 'demo',
    'shelters.csv'), 'utf8');
  return csv.trim().split('\n').slice(1).map((line) => {
    const f = line.split(',');
    return { id: f[0], region: f[2], beds: f[f.length - 1].trim()
      .split(/\s+/).map((b) => { const [c, n] = b.split(':');
        return [c, Number(n)]; }) };
  });
}

/* Run fn over items, n at a time. */
async function pool(items, n, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/* ---- the test ------------------------------------------------------- */

let daemon, browser;

before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  daemon = new Daemon();
  await daemon.start(await freePort());
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
      '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (daemon) daemon.cleanup();
});

test('the dashboard follows the daemon live, without reload', async () => {
  const shelters = demoShelters();
  // Every demo shelter reports: Zeeland (VR19) empty, the rest below 80 %.
  await pool(shelters, 6, (s, i = shelters.indexOf(s)) => daemon.report(
    s.id, s.beds.map(([c, n]) => [c, n, s.region === 'VR19' ? 0 :
      Math.floor(n * ((i * 37) % 80) / 100)])));

  const page = await browser.newPage({ viewport: { width: 1500,
    height: 1000 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // Failed connections are expected while the daemon is down; anything
  // else the browser reports is a bug in the page.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/ERR_CONNECTION_REFUSED|Failed to load/
      .test(m.text())) problems.push(`console: ${m.text()}`);
  });
  await page.goto(daemon.url + '/');
  await page.waitForSelector('#conn[data-state="live"]', { timeout: 10000 });
  await page.waitForFunction(() =>
    document.querySelectorAll('#map .tile[data-region]').length === 25);
  const tile = page.locator('.tile[data-region="VR19"]');
  assert.match(await tile.innerText(), /Zeeland/);
  assert.equal(await tile.getAttribute('data-level'), 'ok');
  assert.equal(await tile.evaluate((e) => getComputedStyle(e)
    .backgroundColor), GREEN, 'an empty region is green');

  // Not signed in: region level only, never a shelter id.
  const body = await page.innerText('body');
  assert.doesNotMatch(body, /SH-[A-Z]{3}-\d/, 'no shelter id without token');
  assert.match(await page.innerText('#placements'), /Sign in/);
  const anon = await (await fetch(`${daemon.url}/api/shelters?region=VR19`))
    .status;
  assert.equal(anon, 401, '/api/shelters needs the token');

  // Sign in once; the token stays in sessionStorage.
  await page.fill('#token', TOKEN);
  await page.click('#signin button[type=submit]');
  await page.waitForSelector('#signedin:not([hidden])');
  assert.equal(await page.evaluate(() =>
    sessionStorage.getItem('shelterd.token')), TOKEN);
  await page.evaluate(() => { window.__noReload = 'still here'; });

  // The map shows the worst of all categories by default; the women's
  // pill drills down to one.
  assert.equal(await page.getAttribute('#categories [data-category="all"]',
    'aria-checked'), 'true');
  await page.click('#categories [data-category="women"]');

  // Fill Zeeland but for the shelter with the most women's beds...
  const zee = shelters.filter((s) => s.region === 'VR19');
  const women = (s) => (s.beds.find(([c]) => c === 'women') || [0, 0])[1];
  const last = zee.reduce((a, b) => women(b) > women(a) ? b : a);
  const cap = zee.reduce((n, s) => n + women(s), 0);
  await pool(zee.filter((s) => s !== last), 4, (s) =>
    daemon.report(s.id, s.beds.map(([c, n]) => [c, n, n])));
  const before = Math.floor((cap - women(last)) * 100 / cap);
  await page.waitForFunction((pct) => Number(document.querySelector(
    '.tile[data-region="VR19"]').dataset.pct) === pct, before);
  const colourBefore = await tile.evaluate((e) =>
    getComputedStyle(e).backgroundColor);

  // ...then the report that fills it: tile and alert within a second.
  const t0 = Date.now();
  await daemon.report(last.id, last.beds.map(([c, n]) => [c, n, n]));
  await page.waitForSelector('.tile[data-region="VR19"][data-level=' +
    '"critical"]', { timeout: 1000 });
  await page.waitForSelector('#alerts li[data-region="VR19"][data-scope=' +
    '"region"][data-level="critical"]', {
    timeout: Math.max(1, 1000 - (Date.now() - t0)) });
  const elapsed = Date.now() - t0;
  assert.ok(elapsed <= 1000, `took ${elapsed} ms`);
  console.log(`VR19 full: tile red and alert shown ${elapsed} ms after ` +
    'the report was sent');
  await page.waitForFunction((red) => getComputedStyle(document
    .querySelector('.tile[data-region="VR19"]')).backgroundColor === red,
  RED, { timeout: 1000 });
  assert.notEqual(colourBefore, RED);
  assert.equal(await page.evaluate(() => window.__noReload), 'still here');
  // Critical in one category: never a green tile in the default view.
  await page.click('#categories [data-category="all"]');
  await page.waitForSelector('.tile[data-region="VR19"][data-level=' +
    '"critical"]', { timeout: 1000 });
  await page.click('#categories [data-category="women"]');

  // Newest first, with age and acknowledgement; shelter alerts (and
  // their ids) now that we are signed in.
  const seqs = await page.$$eval('#alerts li[data-seq]', (li) =>
    li.map((e) => Number(e.dataset.seq)));
  assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a), 'newest first');
  const first = await page.innerText('#alerts li[data-region="VR19"]' +
    '[data-scope="region"][data-level="critical"]');
  assert.match(first, /not acknowledged/);
  assert.match(await page.innerText('#alerts'), /shelter SH-ZEE-\d+/);

  // One region's shelters, for the signed-in session.
  await tile.click();
  await page.waitForSelector('#shelter-table tr[data-shelter]');
  assert.equal(await page.locator('#shelter-table tr[data-shelter]')
    .count(), zee.length);
  await page.screenshot({ path: path.join(OUT, 'dashboard.png'),
    fullPage: true });

  // The daemon goes away: the page says so; it comes back: so does the
  // page, by itself, with the data it kept on disk.
  await daemon.stop();
  await page.waitForSelector('#conn[data-state="lost"]', { timeout: 3000 });
  assert.match(await page.innerText('#conn'), /connection lost/);
  await page.screenshot({ path: path.join(OUT, 'dashboard-lost.png') });
  await daemon.start(daemon.port);
  await page.waitForSelector('#conn[data-state="restored"], ' +
    '#conn[data-state="live"]', { timeout: 12000 });
  await page.waitForSelector('.tile[data-region="VR19"][data-level=' +
    '"critical"]');
  assert.equal(await page.evaluate(() => window.__noReload), 'still here');
  await daemon.stop();
  assert.deepEqual(problems, [], 'no script errors');
});
