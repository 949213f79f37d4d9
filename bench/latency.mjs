// End-to-end latency under background load: how long after the Tracking API's 200 an event's
// effects can be seen. Run through bench/latency.sh (which builds the binaries); directly:
//
//   node bench/latency.mjs --bin build/bench/src/tributary --openloop build/bench/openloop
//                          [--rates 5000,10000] [--probes 300] [--out FILE] [--extra JSON] [--poll-gap MS]
//
// One server (sync: always, a computed trait, an audience on it, a webhook sink) and, per rate R,
// background load from openloop (batches of 100 track events, R events/s, every one a new user).
// Meanwhile probes go out one at a time: a `Probe` track for a fresh user. For each probe, from the
// moment its 200 arrived, measured concurrently:
//   trait    the computed trait `probe_count` is 1 in the Profile API (GET .../traits); the round
//            trips of these polls are reported too (Profile API latency under load)
//   audience the synthesized `Audience Entered` for the user is in the log (GET /admin/v1/events)
//   sink     the webhook receiver got the probe
// The first two are found by polling, one request at a time with a pause of --poll-gap ms (default
// 1; a timer of 1 ms takes about 1-1.5 ms in Node) between requests, so each carries up to one
// pause plus one round trip of overshoot: the baseline line (GET /healthz round trips measured in
// the same run, under the same load) shows the round trip. After the probes, while the load still
// runs, openloop reads the last probe's traits and /healthz at a fixed rate for a few seconds,
// each timed from its scheduled send (the Profile API latency under load). Prints a markdown table.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const BIN = args.bin;
const OPENLOOP = args.openloop;
const RATES = (args.rates ?? '5000,10000').split(',').map(Number);
const PROBES = Number(args.probes ?? 300);
const POLL_GAP_MS = Number(args['poll-gap'] ?? 1); // between polls: spinning would take CPU from the server
const TOKEN = 'bench-admin-token';
const KEY = 'wk_latency_bench';
if (!BIN || !OPENLOOP) {
  console.error('usage: node bench/latency.mjs --bin TRIBUTARY --openloop OPENLOOP [--rates R,..] [--probes N]');
  process.exit(2);
}

const READ_RATE = 200; // requests/s of each open-loop reader
const READ_SECONDS = 6;

// Runs `openloop load --method GET` against one path and returns its quantiles in ms.
function openloopGet(port, urlPath, auth) {
  return new Promise((resolve, reject) => {
    const argv = ['load', '--method', 'GET', '--port', String(port), '--rate', String(READ_RATE),
      '--duration', String(READ_SECONDS), '--warmup', '1', '--connections', '2', '--path', urlPath, '--tag', 'reads'];
    if (auth) argv.push('--auth', auth);
    const p = spawn(OPENLOOP, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (c) => (out += c));
    p.on('error', reject);
    p.on('exit', (code) => {
      const v = (k) => Number(new RegExp(`${k}=([\\d.]+)`).exec(out)?.[1]);
      if (code !== 0 || v('non200') > 0 || v('errors') > 0) return reject(new Error(`openloop reads failed: ${out}`));
      resolve({ n: v('measured_requests'), p50: v('p50_us') / 1000, p90: v('p90_us') / 1000, p99: v('p99_us') / 1000, max: v('max_us') / 1000 });
    });
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function req(port, method, urlPath, headers = {}, body) {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    r.on('error', reject);
    if (body !== undefined) r.end(body);
    else r.end();
  });
}

function quantiles(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => (s.length ? s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] : NaN);
  return { n: s.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: s[s.length - 1] ?? NaN };
}

async function main() {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-latency-'));
  // The webhook sink: remembers when each probe arrived.
  const arrived = new Map();
  const waiters = new Map();
  const sink = http.createServer((rq, rs) => {
    const chunks = [];
    rq.on('data', (c) => chunks.push(c));
    rq.on('end', () => {
      const t = performance.now();
      rs.writeHead(200).end('{}');
      try {
        const ev = JSON.parse(Buffer.concat(chunks).toString());
        for (const e of Array.isArray(ev) ? ev : [ev]) {
          arrived.set(e.messageId, t);
          waiters.get(e.messageId)?.(t);
        }
      } catch {}
    });
  });
  await new Promise((r) => sink.listen(0, '127.0.0.1', r));
  const sinkPort = sink.address().port;

  const config = {
    server: { listen: '127.0.0.1:0', admin_listen: '127.0.0.1:0' },
    storage: { path: path.join(dir, 'data'), sync: 'always' },
    admin: { tokens: [TOKEN] },
    sources: { bench: { write_keys: [KEY] } },
    computed_traits: { probe_count: { type: 'event_count', event: 'Probe' } },
    audiences: { probed: { name: 'Probed', where: 'traits.probe_count >= 1' } },
    destinations: {
      sink: { type: 'webhook', url: `http://127.0.0.1:${sinkPort}/hook`, subscribe: 'event = "Probe"' },
    },
  };
  Object.assign(config, JSON.parse(args.extra ?? '{}')); // e.g. --extra '{"processor":{"batch_events":500}}'
  const configPath = path.join(dir, 'tributary.yaml');
  await fs.writeFile(configPath, JSON.stringify(config, null, 2)); // JSON is YAML
  const readyFile = path.join(dir, 'ready.json');
  const server = spawn(BIN, ['serve', '--config', configPath, '--ready-file', readyFile, '--log-level', 'warn'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let ready;
  for (const deadline = Date.now() + 30_000; !ready; await sleep(20)) {
    if (Date.now() > deadline) throw new Error('server did not start');
    ready = await fs.readFile(readyFile, 'utf8').then(JSON.parse, () => undefined);
  }
  const api = ready.listen;
  const admin = ready.admin;
  const writeAuth = 'Basic ' + Buffer.from(`${KEY}:`).toString('base64');
  const adminAuth = { authorization: `Bearer ${TOKEN}` };
  const rows = [];
  try {
    for (const rate of RATES) {
      // Long enough for every probe (each takes its latency plus 5-15 ms); the load then runs out.
      // Then READ_SECONDS of open-loop reads (below) while the load still runs.
      const loadSeconds = Math.ceil(5 + PROBES * 0.06) + READ_SECONDS + 3;
      const loadEnd = performance.now() + loadSeconds * 1000;
      let unloaded = 0;
      const load = spawn(OPENLOOP, [
        'load', '--port', String(api), '--rate', String(rate / 100), '--batch', '100',
        '--duration', String(loadSeconds), '--connections', '4',
        '--path', '/v1/batch', '--auth', writeAuth, '--tag', `bg${rate}`,
      ], { stdio: ['ignore', 'pipe', 'inherit'] });
      let loadOut = '';
      load.stdout.on('data', (c) => (loadOut += c));
      await sleep(3000); // let the load settle

      let after = Number(JSON.parse((await req(admin, 'GET', '/admin/v1/events?limit=0', adminAuth)).body).last_seq);
      const base = [], ack = [], trait = [], aud = [], hook = [], traitRtt = [];
      let missing = 0;
      for (let i = 0; i < PROBES; i++) {
        if (performance.now() > loadEnd - 500) unloaded++;
        const h0 = performance.now();
        await req(api, 'GET', '/healthz');
        base.push(performance.now() - h0);

        const user = `probe-${rate}-${i}-${process.pid}`;
        const messageId = `m-${user}`;
        const hookSeen = new Promise((resolve) => {
          if (arrived.has(messageId)) resolve(arrived.get(messageId));
          waiters.set(messageId, resolve);
        });
        const body = JSON.stringify({ userId: user, event: 'Probe', messageId, properties: { i } });
        const t0 = performance.now();
        const r = await req(api, 'POST', '/v1/track', { authorization: writeAuth, 'content-type': 'application/json' }, body);
        const tAck = performance.now();
        if (r.status !== 200) throw new Error(`probe got ${r.status}: ${r.body}`);
        ack.push(tAck - t0);
        const deadline = tAck + 5000;
        const traitSeen = (async () => {
          const url = `/v1/spaces/default/collections/users/profiles/user_id:${user}/traits?class=computed_trait`;
          while (performance.now() < deadline) {
            const q0 = performance.now();
            const t = await req(admin, 'GET', url, adminAuth);
            traitRtt.push(performance.now() - q0);
            if (t.status === 200 && JSON.parse(t.body).traits?.probe_count === 1) return performance.now();
            await sleep(POLL_GAP_MS);
          }
        })();
        const audSeen = (async () => {
          while (performance.now() < deadline) {
            const page = JSON.parse((await req(admin, 'GET', `/admin/v1/events?after=${after}&limit=1000`, adminAuth)).body);
            after = page.next;
            if (page.events.some((e) => e.event.event === 'Audience Entered' && e.event.userId === user)) return performance.now();
            await sleep(POLL_GAP_MS);
          }
        })();
        const hookTimeout = sleep(5000).then(() => undefined);
        const [tt, ta, th] = await Promise.all([traitSeen, audSeen, Promise.race([hookSeen, hookTimeout])]);
        waiters.delete(messageId);
        for (const [t, into] of [[tt, trait], [ta, aud], [th, hook]]) {
          if (t === undefined) missing++;
          else into.push(Math.max(0, t - tAck));
        }
        await sleep(5 + Math.random() * 10);
      }
      // Profile API reads at a fixed rate, each timed from its scheduled send (openloop --method
      // GET, C++: none of Node's timer jitter), next to /healthz read the same way, concurrently.
      const lastUser = `probe-${rate}-${PROBES - 1}-${process.pid}`;
      const readsUntil = performance.now() + (READ_SECONDS + 1) * 1000;
      const [profileReads, healthReads] = await Promise.all([
        [admin, `/v1/spaces/default/collections/users/profiles/user_id:${lastUser}/traits`, `Bearer ${TOKEN}`],
        [api, '/healthz', ''],
      ].map(([port, urlPath, auth]) => openloopGet(port, urlPath, auth)));
      if (readsUntil > loadEnd) console.error(`warning: the reads at ${rate}/s outlasted the load`);
      await new Promise((r) => (load.exitCode !== null ? r() : load.on('exit', r)));
      if (unloaded) console.error(`warning: ${unloaded} probes at ${rate}/s ran after the load ended`);
      const achieved = /achieved_rate=([\d.]+)/.exec(loadOut)?.[1];
      rows.push({ rate, achieved: achieved ? Number(achieved) * 100 : NaN, unloaded, base: quantiles(base), ack: quantiles(ack),
        trait: quantiles(trait), traitRtt: quantiles(traitRtt), profileReads, healthReads, aud: quantiles(aud), hook: quantiles(hook), missing, loadOut: loadOut.trim() });
    }
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.on('exit', r));
    sink.close();
    agent.destroy();
    await fs.rm(dir, { recursive: true, force: true });
  }
  const f = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
  const out = [];
  out.push('| background ev/s (achieved) | measured | n | p50 ms | p90 ms | p99 ms | max ms |', '|---|---|---|---|---|---|---|');
  for (const r of rows) {
    for (const [name, q] of [
      ['baseline: GET /healthz round trip', r.base], ['probe POST /v1/track → 200', r.ack],
      ['Profile API GET .../traits round trip (every poll; 404 until the profile exists)', r.traitRtt],
      [`Profile API GET .../traits, open loop at ${READ_RATE}/s (openloop)`, r.profileReads],
      [`baseline: GET /healthz, open loop at ${READ_RATE}/s (openloop, at the same time)`, r.healthReads],
      ['200 → computed trait in Profile API', r.trait], ['200 → Audience Entered in the log', r.aud],
      ['200 → webhook sink received it', r.hook],
    ])
      out.push(`| ${r.rate} (${Math.round(r.achieved)}) | ${name} | ${q.n} | ${f(q.p50)} | ${f(q.p90)} | ${f(q.p99)} | ${f(q.max)} |`);
  }
  out.push('');
  for (const r of rows) out.push(`background ${r.rate}/s: ${r.loadOut} (probe timeouts: ${r.missing}, probes after the load: ${r.unloaded})`);
  const text = out.join('\n');
  console.log(text);
  if (args.out) await fs.writeFile(args.out, text + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
