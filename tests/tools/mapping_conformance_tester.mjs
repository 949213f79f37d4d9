// Runs Segment's recorded mapping-kit cases (../shared/conformance/ next to the repository)
// through the real server: each case's mapping becomes the `mapping` of a webhook destination in
// the configuration file (applied with POST /admin/v1/reload), and each case's input is posted
// to that destination's Event Tester (POST /admin/v1/destinations/{name}/test). The body the
// tester says it would send must be Segment's result, byte for byte as JSON.stringify writes it;
// a case that throws in Segment must be refused (by the configuration loader, which validates
// mappings, or by the tester). Validation cases must be accepted or refused by the loader as
// Segment's validate() does. @liquid cases are skipped (not supported).
//
// A developer tool, not part of CI; see scripts/mapping-conformance.sh --tester.
//   TRIBUTARY_BIN=build/.../src/tributary node tests/tools/mapping_conformance_tester.mjs [CASES_DIR]
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import { HERE, Server } from '../integration/harness.mjs';

const casesDir = path.resolve(process.argv[2] ?? process.env.CONFORMANCE_DIR ?? path.join(HERE, '../../../shared/conformance'));
const verbose = process.env.VERBOSE === '1';

function load(file) {
  const p = path.join(casesDir, file);
  if (!fs.existsSync(p)) {
    console.error(`mapping-conformance: no ${p} (set CONFORMANCE_DIR)`);
    process.exit(2);
  }
  return JSON.parse(fs.readFileSync(p, 'utf8'));
}

/** The file's stand-ins for values JSON cannot hold, as JavaScript values. */
function decode(v) {
  if (Array.isArray(v)) return v.map(decode);
  if (v && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === '$undefined') return undefined;
    if (keys.length === 1 && keys[0] === '$number') return Number(v.$number);
    if (keys.length === 1 && keys[0] === '$date') return new Date(v.$date);
    const out = {};
    for (const k of keys) {
      const d = decode(v[k]);
      if (d !== undefined) out[k] = d;
    }
    return out;
  }
  return v;
}

const usesLiquid = (c) => (c.directives ?? []).includes('@liquid') || JSON.stringify(c.input).includes('"@liquid"');
const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Why a mapping cannot be written as a destination's `mapping`, or null. */
function unexpressible(mapping) {
  if (!isPlainObject(mapping))
    return `the mapping is ${Array.isArray(mapping) ? 'an array' : typeof mapping}: a destination's mapping must be a YAML map (destinations.NAME.mapping must be a mapping of output keys to values or directives)`;
  const text = JSON.stringify(mapping);
  if (/\$\{/.test(text)) return 'the mapping contains ${...}, which the configuration loader substitutes from the environment';
  if (/"\$number"|"\$date"|"\$undefined"/.test(text)) return 'the mapping holds a value JSON (and so YAML) cannot hold';
  return null;
}

const srv = await Server.start({ config: {} });
let n = 0;

/** Applies a configuration with one destination holding `mapping`; resolves {ok, name, error}. */
async function configure(mapping) {
  const name = `case-${++n}`;
  await srv.writeConfig({ destinations: { [name]: { type: 'webhook', url: 'http://127.0.0.1:9/conformance', mapping } } });
  const r = await srv.admin('/admin/v1/reload', { method: 'POST' });
  if (r.status === 200) return { ok: true, name };
  if (r.status === 400 && r.json?.error?.code === 'invalid_config') return { ok: false, name, error: r.json.error.message };
  throw new Error(`POST /admin/v1/reload: ${r.status} ${r.text}`);
}

const results = { transform: { passed: 0, failed: 0, skipped: 0, unexpressible: 0 }, validate: { passed: 0, failed: 0, skipped: 0, unexpressible: 0 } };
const failures = [];
const notExpressed = [];
const notes = [];

function fail(kind, c, want, got) {
  results[kind].failed += 1;
  failures.push(`FAIL ${c.id} (${c.source_test?.name ?? ''})\n  mapping: ${JSON.stringify(c.input.mapping)}\n  data:    ${JSON.stringify(c.input.data)}\n  want:    ${want}\n  got:     ${got}`);
}

function pass(kind, c, how) {
  results[kind].passed += 1;
  if (how) notes.push(`${c.id}: ${how}`);
  if (verbose) console.log(`ok   ${c.id}${how ? ` (${how})` : ''}`);
}

/** Counts a case that uses @liquid, or whose mapping cannot be a destination's, and says to skip it. */
function notApplicable(kind, c) {
  if (usesLiquid(c)) {
    results[kind].skipped += 1;
    return true;
  }
  const why = unexpressible(c.input.mapping);
  if (!why) return false;
  results[kind].unexpressible += 1;
  notExpressed.push(`${c.id} (${c.source_test?.name ?? ''}): ${why}; Segment: ${JSON.stringify(c.expected)}`);
  return true;
}

try {
  const transform = load('mapping-kit-transform.json');
  for (const c of transform.cases) {
    if (notApplicable('transform', c)) continue;
    const expectThrow = c.expected.throws === true;
    const want = expectThrow ? undefined : decode(c.expected.result);
    const wantText = expectThrow ? 'an error' : want === undefined ? 'nothing sent (undefined)' : JSON.stringify(want);
    const conf = await configure(decode(c.input.mapping));
    if (!conf.ok) {
      if (expectThrow) pass('transform', c, `refused by the configuration loader: ${conf.error.replace(/^.*?: /, '')}`);
      else fail('transform', c, wantText, `configuration refused: ${conf.error}`);
      continue;
    }
    const data = 'data' in c.input ? decode(c.input.data) : {};
    const r = await srv.admin(`/admin/v1/destinations/${encodeURIComponent(conf.name)}/test`, { method: 'POST', body: JSON.stringify(data) });
    if (r.status !== 200) {
      if (expectThrow && r.status === 400) pass('transform', c, `refused by the Event Tester: ${r.json?.error?.message}`);
      else fail('transform', c, wantText, `HTTP ${r.status} ${r.text}`);
      continue;
    }
    const t = r.json;
    if (expectThrow) {
      if (!t.delivered && /^the mapping failed/.test(t.reason)) pass('transform', c);
      else fail('transform', c, wantText, t.delivered ? `sent ${t.request.body}` : `not sent: ${t.reason}`);
    } else if (want === undefined) {
      if (!t.delivered && t.reason === 'the mapping produced nothing') pass('transform', c);
      else fail('transform', c, wantText, t.delivered ? `sent ${t.request.body}` : `not sent: ${t.reason}`);
    } else if (!t.delivered) {
      fail('transform', c, wantText, `not sent: ${t.reason}`);
    } else if (t.request.body === wantText) {
      pass('transform', c);
    } else {
      const same = isDeepStrictEqual(JSON.parse(t.request.body), JSON.parse(wantText));
      fail('transform', c, wantText, `${t.request.body}${same ? '  (equal values, different key order)' : ''}`);
    }
  }

  const validate = load('mapping-kit-validate.json');
  for (const c of validate.cases) {
    if (notApplicable('validate', c)) continue;
    const wantValid = c.expected.valid === true;
    const conf = await configure(decode(c.input.mapping));
    if (conf.ok === wantValid) pass('validate', c);
    else fail('validate', c, wantValid ? 'valid' : 'invalid', conf.ok ? 'accepted by the configuration loader' : `refused: ${conf.error}`);
  }
} finally {
  await srv.close();
}

for (const f of failures) console.log(f);
if (notExpressed.length) {
  console.log('\nNot expressible as a destination mapping (not run):');
  for (const x of notExpressed) console.log(`  ${x}`);
}
if (notes.length) {
  console.log('\nExpected errors matched by a refusal (configuration loader or Event Tester), not by the tester reporting "the mapping failed":');
  for (const x of notes) console.log(`  ${x}`);
}
const line = (k) => {
  const r = results[k];
  return `${r.passed} passed, ${r.failed} failed, ${r.unexpressible} not expressible as a destination mapping (${r.skipped} @liquid cases skipped)`;
};
console.log(`\nthrough the Event Tester (POST /admin/v1/destinations/{name}/test):`);
console.log(`transform: ${line('transform')}`);
console.log(`validate:  ${line('validate')} (through the configuration loader: POST /admin/v1/reload)`);
process.exit(results.transform.failed + results.validate.failed === 0 ? 0 : 1);
