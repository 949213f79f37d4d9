// Test harness: starts the real `tributary` binary on 127.0.0.1 port 0 with a temporary data
// directory, and talks HTTP to it. No mocks: every test goes through the real server and RocksDB.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const BIN = path.resolve(process.env.TRIBUTARY_BIN || path.join(HERE, '../../build/release/src/tributary'));
export const ADMIN_TOKEN = 'it-admin-token';
export const WEB_KEY = 'wk_web_it';
export const BACKEND_KEY = 'wk_backend_it';

// Generous deadlines: the ASan build used by scripts/test.sh is several times slower.
const START_DEADLINE_MS = 30_000;
const STOP_DEADLINE_MS = 30_000;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A short unique id for this test run, handy for userIds and messageIds. */
export const uid = (prefix = 'id') => `${prefix}-${randomUUID()}`;

/**
 * Polls `predicate` (sync or async) until it returns a truthy value, which is returned.
 * Throws after `timeoutMs` with `message` and the last value or error seen.
 */
export async function waitFor(predicate, timeoutMs = 10_000, { intervalMs = 25, message = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await predicate();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message} (last: ${detail})`);
    }
    await sleep(intervalMs);
  }
}

/** The default configuration object; written as JSON, which is valid YAML (flow style). */
export function defaultConfig(dataDir) {
  return {
    server: { listen: '127.0.0.1:0', admin_listen: '127.0.0.1:0' },
    storage: { path: dataDir, sync: 'always', dedupe_window: '24h', min_free_bytes: '16MB' },
    admin: { tokens: [ADMIN_TOKEN] },
    sources: {
      web: { write_keys: [WEB_KEY] },
      backend: { write_keys: [BACKEND_KEY] },
    },
  };
}

/** Deep-merges plain objects (arrays and scalars of `b` replace those of `a`). */
function merge(a, b) {
  if (b === undefined) return a;
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = merge(a[k], v);
    return out;
  }
  return b;
}

/** Basic auth header value for a write key: base64("KEY:"), or base64("KEY") with colon=false. */
export function basicAuth(writeKey, { colon = true } = {}) {
  return 'Basic ' + Buffer.from(colon ? `${writeKey}:` : writeKey).toString('base64');
}

export class Server {
  /**
   * @param {object} [opts]
   * @param {object} [opts.config] merged over defaultConfig()
   * @param {string} [opts.configText] the whole config file instead (use {{DATA}} for the data dir)
   * @param {string} [opts.logLevel] the server's --log-level (default info; stderr is kept in .stderr)
   */
  constructor(opts = {}) {
    this.opts = opts;
    this.proc = null;
    this.stderr = '';
  }

  /** Creates the temp dir, writes the config and starts the server. */
  static async start(opts = {}) {
    const s = new Server(opts);
    s.dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-it-'));
    s.dataDir = path.join(s.dir, 'data');
    s.configPath = path.join(s.dir, 'tributary.yaml');
    s.readyFile = path.join(s.dir, 'ready.json');
    await s.writeConfig(opts.configText ?? opts.config);
    await s.launch();
    return s;
  }

  /** Writes the config file: a YAML string ({{DATA}} = data dir) or an object merged over the defaults. */
  async writeConfig(configOrText) {
    const text = typeof configOrText === 'string'
      ? configOrText.replaceAll('{{DATA}}', this.dataDir)
      : JSON.stringify(merge(defaultConfig(this.dataDir), configOrText ?? {}), null, 2) + '\n';
    // Write-then-rename so a reload never sees a half-written file.
    const tmp = this.configPath + '.tmp';
    await fs.writeFile(tmp, text);
    await fs.rename(tmp, this.configPath);
  }

  async launch() {
    await fs.rm(this.readyFile, { force: true });
    this.stderr = '';
    const args = ['serve', '--config', this.configPath, '--ready-file', this.readyFile, '--log-level', this.opts.logLevel ?? 'info'];
    const proc = spawn(BIN, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc = proc;
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d) => {
      this.stderr = (this.stderr + d).slice(-20_000);
    });
    proc.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    let spawnError = null;
    proc.once('error', (err) => {
      spawnError = err;
    });
    const deadline = Date.now() + START_DEADLINE_MS;
    let ready = null;
    while (!ready) {
      let problem = null;
      if (spawnError) problem = `cannot run ${BIN}: ${spawnError.message} (set TRIBUTARY_BIN)`;
      else if (proc.exitCode !== null || proc.signalCode !== null) problem = `tributary exited (${proc.exitCode ?? proc.signalCode}) before it was ready`;
      else if (Date.now() > deadline) problem = `tributary wrote no ready file within ${START_DEADLINE_MS} ms`;
      if (problem) {
        proc.kill('SIGKILL');
        throw new Error(`${problem}\nstderr:\n${this.stderr}`);
      }
      try {
        ready = JSON.parse(await fs.readFile(this.readyFile, 'utf8'));
      } catch {
        await sleep(20);
      }
    }
    this.port = ready.listen;
    this.adminPort = ready.admin;
    this.pid = ready.pid;
    this.base = `http://127.0.0.1:${this.port}`;
    this.adminBase = `http://127.0.0.1:${this.adminPort}`;
    return ready;
  }

  get running() {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Sends `signal` and waits for the process to exit; resolves {code, signal}. */
  async kill(signal = 'SIGTERM') {
    const proc = this.proc;
    if (!proc) return { code: null, signal: null };
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    let timer;
    const result = await Promise.race([
      proc.exited,
      new Promise((resolve) => {
        timer = setTimeout(() => resolve(null), STOP_DEADLINE_MS);
      }),
    ]);
    clearTimeout(timer);
    if (result === null) {
      proc.kill('SIGKILL');
      await proc.exited;
      throw new Error(`tributary did not exit within ${STOP_DEADLINE_MS} ms of ${signal}:\n${this.stderr}`);
    }
    return result;
  }

  /** Graceful stop (SIGTERM). */
  stop() {
    return this.kill('SIGTERM');
  }

  /** Stops (if running) and starts again on the same data dir and config file. */
  async restart(signal = 'SIGTERM') {
    if (this.running) await this.kill(signal);
    return this.launch();
  }

  /** Stops the server and removes the temp dir. */
  async close() {
    try {
      if (this.running) await this.kill('SIGTERM');
    } finally {
      if (this.dir) await fs.rm(this.dir, { recursive: true, force: true });
    }
  }

  url(p) {
    return this.base + p;
  }

  /**
   * A request to the Tracking API. `body` may be an object (sent as JSON), a string or a Buffer.
   * Options: writeKey (Basic auth), colon (false = base64("KEY")), gzip (compress the body),
   * contentType, headers, method. Resolves {status, headers, text, json}.
   */
  async post(p, body, opts = {}) {
    const headers = { ...(opts.headers ?? {}) };
    let data = body;
    if (data !== undefined && typeof data !== 'string' && !Buffer.isBuffer(data)) data = JSON.stringify(data);
    if (opts.gzip) data = zlib.gzipSync(Buffer.from(data));
    if (opts.writeKey !== undefined) headers.authorization = basicAuth(opts.writeKey, { colon: opts.colon !== false });
    if (data !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    return request(this.url(p), { method: opts.method ?? 'POST', headers, body: data });
  }

  /** POST one message to /v1/<type> with the web key. */
  send(type, msg, opts = {}) {
    return this.post(`/v1/${type}`, msg, { writeKey: WEB_KEY, ...opts });
  }

  /** A request to the admin API with the admin token (token: null for none). */
  admin(p, opts = {}) {
    const headers = { ...(opts.headers ?? {}) };
    const token = opts.token === undefined ? ADMIN_TOKEN : opts.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body = opts.body;
    if (body !== undefined && typeof body !== 'string') {
      body = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    return request(this.adminBase + p, { method: opts.method ?? 'GET', headers, body });
  }

  /** The whole log (or after `after`), paging through /admin/v1/events with `pageSize`. */
  async events({ after = 0, pageSize = 1000 } = {}) {
    const out = [];
    let cursor = after;
    for (;;) {
      const r = await this.admin(`/admin/v1/events?after=${cursor}&limit=${pageSize}`);
      if (r.status !== 200) throw new Error(`GET /admin/v1/events: ${r.status} ${r.text}`);
      out.push(...r.json.events);
      if (r.json.events.length < pageSize || r.json.next === cursor) return out;
      cursor = r.json.next;
    }
  }

  /** The highest durable sequence number. */
  async lastSeq() {
    const r = await this.admin('/admin/v1/events?limit=0');
    if (r.status !== 200) throw new Error(`GET /admin/v1/events: ${r.status} ${r.text}`);
    return r.json.last_seq;
  }

  /** Stored records whose event has this messageId. */
  async findByMessageId(messageId, opts) {
    return (await this.events(opts)).filter((r) => r.event.messageId === messageId);
  }

  /** Newest-first rejections. */
  async rejections(limit = 1000) {
    const r = await this.admin(`/admin/v1/rejections?limit=${limit}`);
    if (r.status !== 200) throw new Error(`GET /admin/v1/rejections: ${r.status} ${r.text}`);
    return r.json;
  }
}

/** fetch() wrapper resolving {status, headers, text, json} (json undefined when not JSON). */
export async function request(url, { method = 'GET', headers = {}, body, signal } = {}) {
  const res = await fetch(url, { method, headers, body, signal });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Runs `tributary <args>` synchronously: {status, stdout, stderr}. */
export function runCli(args, opts = {}) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 30_000, ...opts });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A message of `type` with the fields its type requires, plus `extra`. */
export function message(type, extra = {}) {
  const base = { userId: uid('user'), messageId: uid('msg') };
  switch (type) {
    case 'track':
      return { ...base, event: 'Thing Happened', properties: { n: 1 }, ...extra };
    case 'identify':
      return { ...base, traits: { email: 'a@example.com' }, ...extra };
    case 'page':
      return { ...base, name: 'Home', properties: { path: '/' }, ...extra };
    case 'screen':
      return { ...base, name: 'Dashboard', properties: { tab: 1 }, ...extra };
    case 'group':
      return { ...base, groupId: uid('group'), traits: { plan: 'pro' }, ...extra };
    case 'alias':
      return { ...base, previousId: uid('anon'), ...extra };
    default:
      return { ...base, ...extra };
  }
}

/**
 * A webhook receiver on a free loopback port that answers 200 `{}` and records every request as
 * {url, headers, body (parsed JSON)} in `rx.requests`; `rx.url` is its base URL, `rx.server` the
 * node:http server (close it when done).
 */
export async function receiver() {
  const rx = { requests: [] };
  rx.server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      rx.requests.push({ url: req.url, headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString()) });
      res.writeHead(200).end('{}');
    });
  });
  await new Promise((r) => rx.server.listen(0, '127.0.0.1', r));
  rx.url = `http://127.0.0.1:${rx.server.address().port}`;
  return rx;
}
