// Routing through the real binary to a real local receiver: subscribe, filters,
// require_traits, profile_where, mapping, Engage audience events only where listed, and the
// Event Tester (admin route and CLI) answering without sending.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ADMIN_TOKEN, BIN, Server, WEB_KEY, receiver, runCli, uid, waitFor } from './harness.mjs';

function configText(rx) {
  return `
server: {listen: "127.0.0.1:0", admin_listen: "127.0.0.1:0"}
storage: {path: "{{DATA}}", sync: never}
admin: {tokens: ["${ADMIN_TOKEN}"]}
sources: {web: {write_keys: ["${WEB_KEY}"]}}
computed_traits:
  activation_score: {type: score, milestones: {"Project Created": 1, "Teammate Invited": 1}}
audiences:
  pro_users: {name: Pro users, where: 'traits.plan = "pro"'}
destinations:
  tracks:
    type: webhook
    url: "${rx.url}/tracks"
    subscribe: 'type = "track"'
    filters:
      - {drop: 'event = "Debug"'}
      - {drop_properties: {if: all, fields: [properties.password]}}
  mapped:
    type: webhook
    url: "${rx.url}/mapped"
    subscribe: 'event = "Order Completed"'
    require_traits: [email]
    mapping:
      external_id: {"@path": "$.userId"}
      total: {"@path": "$.properties.total"}
  rescue:
    type: webhook
    url: "${rx.url}/rescue"
    subscribe: 'event = "Connection Setup Abandoned"'
    profile_where: '!performed("Connection Completed")'
  engage:
    type: webhook
    url: "${rx.url}/engage"
    subscribe: 'type = "screen"'
    audiences: [pro_users]
    audience_delivery: [track]
    computed_traits: [activation_score]
  trait_tracks:
    type: webhook
    url: "${rx.url}/trait_tracks"
    subscribe: 'type = "screen"'
    computed_traits: [activation_score]
    computed_trait_delivery: [track]
`;
}

describe('routing to destinations', () => {
  let rx;
  let srv;
  before(async () => {
    rx = await receiver();
    srv = await Server.start({ configText: configText(rx) });
  });
  after(async () => {
    await srv?.close();
    rx?.server.close();
  });

  const at = (p) => rx.requests.filter((r) => r.url === p);

  test('subscribe, filters, require_traits, profile_where and mapping decide what is sent', async () => {
    const u1 = uid('u');
    const u2 = uid('u');
    const send = (msg) => srv.send(msg.type, msg);
    for (const r of [
      await send({ type: 'identify', userId: u1, traits: { email: 'a@x.test', plan: 'pro' } }),
      await send({ type: 'track', userId: u1, event: 'Debug' }),
      await send({ type: 'track', userId: u1, event: 'Signed In', properties: { password: 'p', ok: true } }),
      await send({ type: 'track', userId: u1, event: 'Order Completed', properties: { total: 42 } }),
      await send({ type: 'track', userId: u2, event: 'Order Completed', properties: { total: 7 } }),
      await send({ type: 'track', userId: u1, event: 'Connection Setup Abandoned' }),
      await send({ type: 'track', userId: u2, event: 'Connection Completed' }),
      await send({ type: 'track', userId: u2, event: 'Connection Setup Abandoned' }),
      await send({ type: 'track', userId: u1, event: 'Project Created' }),
    ]) assert.equal(r.status, 200);
    await waitFor(() => at('/rescue').length >= 1 && at('/mapped').length >= 1 && at('/engage').length >= 2, 15_000);
    // tracks: no identify (subscribe), no Debug (drop), password dropped.
    await waitFor(() => at('/tracks').length >= 7, 15_000);
    const tracks = at('/tracks').map((r) => r.body);
    assert.ok(tracks.every((e) => e.type === 'track'));
    assert.ok(!tracks.some((e) => e.event === 'Debug'));
    const signedIn = tracks.find((e) => e.event === 'Signed In');
    assert.deepEqual(signedIn.properties, { ok: true });
    // Engage events never reach a destination that did not ask for them.
    assert.ok(!tracks.some((e) => e.context?.personas));
    // mapped: only u1 (u2 has no email), mapped body.
    assert.deepEqual(at('/mapped').map((r) => r.body), [{ external_id: u1, total: 42 }]);
    // rescue: only the user who never completed the connection.
    assert.deepEqual(at('/rescue').map((r) => r.body.userId), [u1]);
    // engage: the audience as a track only, the computed trait as identify traits.
    await waitFor(() => at('/engage').some((r) => r.body.type === 'identify' && r.body.traits?.activation_score === 1), 15_000);
    const engage = at('/engage').map((r) => r.body);
    const entered = engage.filter((e) => e.event === 'Audience Entered');
    assert.equal(entered.length, 1);
    assert.equal(entered[0].userId, u1);
    assert.deepEqual(entered[0].properties, { audience_key: 'pro_users', pro_users: true });
    assert.equal(entered[0].context.personas.computation_class, 'audience');
    assert.ok(entered[0].messageId.startsWith('personas_'));
    assert.ok(!engage.some((e) => e.type === 'identify' && 'pro_users' in (e.traits ?? {})), 'audience_delivery is track only');
    const scores = engage.filter((e) => e.type === 'identify' && e.context?.personas?.computation_class === 'trait');
    assert.ok(scores.some((e) => e.traits.activation_score === 1));
    assert.ok(!engage.some((e) => e.event === 'Trait Computed'), 'computed_trait_delivery defaults to identify');
    // trait_tracks: the computed trait as a Trait Computed track only, no audiences.
    await waitFor(() => at('/trait_tracks').some((r) => r.body.properties?.activation_score === 1), 15_000);
    const traitTracks = at('/trait_tracks').map((r) => r.body);
    assert.ok(traitTracks.every((e) => e.type === 'track' && e.event === 'Trait Computed'), JSON.stringify(traitTracks));
    const computed = traitTracks.find((e) => e.properties.activation_score === 1);
    assert.deepEqual(computed.properties, { trait_key: 'activation_score', activation_score: 1 });
    assert.equal(computed.userId, u1);
    assert.equal(computed.context.personas.computation_class, 'trait');
    assert.equal(computed.context.personas.computation_key, 'activation_score');
    assert.ok(computed.messageId.startsWith('personas_'));
  });

  test('the Event Tester answers without sending', async () => {
    const before = rx.requests.length;
    const r = await srv.admin('/admin/v1/destinations/tracks/test', {
      method: 'POST',
      body: { type: 'track', event: 'Debug', userId: 'x', messageId: 'm-1' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.json.delivered, false);
    assert.match(r.json.reason, /filters\[0\] drop/);
    const ok = await srv.admin('/admin/v1/destinations/tracks/test', {
      method: 'POST',
      body: { type: 'track', event: 'Ok', userId: 'x', messageId: 'm-2', properties: { password: 'p', a: 1 } },
    });
    assert.equal(ok.json.delivered, true);
    assert.equal(ok.json.request.method, 'POST');
    assert.equal(ok.json.request.url, `${rx.url}/tracks`);
    assert.deepEqual(JSON.parse(ok.json.request.body).properties, { a: 1 });
    assert.ok(ok.json.request.headers.some((h) => h.name === 'Idempotency-Key' && h.value === 'm-2'));
    const none = await srv.admin('/admin/v1/destinations/nope/test', { method: 'POST', body: {} });
    assert.equal(none.status, 404);
    assert.equal(rx.requests.length, before, 'nothing was sent');
  });

  test('tributary test-destination prints the verdict offline', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-td-'));
    const file = path.join(dir, 't.yaml');
    fs.writeFileSync(file, configText(rx).replaceAll('{{DATA}}', path.join(dir, 'data')));
    const r = runCli(['test-destination', 'mapped', '--config', file], {
      input: JSON.stringify({ type: 'track', event: 'Order Completed', userId: 'u9', properties: { total: 3 } }),
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.delivered, false);
    assert.match(out.reason, /no profile/);
  });
});
