/*
 * A real shelterd for the browser tests: loopback, a temp data dir, fresh
 * ports, fed by the real shelter-report (and asked by the real
 * shelterctl). Shared by the *.test.mjs files.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_ROOT = process.env.SOURCE_ROOT ||
  path.join(HERE, '..', '..');
const SHELTERD = process.env.SHELTERD;
const SHELTER_REPORT = process.env.SHELTER_REPORT;
export const TOKEN = 'browser-test-token-4f9c2a7e1b';

/* ---- the daemon ----------------------------------------------------- */

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export class Daemon {
  /* registry: a registry dir (--registry; keys.csv for signed requests;
   * default: the built-in demo); config: more lines for its config
   * file. */
  constructor({ registry = null, config = [] } = {}) {
    this.extraConfig = config;
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'shelterd-browser-'));
    this.registry = registry;
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
      '[security]', 'allow_unsigned = 1', ...this.extraConfig, '']
      .join('\n'));
    const log = fs.openSync(this.logPath, 'a');
    this.proc = spawn(SHELTERD, ['--config', this.conf, '--data-dir',
      path.join(this.tmp, 'data'), '--api', this.api, '--events',
      this.events, '--log-level', 'debug',
      ...(this.registry ? ['--registry', this.registry] : [])],
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

/* tools/mksecrets into DIR: a key per party (of the registry dir given,
 * or the demo) in DIR/keys, and DIR/registry, that registry with the
 * public keys (keys.csv), to start the daemon with. */
export function makeSecrets(dir, registry) {
  for (const v of ['MKSECRETS', 'KEYGEN'])
    assert.ok(process.env[v], `${v} must be set (run through meson)`);
  const r = spawnSync(process.env.MKSECRETS, [dir,
    ...(registry ? [registry] : [])], { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, `mksecrets: ${r.stderr}`);
  return dir;
}

/* The demo registry: id, region, beds [[category, capacity]]. */
export function demoShelters() {
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
export async function pool(items, n, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}


/* A client (SHELTERCTL, REGION_PLACE, ...) against d: resolves with its
 * stdout, rejects on a non-zero exit. */
export function runTool(envName, d, args) {
  const bin = process.env[envName];
  assert.ok(bin, `${envName} must be set (run through meson)`);
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { env: d.env,
      stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (x) => { out += x; });
    p.stderr.on('data', (x) => { err += x; });
    p.on('exit', (code) => code === 0 ? resolve(out) :
      reject(new Error(`${path.basename(bin)} ${args.join(' ')}: exit ` +
        `${code}: ${err}`)));
  });
}
