// Restarts, graceful shutdown under load, `tributary check-config`, and config reload.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { HERE, Server, WEB_KEY, message, runCli, uid, waitFor } from './harness.mjs';

const FIXTURES = path.join(HERE, 'fixtures');
const servers = [];
async function start(opts) {
  const s = await Server.start(opts);
  servers.push(s);
  return s;
}
after(async () => {
  for (const s of servers) await s.close();
});

describe('restart', () => {
  test('the log survives a restart and the sequence continues', async () => {
    const srv = await start();
    assert.equal(srv.pid, srv.proc.pid, 'the ready file names the server process');
    const first = Array.from({ length: 5 }, () => ({ type: 'track', ...message('track') }));
    assert.equal((await srv.post('/v1/batch', { batch: first }, { writeKey: WEB_KEY })).status, 200);
    const single = message('identify');
    assert.equal((await srv.send('identify', single)).status, 200);
    const before = await srv.events();
    assert.equal(before.length, 6);

    const exit = await srv.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, 'a SIGTERM stop exits 0');
    assert.match(srv.stderr, /stopped cleanly/);
    await srv.launch();

    assert.deepEqual(await srv.events(), before, 'the same records, same seqs, after the restart');
    assert.equal(await srv.lastSeq(), before.at(-1).seq);

    const next = message('track');
    assert.equal((await srv.send('track', next)).status, 200);
    const rec = (await srv.findByMessageId(next.messageId))[0];
    assert.equal(rec.seq, before.at(-1).seq + 1, 'new events continue the sequence');

    // The dedupe index survives too: a retried pre-restart message is not stored again.
    assert.equal((await srv.send('identify', single)).status, 200);
    assert.equal((await srv.findByMessageId(single.messageId)).length, 1);
    assert.equal((await srv.events()).length, 7);
  });

  test('three restarts in a row keep every event', async () => {
    const srv = await start();
    const ids = [];
    for (let round = 0; round < 3; round++) {
      const msg = message('track', { properties: { round } });
      ids.push(msg.messageId);
      assert.equal((await srv.send('track', msg)).status, 200);
      await srv.restart();
    }
    const events = await srv.events();
    assert.deepEqual(events.map((r) => r.event.messageId), ids);
    assert.deepEqual(events.map((r) => r.seq), [1, 2, 3]);
  });
});

describe('graceful shutdown', () => {
  test('SIGTERM under load: every acked event is in the log after a restart', async () => {
    const srv = await start();
    const acked = new Set();
    const sent = new Set();
    let stopping = false;
    const client = async (c) => {
      for (let i = 0; ; i++) {
        const batch = Array.from({ length: (i % 3) + 1 }, (_, k) => ({ type: 'track', userId: `term-${c}`, event: 'Load', messageId: `term-${c}-${i}-${k}` }));
        batch.forEach((m) => sent.add(m.messageId));
        try {
          const r = await srv.post('/v1/batch', { batch }, { writeKey: WEB_KEY });
          if (r.status === 200) batch.forEach((m) => acked.add(m.messageId));
          else if (stopping) return;
          else assert.fail(`unexpected ${r.status} before the shutdown: ${r.text}`);
        } catch (err) {
          if (!stopping) throw err;
          return; // refused or closed: the server is gone
        }
      }
    };
    const clients = Array.from({ length: 8 }, (_, c) => client(c));
    await waitFor(() => acked.size >= 300, 20_000, { message: '300 acked events under load' });
    stopping = true;
    const exit = await srv.kill('SIGTERM');
    await Promise.all(clients);
    assert.equal(exit.code, 0, `graceful exit, stderr:\n${srv.stderr}`);

    await srv.launch();
    const events = await srv.events();
    const stored = new Map();
    for (const r of events) stored.set(r.event.messageId, (stored.get(r.event.messageId) ?? 0) + 1);
    const missing = [...acked].filter((id) => !stored.has(id));
    assert.deepEqual(missing, [], `acked events lost over a SIGTERM (${missing.length} of ${acked.size})`);
    for (const [id, n] of stored) {
      assert.equal(n, 1, `${id} stored ${n} times`);
      assert.ok(sent.has(id));
    }
    assert.ok(acked.size >= 300);
  });
});

describe('check-config', () => {
  test('a valid file passes with exit 0', () => {
    const r = runCli(['check-config', path.join(FIXTURES, 'valid.yaml')]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /valid\.yaml: OK \(2 sources\)/);
  });

  test('the spec\'s onboarding example passes', () => {
    const file = path.join(FIXTURES, 'onboarding.yaml');
    // Without the variables it reads, so that their defaults apply.
    const env = { PATH: process.env.PATH };
    const r = runCli(['check-config', file], { env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /OK \(2 sources\)/);
  });

  test('unknown keys and bad values: exit 1 and FILE:LINE:COL lines at the right places', async () => {
    const file = path.join(FIXTURES, 'invalid.yaml');
    const text = await fs.readFile(file, 'utf8');
    const lines = text.split('\n');
    // Each expected problem: [the line's start, the token the error points at, what the message says].
    const expected = [
      ['  lisen:', 'lisen', /unknown key 'lisen'/],
      ['  request_timeout:', '30 seconds', /not a duration/],
      ['  dedupe_window:', '24hours', /not a duration/],
      ['  retention:', '10y', /not a duration/],
      ['  sync:', 'sometimes', /'always' or 'never'/],
      ['  web:', 'writekeys', /unknown key 'writekeys'/],
      ['  backend:', 'wk_web', /already used by source 'web'/],
      ['destinatons:', 'destinatons', /unknown key 'destinatons'/],
    ];
    const r = runCli(['check-config', file]);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, '');
    const errorLines = r.stderr.split('\n').filter((l) => l.startsWith(`${file}:`));
    for (const l of errorLines) assert.match(l, /^.+:\d+:\d+: \S.*$/);
    for (const [start, token, what] of expected) {
      const idx = lines.findIndex((l) => l.startsWith(start));
      assert.ok(idx >= 0, start);
      const line = idx + 1;
      const col = lines[idx].indexOf(token) + 1;
      const hit = errorLines.find((l) => l.startsWith(`${file}:${line}:${col}: `));
      assert.ok(hit, `expected an error at ${line}:${col} (${token}); got:\n${r.stderr}`);
      assert.match(hit, what);
    }
    assert.equal(errorLines.length, expected.length, r.stderr);
  });

  test('a missing environment variable, a YAML syntax error and a missing file', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-cc-'));
    try {
      const envFile = path.join(dir, 'env.yaml');
      await fs.writeFile(envFile, 'sources:\n  web:\n    write_keys: ["${IT_SURELY_UNSET_VAR}"]\n');
      const env = { PATH: process.env.PATH };
      let r = runCli(['check-config', envFile], { env });
      assert.equal(r.status, 1);
      assert.match(r.stderr, new RegExp(`^${escape(envFile)}:3:18: .*IT_SURELY_UNSET_VAR`, 'm'));
      r = runCli(['check-config', envFile], { env: { ...env, IT_SURELY_UNSET_VAR: 'wk_from_env' } });
      assert.equal(r.status, 0, r.stderr);

      const syntax = path.join(dir, 'syntax.yaml');
      await fs.writeFile(syntax, 'sources:\n  web: {write_keys: [a, b}\n');
      r = runCli(['check-config', syntax]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, new RegExp(`^${escape(syntax)}:2:\\d+: `, 'm'));

      const nofile = path.join(dir, 'nope.yaml');
      r = runCli(['check-config', nofile]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, new RegExp(`^${escape(nofile)}:1:1: cannot open`, 'm'));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  test('serve refuses an invalid file with the same diagnostics', () => {
    const file = path.join(FIXTURES, 'invalid.yaml');
    const r = runCli(['serve', '--config', file, '--log-level', 'error']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /invalid\.yaml:4:3: unknown key 'lisen'/);
  });
});

describe('config reload', () => {
  const keysConfig = (keys) => ({ sources: { web: { write_keys: keys } } });

  test('POST /admin/v1/reload: a new write key works, a removed one is refused', async () => {
    const srv = await start({ config: keysConfig(['wk_old']) });
    assert.equal((await srv.post('/v1/track', message('track'), { writeKey: 'wk_old' })).status, 200);
    const before = (await srv.admin('/admin/v1/config')).json;

    await srv.writeConfig(keysConfig(['wk_new']));
    const r = await srv.admin('/admin/v1/reload', { method: 'POST' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.reloaded, true);
    assert.notEqual(r.json.fingerprint, before.fingerprint);

    const msg = message('track');
    assert.equal((await srv.post('/v1/track', msg, { writeKey: 'wk_new' })).status, 200);
    assert.equal((await srv.findByMessageId(msg.messageId))[0].source, 'web');
    const old = await srv.post('/v1/track', message('track'), { writeKey: 'wk_old' });
    assert.equal(old.status, 401);
    assert.equal(old.json.code, 'invalid_write_key');
    const cfg = (await srv.admin('/admin/v1/config')).json;
    assert.equal(cfg.fingerprint, r.json.fingerprint);
    assert.ok(Date.parse(cfg.loaded_at) >= Date.parse(before.loaded_at));
  });

  test('an invalid file is refused with 400 and the running config keeps serving', async () => {
    const srv = await start({ config: keysConfig(['wk_keep']) });
    const before = (await srv.admin('/admin/v1/config')).json;
    await srv.writeConfig('sources:\n  web: {write_keys: [wk_other]}\n  mobile: {write_keyz: [x]}\nstorage:\n  path: "{{DATA}}"\n  dedupe_window: soon\n');
    const r = await srv.admin('/admin/v1/reload', { method: 'POST' });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.code, 'invalid_config');
    assert.match(r.json.error.message, new RegExp(`${escape(srv.configPath)}:3:12: unknown key 'write_keyz'`));
    assert.match(r.json.error.message, /:6:18: .*not a duration/);

    assert.equal((await srv.post('/v1/track', message('track'), { writeKey: 'wk_keep' })).status, 200);
    assert.equal((await srv.post('/v1/track', message('track'), { writeKey: 'wk_other' })).status, 401);
    const cfg = (await srv.admin('/admin/v1/config')).json;
    assert.equal(cfg.fingerprint, before.fingerprint);
    assert.match(cfg.last_reload_error, /write_keyz/);

    // Fixing the file clears the error.
    await srv.writeConfig(keysConfig(['wk_keep', 'wk_other']));
    assert.equal((await srv.admin('/admin/v1/reload', { method: 'POST' })).status, 200);
    assert.equal((await srv.admin('/admin/v1/config')).json.last_reload_error, null);
    assert.equal((await srv.post('/v1/track', message('track'), { writeKey: 'wk_other' })).status, 200);
  });

  test('SIGHUP reloads the file', async () => {
    const srv = await start({ config: keysConfig(['wk_before_hup']) });
    await srv.writeConfig(keysConfig(['wk_after_hup']));
    srv.proc.kill('SIGHUP');
    await waitFor(async () => (await srv.post('/v1/track', message('track'), { writeKey: 'wk_after_hup' })).status === 200, 10_000, { message: 'the new key after SIGHUP' });
    assert.equal((await srv.post('/v1/track', message('track'), { writeKey: 'wk_before_hup' })).status, 401);
    assert.ok(srv.running, 'SIGHUP does not stop the server');
  });

  test('a changed file is reloaded without a signal (replaced by rename, or rewritten in place)', async () => {
    const srv = await start({ config: keysConfig(['wk_before_watch']) });
    const works = (key) => async () => (await srv.post('/v1/track', message('track'), { writeKey: key })).status === 200;
    await srv.writeConfig(keysConfig(['wk_after_rename'])); // write a temp file, rename it over
    await waitFor(works('wk_after_rename'), 10_000, { message: 'the new key after the file was replaced' });
    assert.equal((await srv.post('/v1/track', message('track'), { writeKey: 'wk_before_watch' })).status, 401);

    const text = (await fs.readFile(srv.configPath, 'utf8')).replace('wk_after_rename', 'wk_after_inplace');
    await fs.writeFile(srv.configPath, text);
    await waitFor(works('wk_after_inplace'), 10_000, { message: 'the new key after the file was rewritten in place' });

    // A broken edit is reported and the running config stays.
    await fs.writeFile(srv.configPath, text.replace('"sources"', '"sauces"'));
    await waitFor(async () => (await srv.admin('/admin/v1/config')).json.last_reload_error, 10_000, { message: 'the reload error' });
    assert.equal((await srv.post('/v1/track', message('track'), { writeKey: 'wk_after_inplace' })).status, 200);
  });

  test('a reloaded admin token replaces the old one', async () => {
    const token = uid('tok');
    const srv = await start();
    await srv.writeConfig({ admin: { tokens: [token] } });
    assert.equal((await srv.admin('/admin/v1/reload', { method: 'POST' })).status, 200);
    assert.equal((await srv.admin('/admin/v1/config')).status, 401);
    assert.equal((await srv.admin('/admin/v1/config', { token })).status, 200);
  });
});

function escape(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
