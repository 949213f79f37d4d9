// The real SDKs from npm, unmodified, pointed at the real server: @segment/analytics-node and
// @rudderstack/rudder-sdk-node. Also their retries (via a proxy that fails a stored request).
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';

import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';

import { BACKEND_KEY, Server, WEB_KEY, uid, waitFor } from './harness.mjs';

let srv;
before(async () => {
  srv = await Server.start();
});
after(async () => {
  await srv?.close();
});

/**
 * An HTTP proxy in front of the server that records every request. The first `failFirst`
 * requests are forwarded (so the server stores them) but answered 503, which makes the SDK retry.
 */
async function startProxy(target, { failFirst = 0 } = {}) {
  const seen = [];
  const proxy = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    const rec = { method: req.method, url: req.url, headers: req.headers, body, json: decode(req.headers, body) };
    seen.push(rec);
    try {
      const up = await forward(target, req, body);
      rec.upstreamStatus = up.status;
      if (seen.length <= failFirst) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end('{"success":false,"code":"unavailable","message":"injected by the test proxy"}');
      } else {
        res.writeHead(up.status, { 'content-type': up.headers['content-type'] ?? 'application/json' });
        res.end(up.body);
      }
    } catch (err) {
      rec.error = err.message;
      res.writeHead(502);
      res.end();
    }
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${proxy.address().port}`,
    seen,
    close: () => new Promise((resolve) => {
      proxy.closeAllConnections?.();
      proxy.close(resolve);
    }),
  };
}

function forward(target, req, body) {
  const url = new URL(req.url, target);
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: url.host };
    delete headers.connection;
    const up = http.request({ hostname: url.hostname, port: url.port, path: url.pathname + url.search, method: req.method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    up.on('error', reject);
    up.end(body);
  });
}

function decode(headers, body) {
  try {
    const gz = /gzip/.test(headers['content-encoding'] ?? '') || (body[0] === 0x1f && body[1] === 0x8b);
    return JSON.parse((gz ? zlib.gunzipSync(body) : body).toString('utf8'));
  } catch {
    return undefined;
  }
}

const messageIds = (rec) => (rec.json?.batch ?? []).map((m) => m.messageId);

/** The six calls of an SDK, with fields unique to this run. */
function calls(tag) {
  const userId = uid(`${tag}-user`);
  return {
    userId,
    identify: { userId, traits: { email: `${userId}@example.com`, plan: 'trial', company_size: '200-1000' } },
    track: { userId, event: 'Project Created', properties: { project_id: uid('proj'), template_used: true, revenue: 12.5 } },
    page: { userId, name: 'Pricing', properties: { path: '/pricing', referrer: 'https://example.com/' } },
    screen: { userId, name: 'Onboarding Step 2', properties: { step: 2 } },
    group: { userId, groupId: uid(`${tag}-group`), traits: { name: 'Acme Inc', employees: 250 } },
    alias: { userId, previousId: uid(`${tag}-anon`) },
  };
}

/** The stored events of `userId`, by type, once all six are in the log. */
async function storedByType(userId) {
  const recs = await waitFor(async () => {
    const found = (await srv.events()).filter((r) => r.event.userId === userId);
    return found.length >= 6 && found;
  }, 20_000, { message: `six events of ${userId}` });
  assert.equal(recs.length, 6, 'exactly six events');
  const out = {};
  for (const r of recs) {
    assert.equal(out[r.event.type], undefined, `one ${r.event.type}`);
    out[r.event.type] = r;
  }
  return out;
}

function assertIntact(c, stored, { source, library }) {
  for (const type of ['identify', 'track', 'page', 'screen', 'group', 'alias']) {
    const rec = stored[type];
    assert.ok(rec, `a stored ${type}`);
    assert.equal(rec.source, source);
    const ev = rec.event;
    assert.equal(ev.userId, c.userId);
    assert.equal(ev.context.library.name, library, `${type} context.library.name`);
    assert.equal(typeof ev.context.library.version, 'string');
    assert.equal(ev.context.ip, '127.0.0.1');
    assert.ok(ev.messageId.length > 0);
    for (const k of ['timestamp', 'receivedAt']) assert.ok(!Number.isNaN(Date.parse(ev[k])), `${type}.${k}`);
    assert.ok(Math.abs(Date.parse(ev.receivedAt) - Date.now()) < 120_000);
    // Same clock on both sides: the skew-corrected timestamp is close to the client's.
    assert.ok(Math.abs(Date.parse(ev.timestamp) - Date.parse(ev.originalTimestamp)) < 10_000, `${type}: ${ev.timestamp} vs ${ev.originalTimestamp}`);
  }
  assert.deepEqual(stored.identify.event.traits, c.identify.traits);
  assert.equal(stored.track.event.event, c.track.event);
  assert.deepEqual(stored.track.event.properties, c.track.properties);
  assert.equal(stored.page.event.name, c.page.name);
  assert.equal(stored.page.event.properties.path, c.page.properties.path);
  assert.equal(stored.screen.event.name, c.screen.name);
  assert.equal(stored.screen.event.properties.step, 2);
  assert.equal(stored.group.event.groupId, c.group.groupId);
  assert.deepEqual(stored.group.event.traits, c.group.traits);
  assert.equal(stored.alias.event.previousId, c.alias.previousId);
}

function segmentClient(host, extra = {}) {
  const analytics = new SegmentAnalytics({ writeKey: WEB_KEY, host, flushAt: 6, flushInterval: 60_000, maxRetries: 5, ...extra });
  const statuses = [];
  const errors = [];
  analytics.on('http_response', (r) => statuses.push(r.status));
  analytics.on('error', (e) => errors.push(e));
  return { analytics, statuses, errors };
}

function sendSix(client, c) {
  client.identify(c.identify);
  client.track(c.track);
  client.page(c.page);
  client.screen(c.screen);
  client.group(c.group);
  client.alias(c.alias);
}

function rudderClient(host, extra = {}) {
  const errors = [];
  const client = new RudderAnalytics(BACKEND_KEY, {
    dataPlaneUrl: host, flushAt: 20, flushInterval: 60_000, logLevel: 'none', errorHandler: (e) => errors.push(e), ...extra,
  });
  return { client, errors };
}

/** Sends the six calls through rudder-sdk-node and resolves once each call's callback ran. */
async function rudderSendSix(client, c) {
  const pending = [];
  for (const type of ['identify', 'track', 'page', 'screen', 'group', 'alias']) {
    let resolve;
    pending.push(new Promise((r) => { resolve = r; }));
    client[type](c[type], (err) => resolve(err));
  }
  await client.flush();
  return Promise.all(pending);
}

describe('@segment/analytics-node', () => {
  test('identify, track, page, screen, group and alias arrive intact', async () => {
    const c = calls('seg');
    const { analytics, statuses, errors } = segmentClient(srv.base);
    sendSix(analytics, c);
    await analytics.closeAndFlush({ timeout: 20_000 });
    assert.deepEqual(errors, []);
    assert.ok(statuses.length >= 1);
    assert.ok(statuses.every((s) => s === 200), `statuses: ${statuses}`);
    const stored = await storedByType(c.userId);
    assertIntact(c, stored, { source: 'web', library: '@segment/analytics-node' });
  });

  test('a request stored but answered 503 is retried without a duplicate', async () => {
    const proxy = await startProxy(srv.base, { failFirst: 1 });
    try {
      const c = calls('seg-retry');
      const { analytics, statuses, errors } = segmentClient(proxy.url);
      sendSix(analytics, c);
      await analytics.closeAndFlush({ timeout: 30_000 });
      assert.deepEqual(errors, []);
      assert.deepEqual(statuses, [503, 200]);
      assert.equal(proxy.seen.length, 2);
      const [first, retry] = proxy.seen;
      assert.equal(first.url, '/v1/batch');
      assert.equal(first.upstreamStatus, 200, 'the server stored the first attempt');
      assert.equal(messageIds(first).length, 6);
      assert.deepEqual(messageIds(retry), messageIds(first), 'the retry carries the same messageIds');
      assert.equal(retry.headers['x-retry-count'], '1');
      const stored = await storedByType(c.userId); // asserts exactly six
      assert.deepEqual(Object.values(stored).map((r) => r.event.messageId).sort(), messageIds(first).sort());
    } finally {
      await proxy.close();
    }
  });
});

describe('@rudderstack/rudder-sdk-node', () => {
  test('identify, track, page, screen, group and alias arrive intact, gzipped', async () => {
    // A pass-through proxy, only to see what went over the wire.
    const proxy = await startProxy(srv.base);
    try {
      const c = calls('rudder');
      const { client, errors } = rudderClient(proxy.url);
      const results = await rudderSendSix(client, c);
      assert.deepEqual(results, Array(6).fill(undefined), 'every call\'s callback without an error');
      assert.deepEqual(errors, []);
      assert.ok(proxy.seen.length >= 1);
      for (const rec of proxy.seen) {
        assert.equal(rec.url, '/v1/batch');
        assert.equal(rec.headers['content-encoding'], 'gzip', 'rudder-sdk-node gzips by default');
        assert.equal(rec.upstreamStatus, 200);
        assert.ok(rec.json, 'the body inflates to JSON');
      }
      const stored = await storedByType(c.userId);
      assertIntact(c, stored, { source: 'backend', library: 'analytics-node' });
      // rudder-sdk-node sends originalTimestamp (not timestamp) and copies identify traits to context.traits.
      const sent = proxy.seen.flatMap((r) => r.json.batch);
      for (const m of sent) {
        assert.equal(m.timestamp, undefined);
        const ev = Object.values(stored).find((r) => r.event.messageId === m.messageId).event;
        assert.equal(ev.originalTimestamp, m.originalTimestamp);
      }
      assert.deepEqual(stored.identify.event.context.traits, c.identify.traits);
    } finally {
      await proxy.close();
    }
  });

  test('a request stored but answered 503 is retried without a duplicate', async () => {
    const proxy = await startProxy(srv.base, { failFirst: 1 });
    try {
      const c = calls('rudder-retry');
      const { client, errors } = rudderClient(proxy.url);
      const results = await rudderSendSix(client, c);
      assert.deepEqual(results, Array(6).fill(undefined));
      assert.deepEqual(errors, []);
      assert.ok(proxy.seen.length >= 2, `requests: ${proxy.seen.length}`);
      const [first, retry] = proxy.seen;
      assert.equal(first.upstreamStatus, 200, 'the server stored the first attempt');
      assert.ok(messageIds(first).length >= 1);
      assert.deepEqual(messageIds(retry), messageIds(first), 'the retry carries the same messageIds');
      const stored = await storedByType(c.userId); // asserts exactly six, one per type
      const sentIds = new Set(proxy.seen.flatMap(messageIds));
      assert.equal(sentIds.size, 6);
      assert.deepEqual(Object.values(stored).map((r) => r.event.messageId).sort(), [...sentIds].sort());
    } finally {
      await proxy.close();
    }
  });
});
