// Operations: Prometheus scrape + promtool, hot reload on file change, connection and header
// limits against slow clients, per-write-key rate limits, and online backup/restore under load.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import {
  ADMIN_TOKEN, BACKEND_KEY, BIN, HERE, Server, WEB_KEY, basicAuth, defaultConfig, message, request, uid, waitFor,
} from './harness.mjs';

const servers = [];
const cleanups = [];
async function start(opts) {
  const s = await Server.start(opts);
  servers.push(s);
  return s;
}
after(async () => {
  for (const c of cleanups) await c();
  for (const s of servers) await s.close();
});

/**
 * A Server with its temp dir and config file written like Server.start(), but not launched yet
 * (so a backup can be restored into its data dir first). Closed after the file.
 */
async function prepare(opts = {}) {
  const s = new Server(opts);
  s.dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-it-'));
  s.dataDir = path.join(s.dir, 'data');
  s.configPath = path.join(s.dir, 'tributary.yaml');
  s.readyFile = path.join(s.dir, 'ready.json');
  servers.push(s);
  await s.writeConfig(opts.configText ?? opts.config);
  return s;
}

/** Runs `tributary <args>` without blocking the event loop (load keeps flowing meanwhile). */
function runCliAsync(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.once('error', reject);
    p.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

function which(bin) {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * One raw HTTP/1.1 connection: requests are written as given and responses parsed off the same
 * socket, so a test can tell that a connection survived (keep-alive) or was cut off.
 */
class RawConnection {
  static open(port) {
    return new Promise((resolve, reject) => {
      const c = new RawConnection();
      c.socket = net.connect({ host: '127.0.0.1', port }, () => resolve(c));
      c.socket.once('error', reject);
      c.buffer = Buffer.alloc(0);
      c.closed = new Promise((res) => c.socket.once('close', () => res(Date.now())));
      c.isClosed = false;
      c.socket.on('close', () => { c.isClosed = true; });
      c.socket.on('error', () => {});
      c.socket.on('data', (d) => {
        c.buffer = Buffer.concat([c.buffer, d]);
        c.wake?.();
      });
    });
  }

  write(data) {
    return new Promise((resolve) => this.socket.write(data, () => resolve()));
  }

  /** The next complete response: {status, headers (lowercase names), text, json}. */
  async response(timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.#parse();
      if (parsed) return parsed;
      if (this.isClosed) throw new Error('the connection closed before a full response');
      if (Date.now() > deadline) throw new Error('no response in time');
      await new Promise((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  /** Writes a request and reads its response. */
  async send(req) {
    await this.write(req);
    return this.response();
  }

  #parse() {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const head = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(head[0].split(' ')[1]);
    const headers = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (this.buffer.length < end + 4 + length) return null;
    const text = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    this.buffer = this.buffer.subarray(end + 4 + length);
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status, headers, text, json };
  }

  destroy() {
    this.socket.destroy();
  }
}

/** A keep-alive POST /v1/track request as raw text. */
function rawTrack(writeKey, msg = message('track')) {
  const body = JSON.stringify(msg);
  return `POST /v1/track HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${basicAuth(writeKey)}\r\n`
    + `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** The value of one sample of /metrics, e.g. metric(text, 'tributary_config_reloads_total{result="ok"}'). */
function metric(text, series) {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function metrics(srv) {
  const r = await request(srv.adminBase + '/metrics');
  assert.equal(r.status, 200);
  return r.text;
}

async function fingerprint(srv) {
  return (await srv.admin('/admin/v1/config')).json.fingerprint;
}

/** A free loopback TCP port (for tools that cannot report the port they bound). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

describe('prometheus', () => {
  const promtool = which('promtool');
  const prometheus = which('prometheus');

  test('promtool check metrics accepts /metrics', { skip: !promtool && 'promtool is not installed (scripts/install-deps.sh --test)' }, async () => {
    const srv = await start({ config: { sources: { web: { rate_limit: '1000/s' } } } });
    // Give every labelled family samples: accepted, rejected, refused, and both reload results.
    assert.equal((await srv.send('track', message('track'))).status, 200);
    assert.equal((await srv.send('track', message('track', { event: undefined }))).status, 400);
    assert.equal((await srv.send('track', message('track'), { writeKey: 'nope' })).status, 401);
    assert.equal((await srv.admin('/admin/v1/reload', { method: 'POST' })).status, 200);
    const text = await metrics(srv);
    const r = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(r.status, 0, `promtool check metrics failed:\n${r.stdout}${r.stderr}\n--- metrics:\n${text}`);
    assert.equal((r.stdout + r.stderr).trim(), '', 'no lint warnings either');
    for (const name of ['tributary_config_reloads_total{result="ok"}', 'tributary_config_reloads_total{result="error"}',
      'tributary_http_connections_refused_total', 'tributary_http_header_timeouts_total', 'tributary_process_open_fds',
      'tributary_log_size_bytes', 'tributary_storage_size_bytes']) {
      assert.notEqual(metric(text, name), undefined, `${name} is exposed`);
    }
    assert.equal(metric(text, 'tributary_config_reloads_total{result="ok"}'), 1);
  });

  test('the alert rules in docs/operations.md pass promtool check rules', { skip: !promtool && 'promtool is not installed (scripts/install-deps.sh --test)' }, async () => {
    const doc = await fs.readFile(path.join(HERE, '../../docs/operations.md'), 'utf8');
    const at = doc.indexOf('As a Prometheus rule file');
    assert.ok(at > 0, 'the rule file example is in the docs');
    const block = doc.slice(at).match(/```yaml\n([\s\S]*?)```/);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-rules-'));
    cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'rules.yml');
    await fs.writeFile(file, block[1]);
    const r = spawnSync(promtool, ['check', 'rules', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    // Every metric the rules use is one we export.
    const srv = servers[0] ?? await start();
    const exported = await metrics(srv);
    for (const name of new Set(block[1].match(/tributary_[a-z_]+/g))) {
      const base = name.replace(/_bucket$/, '');
      assert.match(exported, new RegExp(`^# TYPE ${base} `, 'm'), `${name} is exported`);
    }
  });

  test('a real Prometheus scrapes the admin port', { skip: !prometheus && 'prometheus is not installed (scripts/install-deps.sh --test)', timeout: 120_000 }, async () => {
    const srv = await start();
    assert.equal((await srv.send('track', message('track'))).status, 200);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-prom-'));
    cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
    const configFile = path.join(dir, 'prometheus.yml');
    await fs.writeFile(configFile, [
      'global: {scrape_interval: 1s, evaluation_interval: 1s}',
      'scrape_configs:',
      '  - job_name: tributary',
      `    static_configs: [{targets: ["127.0.0.1:${srv.adminPort}"]}]`,
      '',
    ].join('\n'));

    // Prometheus cannot report a port it picked itself: take a free one, retry if it was raced.
    let prom;
    let base;
    let log = '';
    for (let attempt = 0; attempt < 3 && !prom; attempt++) {
      const port = await freePort();
      const p = spawn(prometheus, [
        `--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, `tsdb${attempt}`)}`,
        `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
      ], { stdio: ['ignore', 'ignore', 'pipe'] });
      p.stderr.on('data', (d) => { log = (log + d).slice(-10_000); });
      const exited = new Promise((resolve) => p.once('exit', () => resolve(true)));
      const up = await Promise.race([
        exited,
        waitFor(async () => (await request(`http://127.0.0.1:${port}/-/ready`)).status === 200, 30_000, { message: 'prometheus ready' }).then(() => false),
      ]);
      if (up === false) {
        prom = p;
        base = `http://127.0.0.1:${port}`;
      }
    }
    assert.ok(prom, `prometheus did not start:\n${log}`);
    cleanups.push(async () => {
      if (prom.exitCode === null) {
        const gone = new Promise((resolve) => prom.once('exit', resolve));
        prom.kill('SIGTERM');
        await gone;
      }
    });

    const query = async (q) => {
      const r = await request(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
      return r.status === 200 && r.json.status === 'success' ? r.json.data.result : [];
    };
    const up = await waitFor(async () => {
      const res = await query('up{job="tributary"}');
      return res.length === 1 && res[0].value[1] === '1' && res;
    }, 60_000, { message: 'up{job="tributary"} == 1' });
    assert.equal(up[0].metric.instance, `127.0.0.1:${srv.adminPort}`);
    const seq = await waitFor(async () => {
      const res = await query('tributary_log_last_sequence{job="tributary"}');
      return res.length === 1 && res;
    }, 30_000, { message: 'tributary_log_last_sequence scraped' });
    assert.equal(seq[0].value[1], '1');
    const accepted = await query('tributary_ingest_events_total{job="tributary",source="web",type="track"}');
    assert.equal(accepted.length, 1);
    assert.equal(accepted[0].value[1], '1');
  });
});

describe('hot reload on file change', () => {
  test('a write key added to the file works without a signal', async () => {
    const srv = await start();
    const key = uid('wk_new');
    assert.equal((await srv.send('track', message('track'), { writeKey: key })).status, 401);
    await srv.writeConfig({ sources: { mobile: { write_keys: [key] } } });
    await waitFor(async () => (await srv.send('track', message('track'), { writeKey: key })).status === 200,
      10_000, { message: 'the new write key accepted' });
    assert.match(srv.stderr, /changed: reloading/);
    assert.equal(metric(await metrics(srv), 'tributary_config_reloads_total{result="ok"}'), 1);
    const cfg = (await srv.admin('/admin/v1/config')).json;
    assert.ok(cfg.sources.some((s) => s.name === 'mobile'));
    assert.equal(cfg.last_reload_error, null);
  });

  test('an invalid change written in place is refused and the old config keeps serving', async () => {
    const srv = await start();
    const before = await fingerprint(srv);
    // In place (truncate + write), as an editor without rename would: the debounce sees one change.
    const bad = { ...defaultConfig(srv.dataDir) };
    bad.sources = { web: { write_keys: [WEB_KEY], write_keyz: ['typo'] } };
    await fs.writeFile(srv.configPath, JSON.stringify(bad, null, 2) + '\n');
    const cfg = await waitFor(async () => {
      const j = (await srv.admin('/admin/v1/config')).json;
      return j.last_reload_error && j;
    }, 10_000, { message: 'last_reload_error set' });
    assert.match(cfg.last_reload_error, /tributary\.yaml:\d+:\d+: .*write_keyz/);
    assert.equal(cfg.fingerprint, before, 'the running config stays');
    assert.equal((await srv.send('track', message('track'))).status, 200);
    assert.equal((await srv.send('track', message('track'), { writeKey: BACKEND_KEY })).status, 200,
      'the backend source, absent from the invalid file, still works');
    assert.equal(metric(await metrics(srv), 'tributary_config_reloads_total{result="error"}'), 1);
    assert.match(srv.stderr, /reload refused/);

    await srv.writeConfig();  // fixed (here: back to the defaults, byte for byte different)
    await waitFor(async () => (await srv.admin('/admin/v1/config')).json.last_reload_error === null,
      10_000, { message: 'last_reload_error cleared' });
  });

  test('a write key removed from the file is refused right after the reload', async () => {
    const srv = await start();
    assert.equal((await srv.send('track', message('track'), { writeKey: BACKEND_KEY })).status, 200);
    const before = await fingerprint(srv);
    const cfg = defaultConfig(srv.dataDir);
    delete cfg.sources.backend;
    await srv.writeConfig(JSON.stringify(cfg, null, 2) + '\n');
    await waitFor(async () => (await fingerprint(srv)) !== before, 10_000, { message: 'the reload' });
    const r = await srv.send('track', message('track'), { writeKey: BACKEND_KEY });
    assert.equal(r.status, 401);
    assert.equal(r.json.code, 'invalid_write_key');
    assert.equal((await srv.send('track', message('track'))).status, 200);
  });

  test('a valid change is applied while a keep-alive connection stays open', async () => {
    const srv = await start();
    const conn = await RawConnection.open(srv.port);
    try {
      assert.equal((await conn.send(rawTrack(WEB_KEY))).status, 200);
      const key = uid('wk_live');
      const before = await fingerprint(srv);
      await srv.writeConfig({ sources: { live: { write_keys: [key] } } });
      await waitFor(async () => (await fingerprint(srv)) !== before, 10_000, { message: 'the reload' });
      // Same socket: the reload neither closed it nor made it serve the old snapshot.
      const r = await conn.send(rawTrack(key));
      assert.equal(r.status, 200, r.text);
      assert.equal((await conn.send(rawTrack(WEB_KEY))).status, 200);
      assert.equal(conn.isClosed, false);
    } finally {
      conn.destroy();
    }
  });
});

describe('limits against slow and greedy clients', () => {
  test('a slowloris client is cut off by header_timeout while others are served', { timeout: 60_000 }, async () => {
    const srv = await start({ config: { server: { header_timeout: '1500ms' } } });
    const slow = await RawConnection.open(srv.port);
    const started = Date.now();
    await slow.write('POST /v1/track HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    // One header byte every 500 ms: each byte arrives well within any idle timeout.
    let sent = 0;
    const drip = setInterval(() => {
      if (!slow.isClosed) slow.socket.write('a', () => {});
      sent++;
    }, 500);
    try {
      let served = 0;
      while (!slow.isClosed && Date.now() - started < 20_000) {
        const r = await srv.send('track', message('track'));
        assert.equal(r.status, 200);
        served++;
      }
      const closedAt = await slow.closed;
      const lasted = closedAt - started;
      assert.ok(lasted >= 1_400 && lasted < 10_000, `cut off after ${lasted} ms (header_timeout 1500ms)`);
      assert.ok(served > 0, 'other clients were served meanwhile');
      assert.ok(sent >= 2, 'the slow client was still sending');
      assert.equal(slow.buffer.length, 0, 'no response for a request that never finished its headers');
    } finally {
      clearInterval(drip);
      slow.destroy();
    }
    assert.equal(metric(await metrics(srv), 'tributary_http_header_timeouts_total'), 1);
    assert.equal((await srv.send('track', message('track'))).status, 200);
  });

  test('an oversized header gets 431 and other clients are unaffected', async () => {
    const srv = await start();
    const other = await RawConnection.open(srv.port);
    const big = await RawConnection.open(srv.port);
    try {
      assert.equal((await other.send(rawTrack(WEB_KEY))).status, 200);
      const r = await big.send(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'b'.repeat(20 * 1024)}\r\n\r\n`);
      assert.equal(r.status, 431);
      assert.equal(r.json.code, 'headers_too_large');
      await big.closed;  // the server closes the offending connection
      assert.equal((await other.send(rawTrack(WEB_KEY))).status, 200, 'the other keep-alive connection still works');
      assert.equal((await srv.send('track', message('track'))).status, 200);
    } finally {
      other.destroy();
      big.destroy();
    }
    assert.equal(metric(await metrics(srv), 'tributary_http_headers_too_large_total'), 1);
  });

  test('server.max_connections closes connections over the limit at accept', async () => {
    const srv = await start({ config: { server: { max_connections: 3 } } });
    const held = [];
    try {
      for (let i = 0; i < 3; i++) {
        const c = await RawConnection.open(srv.port);
        held.push(c);
        assert.equal((await c.send(rawTrack(WEB_KEY))).status, 200);  // accepted and counted
      }
      const extra = await RawConnection.open(srv.port);
      held.push(extra);
      await extra.closed;
      assert.equal(extra.buffer.length, 0);
      assert.equal(metric(await metrics(srv), 'tributary_http_connections_refused_total'), 1);
      assert.equal((await srv.admin('/admin/v1/config')).status, 200, 'the admin listener has its own budget');
      held[0].destroy();
      // Once one closes, new connections are served again.
      await waitFor(async () => (await srv.send('track', message('track'))).status === 200, 10_000,
        { message: 'a new connection served' });
      assert.equal((await held[1].send(rawTrack(WEB_KEY))).status, 200, 'held connections are untouched');
    } finally {
      for (const c of held) c.destroy();
    }
  });

  test('sources.<name>.rate_limit answers 429 with Retry-After', async () => {
    const srv = await start({ config: { sources: { web: { rate_limit: '2/s' } } } });
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await srv.send('track', message('track')));
    const limited = results.filter((r) => r.status === 429);
    assert.ok(results.filter((r) => r.status === 200).length >= 2, 'the burst (one second of the rate) passes');
    assert.ok(limited.length >= 1, `some requests are limited: ${results.map((r) => r.status)}`);
    const r = limited[0];
    assert.deepEqual({ success: r.json.success, code: r.json.code }, { success: false, code: 'rate_limited' });
    assert.match(r.json.message, /web/);
    assert.ok(Number(r.headers.get('retry-after')) >= 1, 'Retry-After in whole seconds');
    // The body's writeKey counts the same as Basic auth.
    const viaBody = await srv.post('/v1/track', { ...message('track'), writeKey: WEB_KEY });
    assert.equal(viaBody.status, 429);
    // Another source has no limit.
    for (let i = 0; i < 5; i++) {
      assert.equal((await srv.send('track', message('track'), { writeKey: BACKEND_KEY })).status, 200);
    }
    // Tokens come back with time.
    await waitFor(async () => (await srv.send('track', message('track'))).status === 200, 5_000,
      { intervalMs: 250, message: 'a token refilled' });
    const rej = await srv.rejections();
    assert.ok(rej.counts_since_start.rate_limited >= 2);
  });

  test('an invalid rate_limit is a config error with its position', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-ops-'));
    cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'bad.yaml');
    await fs.writeFile(file, 'sources:\n  web:\n    write_keys: [k]\n    rate_limit: fast\nserver:\n  header_timeout: soon\n');
    const r = await runCliAsync(['check-config', file]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`${file}:4:17: sources\\.web\\.rate_limit: 'fast'`));
    assert.match(r.stderr, new RegExp(`${file}:6:19: .*header_timeout`));
  });
});

describe('online backup', () => {
  test('a backup taken under load restores into a server that serves the same events', { timeout: 120_000 }, async () => {
    const srv = await start();
    const seed = message('identify');
    assert.equal((await srv.send('identify', seed)).status, 200);
    let stop = false;
    let acked = 0;
    const workers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const batch = Array.from({ length: 10 }, () => ({ type: 'track', ...message('track') }));
        const r = await srv.post('/v1/batch', { batch }, { writeKey: WEB_KEY });
        assert.equal(r.status, 200);
        acked += batch.length;
      }
    });
    await waitFor(() => acked >= 200, 30_000, { message: '200 events acked' });
    const seqBefore = await srv.lastSeq();
    const backupDir = path.join(srv.dir, 'backup-1');
    const b = await runCliAsync(['backup', '--config', srv.configPath, '--to', backupDir, '--admin', `127.0.0.1:${srv.adminPort}`]);
    assert.equal(b.status, 0, b.stderr);
    const m = b.stdout.match(/backup written to (\S+) \(last sequence (\d+),/);
    assert.ok(m, b.stdout);
    assert.equal(m[1], backupDir);
    const backupSeq = Number(m[2]);
    assert.ok(backupSeq >= seqBefore, `the backup (${backupSeq}) holds every event acked before it (${seqBefore})`);
    await waitFor(async () => (await srv.lastSeq()) > backupSeq + 100, 30_000, { message: 'load continues after the backup' });
    stop = true;
    await Promise.all(workers);

    // The running server's own data dir cannot be restored over, and DIR must be new.
    const busy = await runCliAsync(['restore', '--from', backupDir, '--config', srv.configPath, '--force']);
    assert.equal(busy.status, 1);
    assert.match(busy.stderr, /a server is running/);
    const again = await runCliAsync(['backup', '--config', srv.configPath, '--to', backupDir, '--admin', `127.0.0.1:${srv.adminPort}`]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /exists/);

    // A second server on a fresh data dir, restored from the backup before it starts.
    const copy = await prepare();
    const r = await runCliAsync(['restore', '--from', backupDir, '--config', copy.configPath]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`last sequence ${backupSeq},`));
    await copy.launch();

    const original = (await srv.events()).filter((e) => e.seq <= backupSeq);
    const restored = await copy.events();
    assert.equal(restored.length, backupSeq, 'no gaps: seqs 1..backupSeq');
    assert.deepEqual(restored, original);
    assert.equal(await copy.lastSeq(), backupSeq);
    // The copy goes on from there, and its dedupe index came along.
    assert.equal((await copy.send('track', message('track'))).status, 200);
    assert.equal(await copy.lastSeq(), backupSeq + 1);
    assert.equal(restored[0].event.messageId, seed.messageId);
    assert.equal((await copy.send('identify', seed)).status, 200);
    assert.equal(await copy.lastSeq(), backupSeq + 1, 'a message already in the backup is deduplicated');

    // A non-empty data dir is refused without --force.
    await copy.stop();
    const refused = await runCliAsync(['restore', '--from', backupDir, '--config', copy.configPath]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /not empty.*--force/);
    const forced = await runCliAsync(['restore', '--from', backupDir, '--config', copy.configPath, '--force']);
    assert.equal(forced.status, 0, forced.stderr);
    await copy.launch();
    assert.equal(await copy.lastSeq(), backupSeq, 'the forced restore replaced the newer data');
  });

  test('POST /admin/v1/backup validates its target', async () => {
    const srv = await start();
    const post = (body, opts = {}) => srv.admin('/admin/v1/backup', { method: 'POST', body, ...opts });
    assert.equal((await post({ to: path.join(srv.dir, 'b') }, { token: null })).status, 401);
    assert.equal((await post({ to: 'relative/dir' })).status, 400);
    assert.equal((await post({})).status, 400);
    assert.equal((await post({ to: path.join(srv.dir, 'no', 'such', 'parent') })).status, 400);
    const r = await post({ to: srv.dataDir });
    assert.equal(r.status, 409);
    assert.equal(r.json.error.code, 'already_exists');
    const ok = await post({ to: path.join(srv.dir, 'empty-backup') });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.last_seq, 0);
    const slash = await post({ to: path.join(srv.dir, 'slash-backup') + '/' });
    assert.equal(slash.status, 200, slash.text);
    assert.equal(slash.json.path, path.join(srv.dir, 'slash-backup'));
  });

  test('backup needs the admin port when admin_listen uses port 0', async () => {
    const srv = await start();
    const r = await runCliAsync(['backup', '--config', srv.configPath, '--to', path.join(srv.dir, 'x')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--admin HOST:PORT/);
  });
});

/** An HTTPS request trusting `ca`: {status, headers, text, json}. */
function httpsRequest(url, { method = 'GET', headers = {}, body, ca } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, ca, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('tls', () => {
  const openssl = which('openssl');

  test('server.tls serves both listeners over HTTPS, and backup uses it', { skip: !openssl && 'openssl is not installed', timeout: 60_000 }, async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-tls-'));
    cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
    const cert = path.join(dir, 'tls.crt');
    const key = path.join(dir, 'tls.key');
    const gen = spawnSync(openssl, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
      '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { encoding: 'utf8' });
    assert.equal(gen.status, 0, gen.stderr);
    const ca = await fs.readFile(cert);

    const srv = await start({ config: { server: { tls: { cert, key } } } });
    const tracked = message('track');
    const r = await httpsRequest(`https://127.0.0.1:${srv.port}/v1/track`, {
      method: 'POST', ca, body: JSON.stringify(tracked),
      headers: { authorization: basicAuth(WEB_KEY), 'content-type': 'application/json' },
    });
    assert.equal(r.status, 200, r.text);
    const events = await httpsRequest(`https://127.0.0.1:${srv.adminPort}/admin/v1/events`, {
      ca, headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(events.status, 200);
    assert.equal(events.json.events[0].event.messageId, tracked.messageId);
    assert.equal((await httpsRequest(`https://127.0.0.1:${srv.adminPort}/metrics`, { ca })).status, 200);

    // An untrusted client is refused by its own TLS check; plain HTTP gets no HTTP answer.
    await assert.rejects(httpsRequest(`https://127.0.0.1:${srv.port}/healthz`, {}), /self[- ]signed|certificate/i);
    await assert.rejects(request(`http://127.0.0.1:${srv.port}/healthz`));
    assert.equal((await httpsRequest(`https://127.0.0.1:${srv.port}/healthz`, { ca })).status, 200, 'still serving');

    const b = await runCliAsync(['backup', '--config', srv.configPath, '--to', path.join(dir, 'backup'), '--admin', `127.0.0.1:${srv.adminPort}`]);
    assert.equal(b.status, 0, b.stderr);
    assert.match(b.stdout, /last sequence 1,/);
  });

  test('a missing certificate stops serve with the reason', async () => {
    const srv = await prepare({ config: { server: { tls: { cert: '/nonexistent/tls.crt', key: '/nonexistent/tls.key' } } } });
    await assert.rejects(srv.launch(), /exited \(1\)[\s\S]*server\.tls\.cert \/nonexistent\/tls\.crt/);
  });
});
