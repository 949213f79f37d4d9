// The Segment-compatible Tracking API and the admin API, against the real server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';

import { ADMIN_TOKEN, BACKEND_KEY, Server, WEB_KEY, basicAuth, message, request, uid, waitFor } from './harness.mjs';

const TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'];
const SHORT = { identify: 'i', track: 't', page: 'p', screen: 's', group: 'g', alias: 'a' };

let srv;
before(async () => {
  srv = await Server.start();
});
after(async () => {
  await srv?.close();
});

/** The one stored record with this messageId (asserts there is exactly one). */
async function storedOnce(messageId) {
  const found = await srv.findByMessageId(messageId);
  assert.equal(found.length, 1, `expected exactly one stored event with messageId ${messageId}, found ${found.length}`);
  return found[0];
}

function assertOk(r) {
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { success: true });
}

function assertError(r, status, code) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.json?.success, false, r.text);
  assert.equal(r.json.code, code, r.text);
  assert.equal(typeof r.json.message, 'string');
  assert.ok(r.json.message.length > 0);
}

/** Checks the fields each type carries came through intact. */
function assertTypeFields(type, sent, ev) {
  assert.equal(ev.type, type);
  assert.equal(ev.messageId, sent.messageId);
  assert.equal(ev.userId, sent.userId);
  if (type === 'track') {
    assert.equal(ev.event, sent.event);
    assert.deepEqual(ev.properties, sent.properties);
  }
  if (type === 'identify') assert.deepEqual(ev.traits, sent.traits);
  if (type === 'page' || type === 'screen') {
    assert.equal(ev.name, sent.name);
    assert.deepEqual(ev.properties, sent.properties);
  }
  if (type === 'group') {
    assert.equal(ev.groupId, sent.groupId);
    assert.deepEqual(ev.traits, sent.traits);
  }
  if (type === 'alias') assert.equal(ev.previousId, sent.previousId);
}

describe('single-message endpoints', () => {
  for (const type of TYPES) {
    for (const p of [`/v1/${type}`, `/v1/${SHORT[type]}`]) {
      test(`POST ${p} stores a ${type}`, async () => {
        const msg = message(type);
        const before = Date.now();
        assertOk(await srv.post(p, msg, { writeKey: WEB_KEY }));
        const rec = await storedOnce(msg.messageId);
        assert.equal(rec.source, 'web');
        assert.equal(typeof rec.seq, 'number');
        assertTypeFields(type, msg, rec.event);
        assert.equal(rec.event.context.ip, '127.0.0.1');
        const received = Date.parse(rec.event.receivedAt);
        assert.ok(received >= before - 5000 && received <= Date.now() + 5000, rec.event.receivedAt);
        assert.equal(rec.received_at, rec.event.receivedAt);
        // Without a client timestamp, timestamp is receivedAt.
        assert.equal(rec.event.timestamp, rec.event.receivedAt);
        assert.equal(rec.event.originalTimestamp, undefined);
      });
    }
  }

  test('the endpoint names the type, whatever the body says', async () => {
    const msg = message('track', { type: 'identify' });
    assertOk(await srv.post('/v1/track', msg, { writeKey: WEB_KEY }));
    assert.equal((await storedOnce(msg.messageId)).event.type, 'track');
  });

  test('a trailing slash is accepted', async () => {
    const msg = message('track');
    assertOk(await srv.post('/v1/track/', msg, { writeKey: WEB_KEY }));
    await storedOnce(msg.messageId);
  });

  test('anonymousId alone identifies the sender; numeric ids are stored as strings', async () => {
    const a = message('track', { userId: undefined, anonymousId: uid('anon') });
    assertOk(await srv.post('/v1/track', a, { writeKey: WEB_KEY }));
    const ev = (await storedOnce(a.messageId)).event;
    assert.equal(ev.anonymousId, a.anonymousId);
    assert.equal(ev.userId, undefined);

    const n = message('identify', { userId: 12345 });
    assertOk(await srv.post('/v1/identify', n, { writeKey: WEB_KEY }));
    assert.equal((await storedOnce(n.messageId)).event.userId, '12345');
  });

  test('unknown fields are kept as sent; a client-sent context.ip is kept', async () => {
    const msg = message('track', {
      channel: 'server',
      _metadata: { nodeVersion: '20' },
      context: { ip: '203.0.113.9', library: { name: 'custom', version: '1' } },
      properties: { nested: { a: [1, 'two', null, true] }, unicode: 'é漢字🎉' },
    });
    assertOk(await srv.post('/v1/track', msg, { writeKey: WEB_KEY }));
    const ev = (await storedOnce(msg.messageId)).event;
    assert.equal(ev.channel, 'server');
    assert.deepEqual(ev._metadata, { nodeVersion: '20' });
    assert.deepEqual(ev.properties, msg.properties);
    assert.deepEqual(ev.context, msg.context);
  });
});

describe('batch endpoints', () => {
  for (const p of ['/v1/batch', '/v1/import', '/v1/b']) {
    test(`POST ${p} stores every type in order`, async () => {
      const items = TYPES.map((type) => ({ type, ...message(type) }));
      assertOk(await srv.post(p, { batch: items }, { writeKey: WEB_KEY }));
      const recs = [];
      for (const item of items) {
        const rec = await storedOnce(item.messageId);
        assertTypeFields(item.type, item, rec.event);
        recs.push(rec);
      }
      for (let i = 1; i < recs.length; i++) assert.equal(recs[i].seq, recs[i - 1].seq + 1, 'batch items get consecutive seqs');
    });
  }

  test('batch-level context and integrations merge under each item\'s own keys', async () => {
    const items = [
      { type: 'track', ...message('track', { context: { locale: 'fr-FR', page: { path: '/own' } }, integrations: { Braze: false } }) },
      { type: 'identify', ...message('identify') },
    ];
    const body = {
      batch: items,
      context: { locale: 'en-US', app: { name: 'Tribe', version: '2.0' }, library: { name: 'batch-lib' } },
      integrations: { All: true, Braze: true, Mixpanel: false },
    };
    assertOk(await srv.post('/v1/batch', body, { writeKey: WEB_KEY }));
    const first = (await storedOnce(items[0].messageId)).event;
    assert.equal(first.context.locale, 'fr-FR', 'the item\'s own key wins');
    assert.deepEqual(first.context.page, { path: '/own' });
    assert.deepEqual(first.context.app, { name: 'Tribe', version: '2.0' });
    assert.deepEqual(first.context.library, { name: 'batch-lib' });
    assert.equal(first.context.ip, '127.0.0.1');
    assert.deepEqual(first.integrations, { All: true, Braze: false, Mixpanel: false });
    const second = (await storedOnce(items[1].messageId)).event;
    assert.equal(second.context.locale, 'en-US');
    assert.deepEqual(second.context.app, { name: 'Tribe', version: '2.0' });
    assert.deepEqual(second.integrations, { All: true, Braze: true, Mixpanel: false });
  });

  test('a mixed batch stores the valid items and names the rejected ones', async () => {
    const userId = uid('mixed');
    const items = [
      { type: 'track', ...message('track', { userId }) },
      { type: 'track', userId, messageId: uid('msg') }, // no event
      { type: 'identify', ...message('identify', { userId }) },
      { type: 'bogus', userId, messageId: uid('msg') },
      { type: 'page', messageId: uid('msg') }, // no userId/anonymousId
      'not an object',
      { type: 'group', ...message('group', { userId }) },
    ];
    const r = await srv.post('/v1/batch', { batch: items }, { writeKey: WEB_KEY });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.success, true);
    assert.deepEqual(r.json.rejected.map((x) => [x.index, x.code]), [
      [1, 'missing_event'],
      [3, 'invalid_type'],
      [4, 'missing_user_id'],
      [5, 'invalid_message'],
    ]);
    for (const x of r.json.rejected) assert.ok(x.message.length > 0);
    for (const i of [0, 2, 6]) await storedOnce(items[i].messageId);
    for (const i of [1, 3, 4]) assert.equal((await srv.findByMessageId(items[i].messageId)).length, 0);

    const rej = await srv.rejections();
    for (const [index, code, mid] of [[1, 'missing_event', items[1].messageId], [3, 'invalid_type', items[3].messageId], [4, 'missing_user_id', items[4].messageId]]) {
      const hit = rej.rejections.find((x) => x.index === index && x.payload.includes(mid));
      assert.ok(hit, `rejection of index ${index} is visible to admins`);
      assert.equal(hit.code, code);
      assert.equal(hit.source, 'web');
      assert.ok(!Number.isNaN(Date.parse(hit.at)));
    }
    assert.ok(rej.counts_since_start.missing_event >= 1);
    assert.ok(rej.counts_since_start.invalid_type >= 1);
  });

  test('a batch whose every item is rejected is a 400 with the rejected list', async () => {
    const r = await srv.post('/v1/batch', {
      batch: [{ type: 'track', userId: 'u' }, { type: 'alias', userId: 'u' }],
    }, { writeKey: WEB_KEY });
    assertError(r, 400, 'invalid_batch');
    assert.deepEqual(r.json.rejected.map((x) => [x.index, x.code]), [[0, 'missing_event'], [1, 'missing_previous_id']]);
  });

  test('a batch body without a batch array is invalid_batch', async () => {
    assertError(await srv.post('/v1/batch', { events: [] }, { writeKey: WEB_KEY }), 400, 'invalid_batch');
    assertError(await srv.post('/v1/batch', { batch: { type: 'track' } }, { writeKey: WEB_KEY }), 400, 'invalid_batch');
  });

  test('an empty batch is accepted and stores nothing', async () => {
    const seq = await srv.lastSeq();
    assertOk(await srv.post('/v1/batch', { batch: [] }, { writeKey: WEB_KEY }));
    assert.equal(await srv.lastSeq(), seq);
  });
});

describe('authentication', () => {
  test('Basic auth with "KEY:" and with the colon missing', async () => {
    for (const colon of [true, false]) {
      const msg = message('track');
      assertOk(await srv.post('/v1/track', msg, { writeKey: WEB_KEY, colon }));
      assert.equal((await storedOnce(msg.messageId)).source, 'web');
    }
  });

  test('writeKey in the body, single and batch; it is not stored', async () => {
    const single = message('identify', { writeKey: BACKEND_KEY });
    assertOk(await srv.post('/v1/identify', single));
    const rec = await storedOnce(single.messageId);
    assert.equal(rec.source, 'backend');
    assert.equal(rec.event.writeKey, undefined);

    const item = { type: 'track', ...message('track') };
    assertOk(await srv.post('/v1/batch', { batch: [item], writeKey: WEB_KEY }));
    const brec = await storedOnce(item.messageId);
    assert.equal(brec.source, 'web');
    assert.equal(brec.event.writeKey, undefined);
  });

  test('each source stamps its events', async () => {
    const msg = message('track');
    assertOk(await srv.post('/v1/track', msg, { writeKey: BACKEND_KEY }));
    assert.equal((await storedOnce(msg.messageId)).source, 'backend');
  });

  test('no key, an unknown key or garbage auth is 401 invalid_write_key, nothing stored', async () => {
    const cases = [
      [{}, message('track')],
      [{ writeKey: 'wk_nope' }, message('track')],
      [{ headers: { authorization: 'Basic !!!not-base64' } }, message('track')],
      [{ headers: { authorization: `Bearer ${WEB_KEY}` } }, message('track')],
      [{}, message('track', { writeKey: 'wk_nope' })],
      [{}, message('track', { writeKey: 42 })],
    ];
    for (const [opts, msg] of cases) {
      const r = await srv.post('/v1/track', msg, opts);
      assertError(r, 401, 'invalid_write_key');
      assert.equal((await srv.findByMessageId(msg.messageId)).length, 0);
    }
    assertError(await srv.post('/v1/batch', { batch: [{ type: 'track', ...message('track') }] }), 401, 'invalid_write_key');
  });
});

describe('request bodies', () => {
  test('the body is JSON whatever the Content-Type', async () => {
    for (const contentType of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'application/octet-stream']) {
      const msg = message('track');
      assertOk(await srv.post('/v1/t', msg, { writeKey: WEB_KEY, contentType }));
      await storedOnce(msg.messageId);
    }
  });

  test('a body without Content-Type is read as JSON', async () => {
    const msg = message('page');
    const r = await request(srv.url('/v1/p'), {
      method: 'POST',
      headers: { authorization: basicAuth(WEB_KEY) },
      body: new Uint8Array(Buffer.from(JSON.stringify(msg))), // bytes: fetch adds no Content-Type
    });
    assertOk(r);
    await storedOnce(msg.messageId);
  });

  test('gzip with Content-Encoding: gzip', async () => {
    const items = [{ type: 'track', ...message('track') }, { type: 'identify', ...message('identify') }];
    assertOk(await srv.post('/v1/batch', { batch: items }, { writeKey: WEB_KEY, gzip: true, headers: { 'content-encoding': 'gzip' } }));
    for (const it of items) await storedOnce(it.messageId);
  });

  test('unlabelled gzip is recognized by its magic bytes (rudder-sdk-node style form label)', async () => {
    const msg = message('track');
    assertOk(await srv.post('/v1/track', msg, { writeKey: WEB_KEY, gzip: true, contentType: 'application/x-www-form-urlencoded' }));
    await storedOnce(msg.messageId);
  });

  test('a body labelled gzip that does not inflate is 400 invalid_gzip', async () => {
    const r = await srv.post('/v1/track', JSON.stringify(message('track')), {
      writeKey: WEB_KEY, headers: { 'content-encoding': 'gzip' },
    });
    assertError(r, 400, 'invalid_gzip');
    // Gzip magic followed by garbage, unlabelled.
    const fake = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.from('definitely not deflate data')]);
    assertError(await srv.post('/v1/track', fake, { writeKey: WEB_KEY }), 400, 'invalid_gzip');
    // A truncated gzip stream.
    const gz = zlib.gzipSync(Buffer.from(JSON.stringify(message('track'))));
    assertError(await srv.post('/v1/track', gz.subarray(0, gz.length - 12), { writeKey: WEB_KEY }), 400, 'invalid_gzip');
  });

  test('invalid JSON and non-object bodies are 400 invalid_json', async () => {
    for (const body of ['{"userId": "u", "event": ', 'not json at all', '', '[{"userId":"u","event":"e"}]', '"a string"', '42', 'null']) {
      const r = await srv.post('/v1/track', body, { writeKey: WEB_KEY });
      assertError(r, 400, 'invalid_json');
    }
    assertError(await srv.post('/v1/batch', '{"batch": [', { writeKey: WEB_KEY }), 400, 'invalid_json');
  });

  test('a rejected request from a known sender is visible to admins', async () => {
    const marker = uid('badjson');
    assertError(await srv.post('/v1/track', `{"userId": "${marker}", oops}`, { writeKey: WEB_KEY }), 400, 'invalid_json');
    // A refused request's record is written after the answer: poll for it.
    const hit = await waitFor(async () => (await srv.rejections()).rejections.find((x) => x.payload.includes(marker)), 10_000, { message: 'the invalid body kept for the admin' });
    assert.equal(hit.code, 'invalid_json');
    assert.equal(hit.source, 'web');
  });
});

describe('validation', () => {
  const cases = [
    ['track', { userId: undefined }, 'missing_user_id'],
    ['identify', { userId: '' }, 'missing_user_id'],
    ['page', { userId: null }, 'missing_user_id'],
    ['alias', { userId: undefined, anonymousId: 'anon' }, 'missing_user_id'],
    ['track', { event: undefined }, 'missing_event'],
    ['track', { event: '' }, 'missing_event'],
    ['track', { event: 7 }, 'missing_event'],
    ['group', { groupId: undefined }, 'missing_group_id'],
    ['alias', { previousId: undefined }, 'missing_previous_id'],
    ['track', { userId: { id: 1 } }, 'invalid_field'],
    ['identify', { anonymousId: ['a'] }, 'invalid_field'],
    ['track', { context: 'ctx' }, 'invalid_field'],
    ['track', { properties: [1, 2] }, 'invalid_field'],
    ['identify', { traits: 'vip' }, 'invalid_field'],
    ['track', { integrations: true }, 'invalid_field'],
    ['track', { messageId: 'm'.repeat(101) }, 'invalid_message_id'],
    ['track', { messageId: 12345 }, 'invalid_message_id'],
    ['track', { messageId: '' }, 'invalid_message_id'],
    ['track', { timestamp: 'yesterday' }, 'invalid_timestamp'],
    ['track', { timestamp: 1700000000000 }, 'invalid_timestamp'],
    ['track', { sentAt: '2024-13-45T99:00:00Z' }, 'invalid_timestamp'],
    ['track', { originalTimestamp: 'not a date' }, 'invalid_timestamp'],
  ];
  for (const [type, patch, code] of cases) {
    test(`${type} with ${JSON.stringify(patch).slice(0, 60)} is 400 ${code}`, async () => {
      const msg = message(type, patch);
      for (const [k, v] of Object.entries(patch)) if (v === undefined) delete msg[k];
      const r = await srv.send(type, msg);
      assertError(r, 400, code);
      assert.equal((await srv.findByMessageId(msg.messageId)).length, 0);
    });
  }

  test('invalid_type: a batch item with a missing or unknown type', async () => {
    const r = await srv.post('/v1/batch', {
      batch: [{ ...message('track') }, { type: 'purchase', ...message('track') }, { type: 42, ...message('track') }, { type: 'track', ...message('track') }],
    }, { writeKey: WEB_KEY });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.rejected.map((x) => [x.index, x.code]), [[0, 'invalid_type'], [1, 'invalid_type'], [2, 'invalid_type']]);
  });

  test('a messageId of exactly 100 characters is kept', async () => {
    const messageId = 'x'.repeat(90) + Math.random().toString(36).slice(2, 12).padEnd(10, '0');
    assert.equal(messageId.length, 100);
    assertOk(await srv.send('track', message('track', { messageId })));
    await storedOnce(messageId);
  });

  test('a missing messageId is generated, unique per message', async () => {
    const userId = uid('gen');
    for (let i = 0; i < 2; i++) assertOk(await srv.send('track', message('track', { userId, messageId: undefined })));
    const recs = (await srv.events()).filter((r) => r.event.userId === userId);
    assert.equal(recs.length, 2);
    assert.ok(recs[0].event.messageId.length > 0);
    assert.notEqual(recs[0].event.messageId, recs[1].event.messageId);
  });

  test('a rejected single message is visible to admins with its code', async () => {
    const msg = message('group', { groupId: undefined });
    assertError(await srv.send('group', msg), 400, 'missing_group_id');
    const hit = await waitFor(async () => (await srv.rejections()).rejections.find((x) => x.payload.includes(msg.messageId)), 10_000, { message: 'the rejection kept for the admin' });
    assert.equal(hit.code, 'missing_group_id');
    assert.equal(hit.index, undefined, 'a single message has no batch index');
  });
});

describe('time', () => {
  test('clock skew: timestamp = receivedAt - (sentAt - timestamp); originalTimestamp verbatim', async () => {
    // The client clock is a day ahead and the event happened 10 s before it was sent.
    const clientNow = Date.now() + 86_400_000;
    const original = new Date(clientNow - 10_000).toISOString().replace('Z', '+00:00');
    const msg = message('track', { timestamp: original, sentAt: new Date(clientNow).toISOString() });
    assertOk(await srv.send('track', msg));
    const ev = (await storedOnce(msg.messageId)).event;
    assert.equal(ev.originalTimestamp, original);
    assert.equal(Date.parse(ev.receivedAt) - Date.parse(ev.timestamp), 10_000);
    assert.ok(Math.abs(Date.parse(ev.receivedAt) - Date.now()) < 60_000);
    assert.match(ev.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  test('a zone offset is honoured in the skew correction', async () => {
    const msg = message('track', { timestamp: '2024-03-01T12:00:00.000+02:00', sentAt: '2024-03-01T10:00:05.000Z' });
    assertOk(await srv.send('track', msg));
    const ev = (await storedOnce(msg.messageId)).event;
    assert.equal(ev.originalTimestamp, '2024-03-01T12:00:00.000+02:00');
    assert.equal(Date.parse(ev.receivedAt) - Date.parse(ev.timestamp), 5_000);
  });

  test('a batch-level sentAt (analytics-node, analytics-python) corrects every item; an item\'s own wins', async () => {
    const items = [
      { type: 'track', ...message('track', { timestamp: '2030-01-01T00:00:00.000Z' }) },
      { type: 'track', ...message('track', { timestamp: '2030-01-01T00:00:00.000Z', sentAt: '2030-01-01T00:00:03.000Z' }) },
    ];
    assertOk(await srv.post('/v1/batch', { batch: items, sentAt: '2030-01-01T00:00:20.000Z' }, { writeKey: WEB_KEY }));
    const a = (await storedOnce(items[0].messageId)).event;
    assert.equal(Date.parse(a.receivedAt) - Date.parse(a.timestamp), 20_000);
    const b = (await storedOnce(items[1].messageId)).event;
    assert.equal(Date.parse(b.receivedAt) - Date.parse(b.timestamp), 3_000);
    const bad = await srv.post('/v1/batch', { batch: [{ type: 'track', ...message('track') }], sentAt: 'later' }, { writeKey: WEB_KEY });
    assertError(bad, 400, 'invalid_timestamp');
  });

  test('without sentAt the client timestamp is used as is', async () => {
    const msg = message('identify', { timestamp: '2023-06-15T08:30:00.250Z' });
    assertOk(await srv.send('identify', msg));
    const ev = (await storedOnce(msg.messageId)).event;
    assert.equal(ev.timestamp, '2023-06-15T08:30:00.250Z');
    assert.equal(ev.originalTimestamp, '2023-06-15T08:30:00.250Z');
  });

  test('RudderStack\'s originalTimestamp stands in for timestamp', async () => {
    const msg = message('track', { originalTimestamp: '2024-01-01T00:00:00.000Z', sentAt: '2024-01-01T00:00:30.000Z' });
    assertOk(await srv.send('track', msg));
    const ev = (await storedOnce(msg.messageId)).event;
    assert.equal(ev.originalTimestamp, '2024-01-01T00:00:00.000Z');
    assert.equal(Date.parse(ev.receivedAt) - Date.parse(ev.timestamp), 30_000);
  });

  test('a client receivedAt is overwritten by the server clock', async () => {
    const msg = message('track', { receivedAt: '2001-01-01T00:00:00.000Z' });
    assertOk(await srv.send('track', msg));
    const ev = (await storedOnce(msg.messageId)).event;
    assert.ok(Math.abs(Date.parse(ev.receivedAt) - Date.now()) < 60_000);
  });
});

describe('dedupe by messageId', () => {
  test('the same messageId twice is acked twice and stored once', async () => {
    const msg = message('track');
    const dupsBefore = await metric('tributary_log_duplicate_events_total');
    assertOk(await srv.send('track', msg));
    assertOk(await srv.send('track', { ...msg, properties: { changed: true } }));
    assertOk(await srv.post('/v1/batch', { batch: [{ type: 'track', ...msg }] }, { writeKey: WEB_KEY }));
    const rec = await storedOnce(msg.messageId);
    assert.deepEqual(rec.event.properties, msg.properties, 'the first copy is the one kept');
    assert.equal(await metric('tributary_log_duplicate_events_total'), dupsBefore + 2);
  });

  test('repeats inside one batch are stored once', async () => {
    const item = { type: 'identify', ...message('identify') };
    assertOk(await srv.post('/v1/batch', { batch: [item, item, { ...item, type: 'track', event: 'X' }] }, { writeKey: WEB_KEY }));
    assert.equal((await storedOnce(item.messageId)).event.type, 'identify');
  });

  test('different sources do not collide', async () => {
    const msg = message('track');
    assertOk(await srv.post('/v1/track', msg, { writeKey: WEB_KEY }));
    assertOk(await srv.post('/v1/track', msg, { writeKey: BACKEND_KEY }));
    const recs = await srv.findByMessageId(msg.messageId);
    assert.deepEqual(recs.map((r) => r.source).sort(), ['backend', 'web']);
  });
});

describe('limits at the defaults', () => {
  test('a message over 32 KB is 400 message_too_large; one under it is stored', async () => {
    const big = message('track', { properties: { blob: 'x'.repeat(32 * 1024) } });
    assertError(await srv.send('track', big), 400, 'message_too_large');
    assert.equal((await srv.findByMessageId(big.messageId)).length, 0);
    const fits = message('track', { properties: { blob: 'x'.repeat(31 * 1024) } });
    assertOk(await srv.send('track', fits));
    await storedOnce(fits.messageId);
  });

  test('a batch of 2500 messages is accepted; 2501 is 400 too_many_messages', async () => {
    const tag = uid('bulk');
    const items = (n) => Array.from({ length: n }, (_, i) => ({ type: 'track', userId: tag, event: 'E', messageId: `${tag}-${n}-${i}` }));
    assertError(await srv.post('/v1/batch', { batch: items(2501) }, { writeKey: WEB_KEY }), 400, 'too_many_messages');
    const seq = await srv.lastSeq();
    assertOk(await srv.post('/v1/batch', { batch: items(2500) }, { writeKey: WEB_KEY }));
    const recs = await srv.events({ after: seq });
    assert.equal(recs.filter((r) => r.event.userId === tag).length, 2500);
  });

  test('a body over 500 KB is 413 payload_too_large', async () => {
    const body = { batch: [{ type: 'track', ...message('track'), properties: { pad: 'y'.repeat(501 * 1024) } }] };
    assertError(await srv.post('/v1/batch', body, { writeKey: WEB_KEY }), 413, 'payload_too_large');
  });

  test('a gzip body that inflates over 500 KB is 413 payload_too_large', async () => {
    // Many small messages that compress well: small on the wire, over the limit inflated.
    const tag = uid('zip');
    const batch = Array.from({ length: 2000 }, (_, i) => ({ type: 'track', userId: tag, event: 'E', messageId: `${tag}-${i}`, properties: { pad: 'z'.repeat(300) } }));
    const r = await srv.post('/v1/batch', { batch }, { writeKey: WEB_KEY, gzip: true, headers: { 'content-encoding': 'gzip' } });
    assertError(r, 413, 'payload_too_large');
    assert.equal((await srv.events()).filter((x) => x.event.userId === tag).length, 0);
  });
});

describe('limits configured small', () => {
  let small;
  before(async () => {
    small = await Server.start({ config: { server: { limits: { message_bytes: '1KB', batch_bytes: '8KB', batch_messages: 5 } } } });
  });
  after(async () => {
    await small?.close();
  });

  test('batch_messages: 5 accepted, 6 refused', async () => {
    const items = (n) => Array.from({ length: n }, () => ({ type: 'track', ...message('track') }));
    assertError(await small.post('/v1/batch', { batch: items(6) }, { writeKey: WEB_KEY }), 400, 'too_many_messages');
    assertOk(await small.post('/v1/batch', { batch: items(5) }, { writeKey: WEB_KEY }));
  });

  test('message_bytes: an oversized item is rejected alone', async () => {
    const items = [
      { type: 'track', ...message('track') },
      { type: 'track', ...message('track', { properties: { blob: 'b'.repeat(2048) } }) },
    ];
    const r = await small.post('/v1/batch', { batch: items }, { writeKey: WEB_KEY });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.rejected.map((x) => [x.index, x.code]), [[1, 'message_too_large']]);
    assert.equal((await small.findByMessageId(items[0].messageId)).length, 1);
    assert.equal((await small.findByMessageId(items[1].messageId)).length, 0);
  });

  test('message_bytes counts the item\'s own context, not the batch context', async () => {
    const item = { type: 'track', ...message('track') };
    const r = await small.post('/v1/batch', { batch: [item], context: { big: 'c'.repeat(2048) } }, { writeKey: WEB_KEY });
    assertOk(r);
    const ev = (await small.findByMessageId(item.messageId))[0].event;
    assert.equal(ev.context.big.length, 2048);
    const own = message('track', { context: { big: 'c'.repeat(2048) } });
    assertError(await small.send('track', own), 400, 'message_too_large');
  });

  test('batch_bytes: a body over it is 413, raw or inflated from gzip', async () => {
    const body = { batch: [{ type: 'track', ...message('track'), properties: { pad: 'p'.repeat(9 * 1024) } }] };
    assertError(await small.post('/v1/batch', body, { writeKey: WEB_KEY }), 413, 'payload_too_large');
    assertError(await small.post('/v1/batch', body, { writeKey: WEB_KEY, gzip: true }), 413, 'payload_too_large');
  });
});

describe('CORS, settings, telemetry, health, routing', () => {
  test('OPTIONS preflight is 204 with CORS headers', async () => {
    for (const p of ['/v1/t', '/v1/batch', '/v1/identify']) {
      const r = await request(srv.url(p), {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
      });
      assert.equal(r.status, 204);
      assert.equal(r.text, '');
      assert.equal(r.headers.get('access-control-allow-origin'), 'https://app.example.com');
      assert.equal(r.headers.get('access-control-allow-credentials'), 'true');
      assert.match(r.headers.get('access-control-allow-methods'), /POST/);
      assert.match(r.headers.get('access-control-allow-headers').toLowerCase(), /authorization/);
      assert.ok(Number(r.headers.get('access-control-max-age')) > 0);
      assert.ok(r.headers.get('request-id'));
    }
    const bare = await request(srv.url('/v1/track'), { method: 'OPTIONS' });
    assert.equal(bare.status, 204);
    assert.equal(bare.headers.get('access-control-allow-origin'), '*');
    assert.match(bare.headers.get('access-control-allow-headers'), /Content-Type/);
  });

  test('responses carry CORS headers for browsers', async () => {
    const withOrigin = await srv.send('track', message('track'), { headers: { origin: 'https://shop.example.com' } });
    assert.equal(withOrigin.status, 200);
    assert.equal(withOrigin.headers.get('access-control-allow-origin'), 'https://shop.example.com');
    assert.match(withOrigin.headers.get('vary') ?? '', /Origin/);
    const failed = await srv.post('/v1/track', message('track'), { headers: { origin: 'https://shop.example.com' } });
    assert.equal(failed.status, 401);
    assert.equal(failed.headers.get('access-control-allow-origin'), 'https://shop.example.com');
    const noOrigin = await srv.send('track', message('track'));
    assert.equal(noOrigin.headers.get('access-control-allow-origin'), '*');
  });

  test('GET /v1/projects/{writeKey}/settings serves analytics.js settings pointing back here', async () => {
    const r = await request(srv.url(`/v1/projects/${WEB_KEY}/settings`));
    assert.equal(r.status, 200, r.text);
    const seg = r.json.integrations['Segment.io'];
    assert.equal(seg.apiKey, WEB_KEY);
    assert.equal(seg.apiHost, `127.0.0.1:${srv.port}/v1`);
    assert.equal(seg.protocol, 'http');
    assert.ok(r.json.plan.track);
    const proxied = await request(srv.url(`/v1/projects/${WEB_KEY}/settings`), { headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(proxied.json.integrations['Segment.io'].protocol, 'https');

    const unknown = await request(srv.url('/v1/projects/wk_unknown/settings'));
    assertError(unknown, 404, 'invalid_write_key');
    const post = await request(srv.url(`/v1/projects/${WEB_KEY}/settings`), { method: 'POST', body: '{}' });
    assertError(post, 405, 'method_not_allowed');
  });

  test('POST /v1/m is accepted and dropped', async () => {
    const seq = await srv.lastSeq();
    const r = await srv.post('/v1/m', { series: [{ type: 'Counter', metric: 'analytics_js.invoke', value: 1 }] }, { contentType: 'text/plain' });
    assertOk(r);
    assert.equal(await srv.lastSeq(), seq);
  });

  test('GET /healthz on the public port', async () => {
    const r = await request(srv.url('/healthz'));
    assert.equal(r.status, 200);
    assert.equal(r.json.status, 'ok');
  });

  test('unknown paths are 404, wrong methods 405', async () => {
    for (const p of ['/v1/nope', '/v2/track', '/', '/v1/projects/x/y/settings', '/admin/v1/events']) {
      const r = await srv.post(p, message('track'), { writeKey: WEB_KEY });
      assertError(r, 404, 'not_found');
    }
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const r = await request(srv.url('/v1/track'), { method });
      assertError(r, 405, 'method_not_allowed');
    }
  });

  test('every response has a unique Request-Id', async () => {
    const responses = [
      await srv.send('track', message('track')),
      await srv.post('/v1/track', message('track')),
      await srv.post('/v1/track', '{', { writeKey: WEB_KEY }),
      await request(srv.url('/v1/nope')),
      await request(srv.url('/healthz')),
      await srv.admin('/admin/v1/config'),
      await srv.admin('/admin/v1/config', { token: null }),
      await request(srv.adminBase + '/metrics'),
    ];
    const ids = responses.map((r) => r.headers.get('request-id'));
    for (const id of ids) assert.ok(id && id.length >= 8, `Request-Id: ${id}`);
    assert.equal(new Set(ids).size, ids.length);
  });
});

describe('admin API', () => {
  test('401 without a token or with a wrong one', async () => {
    for (const token of [null, 'wrong-token', '']) {
      for (const p of ['/admin/v1/events', '/admin/v1/rejections', '/admin/v1/config', '/admin/v1/nope']) {
        const r = await srv.admin(p, { token });
        assert.equal(r.status, 401, `${p} with ${token}`);
        assert.equal(r.json.error.code, 'authentication_error');
        assert.ok(r.json.error.message);
        assert.equal(r.headers.get('www-authenticate'), 'Bearer');
      }
    }
    const reload = await srv.admin('/admin/v1/reload', { method: 'POST', token: 'wrong-token' });
    assert.equal(reload.status, 401);
  });

  test('the Profile API form (Basic with the token as user) is accepted', async () => {
    const r = await request(srv.adminBase + '/admin/v1/config', { headers: { authorization: basicAuth(ADMIN_TOKEN) } });
    assert.equal(r.status, 200, r.text);
  });

  test('events are paged oldest first with after/limit/next', async () => {
    const start = await srv.lastSeq();
    const items = Array.from({ length: 7 }, (_, i) => ({ type: 'track', ...message('track', { properties: { i } }) }));
    assertOk(await srv.post('/v1/batch', { batch: items }, { writeKey: WEB_KEY }));
    const pages = [];
    let cursor = start;
    for (;;) {
      const r = await srv.admin(`/admin/v1/events?after=${cursor}&limit=3`);
      assert.equal(r.status, 200);
      assert.equal(r.json.last_seq, start + 7);
      if (r.json.events.length === 0) {
        assert.equal(r.json.next, cursor);
        break;
      }
      assert.equal(r.json.next, r.json.events.at(-1).seq);
      pages.push(r.json.events);
      cursor = r.json.next;
    }
    assert.deepEqual(pages.map((p) => p.length), [3, 3, 1]);
    const all = pages.flat();
    assert.deepEqual(all.map((r) => r.seq), [1, 2, 3, 4, 5, 6, 7].map((i) => start + i));
    assert.deepEqual(all.map((r) => r.event.properties.i), [0, 1, 2, 3, 4, 5, 6]);
    for (const rec of all) {
      assert.equal(rec.source, 'web');
      assert.equal(rec.received_at, rec.event.receivedAt);
    }
  });

  test('events rejects bad parameters with the admin error shape', async () => {
    for (const q of ['after=-1', 'after=abc', 'limit=x', 'limit=-5', 'after=1.5']) {
      const r = await srv.admin(`/admin/v1/events?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.json.error.code, 'validation_error');
    }
    const capped = await srv.admin('/admin/v1/events?limit=100000');
    assert.equal(capped.status, 200);
    assert.ok(capped.json.events.length <= 1000);
  });

  test('unknown admin paths are 404 not_found', async () => {
    const r = await srv.admin('/admin/v1/nope');
    assert.equal(r.status, 404);
    assert.equal(r.json.error.code, 'not_found');
    assert.equal((await srv.admin('/admin/v1/reload')).status, 404, 'reload needs POST');
  });

  test('/admin/v1/config describes the active config', async () => {
    const r = await srv.admin('/admin/v1/config');
    assert.equal(r.status, 200);
    assert.equal(r.json.file, srv.configPath);
    assert.match(r.json.fingerprint, /^[0-9a-f]{16}$/);
    assert.ok(!Number.isNaN(Date.parse(r.json.loaded_at)));
    assert.equal(r.json.last_reload_error, null);
    assert.deepEqual(r.json.sources.map((s) => s.name).sort(), ['backend', 'web']);
  });

  test('/healthz and /readyz need no token', async () => {
    const h = await srv.admin('/healthz', { token: null });
    assert.equal(h.status, 200);
    assert.equal(h.json.status, 'ok');
    const r = await srv.admin('/readyz', { token: null });
    assert.equal(r.status, 200);
    assert.equal(r.json.status, 'ready');
  });

  test('/metrics is Prometheus text that tracks what happened', async () => {
    const before = await metrics();
    assertOk(await srv.send('track', message('track')));
    assertError(await srv.send('track', message('track', { event: undefined })), 400, 'missing_event');
    const r = await request(srv.adminBase + '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/plain/);
    const m = parseMetrics(r.text);
    assert.match(r.text, /^# TYPE tributary_ingest_requests_total counter$/m);
    assert.match(r.text, /^# HELP tributary_log_last_sequence /m);
    assert.equal(m['tributary_log_last_sequence'], await srv.lastSeq());
    const ok = 'tributary_ingest_requests_total{endpoint="track",status="200"}';
    const bad = 'tributary_ingest_requests_total{endpoint="track",status="400"}';
    assert.equal(m[ok], (before[ok] ?? 0) + 1);
    assert.equal(m[bad], (before[bad] ?? 0) + 1);
    const ev = 'tributary_ingest_events_total{source="web",type="track"}';
    assert.equal(m[ev], (before[ev] ?? 0) + 1);
    const rej = 'tributary_ingest_rejected_total{reason="missing_event"}';
    assert.equal(m[rej], (before[rej] ?? 0) + 1);
    assert.ok(m['tributary_log_group_commits_total'] > 0);
    assert.ok(m['tributary_ingest_ack_latency_seconds_count'] > 0);
    assert.ok(m['tributary_process_resident_memory_bytes'] > 0);
  });
});

function parseMetrics(text) {
  const out = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}

async function metrics() {
  const r = await request(srv.adminBase + '/metrics');
  assert.equal(r.status, 200);
  return parseMetrics(r.text);
}

async function metric(name) {
  return (await metrics())[name] ?? 0;
}
