// The tracking plan through the real server: a batch mixing planned, unplanned and violating
// events ends with exactly the expected events in the log, their context.protocols, and the
// blocked ones in the rejections store.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { BACKEND_KEY, Server, WEB_KEY, waitFor } from './harness.mjs';

const PLAN = `
server: {listen: "127.0.0.1:0", admin_listen: "127.0.0.1:0"}
storage: {path: "{{DATA}}", min_free_bytes: 16MB}
admin: {tokens: [it-admin-token]}
sources:
  web: {write_keys: [${WEB_KEY}]}
  backend: {write_keys: [${BACKEND_KEY}], tracking_plan: off}
tracking_plan:
  events:
    "Project Created":
      properties:
        project_id: {type: string, required: true}
        template_used: {type: boolean}
    "Task Assigned":
      properties:
        task_id: {type: string, required: true}
  identify:
    traits:
      plan: {type: string, enum: [trial, pro, enterprise]}
  unplanned_events: block
  unplanned_properties: omit
  violations: flag
  forward_violations: true
  rename_events: {project_created: "Project Created", ProjectCreated: "Project Created"}
`;

let srv;
before(async () => {
  srv = await Server.start({ configText: PLAN });
});
after(async () => srv?.close());

test('a mixed batch: planned, renamed, unplanned, violating', async () => {
  const batch = [
    { type: 'track', userId: 'u', event: 'Project Created', messageId: 'tp-ok', properties: { project_id: 'p1', template_used: true } },
    { type: 'track', userId: 'u', event: 'project_created', messageId: 'tp-renamed', properties: { project_id: 'p2', extra: 'x' } },
    { type: 'track', userId: 'u', event: 'Random Click', messageId: 'tp-unplanned' },
    { type: 'track', userId: 'u', event: 'Task Assigned', messageId: 'tp-violating', properties: {} },
    { type: 'identify', userId: 'u', messageId: 'tp-identify', traits: { plan: 'gold' } },
  ];
  const r = await srv.post('/v1/batch', { batch }, { writeKey: WEB_KEY });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.rejected.map((x) => [x.index, x.code]), [[2, 'tracking_plan_blocked']]);

  const events = (await srv.events()).map((e) => e.event);
  const byId = Object.fromEntries(events.map((e) => [e.messageId, e]));
  assert.deepEqual(Object.keys(byId).filter((k) => k.startsWith('tp-')).sort(),
    ['tp-identify', 'tp-ok', 'tp-renamed', 'tp-violating']);
  assert.equal(byId['tp-ok'].context.protocols, undefined, 'a conforming event is untouched');
  assert.equal(byId['tp-renamed'].event, 'Project Created');
  assert.deepEqual(byId['tp-renamed'].properties, { project_id: 'p2' });
  assert.deepEqual(byId['tp-renamed'].context.protocols, { sourceId: 'web', omitted: ['properties.extra'] });
  assert.deepEqual(byId['tp-violating'].context.protocols.violations,
    [{ type: 'Required', field: 'properties.task_id', description: 'properties.task_id is required' }]);
  assert.equal(byId['tp-identify'].context.protocols.violations[0].type, 'Enum');

  // Segment's Violation Generated events, one per violation.
  const generated = events.filter((e) => e.event === 'Violation Generated');
  assert.deepEqual(generated.map((e) => [e.properties.eventMessageID, e.properties.violationType, e.properties.violationField]).sort(),
    [['tp-identify', 'Enum', 'traits.plan'], ['tp-violating', 'Required', 'properties.task_id']]);
  for (const g of generated) {
    assert.equal(g.userId, 'schema-violations');
    assert.equal(g.properties.sourceID, 'web');
  }

  const rej = await srv.rejections();
  const blocked = rej.rejections.find((x) => x.code === 'tracking_plan_blocked');
  assert.ok(blocked, JSON.stringify(rej));
  assert.equal(blocked.index, 2);
  assert.equal(JSON.parse(blocked.payload).messageId, 'tp-unplanned');
  assert.match(blocked.message, /Random Click/);

  const summary = await srv.admin('/admin/v1/tracking-plan/violations');
  assert.equal(summary.status, 200);
  const rows = summary.json.violations.map((v) => `${v.event}|${v.field}|${v.type}|${v.count}`).sort();
  assert.deepEqual(rows, ['Task Assigned|properties.task_id|Required|1', 'identify|traits.plan|Enum|1']);

  const metrics = (await srv.admin('/metrics', { token: null })).text;
  assert.match(metrics, /^tributary_tracking_plan_violations_total\{event="Task Assigned",type="Required"\} 1$/m);
  assert.match(metrics, /^tributary_tracking_plan_blocked_total\{event="Random Click",reason="unplanned_event"\} 1$/m);
});

test('a single blocked message is acknowledged (no SDK retry) and kept in rejections', async () => {
  const r = await srv.send('track', { userId: 'u', event: 'Not Planned', messageId: 'tp-single' });
  assert.equal(r.status, 200);
  assert.equal(r.json.rejected[0].code, 'tracking_plan_blocked');
  assert.equal((await srv.findByMessageId('tp-single')).length, 0);
  // The rejection is written by the log writer after the answer (nothing is acknowledged as stored).
  await waitFor(async () => (await srv.rejections()).rejections
    .some((x) => x.code === 'tracking_plan_blocked' && JSON.parse(x.payload).messageId === 'tp-single'),
  10_000, { message: 'the blocked message in the rejections store' });
});

test('a source with tracking_plan: off passes unvalidated', async () => {
  const r = await srv.post('/v1/track', { userId: 'u', event: 'Random Click', messageId: 'tp-legacy', properties: { x: 1 } },
    { writeKey: BACKEND_KEY });
  assert.equal(r.status, 200);
  assert.equal(r.json.rejected, undefined);
  const [rec] = await srv.findByMessageId('tp-legacy');
  assert.equal(rec.event.event, 'Random Click');
  assert.equal(rec.event.context.protocols, undefined);
});
