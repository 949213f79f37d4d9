// Computed traits and audiences end to end, with the real clock: the seed's onboarding config
// (examples/onboarding.yaml), time-exact audience entry without new events, the synthesized
// Segment Engage events (Audience Entered/Exited + identify), timers across a graceful restart,
// exactly-once synthesized events across kill -9, the audiences admin API, POST /admin/v1/fql,
// `tributary eval` and `tributary check-config` on audience configs.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ADMIN_TOKEN, BACKEND_KEY, Server, WEB_KEY, runCli, uid, waitFor } from './harness.mjs';

const SPACE = 'default';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
// How late after the flip instant a poll may first see the change: the spec's 1 s, plus the
// poll interval and one request's time.
const POLL_MS = 50;
const FLIP_SLACK_MS = 1_000 + 2 * POLL_MS + 50;

const iso = (ms) => new Date(ms).toISOString();

// The seed's onboarding config: computed_traits and audiences as in examples/onboarding.yaml.
const CONFIG = `
server: {listen: "127.0.0.1:0", admin_listen: "127.0.0.1:0"}
storage: {path: "{{DATA}}", sync: always, dedupe_window: 24h, min_free_bytes: 16MB}
admin: {tokens: ["${ADMIN_TOKEN}"]}
sources:
  web:     {write_keys: ["${WEB_KEY}"]}
  backend: {write_keys: ["${BACKEND_KEY}"]}

computed_traits:
  days_since_signup: {type: days_since, trait: signed_up_at}
  activation_score:
    type: score
    milestones: {"Project Created": 1, "Teammate Invited": 1, "Task Assigned": 1}
  last_active_date: {type: last, event: "*", value: timestamp}

audiences:
  stuck_at_step_1:
    name: Stuck at step 1
    where: traits.signed_up_at < now() - 2d and !performed("Project Created")
  fast_activators:
    name: Fast activators
    where: >
      first_seen("Project Created") <= traits.signed_up_at + 24h
      and first_seen("Teammate Invited") <= traits.signed_up_at + 24h
      and first_seen("Task Assigned") <= traits.signed_up_at + 24h
  at_risk_trial:
    name: At-risk trial users
    where: >
      traits.plan = "trial" and traits.trial_ends_at > now()
      and traits.trial_ends_at <= now() + 3d and traits.activation_score < 2
`;

const startServer = (extra = '') => Server.start({ configText: CONFIG + extra });

const profilePath = (userId, route, query = '') =>
  `/v1/spaces/${SPACE}/collections/users/profiles/${encodeURIComponent(`user_id:${userId}`)}/${route}${query}`;

/** The Profile API traits of `class` (computed_trait | audience), or null while there is no profile. */
async function traitsOf(srv, userId, cls) {
  const r = await srv.admin(profilePath(userId, 'traits', `?class=${cls}&limit=200`));
  if (r.status === 404) return null;
  assert.equal(r.status, 200, r.text);
  return r.json.traits;
}

/** true / false from the Profile API's class=audience; null while there is no profile. */
async function inAudience(srv, userId, key) {
  const t = await traitsOf(srv, userId, 'audience');
  return t === null ? null : t[key] === true;
}

/** Every member of an audience, following the cursor: [{profile_id, entered_at, external_ids}]. */
async function members(srv, key, limit = 1000) {
  const out = [];
  let cursor = '';
  for (let pages = 0; pages < 10_000; pages++) {
    const r = await srv.admin(`/admin/v1/audiences/${key}/members?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(r.status, 200, r.text);
    out.push(...r.json.members);
    if (r.json.cursor === null || r.json.cursor === undefined || r.json.cursor === '') return out;
    cursor = r.json.cursor;
  }
  throw new Error('members: the cursor never ends');
}

const memberUserIds = async (srv, key) =>
  (await members(srv, key)).map((m) => m.external_ids?.user_id?.[0]).filter(Boolean);

/** Polls /metrics until the processor has processed the whole log. */
async function caughtUp(srv, timeoutMs = 30_000) {
  await waitFor(async () => {
    const m = (await srv.admin('/metrics', { token: null })).text;
    return Number(/^tributary_processor_lag_events (\S+)$/m.exec(m)?.[1] ?? NaN) === 0;
  }, timeoutMs, { message: 'processor caught up' });
}

/** The synthesized Engage records (source engage, messageId personas_*) of one user and audience. */
async function engage(srv, userId, key) {
  return (await srv.events()).filter((r) =>
    r.event.userId === userId && r.event.context?.personas?.computation_key === key);
}
const entered = (recs) => recs.filter((r) => r.event.type === 'track' && r.event.event === 'Audience Entered');
const exited = (recs) => recs.filter((r) => r.event.type === 'track' && r.event.event === 'Audience Exited');
const identifies = (recs, value) => recs.filter((r) =>
  r.event.type === 'identify' && r.event.traits?.[r.event.context?.personas?.computation_key] === value);

/** Checks one synthesized record's Segment Engage shape. */
function assertEngageShape(rec, { userId, key, member, type }) {
  const ev = rec.event;
  const what = `${type} ${JSON.stringify(rec)}`;
  assert.equal(rec.source, 'engage', what);
  assert.equal(ev.type, type, what);
  assert.equal(ev.userId, userId, what);
  assert.match(ev.messageId, /^personas_/, what);
  assert.match(ev.timestamp, ISO_MS, what);
  const p = ev.context?.personas;
  assert.ok(p && typeof p === 'object', `context.personas: ${what}`);
  assert.equal(p.computation_class, 'audience', what);
  assert.equal(p.computation_key, key, what);
  for (const f of ['computation_id', 'namespace', 'space_id'])
    assert.ok(typeof p[f] === 'string' && p[f].length > 0, `context.personas.${f}: ${what}`);
  if (type === 'track') {
    assert.equal(ev.event, member ? 'Audience Entered' : 'Audience Exited', what);
    assert.deepEqual(ev.properties, { audience_key: key, [key]: member }, what);
  } else {
    assert.equal(ev.traits?.[key], member, what);
  }
}

async function ok(r) {
  assert.equal(r.status, 200, r.text);
  return r;
}

describe('seed computed traits and the time-exact audience', () => {
  let srv;
  before(async () => {
    srv = await startServer();
  });
  after(async () => srv?.close());

  test('days_since_signup, activation_score and last_active_date through the Profile API', async () => {
    const user = uid('ct');
    const now = Date.now();
    await ok(await srv.send('identify', { userId: user, messageId: uid('m'), traits: { signed_up_at: iso(now - 3 * DAY), email: `${user}@example.com` } }));
    await waitFor(async () => (await traitsOf(srv, user, 'computed_trait'))?.days_since_signup === 3, 10_000,
      { message: 'days_since_signup = 3' });

    const firstId = uid('m');
    const lastId = uid('m');
    await ok(await srv.send('track', { userId: user, messageId: firstId, event: 'Project Created', properties: { project_id: 'p1' }, timestamp: iso(now - 60_000) }));
    // No timestamp: the server stamps it; it is the latest activity.
    await ok(await srv.send('track', { userId: user, messageId: lastId, event: 'Teammate Invited', properties: { invitee_email: 'x@example.com' } }));
    const stored = (await srv.findByMessageId(lastId))[0];
    assert.ok(stored, 'the last track is in the log');
    assert.match(stored.event.timestamp, ISO_MS, 'stored timestamps are YYYY-MM-DDTHH:MM:SS.mmmZ');

    const traits = await waitFor(async () => {
      const t = await traitsOf(srv, user, 'computed_trait');
      return t?.activation_score === 2 && t?.last_active_date === stored.event.timestamp ? t : false;
    }, 10_000, { message: 'activation_score = 2 and last_active_date = the last track\'s timestamp' });
    assert.equal(traits.days_since_signup, 3);
    assert.equal(traits.activation_score, 2);
    assert.equal(traits.last_active_date, stored.event.timestamp);
    for (const k of Object.keys(traits)) assert.ok(!k.startsWith('__'), `implicit trait ${k} is internal`);

    // An explicit timestamp is stored and reported in the same normalized form.
    const user2 = uid('ct');
    await ok(await srv.send('track', { userId: user2, messageId: uid('m'), event: 'Task Assigned', properties: { task_id: 't' }, timestamp: '2026-02-03T04:05:06Z' }));
    await waitFor(async () => (await traitsOf(srv, user2, 'computed_trait'))?.last_active_date === '2026-02-03T04:05:06.000Z', 10_000,
      { message: 'last_active_date = 2026-02-03T04:05:06.000Z' });
    assert.equal((await traitsOf(srv, user2, 'computed_trait')).activation_score, 1);
  });

  test('stuck_at_step_1 is entered within 1 s of signed_up_at + 48h with no new event, and left on Project Created', async (t) => {
    const user = uid('stuck');
    const signedUp = Date.now() - 2 * DAY + 3_000;
    const flip = signedUp + 2 * DAY; // member once now > flip
    await ok(await srv.send('identify', { userId: user, messageId: uid('m'), traits: { signed_up_at: iso(signedUp), email: `${user}@example.com` } }));
    await waitFor(async () => (await traitsOf(srv, user, 'computed_trait'))?.days_since_signup === 1, 2_000,
      { intervalMs: 20, message: 'the identify processed' });

    // Not a member right after the identify.
    assert.ok(Date.now() < flip - 500, 'the identify was processed well before the flip instant');
    assert.deepEqual(await traitsOf(srv, user, 'audience'), {});
    assert.ok(!(await memberUserIds(srv, 'stuck_at_step_1')).includes(user));
    assert.equal(entered(await engage(srv, user, 'stuck_at_step_1')).length, 0);

    // Poll until a member; it must not be seen before the flip, and must be by flip + 1 s.
    let early = null;
    const seenAt = await waitFor(async () => {
      const member = await inAudience(srv, user, 'stuck_at_step_1');
      const t = Date.now();
      if (member && t < flip) early = t;
      return member ? t : false;
    }, Math.max(0, flip + FLIP_SLACK_MS - Date.now()), { intervalMs: POLL_MS, message: `membership by signed_up_at + 48h + 1 s (${iso(flip + 1000)})` });
    assert.equal(early, null, `a member ${flip - early} ms before signed_up_at + 48h`);
    assert.ok(seenAt <= flip + FLIP_SLACK_MS, `seen ${seenAt - flip} ms after the flip`);

    // Members list: with entered_at within the second after the flip.
    const m = (await members(srv, 'stuck_at_step_1')).find((x) => x.external_ids?.user_id?.[0] === user);
    assert.ok(m, 'listed in /members');
    const enteredAt = Date.parse(m.entered_at);
    assert.ok(enteredAt > flip && enteredAt <= flip + 1000, `entered_at ${m.entered_at} vs flip ${iso(flip)}`);
    assert.ok(m.external_ids.email?.includes(`${user}@example.com`), JSON.stringify(m));

    // The Engage events: one Audience Entered track and one identify with the trait.
    const recs = await waitFor(async () => {
      const r = await engage(srv, user, 'stuck_at_step_1');
      return entered(r).length >= 1 && identifies(r, true).length >= 1 ? r : false;
    }, 5_000, { message: 'Audience Entered and its identify in the log' });
    const track = entered(recs);
    assert.equal(track.length, 1, JSON.stringify(recs));
    assertEngageShape(track[0], { userId: user, key: 'stuck_at_step_1', member: true, type: 'track' });
    const evAt = Date.parse(track[0].event.timestamp);
    assert.ok(evAt > flip && evAt <= flip + 1000, `Audience Entered at ${track[0].event.timestamp}, flip ${iso(flip)}`);
    t.diagnostic(`entered ${evAt - flip} ms after the flip (server time); first seen by polling ${seenAt - flip} ms after`);
    const ident = identifies(recs, true);
    assert.equal(ident.length, 1, JSON.stringify(recs));
    assertEngageShape(ident[0], { userId: user, key: 'stuck_at_step_1', member: true, type: 'identify' });
    assert.notEqual(ident[0].event.messageId, track[0].event.messageId);

    // Project Created: the user exits.
    await ok(await srv.send('track', { userId: user, messageId: uid('m'), event: 'Project Created', properties: { project_id: 'p1' } }));
    await waitFor(async () => (await inAudience(srv, user, 'stuck_at_step_1')) === false, 5_000, { message: 'exit after Project Created' });
    assert.deepEqual(await traitsOf(srv, user, 'audience'), {});
    const final = await waitFor(async () => {
      const r = await engage(srv, user, 'stuck_at_step_1');
      return exited(r).length >= 1 && identifies(r, false).length >= 1 ? r : false;
    }, 5_000, { message: 'Audience Exited and its identify in the log' });
    assert.equal(exited(final).length, 1, JSON.stringify(final));
    assertEngageShape(exited(final)[0], { userId: user, key: 'stuck_at_step_1', member: false, type: 'track' });
    assertEngageShape(identifies(final, false)[0], { userId: user, key: 'stuck_at_step_1', member: false, type: 'identify' });
    assert.equal(entered(final).length, 1);
    assert.ok(!(await memberUserIds(srv, 'stuck_at_step_1')).includes(user), 'no longer listed in /members');
    assert.equal((await traitsOf(srv, user, 'computed_trait')).activation_score, 1);
  });
});

describe('timers across restarts', () => {
  test('a timer due while the server was stopped (SIGTERM) fires at start, once', async (t) => {
    const srv = await startServer();
    try {
      const user = uid('restart');
      const signedUp = Date.now() - 2 * DAY + 4_000;
      const flip = signedUp + 2 * DAY;
      await ok(await srv.send('identify', { userId: user, messageId: uid('m'), traits: { signed_up_at: iso(signedUp) } }));
      await caughtUp(srv, 2_000);
      assert.equal(await inAudience(srv, user, 'stuck_at_step_1'), false, 'not a member before the flip');
      const stopped = await srv.stop();
      assert.equal(stopped.code, 0, `graceful stop: ${JSON.stringify(stopped)}\n${srv.stderr}`);
      assert.ok(Date.now() < flip, 'stopped before the flip instant');

      // Wait (with the real clock) until the flip instant has passed while the server is down.
      await waitFor(() => Date.now() > flip + 200, flip + 10_000 - Date.now(), { message: 'the flip instant passing' });
      await srv.launch();
      const startedAt = Date.now();
      await waitFor(async () => (await inAudience(srv, user, 'stuck_at_step_1')) === true, FLIP_SLACK_MS,
        { intervalMs: POLL_MS, message: 'membership right after start' });
      t.diagnostic(`member ${Date.now() - startedAt} ms after the restart was ready`);

      const recs = await waitFor(async () => {
        const r = await engage(srv, user, 'stuck_at_step_1');
        return entered(r).length >= 1 ? r : false;
      }, 5_000, { message: 'Audience Entered in the log' });
      await caughtUp(srv);
      const all = await engage(srv, user, 'stuck_at_step_1');
      assert.equal(entered(all).length, 1, JSON.stringify(all));
      assert.equal(identifies(all, true).length, 1, JSON.stringify(all));
      assertEngageShape(entered(recs)[0], { userId: user, key: 'stuck_at_step_1', member: true, type: 'track' });
      assert.ok(Date.parse(entered(all)[0].event.timestamp) > flip);

      // Another restart does not emit it again.
      await srv.restart();
      await caughtUp(srv);
      assert.equal(await inAudience(srv, user, 'stuck_at_step_1'), true);
      const again = await engage(srv, user, 'stuck_at_step_1');
      assert.equal(entered(again).length, 1, JSON.stringify(again));
      assert.deepEqual(await memberUserIds(srv, 'stuck_at_step_1'), [user]);
    } finally {
      await srv.close();
    }
  });

  test('kill -9 right after audience changes: synthesized events are neither lost nor duplicated', async (t) => {
    // Small processor batches, so that a kill lands between batches of one signup wave.
    const srv = await startServer('\nprocessor: {batch_events: 4}\n');
    try {
      const N = 40;
      const all = [];
      // Round 0: kill as soon as a membership is visible; round 1: as soon as the first
      // synthesized event is in the log (between the append and the bookkeeping of it).
      for (const round of [0, 1]) {
        const users = Array.from({ length: N }, (_, i) => `kill${round}-${i}-${uid('u')}`);
        all.push(...users);
        const signedUp = iso(Date.now() - 3 * DAY);
        const lastBefore = await srv.lastSeq();
        const batch = users.map((u) => ({ type: 'identify', userId: u, messageId: uid('m'), traits: { signed_up_at: signedUp } }));
        await ok(await srv.post('/v1/batch', { batch }, { writeKey: WEB_KEY }));
        let atKill;
        if (round === 0) {
          await waitFor(async () => {
            const r = await srv.admin('/admin/v1/audiences');
            const size = r.json.audiences.find((a) => a.key === 'stuck_at_step_1').size;
            atKill = `${size - (all.length - N)} of ${N} new members`;
            return size >= all.length - N + 1;
          }, 10_000, { intervalMs: 2, message: 'a first membership' });
        } else {
          await waitFor(async () => {
            const evs = await srv.events({ after: lastBefore });
            atKill = `${evs.filter((r) => r.source === 'engage').length} of ${2 * N} synthesized events in the log`;
            return evs.some((r) => r.source === 'engage');
          }, 10_000, { intervalMs: 2, message: 'a first synthesized event' });
        }
        await srv.kill('SIGKILL');
        await srv.launch();
        t.diagnostic(`round ${round}: killed at ${atKill}; at start: ${/appending \d+ synthesized events left over/.exec(srv.stderr)?.[0] ?? 'no synthesized events left over'}`);

        await waitFor(async () => (await memberUserIds(srv, 'stuck_at_step_1')).length === all.length, 15_000,
          { message: `${all.length} members after restart` });
        // Every user's Audience Entered and identify appear ...
        await waitFor(async () => {
          const evs = (await srv.events()).filter((r) => r.source === 'engage');
          const n = new Set(evs.filter((r) => r.event.event === 'Audience Entered').map((r) => r.event.userId));
          return users.every((u) => n.has(u));
        }, 15_000, { message: 'an Audience Entered for every user' });
        await caughtUp(srv);
        // ... exactly once.
        const evs = (await srv.events()).filter((r) => r.event.context?.personas?.computation_key === 'stuck_at_step_1');
        for (const u of all) {
          const mine = evs.filter((r) => r.event.userId === u);
          assert.equal(entered(mine).length, 1, `round ${round}: ${u}: ${JSON.stringify(mine)}`);
          assert.equal(identifies(mine, true).length, 1, `round ${round}: ${u}: ${JSON.stringify(mine)}`);
          assert.equal(mine.length, 2, `round ${round}: ${u}: ${JSON.stringify(mine)}`);
          assertEngageShape(entered(mine)[0], { userId: u, key: 'stuck_at_step_1', member: true, type: 'track' });
        }
        const size = (await srv.admin('/admin/v1/audiences')).json.audiences.find((a) => a.key === 'stuck_at_step_1').size;
        assert.equal(size, all.length);
      }
    } finally {
      await srv.close();
    }
  });
});

describe('audiences admin API, FQL and eval', () => {
  let srv;
  const stuck = [uid('list-a'), uid('list-b'), uid('list-c')];
  const trial = uid('list-trial');
  let sentAt;
  before(async () => {
    srv = await startServer();
    sentAt = Date.now();
    const batch = [
      ...stuck.map((u) => ({ type: 'identify', userId: u, messageId: uid('m'), traits: { signed_up_at: iso(sentAt - 3 * DAY) } })),
      { type: 'identify', userId: trial, messageId: uid('m'), traits: { plan: 'trial', trial_ends_at: iso(sentAt + 2 * DAY) } },
    ];
    await ok(await srv.post('/v1/batch', { batch }, { writeKey: WEB_KEY }));
  });
  after(async () => srv?.close());

  test('GET /admin/v1/audiences: key, name, size and last_change of the three audiences', async () => {
    const list = await waitFor(async () => {
      const r = await srv.admin('/admin/v1/audiences');
      assert.equal(r.status, 200, r.text);
      const by = Object.fromEntries(r.json.audiences.map((a) => [a.key, a]));
      return by.stuck_at_step_1?.size === 3 && by.at_risk_trial?.size === 1 ? r.json.audiences : false;
    }, 10_000, { message: 'sizes 3 and 1' });
    assert.deepEqual(list.map((a) => a.key).sort(), ['at_risk_trial', 'fast_activators', 'stuck_at_step_1']);
    const by = Object.fromEntries(list.map((a) => [a.key, a]));
    assert.equal(by.stuck_at_step_1.name, 'Stuck at step 1');
    assert.equal(by.fast_activators.name, 'Fast activators');
    assert.equal(by.at_risk_trial.name, 'At-risk trial users');
    assert.equal(by.fast_activators.size, 0);
    assert.equal(by.fast_activators.last_change, null);
    for (const k of ['stuck_at_step_1', 'at_risk_trial']) {
      assert.match(by[k].last_change, ISO_MS, k);
      const t = Date.parse(by[k].last_change);
      assert.ok(t >= sentAt - 1000 && t <= Date.now(), `${k}.last_change ${by[k].last_change}`);
    }
    assert.deepEqual(await memberUserIds(srv, 'at_risk_trial'), [trial]);
  });

  test('members paging with limit=1 and the cursor', async () => {
    const seen = [];
    let cursor = '';
    for (let page = 0; page < 10; page++) {
      const r = await srv.admin(`/admin/v1/audiences/stuck_at_step_1/members?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.members.length, 1, r.text);
      const m = r.json.members[0];
      assert.ok(typeof m.profile_id === 'string' && m.profile_id.length > 0);
      assert.match(m.entered_at, ISO_MS);
      seen.push(m.external_ids.user_id[0]);
      if (page < 2) assert.ok(typeof r.json.cursor === 'string' && r.json.cursor.length > 0, `page ${page}: ${r.text}`);
      if (!r.json.cursor) break;
      cursor = r.json.cursor;
    }
    assert.equal(seen.length, 3, JSON.stringify(seen));
    assert.deepEqual([...seen].sort(), [...stuck].sort());
    const full = await srv.admin('/admin/v1/audiences/stuck_at_step_1/members');
    assert.equal(full.json.members.length, 3);
    assert.equal(full.json.cursor, null);
    let r = await srv.admin('/admin/v1/audiences/stuck_at_step_1/members?limit=0');
    assert.equal(r.status, 400, r.text);
    r = await srv.admin('/admin/v1/audiences/no_such_audience/members');
    assert.equal(r.status, 404, r.text);
    r = await srv.admin('/admin/v1/audiences', { token: null });
    assert.equal(r.status, 401);
    // HEAD answers like GET without a body, as on the other admin and Profile API routes.
    r = await srv.admin('/admin/v1/audiences/stuck_at_step_1/members', { method: 'HEAD' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, '');
    r = await srv.admin('/admin/v1/audiences', { method: 'DELETE' });
    assert.equal(r.status, 405, r.text);
    assert.equal(r.json.error.code, 'method_not_allowed');
  });

  test('POST /admin/v1/fql: the result, and an invalid expression\'s position', async () => {
    const event = { type: 'track', event: 'Order Completed', properties: { total: 120 }, context: { library: { name: 'analytics-node' } } };
    let r = await srv.admin('/admin/v1/fql', { method: 'POST', body: { expression: 'type = "track" and event = "Order Completed" and properties.total > 100', event } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { result: true });
    r = await srv.admin('/admin/v1/fql', { method: 'POST', body: { expression: 'match(context.library.name, "analytics-*") and properties.total > 500', event } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { result: false });

    // The second `and` is where an operand was expected: offset 19, line 1, column 20.
    r = await srv.admin('/admin/v1/fql', { method: 'POST', body: { expression: 'type = "track" and and event = "A"', event } });
    assert.equal(r.status, 400, r.text);
    assert.ok(r.json.error, r.text);
    assert.ok(typeof r.json.error.message === 'string' && r.json.error.message.length > 0, r.text);
    assert.deepEqual(r.json.error.position, { offset: 19, line: 1, column: 20 }, r.text);
    r = await srv.admin('/admin/v1/fql', { method: 'POST', body: { expression: 'contains(event, "x"' } });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.position.line, 1, r.text);
    assert.equal(r.json.error.position.column, 20, r.text);
  });

  test('tributary eval: prints the result; exit 1 with the position for an invalid expression', () => {
    const input = JSON.stringify({ type: 'track', event: 'Order Completed', properties: { total: 120 } });
    let r = runCli(['eval', 'type = "track" and properties.total > 100'], { input });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'true');
    r = runCli(['eval', 'properties.total > 500'], { input });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'false');
    r = runCli(['eval', 'type = "track" and and event = "A"'], { input });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /line 1, column 20/, r.stderr);
  });
});

describe('check-config on audiences', () => {
  let dir;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-ta-'));
  });
  after(async () => dir && fs.rm(dir, { recursive: true, force: true }));
  const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const base = 'sources:\n  web: {write_keys: [wk_cc]}\n';

  test('the onboarding audiences pass', async () => {
    const file = path.join(dir, 'ok.yaml');
    await fs.writeFile(file, CONFIG.replaceAll('{{DATA}}', path.join(dir, 'data')));
    const r = runCli(['check-config', file]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /OK/);
  });

  test('an audience cycle a <-> b via audiences.x is reported with FILE:LINE:COL', async () => {
    const file = path.join(dir, 'cycle.yaml');
    const text = base + 'audiences:\n  a:\n    where: audiences.b and traits.x = 1\n  b:\n    where: audiences.a\n';
    await fs.writeFile(file, text);
    const lines = text.split('\n');
    const r = runCli(['check-config', file]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const hit = r.stderr.split('\n').find((l) => /cycle/i.test(l));
    assert.ok(hit, r.stderr);
    const m = new RegExp(`^${escape(file)}:(\\d+):(\\d+): `).exec(hit);
    assert.ok(m, `FILE:LINE:COL: ${hit}`);
    const line = Number(m[1]);
    const col = Number(m[2]);
    assert.ok(lines[line - 1]?.trimStart().startsWith('where:'), `points at a where line: ${hit}`);
    assert.equal(col, lines[line - 1].indexOf('audiences.') + 1, hit);
    assert.match(hit, /\ba\b/);
    assert.match(hit, /\bb\b/);
  });

  test('an invalid audience expression is reported at its FILE:LINE:COL', async () => {
    const file = path.join(dir, 'badexpr.yaml');
    const text = base + 'audiences:\n  ok_one:\n    where: traits.plan = "pro"\n  broken:\n    where: traits.plan = = "pro"\n';
    await fs.writeFile(file, text);
    const lines = text.split('\n');
    const r = runCli(['check-config', file]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const idx = lines.findIndex((l) => l.includes('= = "pro"'));
    const col = lines[idx].indexOf('= "pro"') + 1; // the second '='
    const hit = r.stderr.split('\n').find((l) => l.startsWith(`${file}:`));
    assert.ok(hit, r.stderr);
    assert.ok(hit.startsWith(`${file}:${idx + 1}:${col}: `), `expected ${file}:${idx + 1}:${col}, got: ${r.stderr}`);
    assert.match(hit, /broken/);
    assert.equal(r.stderr.split('\n').filter((l) => l.startsWith(`${file}:`)).length, 1, r.stderr);
  });
});
