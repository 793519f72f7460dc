/*
 * The dashboard in real headless Chromium (Debian's `chromium`), driven by
 * playwright-core, against a real shelterd on loopback with a temp data
 * dir, fed by the real shelter-report. Run by tests/browser/run.sh (meson:
 * `meson test -C build --suite browser`).
 *
 * Environment (tests/meson.build sets it): SHELTERD, SHELTER_REPORT,
 * SHELTERCTL, KEYGEN and MKSECRETS (the planning test's keys),
 * BROWSER_OUT (where screenshots go: BUILD/meson-logs/browser, kept by
 * CI with the test logs), SOURCE_ROOT.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { Daemon, SOURCE_ROOT, TOKEN, demoShelters, freePort, makeSecrets,
  pool, runTool } from './daemon.mjs';

const SHELTERD = process.env.SHELTERD;
const SHELTER_REPORT = process.env.SHELTER_REPORT;
const OUT = process.env.BROWSER_OUT || path.join(os.tmpdir(), 'shelterd-browser');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const RED = 'rgb(200, 16, 46)';     // --critical in dashboard.css
const GREEN = 'rgb(46, 158, 91)';   // --ok

assert.ok(SHELTERD && SHELTER_REPORT, 'SHELTERD and SHELTER_REPORT must be ' +
  'set (run through meson or tests/browser/run.sh)');
assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: tools/deps ` +
  'installs the chromium package');

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

  // Critical first, then not acknowledged, then newest, with age and
  // acknowledgement; shelter alerts (and their ids) now that we are
  // signed in.
  const order = await page.$$eval('#alerts li[data-seq]', (li) =>
    li.map((e) => [e.dataset.level === 'critical' ? 1 : 0,
      /not acknowledged/.test(e.innerText) ? 1 : 0, Number(e.dataset.seq)]));
  const rank = (a, b) => b[0] - a[0] || b[1] - a[1] || b[2] - a[2];
  assert.deepEqual(order, [...order].sort(rank),
    'critical, then unacknowledged, then newest first');
  assert.ok(order.some((x) => x[0] === 0), 'and some not critical after');
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

/* No horizontal scrolling: the page is no wider than the window. */
async function assertNoOverflow(page, what) {
  const [sw, cw] = await page.evaluate(() => [
    document.documentElement.scrollWidth,
    document.documentElement.clientWidth]);
  assert.ok(sw <= cw, `${what}: page ${sw} px wide in a ${cw} px window`);
}

async function openDashboard(page, signedIn, d = daemon) {
  await page.goto(d.url + '/');
  await page.evaluate((t) => {
    if (t) sessionStorage.setItem('shelterd.token', t);
    else sessionStorage.removeItem('shelterd.token');
    sessionStorage.setItem('shelterd.category', 'all');
  }, signedIn ? TOKEN : '');
  await page.reload();
  await page.waitForSelector(signedIn ? '#signedin:not([hidden])' :
    '#signin:not([hidden])');
  await page.waitForFunction(() =>
    document.querySelectorAll('#map .tile svg.spark').length === 25,
  null, { timeout: 10000 });
}

test('sizes, sparklines, a region critical anywhere, the region chart',
  async () => {
    await daemon.start(daemon.port);
    const shelters = demoShelters();
    // Utrecht (VR09) full in one category only, every other one empty.
    const utrecht = shelters.filter((s) => s.region === 'VR09');
    const cats = new Set(utrecht.flatMap((s) => s.beds.map(([c]) => c)));
    const full = [...cats].find((c) => c !== 'women');
    assert.ok(full, 'VR09 has beds of a category besides women');
    await pool(utrecht, 4, (s) => daemon.report(s.id, s.beds.map(([c, n]) =>
      [c, n, c === full ? n : 0])));

    for (const signedIn of [false, true]) {
      for (const [width, height] of [[1280, 800], [1920, 1080]]) {
        const page = await browser.newPage({ viewport: { width, height } });
        const what = `${width}x${height} ${signedIn ? 'signed in' :
          'public'}`;
        await openDashboard(page, signedIn);
        // A sparkline per tile, with the history it was given.
        assert.equal(await page.locator('#map .tile').count(), 25);
        assert.equal(await page.locator('#map .tile svg.spark').count(), 25,
          `${what}: a sparkline per tile`);
        const drawn = await page.$$eval('.tile[data-region="VR19"] ' +
          'svg.spark polyline', (p) => p.length);
        assert.ok(drawn >= 2, `${what}: VR19's sparkline has lines`);
        // The default view: each region's worst category.
        const t9 = page.locator('.tile[data-region="VR09"]');
        assert.equal(await t9.getAttribute('data-level'), 'critical');
        // Women shown: VR09 is fine in women but critical in another
        // category, and its tile is not green.
        await page.click('#categories [data-category="women"]');
        await page.waitForSelector('.tile[data-region="VR09"]' +
          '[data-any-critical="true"].lvl-elsewhere');
        const bg = await t9.evaluate((e) =>
          getComputedStyle(e).backgroundColor);
        assert.notEqual(bg, GREEN, `${what}: critical elsewhere, not green`);
        assert.match(await t9.innerText(), new RegExp(`crit\\. ${full}`));
        // Every tile of a region critical in any category: not green.
        const greens = await page.$$eval('.tile[data-any-critical="true"]',
          (ts, g) => ts.filter((t) => getComputedStyle(t).backgroundColor ===
            g).map((t) => t.dataset.region), GREEN);
        assert.deepEqual(greens, [], `${what}: no green critical tile`);
        assert.match(await t9.innerText(), /oldest \d/,
          'the age of the oldest report');
        await assertNoOverflow(page, what);
        await page.screenshot({ path: path.join(OUT,
          `dashboard-${width}x${height}-${signedIn ? 'signed-in' :
            'public'}.png`) });
        // A tile opens the region's trend chart (the served SVG) and its
        // placement history.
        await t9.click();
        await page.waitForSelector('#trend-chart');
        await page.waitForFunction(() => {
          const i = document.getElementById('trend-chart');
          return i.complete && i.naturalWidth > 0;
        }, null, { timeout: 5000 });
        assert.match(await page.getAttribute('#trend-chart', 'src'),
          /^api\/trend\.svg\?region=VR09&category=women&days=30$/);
        await page.waitForSelector('#placement-history table');
        const hist = await page.innerText('#placement-history');
        assert.match(hist, signedIn ? /request\(s\) from this region/ :
          /hidden as in the public monthly report/);
        if (!signedIn)
          assert.doesNotMatch(await page.innerText('body'),
            /SH-[A-Z]{3}-\d/, 'no shelter id in public');
        await assertNoOverflow(page, `${what}, region open`);
        await page.screenshot({ path: path.join(OUT,
          `dashboard-${width}x${height}-${signedIn ? 'signed-in' :
            'public'}-region.png`), fullPage: true });
        await page.close();
      }
    }
    // The served chart is an SVG with the day's marks, for everyone.
    const svg = await (await fetch(`${daemon.url}/api/trend.svg?` +
      `region=VR09&category=${full}&days=30`)).text();
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /<circle class="mark"/);

    await daemon.stop();
  });

/* Planning days of a second here: a structural shortage opens once the
 * history covers WINDOW of them (docs/planning.md "Testing with short
 * days"). */
const WINDOW = 3;

test('norm, structural shortage and open reserve beds, from the daemon',
  async () => {
    const shelters = demoShelters();
    const women = (s) => (s.beds.find(([c]) => c === 'women') || [0, 0])[1];
    const cap = (region) => shelters.filter((s) => s.region === region)
      .reduce((n, s) => n + women(s), 0);
    // Utrecht (VR09) is expected to give 5 women's beds more than its
    // shelters have; Zeeland (VR19) meets its norm. One Utrecht shelter
    // keeps 3 women's beds in reserve.
    const norm9 = cap('VR09') + 5;
    const spare = shelters.find((s) => s.region === 'VR09' &&
      women(s) >= 3);
    const plan = new Daemon({ config: ['[planning]', 'day_secs = 1',
      `window_days = ${WINDOW}`, 'check_secs = 1'] });
    try {
      const reg = path.join(plan.tmp, 'registry');
      fs.cpSync(path.join(SOURCE_ROOT, 'registry', 'demo'), reg,
        { recursive: true });
      fs.writeFileSync(path.join(reg, 'norms.csv'),
        'region,category,beds,valid_from\n' +
        `VR09,women,${norm9},2026-01-01\n` +
        `VR19,women,${cap('VR19')},2026-01-01\n`);
      fs.writeFileSync(path.join(reg, 'reserves.csv'),
        'shelter,category,beds_24h,beds_72h\n' +
        `${spare.id},women,3,3\n`);
      // The daemon runs on the registry mksecrets writes: it holds the
      // public keys the activation and the confirmation are signed with.
      const sec = makeSecrets(path.join(plan.tmp, 'sec'), reg);
      for (const f of ['norms.csv', 'reserves.csv'])
        fs.copyFileSync(path.join(reg, f), path.join(sec, 'registry', f));
      plan.registry = path.join(sec, 'registry');
      const key = (who) => path.join(sec, 'keys', `${who}.key`);
      await plan.start(await freePort());
      const started = Date.now();
      // Every shelter reports, none near critical.
      await pool(shelters, 6, (s) => plan.report(s.id, s.beds.map(([c, n]) =>
        [c, n, Math.floor(n / 2)])));

      // The national coordinator activates the reserve (signed), the
      // shelter confirms it (signed): 3 beds open in Utrecht.
      const act = JSON.parse(await runTool('SHELTERCTL', plan, ['--key',
        key('national'), '--json', 'reserve', 'activate', '--region',
        'VR09', '--category', 'women', '--beds', '3', '--until',
        String(Math.floor(Date.now() / 1000) + 86400), '--reason',
        'surge']));
      await runTool('SHELTER_REPORT', plan, ['reserve', '--key',
        key(`shelter-${spare.id}`), 'confirm', String(act.activation_id),
        '--shelter', spare.id, '--beds', '3']);

      const women9 = async () => (await (await fetch(`${plan.url}` +
        '/api/status')).json()).regions.find((r) => r.region === 'VR09')
        .categories.women;
      let t = await women9();
      assert.equal(t.norm, norm9, 'the norm in /api/status');
      assert.equal(t.reserve_open, 3, 'the confirmed beds are open');
      assert.equal(t.capacity, cap('VR09') + 3, 'and count as capacity');
      // The structural shortage: once the window is covered.
      const deadline = Date.now() + 20000;
      while (!t.shortage && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        t = await women9();
      }
      assert.equal(t.shortage, true, 'a structural shortage opened:\n' +
        plan.log());
      console.log(`VR09 women: structural shortage open ${Date.now() -
        started} ms after the first report (window ${WINDOW} s)`);

      const page = await browser.newPage({ viewport: { width: 1280,
        height: 800 } });
      await openDashboard(page, false, plan);
      await page.click('#categories [data-category="women"]');
      const t9 = page.locator('.tile[data-region="VR09"]');
      await page.waitForSelector('.tile[data-region="VR09"] .flag.shortage');
      assert.match(await t9.innerText(), new RegExp(`norm ${norm9}\\b`),
        'norm beside capacity');
      assert.match(await t9.innerText(), /\+3 reserve open/, 'open reserve');
      // Readable, not only present: no norm line or flag is cut off.
      const clipped = await page.$$eval('.tile .counts.norm, .tile .flag',
        (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1)
          .map((e) => e.textContent));
      assert.deepEqual(clipped, [], 'cut off at 1280 px');
      // The alert says what kind it is: a shortage, not a full region.
      const alerts = await page.innerText('#alerts');
      assert.match(alerts, /VR09 [^\n]*structural shortage \(capacity short/,
        'the shortage alert by its kind:\n' + alerts);
      assert.doesNotMatch(alerts, /VR09 [^\n]*nearly full/, alerts);
      assert.match(await page.innerText('.tile[data-region="VR19"]'),
        new RegExp(`norm ${cap('VR19')}\\b`), 'a norm met');
      assert.equal(await page.locator('.tile[data-region="VR19"] .flag')
        .count(), 0, 'no marker without shortage or reserve');
      await t9.click();
      await page.waitForSelector('#region-totals th:text("norm")');
      await assertNoOverflow(page, 'with norms');
      await page.screenshot({ path: path.join(OUT,
        'dashboard-1280x800-norms.png') });
      await page.close();
      await plan.stop();
    } finally {
      plan.cleanup();
    }
  });
