/*
 * `shelterctl report --month --html FILE` in real headless Chromium: the
 * page of a month driven through the real daemon (shelter-report,
 * region-place), full and public, printed to PDF by `chromium
 * --print-to-pdf` as a ministry would print it. Asserts a page count and
 * that no chart is empty (every chart has a data mark); the PDFs stay in
 * BROWSER_OUT (BUILD/meson-logs/browser) for CI to keep.
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

let daemon, browser;

before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  daemon = new Daemon();
  await daemon.start(await freePort());
  browser = await chromium.launch({ executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu'] });
});

after(async () => {
  if (browser) await browser.close();
  if (daemon) daemon.cleanup();
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

/* Every chart of the page and its data marks, as the browser sees it. */
async function charts(html) {
  const page = await browser.newPage();
  await page.goto(pathToFileURL(html).href);
  const out = await page.$$eval('svg.bars, svg.trend', (svgs) => svgs.map(
    (s) => ({ title: s.querySelector('text').textContent,
      region: s.closest('section').dataset.region,
      marks: s.querySelectorAll('.mark').length })));
  const text = await page.innerText('body');
  await page.close();
  return { charts: out, text };
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
    const month = new Date().toISOString().slice(0, 7);
    for (const pub of [false, true]) {
      const html = path.join(OUT, `report-${pub ? 'public' : 'full'}.html`);
      const text = await runTool('SHELTERCTL', daemon, ['report', '--month',
        month, '--html', html, ...(pub ? ['--public'] : [])]);
      const src = fs.readFileSync(html, 'utf8');
      // Self-contained: nothing to fetch, nothing to run.
      assert.doesNotMatch(src, /<script|<link|src=|@import|url\(/i,
        'no script, no external resource');
      const { charts: cs, text: shown } = await charts(html);
      const regions = new Set(cs.map((c) => c.region));
      assert.ok(regions.has('national') && regions.has('VR19'),
        `charts for the nation and VR19: ${[...regions]}`);
      assert.ok(regions.size >= 25, `a region each (${regions.size})`);
      const empty = cs.filter((c) => c.marks === 0);
      assert.deepEqual(empty, [], 'every chart has a data mark');
      assert.doesNotMatch(shown, /SH-[A-Z]{3}-\d|VR19-2026-0001|rq1/,
        'no shelter, case reference or request id');
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
      } else {
        assert.match(shown, /VR19/);
      }
      const pages = await printToPdf(html, html.replace(/\.html$/, '.pdf'));
      assert.ok(pages >= 1, `printed ${pages} page(s)`);
      console.log(`report ${pub ? 'public' : 'full'}: ${cs.length} charts ` +
        `in ${regions.size} sections, ${pages} A4 pages`);
    }
    await daemon.stop();
  });
