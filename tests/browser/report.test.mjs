/*
 * `shelterctl report --month --html FILE` in real headless Chromium: the
 * page of a month driven through the real daemon (shelter-report,
 * region-place, a signed reserve activation that a shelter confirms),
 * full and public, printed to PDF by `chromium --print-to-pdf` as a
 * ministry would print it. Asserts a page count, that no chart is empty
 * (every chart has a data mark), the norm next to capacity and the reserve
 * lines; the PDFs stay in BROWSER_OUT (BUILD/meson-logs/browser) for CI to
 * keep.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { chromium } from 'playwright-core';

import { Daemon, demoShelters, freePort, pool, runTool } from './daemon.mjs';

const OUT = process.env.BROWSER_OUT ||
  path.join(os.tmpdir(), 'shelterd-browser');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

let daemon, browser, keys;

/* The demo registry with a key per party (tools/keygen), its norms and
 * reserve beds: the national coordinator signs the activation. */
async function signedRegistry() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shelterd-keys-'));
  const demo = path.join(process.env.SOURCE_ROOT, 'registry', 'demo');
  const p = spawn(process.env.KEYGEN, ['--registry', demo, '--out', dir],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  assert.equal(await new Promise((r) => p.on('exit', r)), 0,
    `keygen: ${err}`);
  for (const f of ['norms.csv', 'reserves.csv'])
    fs.copyFileSync(path.join(demo, f), path.join(dir, 'registry', f));
  return dir;
}

before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  keys = await signedRegistry();
  daemon = new Daemon({ registry: path.join(keys, 'registry') });
  await daemon.start(await freePort());
  browser = await chromium.launch({ executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu'] });
});

after(async () => {
  if (browser) await browser.close();
  if (daemon) daemon.cleanup();
  if (keys) fs.rmSync(keys, { recursive: true, force: true });
});

/* chromium --headless --print-to-pdf: the printed file's page count. */
async function printToPdf(html, pdf) {
  fs.rmSync(pdf, { force: true });
  const p = spawn(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu',
    '--no-pdf-header-footer', `--user-data-dir=${daemon.tmp}/chromium`,
    `--print-to-pdf=${pdf}`, pathToFileURL(html).href],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  const code = await new Promise((r) => p.on('exit', r));
  assert.equal(code, 0, `chromium --print-to-pdf: ${err}`);
  const bytes = fs.readFileSync(pdf, 'latin1');
  assert.match(bytes, /^%PDF-/, 'a PDF');
  // Page objects: "/Type /Page" (not "/Pages", the tree's root).
  return (bytes.match(/\/Type\s*\/Page(?![s\w])/g) || []).length;
}

/* Every chart of the page and its data marks, as the browser sees it;
 * each section's norm cells and reserve table. */
async function charts(html) {
  const page = await browser.newPage();
  await page.goto(pathToFileURL(html).href);
  const out = await page.$$eval('svg.bars, svg.trend', (svgs) => svgs.map(
    (s) => ({ title: s.querySelector('text').textContent,
      region: s.closest('section').dataset.region,
      marks: s.querySelectorAll('.mark').length,
      norms: s.querySelectorAll('line.norm').length })));
  const sections = await page.$$eval('section.region', (ss) => ss.map(
    (s) => ({ region: s.dataset.region,
      norms: [...s.querySelectorAll('td.norm')].map((t) => t.innerText),
      reserve: s.querySelector('table.reserve')?.innerText ?? null })));
  const text = await page.innerText('body');
  await page.close();
  return { charts: out, sections, text };
}

test('the monthly report prints, with a chart per region and no empty one',
  async () => {
    const shelters = demoShelters();
    // Every demo shelter at some occupancy; Zeeland (VR19) full.
    await pool(shelters, 6, (s, i = shelters.indexOf(s)) => daemon.report(
      s.id, s.beds.map(([c, n]) => [c, n, s.region === 'VR19' ? n :
        Math.floor(n * ((i * 37) % 80) / 100)])));
    // One placement request from full Zeeland: placed elsewhere later.
    await runTool('REGION_PLACE', daemon, ['request', '-C', 'VR19-2026-0001',
      '-i', 'rq1', '-c', 'women', '-r', 'VR19', '--no-wait']);
    // Full Zeeland: the national coordinator activates its women's
    // reserve beds (signed) and SH-ZEE-004 confirms 2.
    const act = JSON.parse(await runTool('SHELTERCTL', daemon, ['--key',
      path.join(keys, 'keys', 'national.key'), '--json', 'reserve',
      'activate', '--region', 'VR19', '--category', 'women', '--beds', '4',
      '--until', String(Math.floor(Date.now() / 1000) + 86400),
      '--reason', 'surge']));
    await runTool('SHELTER_REPORT', daemon, ['reserve', '--key',
      path.join(keys, 'keys', 'shelter-SH-ZEE-004.key'), 'confirm',
      String(act.activation_id), '--shelter', 'SH-ZEE-004', '--beds', '2']);
    const month = new Date().toISOString().slice(0, 7);
    for (const pub of [false, true]) {
      const html = path.join(OUT, `report-${pub ? 'public' : 'full'}.html`);
      const text = await runTool('SHELTERCTL', daemon, ['report', '--month',
        month, '--html', html, ...(pub ? ['--public'] : [])]);
      const src = fs.readFileSync(html, 'utf8');
      // Self-contained: nothing to fetch, nothing to run.
      assert.doesNotMatch(src, /<script|<link|src=|@import|url\(/i,
        'no script, no external resource');
      const { charts: cs, sections, text: shown } = await charts(html);
      const regions = new Set(cs.map((c) => c.region));
      assert.ok(regions.has('national') && regions.has('VR19'),
        `charts for the nation and VR19: ${[...regions]}`);
      assert.ok(regions.size >= 25, `a region each (${regions.size})`);
      const empty = cs.filter((c) => c.marks === 0);
      assert.deepEqual(empty, [], 'every chart has a data mark');
      assert.doesNotMatch(shown, /SH-[A-Z]{3}-\d|VR19-2026-0001|rq1/,
        'no shelter, case reference or request id');
      // The norm next to capacity: every region of the demo has one, a
      // cell per category and a red line in the capacity chart.
      const byRegion = Object.fromEntries(sections.map((s) => [s.region,
        s]));
      assert.ok(byRegion.VR19.norms.includes('67'),
        `VR19 women's norm: ${byRegion.VR19.norms}`);
      for (const s of sections)
        assert.ok(s.norms.some((n) => /^\d+$/.test(n)),
          `${s.region}: a norm ${s.norms}`);
      const normCharts = cs.filter((c) => /red line: the norm/.test(c.title));
      assert.equal(normCharts.length, sections.length,
        'a capacity-against-norm chart per section');
      assert.ok(normCharts.every((c) => c.norms > 0), 'each with its norm');
      // Reserve lines: VR19 and the nation, nowhere else.
      for (const r of ['VR19', 'national']) {
        assert.match(byRegion[r].reserve || '', /women/,
          `${r}: reserve beds line`);
        assert.ok(cs.some((c) => c.region === r &&
          /reserve beds: asked and confirmed/.test(c.title)),
        `${r}: reserve chart`);
      }
      // Public: the nation's one activation is "<5", so is every
      // region's (0 too): each shows a hidden line.
      if (!pub)
        assert.equal(sections.filter((s) => s.reserve !== null).length, 2,
          'reserve lines only where there were reserve beds');
      if (pub) {
        // The same suppression as the text report: VR19's one request
        // is "<5" in both.
        const line = text.split('\n').find((l) =>
          /^VR19 +women /.test(l));
        assert.match(line, /<5/, `text report: ${line}`);
        assert.match(shown, /Public report: \d+ cells? suppressed/);
        const vr19 = await (async () => {
          const page = await browser.newPage();
          await page.goto(pathToFileURL(html).href);
          const t = await page.innerText(
            'section[data-region="VR19"] table');
          await page.close();
          return t;
        })();
        assert.match(vr19, /<5/, `page: ${vr19}`);
        // One activation: "<5"; SH-ZEE-004's 2 beds are one of 2
        // Zeeland shelters' answer: hidden.
        assert.match(byRegion.VR19.reserve, /women\s+<5\s+hidden\s+hidden/,
          `VR19 reserve line: ${byRegion.VR19.reserve}`);
      } else {
        assert.match(byRegion.VR19.reserve, /women\s+1\s+4\s+2\s/,
          `VR19 reserve line: ${byRegion.VR19.reserve}`);
        assert.match(shown, /VR19/);
      }
      const pages = await printToPdf(html, html.replace(/\.html$/, '.pdf'));
      assert.ok(pages >= 1, `printed ${pages} page(s)`);
      console.log(`report ${pub ? 'public' : 'full'}: ${cs.length} charts ` +
        `in ${regions.size} sections, ${pages} A4 pages`);
    }
    await daemon.stop();
  });
