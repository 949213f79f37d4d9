// Identity resolution, profiles and Segment's Profile API through the real server, and the
// processor's crash safety: kill -9 mid-processing, restart, and the profiles equal a clean run's.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ADMIN_TOKEN, Server, WEB_KEY, waitFor } from './harness.mjs';

const SPACE = 'default';
const profilePath = (id, route, query = '') =>
  `/v1/spaces/${SPACE}/collections/users/profiles/${encodeURIComponent(id)}/${route}${query}`;

/** Polls /metrics until the processor has caught up with the log. */
async function caughtUp(srv, timeoutMs = 30_000) {
  await waitFor(async () => {
    const m = (await srv.admin('/metrics', { token: null })).text;
    const lag = Number(/^tributary_processor_lag_events (\S+)$/m.exec(m)?.[1] ?? NaN);
    return lag === 0;
  }, timeoutMs, { message: 'processor caught up' });
}

/** Every live profile, as {id, ids (sorted type:value), traits, groups}. */
async function dump(srv) {
  const out = [];
  let after = '';
  for (;;) {
    const r = await srv.admin(`/admin/v1/profiles?limit=1000&after=${encodeURIComponent(after)}`);
    assert.equal(r.status, 200, r.text);
    for (const p of r.json.profiles)
      out.push({
        id: p.id,
        ids: p.ids.map((e) => `${e.type}:${e.id}`).sort(),
        traits: p.traits,
        groups: Object.keys(p.groups).sort(),
      });
    if (!r.json.has_more) return out;
    after = r.json.next;
  }
}

describe('Profile API', () => {
  let srv;
  before(async () => {
    srv = await Server.start();
    const batch = [
      { type: 'page', anonymousId: 'pa-anon', name: 'Home', messageId: 'm1', timestamp: '2026-01-01T00:00:00Z' },
      { type: 'identify', anonymousId: 'pa-anon', userId: 'pa-user', messageId: 'm2', timestamp: '2026-01-01T00:01:00Z',
        traits: { email: 'pa@example.com', plan: 'trial', b: 1, c: 2, d: 3 } },
      { type: 'track', userId: 'pa-user', event: 'Project Created', messageId: 'm3', timestamp: '2026-01-01T00:02:00Z', properties: { project_id: 'p1' } },
      { type: 'track', userId: 'pa-user', event: 'Task Assigned', messageId: 'm4', timestamp: '2026-01-01T00:03:00Z' },
      { type: 'group', userId: 'pa-user', groupId: 'acme', messageId: 'm5', timestamp: '2026-01-01T00:04:00Z', traits: { name: 'Acme' } },
      { type: 'page', anonymousId: 'pa-other-device', name: 'Pricing', messageId: 'm6', timestamp: '2026-01-01T00:05:00Z',
        context: { traits: { email: 'pa@example.com' } } },
    ];
    const r = await srv.post('/v1/batch', { batch }, { writeKey: WEB_KEY });
    assert.equal(r.status, 200, r.text);
    await caughtUp(srv);
  });
  after(async () => srv?.close());

  test('traits, by any of the profile ids, through merges', async () => {
    for (const id of ['user_id:pa-user', 'anonymous_id:pa-anon', 'email:pa@example.com', 'anonymous_id:pa-other-device']) {
      const r = await srv.admin(profilePath(id, 'traits', '?limit=200'));
      assert.equal(r.status, 200, `${id}: ${r.text}`);
      assert.deepEqual(r.json.traits, { b: 1, c: 2, d: 3, email: 'pa@example.com', plan: 'trial' });
      assert.equal(r.json.cursor.has_more, false);
      assert.equal(r.json.cursor.next, '');
      assert.ok(r.headers.get('request-id'));
    }
  });

  test('traits: verbose, include, limit and next', async () => {
    let r = await srv.admin(profilePath('user_id:pa-user', 'traits', '?verbose=true&include=plan,email'));
    assert.deepEqual(Object.keys(r.json.traits).sort(), ['email', 'plan']);
    assert.deepEqual(r.json.traits.plan, { value: 'trial', source_id: 'web', updated_at: '2026-01-01T00:01:00.000Z' });
    r = await srv.admin(profilePath('user_id:pa-user', 'traits', '?limit=2'));
    assert.deepEqual(r.json.traits, { b: 1, c: 2 });
    assert.equal(r.json.cursor.has_more, true);
    assert.equal(r.json.cursor.next, 'c');
    r = await srv.admin(profilePath('user_id:pa-user', 'traits', `?limit=2&next=${r.json.cursor.next}`));
    assert.deepEqual(r.json.traits, { d: 3, email: 'pa@example.com' });
    r = await srv.admin(profilePath('user_id:pa-user', 'traits', '?class=computed_trait'));
    assert.deepEqual(r.json.traits, {}, 'no computed traits are defined');
    r = await srv.admin(profilePath('user_id:pa-user', 'traits', '?class=bogus'));
    assert.equal(r.status, 400);
    r = await srv.admin(profilePath('user_id:pa-user', 'traits', '?limit=201'));
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 'validation_error');
  });

  test('events: newest first, paging with next, sort, time range, include and exclude', async () => {
    let r = await srv.admin(profilePath('user_id:pa-user', 'events', '?limit=2'));
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.data.map((e) => e.message_id), ['m6', 'm5']);
    assert.equal(r.json.cursor.has_more, true);
    const first = r.json.data[1];
    assert.equal(first.type, 'group');
    assert.equal(first.source_id, 'web');
    assert.equal(first.group_id, 'acme');
    assert.ok(first.related.users.startsWith('use_'));
    const seen = [...r.json.data.map((e) => e.message_id)];
    while (r.json.cursor.has_more) {
      r = await srv.admin(profilePath('user_id:pa-user', 'events', `?limit=2&next=${encodeURIComponent(r.json.cursor.next)}`));
      seen.push(...r.json.data.map((e) => e.message_id));
    }
    assert.deepEqual(seen, ['m6', 'm5', 'm4', 'm3', 'm2', 'm1']);
    r = await srv.admin(profilePath('user_id:pa-user', 'events', '?sort=asc&limit=100'));
    assert.deepEqual(r.json.data.map((e) => e.message_id), ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    const track = r.json.data.find((e) => e.message_id === 'm3');
    assert.equal(track.event, 'Project Created');
    assert.deepEqual(track.properties, { project_id: 'p1' });
    assert.equal(track.timestamp, '2026-01-01T00:02:00.000Z');
    assert.deepEqual(track.external_ids, [{ collection: 'users', type: 'user_id', id: 'pa-user', encoding: 'none' }]);
    r = await srv.admin(profilePath('user_id:pa-user', 'events', '?start=2026-01-01T00:02:00Z&end=2026-01-01T00:03:00Z'));
    assert.deepEqual(r.json.data.map((e) => e.message_id), ['m4', 'm3']);
    r = await srv.admin(profilePath('user_id:pa-user', 'events', '?include=Project%20Created,Task%20Assigned'));
    assert.deepEqual(r.json.data.map((e) => e.message_id), ['m4', 'm3']);
    r = await srv.admin(profilePath('user_id:pa-user', 'events', '?exclude=Page%20Viewed'));
    assert.deepEqual(r.json.data.map((e) => e.message_id), ['m5', 'm4', 'm3', 'm2']);
    r = await srv.admin(profilePath('user_id:pa-user', 'events', '?start=yesterday'));
    assert.equal(r.status, 400);
  });

  test('external_ids and metadata', async () => {
    let r = await srv.admin(profilePath('email:pa@example.com', 'external_ids'));
    assert.equal(r.status, 200, r.text);
    const ids = r.json.data.map((e) => `${e.type}:${e.id}`).sort();
    assert.deepEqual(ids, ['anonymous_id:pa-anon', 'anonymous_id:pa-other-device', 'email:pa@example.com', 'user_id:pa-user']);
    for (const e of r.json.data) {
      assert.equal(e.collection, 'users');
      assert.equal(e.encoding, 'none');
      assert.equal(e.source_id, 'web');
      assert.ok(e.first_message_id);
      assert.match(e.created_at, /^\d{4}-\d\d-\d\dT/);
    }
    r = await srv.admin(profilePath('email:pa@example.com', 'external_ids', '?include=anonymous_id&limit=1'));
    assert.equal(r.json.data.length, 1);
    assert.equal(r.json.cursor.has_more, true);
    const next = r.json.cursor.next;
    r = await srv.admin(profilePath('email:pa@example.com', 'external_ids', `?include=anonymous_id&limit=1&next=${next}`));
    assert.equal(r.json.data.length, 1);
    assert.equal(r.json.cursor.has_more, false);
    r = await srv.admin(profilePath('anonymous_id:pa-anon', 'metadata'));
    assert.equal(r.json.metadata.first_message_id, 'm1');
    assert.equal(r.json.metadata.last_message_id, 'm6');
    assert.equal(r.json.metadata.first_source_id, 'web');
    assert.equal(r.json.metadata.expires_at, null);
  });

  test('auth and errors', async () => {
    const basic = 'Basic ' + Buffer.from(`${ADMIN_TOKEN}:`).toString('base64');
    let r = await srv.admin(profilePath('user_id:pa-user', 'traits'), { token: null, headers: { authorization: basic } });
    assert.equal(r.status, 200, 'Segment form: Basic auth with the token as user name');
    r = await srv.admin(profilePath('user_id:pa-user', 'traits'), { token: null });
    assert.equal(r.status, 401);
    r = await srv.admin(profilePath('user_id:pa-user', 'traits'), { token: 'wrong' });
    assert.equal(r.status, 401);
    r = await srv.admin(profilePath('user_id:nobody', 'traits'));
    assert.equal(r.status, 404);
    assert.deepEqual(r.json, { error: { code: 'not_found', message: 'Profile was not found.' } });
    r = await srv.admin(`/v1/spaces/other/collections/users/profiles/user_id:pa-user/traits`);
    assert.equal(r.status, 404);
    r = await srv.admin(profilePath('pa-user', 'traits'));
    assert.equal(r.status, 400, 'an id without a type');
    r = await srv.admin(profilePath('user_id:pa-user', 'links'));
    assert.equal(r.status, 404);
  });

  test('a shared device: the user_id limit keeps two users apart', async () => {
    const r = await srv.post('/v1/batch', { batch: [
      { type: 'identify', anonymousId: 'pa-shared', userId: 'pa-alice' },
      { type: 'identify', anonymousId: 'pa-shared', userId: 'pa-bob' },
    ] }, { writeKey: WEB_KEY });
    assert.equal(r.status, 200);
    await caughtUp(srv);
    const alice = await srv.admin(profilePath('user_id:pa-alice', 'external_ids'));
    const bob = await srv.admin(profilePath('user_id:pa-bob', 'external_ids'));
    assert.deepEqual(alice.json.data.map((e) => e.id).sort(), ['pa-alice', 'pa-shared']);
    assert.deepEqual(bob.json.data.map((e) => e.id), ['pa-bob']);
  });
});

describe('processor crash safety', () => {
  // Deterministic input: users with three anonymous ids each, identifies that merge them, traits
  // that change, and email-bridged visits; batches are sent one after another, so a clean run and
  // a crashed-and-resumed run assign the same sequence numbers (a batch is one atomic append:
  // it is stored whole or not at all, and re-sending a stored one only hits dedupe).
  const USERS = 1500;
  const ROUNDS = 30;
  const batches = [];
  for (let round = 0; round < ROUNDS; round++) {
    const batch = [];
    for (let u = round; u < USERS * 3; u += ROUNDS) {
      const user = u % USERS;
      const anon = `anon-${user}-${u % 3}`;
      const ts = `2026-01-01T00:${String(round).padStart(2, '0')}:00Z`;
      batch.push({ type: 'page', anonymousId: anon, name: `P${round}`, messageId: `c-${round}-${u}-p`, timestamp: ts });
      batch.push({ type: 'identify', anonymousId: anon, userId: `user-${user}`, messageId: `c-${round}-${u}-i`,
        traits: { round, plan: round % 2 ? 'pro' : 'trial' }, timestamp: ts });
      for (let k = 0; k < 3; k++)
        batch.push({ type: 'track', userId: `user-${user}`, event: `E${k}`, messageId: `c-${round}-${u}-t${k}`, properties: { k } });
      batch.push({ type: 'track', anonymousId: `solo-${round}-${u}`, event: 'Visit', messageId: `c-${round}-${u}-s`,
        context: { traits: { email: `user-${user}@example.com` } } });
    }
    batches.push(batch);
  }
  const total = batches.reduce((n, b) => n + b.length, 0);
  const config = { processor: { batch_events: 10 } };

  /** Sends batches from `from` on, in order; returns the index of the first one not acked. */
  async function sendFrom(srv, from = 0) {
    for (let i = from; i < batches.length; i++) {
      try {
        const r = await srv.post('/v1/batch', { batch: batches[i] }, { writeKey: WEB_KEY });
        if (r.status !== 200) return i;
      } catch {
        return i;
      }
    }
    return batches.length;
  }

  test(`kill -9 while processing ${total} events, restart: profiles equal an uninterrupted run`, async () => {
    const clean = await Server.start({ config });
    let crashed;
    try {
      assert.equal(await sendFrom(clean), batches.length);
      await caughtUp(clean, 300_000);
      const expected = await dump(clean);
      assert.ok(expected.length >= USERS, `at least one profile per user (${expected.length})`);

      crashed = await Server.start({ config });
      const sending = sendFrom(crashed);
      // Kill as soon as the processor is visibly behind the log.
      let lagAtKill = 0;
      await waitFor(async () => {
        const m = await crashed.admin('/metrics', { token: null }).catch(() => null);
        lagAtKill = Number(/^tributary_processor_lag_events (\S+)$/m.exec(m?.text ?? '')?.[1] ?? 0);
        return lagAtKill >= 100;
      }, 120_000, { intervalMs: 5, message: 'processor lagging behind ingestion' });
      await crashed.kill('SIGKILL');
      const firstUnacked = await sending;
      assert.ok(lagAtKill >= 100, `killed mid-processing (lag ${lagAtKill})`);
      await crashed.restart();
      assert.equal(await sendFrom(crashed, firstUnacked), batches.length);
      await caughtUp(crashed, 300_000);
      assert.deepEqual(await dump(crashed), expected);
    } finally {
      await clean.close();
      await crashed?.close();
    }
  });
});
