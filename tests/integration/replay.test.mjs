// Replay of a time range of the log to one destination (POST /admin/v1/destinations/{name}/replay)
// through the real binary to two real local receivers: exactly the events received in the range
// that pass that destination's routing arrive again, at that receiver only, with their
// messageId as Idempotency-Key and an X-Tributary-Replay header; the errors; the metric.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ADMIN_TOKEN, Server, WEB_KEY, receiver, sleep, uid, waitFor } from './harness.mjs';

function configText(a, b) {
  return `
server: {listen: "127.0.0.1:0", admin_listen: "127.0.0.1:0"}
storage: {path: "{{DATA}}", sync: never}
admin: {tokens: ["${ADMIN_TOKEN}"]}
sources: {web: {write_keys: ["${WEB_KEY}"]}}
destinations:
  primary:
    type: webhook
    url: "${a.url}/primary"
    subscribe: 'type = "track"'
    filters:
      - {drop: 'event = "Debug"'}
    mapping:
      name: {"@path": "$.event"}
      id: {"@path": "$.messageId"}
  other:
    type: webhook
    url: "${b.url}/other"
`;
}

describe('replay to one destination', () => {
  let a;
  let b;
  let srv;
  before(async () => {
    a = await receiver();
    b = await receiver();
    srv = await Server.start({ configText: configText(a, b) });
  });
  after(async () => {
    await srv?.close();
    a?.server.close();
    b?.server.close();
  });

  const replay = (name, body, opts = {}) => srv.admin(`/admin/v1/destinations/${name}/replay`, { method: 'POST', body, ...opts });

  test('re-delivers exactly the range, through the routing, to that destination only', async () => {
    const user = uid('u');
    const track = (id, event, extra = {}) => ({ type: 'track', userId: user, event, messageId: id, ...extra });
    const send = async (msg) => {
      const r = await srv.send(msg.type, msg);
      assert.equal(r.status, 200, r.text);
    };
    const before = [track(uid('m'), 'Before 1'), track(uid('m'), 'Before 2')];
    const inRange = [
      track(uid('m'), 'Kept 1'),
      track(uid('m'), 'Debug'), // dropped by primary's filter
      { type: 'identify', userId: user, messageId: uid('m'), traits: { plan: 'pro' } }, // not subscribed
      track(uid('m'), 'Excluded', { integrations: { primary: false } }), // excluded by the event
      track(uid('m'), 'Kept 2'),
    ];
    const afterRange = [track(uid('m'), 'After 1'), track(uid('m'), 'After 2')];
    for (const m of before) await send(m);
    await sleep(30);
    for (const m of inRange) await send(m);
    await sleep(30);
    for (const m of afterRange) await send(m);

    // Live delivery first: primary gets 6 (tracks minus Debug and Excluded), other all 9.
    await waitFor(() => a.requests.length === 6 && b.requests.length === 9, 15_000, { message: 'live deliveries' });
    const liveA = a.requests.length;
    const liveB = b.requests.length;

    const records = await srv.events();
    const at = (m) => records.find((r) => r.event.messageId === m.messageId).received_at;
    const from = at(inRange[0]);
    const to = at(inRange[inRange.length - 1]);
    assert.ok(at(before[1]) < from, 'the events before the range were received earlier');
    assert.ok(at(afterRange[0]) > to, 'the events after the range were received later');

    const r = await replay('primary', { from, to });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.json.destination, 'primary');
    assert.equal(r.json.from, from);
    assert.equal(r.json.to, to);
    assert.ok(Number.isInteger(r.json.replay_id) && r.json.replay_id > 0);
    assert.ok(['queued', 'running', 'done'].includes(r.json.state), r.text);
    assert.equal(r.json.status_url, `/admin/v1/destinations/primary/replays/${r.json.replay_id}`);
    assert.equal(r.headers.get('location'), r.json.status_url);

    const done = await waitFor(async () => {
      const s = await srv.admin(r.json.status_url);
      assert.equal(s.status, 200, s.text);
      return s.json.state === 'done' && s.json;
    }, 15_000, { message: 'the replay to finish' });
    assert.equal(done.in_range, 5);
    assert.equal(done.enqueued, 2);
    assert.equal(done.skipped, 3);
    assert.ok(done.events_scanned >= 5);
    assert.ok(done.finished_at);
    assert.equal(done.error, null);

    const kept = [inRange[0], inRange[4]];
    await waitFor(() => a.requests.length === liveA + 2, 15_000, { message: 'the replayed deliveries' });
    await sleep(500); // anything else would have arrived by now
    assert.equal(a.requests.length, liveA + 2, 'nothing else was replayed');
    assert.equal(b.requests.length, liveB, 'the other destination got nothing new');

    const replayed = a.requests.slice(liveA);
    assert.deepEqual(replayed.map((q) => q.headers['idempotency-key']).sort(), kept.map((m) => m.messageId).sort());
    for (const q of replayed) {
      assert.equal(q.headers['x-tributary-replay'], String(r.json.replay_id));
      assert.equal(q.url, '/primary');
      // The same mapped body as the live delivery of the same event.
      const live = a.requests.slice(0, liveA).find((x) => x.headers['idempotency-key'] === q.headers['idempotency-key']);
      assert.deepEqual(q.body, live.body);
      assert.equal(live.headers['x-tributary-replay'], undefined, 'live deliveries carry no replay header');
    }
    assert.deepEqual(replayed.map((q) => q.body.name).sort(), ['Kept 1', 'Kept 2']);

    const metrics = (await srv.admin('/metrics')).text;
    assert.match(metrics, /^tributary_destination_replayed_total\{destination="primary"\} 2$/m);
    assert.match(metrics, /^tributary_destination_replayed_total\{destination="other"\} 0$/m);
    const status = (await srv.admin('/admin/v1/destinations')).json.destinations;
    assert.equal(status.find((d) => d.name === 'primary').replayed, 2);
    await waitFor(async () => (await srv.admin('/admin/v1/destinations')).json.destinations.find((d) => d.name === 'primary').outbox_depth === 0, 5_000);

    const list = await srv.admin('/admin/v1/destinations/primary/replays');
    assert.equal(list.status, 200);
    assert.equal(list.json.replays[0].replay_id, r.json.replay_id);
    assert.equal((await srv.admin('/admin/v1/destinations/other/replays')).json.replays.length, 0);
  });

  test('a range with nothing in it finishes with nothing enqueued', async () => {
    const r = await replay('other', { from: '2001-01-01T00:00:00Z', to: '2001-01-02T00:00:00.000+02:00' });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.json.from, '2001-01-01T00:00:00.000Z');
    assert.equal(r.json.to, '2001-01-01T22:00:00.000Z');
    const done = await waitFor(async () => {
      const s = await srv.admin(r.json.status_url);
      return s.json.state === 'done' && s.json;
    }, 10_000);
    assert.equal(done.in_range, 0);
    assert.equal(done.enqueued, 0);
  });

  test('replay ids keep growing across a restart', async () => {
    const range = { from: '2001-01-01T00:00:00Z', to: '2001-01-01T00:00:01Z' };
    const first = await replay('other', range);
    assert.equal(first.status, 202, first.text);
    await srv.restart();
    const second = await replay('other', range);
    assert.equal(second.status, 202, second.text);
    assert.equal(second.json.replay_id, first.json.replay_id + 1);
    // Statuses are in memory: the one from before the restart is gone.
    assert.equal((await srv.admin(first.json.status_url)).status, 404);
  });

  test('errors: unknown destination, bad or missing times, from after to, unknown replay', async () => {
    const none = await replay('nope', { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' });
    assert.equal(none.status, 404);
    assert.deepEqual(none.json, { error: { code: 'not_found', message: "no destination named 'nope'" } });

    const bad = async (body, pattern) => {
      const r = await replay('primary', body);
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.error.code, 'validation_error');
      assert.match(r.json.error.message, pattern);
    };
    await bad('not json', /the body must be a JSON object/);
    await bad([], /the body must be a JSON object/);
    await bad({ to: '2026-01-01T00:00:00Z' }, /^'from' is required/);
    await bad({ from: '2026-01-01T00:00:00Z' }, /^'to' is required/);
    await bad({ from: 'yesterday', to: '2026-01-01T00:00:00Z' }, /^'from' is not an ISO-8601 time: "yesterday"/);
    await bad({ from: '2026-01-01T00:00:00Z', to: 1767225600000 }, /^'to' must be an ISO-8601 time string/);
    await bad({ from: '2026-02-30T00:00:00Z', to: '2026-03-01T00:00:00Z' }, /^'from' is not an ISO-8601 time/);
    await bad({ from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' },
      /^'from' \(2026-01-02T00:00:00.000Z\) is after 'to' \(2026-01-01T00:00:00.000Z\)$/);

    const unknown = await srv.admin('/admin/v1/destinations/primary/replays/999999');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error.code, 'not_found');
    const notNumber = await srv.admin('/admin/v1/destinations/primary/replays/abc');
    assert.equal(notNumber.status, 404);
    const wrongMethod = await srv.admin('/admin/v1/destinations/primary/replay');
    assert.equal(wrongMethod.status, 404);
    const noToken = await replay('primary', { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }, { token: null });
    assert.equal(noToken.status, 401);
  });
});
