// Crash durability: kill -9 under concurrent load must not lose any acknowledged event, and
// retries of the acknowledged ones (what an SDK does after a timeout) must not duplicate them.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { BACKEND_KEY, Server, WEB_KEY, waitFor } from './harness.mjs';

const CLIENTS = 8;
const LOAD_MS = 2_000;

let srv;
after(async () => {
  await srv?.close();
});

/**
 * Runs CLIENTS concurrent senders until the server dies. Each alternates single messages and
 * batches of 1..10 with unique messageIds. Returns {acked, unsure}: messageIds that got a 200, and
 * those whose request failed without an answer (may or may not be stored).
 */
function load(server, round) {
  const acked = new Set();
  const unsure = new Set();
  const unexpected = [];
  const client = async (c) => {
    const key = c % 2 ? WEB_KEY : BACKEND_KEY;
    for (let i = 0; ; i++) {
      const n = i % 2 ? 1 + (i % 10) : 0; // 0 = a single message
      const ids = Array.from({ length: Math.max(n, 1) }, (_, k) => `crash-r${round}-c${c}-${i}-${k}`);
      const msgs = ids.map((id) => ({ type: 'track', userId: `crash-${c}`, event: 'Crash Load', messageId: id, properties: { round, c, i } }));
      try {
        const r = n === 0
          ? await server.post('/v1/track', msgs[0], { writeKey: key })
          : await server.post('/v1/batch', { batch: msgs }, { writeKey: key });
        if (r.status === 200) ids.forEach((id) => acked.add(id));
        else if (r.status === 503 || r.status === 429) ids.forEach((id) => unsure.add(id));
        else unexpected.push(`${r.status} ${r.text}`);
      } catch {
        ids.forEach((id) => unsure.add(id));
        if (!server.running) return; // connection refused or reset: the server is gone
      }
    }
  };
  const done = Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  return {
    acked,
    unsure,
    unexpected,
    done,
  };
}

/** messageId -> [records] over the whole log. */
async function byMessageId(server) {
  const out = new Map();
  for (const rec of await server.events()) {
    const id = `${rec.source}/${rec.event.messageId}`;
    if (!out.has(id)) out.set(id, []);
    out.get(id).push(rec);
  }
  return out;
}

const sourceOf = (id) => (Number(id.match(/-c(\d+)-/)[1]) % 2 ? 'web' : 'backend');

test('kill -9 under load loses no acknowledged event and stores none twice', async (t) => {
  srv = await Server.start();
  const allAcked = new Set();
  const allUnsure = new Set();

  for (let round = 0; round < 2; round++) {
    const started = Date.now();
    const l = load(srv, round);
    // Mid-load, at a random moment of the run, once a real number of events is acknowledged.
    const killAt = LOAD_MS * (0.3 + 0.5 * Math.random());
    await waitFor(() => Date.now() - started >= killAt && l.acked.size >= 200, 30_000, { message: 'load to build up' });
    const exit = await srv.kill('SIGKILL');
    assert.equal(exit.signal, 'SIGKILL');
    await l.done;
    assert.deepEqual(l.unexpected, [], 'only 200s (or 503/429) while the server was up');
    l.acked.forEach((id) => allAcked.add(id));
    l.unsure.forEach((id) => allUnsure.add(id));

    await srv.launch();
    const stored = await byMessageId(srv);
    t.diagnostic(`round ${round}: ${l.acked.size} acked, ${l.unsure.size} unanswered, ${stored.size} stored in all`);
    const missing = [...allAcked].filter((id) => !stored.has(`${sourceOf(id)}/${id}`));
    assert.deepEqual(missing.slice(0, 20), [], `${missing.length} of ${allAcked.size} acknowledged events lost after kill -9 (round ${round})`);
    for (const [id, recs] of stored) assert.equal(recs.length, 1, `${id} stored ${recs.length} times`);
    for (const [id, recs] of stored) assert.equal(recs[0].source, sourceOf(id.split('/')[1]));
    // Nothing invented: everything stored was sent.
    for (const id of stored.keys()) {
      const mid = id.split('/')[1];
      assert.ok(allAcked.has(mid) || allUnsure.has(mid), `${id} was never sent`);
    }
    const seqs = (await srv.events()).map((r) => r.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    assert.equal(new Set(seqs).size, seqs.length, 'sequence numbers are unique');
  }
  assert.ok(allAcked.size >= 400, `a meaningful load (${allAcked.size} acked)`);

  // A retrying SDK re-sends everything it is unsure about, and some it already got a 200 for.
  const resend = [...allAcked, ...allUnsure];
  for (let i = 0; i < resend.length; i += 500) {
    const chunk = resend.slice(i, i + 500);
    for (const source of ['web', 'backend']) {
      const batch = chunk.filter((id) => sourceOf(id) === source).map((id) => ({ type: 'track', userId: 'retry', event: 'Crash Load', messageId: id }));
      if (!batch.length) continue;
      const r = await srv.post('/v1/batch', { batch }, { writeKey: source === 'web' ? WEB_KEY : BACKEND_KEY });
      assert.equal(r.status, 200, r.text);
    }
  }
  const stored = await byMessageId(srv);
  for (const id of resend) {
    const recs = stored.get(`${sourceOf(id)}/${id}`);
    assert.equal(recs?.length, 1, `${id} stored ${recs?.length ?? 0} times after the retries`);
    if (allAcked.has(id)) assert.equal(recs[0].event.userId.startsWith('crash-'), true, 'the original copy is kept');
  }
  assert.equal([...stored.values()].reduce((n, r) => n + r.length, 0), resend.length);
});
