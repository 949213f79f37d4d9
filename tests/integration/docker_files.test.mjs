// Static checks of docker/: there is no Docker engine on the build machines, so this test reads
// docker/Dockerfile and docker/compose.yaml and checks that everything they reference exists in
// the repository and agrees with the scripts, the binary's flags and docker/tributary.yaml.
// The shipped config is also validated with the real binary (`tributary check-config`).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DOCKER = path.join(ROOT, 'docker');
const BIN = path.resolve(process.env.TRIBUTARY_BIN || path.join(ROOT, 'build/release/src/tributary'));
// The image ships the release build, which links what a sanitizer build does not (jemalloc).
const RELEASE_BIN = path.resolve(process.env.TRIBUTARY_RELEASE_BIN || path.join(ROOT, 'build/release/src/tributary'));
const read = (rel) => fs.readFileSync(path.join(ROOT, rel), 'utf8');
const exists = (abs) => fs.existsSync(abs);

// ---- Dockerfile --------------------------------------------------------------------------------

/** Instructions of a Dockerfile: [{stage, op, args, line}], continuation lines joined. */
function parseDockerfile(text) {
  const out = [];
  let stage = null;
  let buf = '';
  let startLine = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (!buf && (line.trim() === '' || line.trim().startsWith('#'))) return;
    if (buf && line.trim().startsWith('#')) return; // comments inside a continuation
    if (!buf) startLine = i + 1;
    if (line.endsWith('\\')) {
      buf += line.slice(0, -1) + ' ';
      return;
    }
    buf += line;
    const m = buf.trim().match(/^(\w+)\s+([\s\S]*)$/);
    assert.ok(m, `Dockerfile:${startLine}: cannot parse '${buf}'`);
    const op = m[1].toUpperCase();
    const args = m[2].trim();
    if (op === 'FROM') stage = (args.match(/\bAS\s+(\S+)/i) || [])[1] ?? args;
    out.push({ stage, op, args, line: startLine });
    buf = '';
  });
  return out;
}

/** Splits COPY/ADD arguments into flags, sources and destination (exec or shell form). */
function copyArgs(args) {
  const words = args.startsWith('[') ? JSON.parse(args) : args.split(/\s+/);
  const flags = {};
  while (words.length && words[0].startsWith('--')) {
    const [k, v] = words.shift().slice(2).split('=');
    flags[k] = v ?? true;
  }
  const dest = words.pop();
  return { flags, sources: words, dest };
}

// ---- a small YAML subset (block maps, block lists, scalars, flow lists) for compose.yaml ------

function stripComment(s) {
  let quote = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(s[i - 1]))) {
      return s.slice(0, i).trimEnd();
    }
  }
  return s.trimEnd();
}

function scalar(s) {
  s = s.trim();
  if (s.startsWith('[') && s.endsWith(']')) {
    const inner = s.slice(1, -1).trim();
    return inner === '' ? [] : inner.split(',').map((x) => scalar(x));
  }
  if ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'"))) return s.slice(1, -1);
  if (s === '' || s === '~' || s === 'null') return null;
  if (/^-?\d+$/.test(s)) return Number(s);
  if (s === 'true' || s === 'false') return s === 'true';
  return s;
}

function parseYaml(text) {
  const lines = [];
  for (const raw of text.split('\n')) {
    const content = stripComment(raw);
    if (content.trim() === '' || content.trim() === '---') continue;
    lines.push({ indent: content.length - content.trimStart().length, text: content.trim() });
  }
  let pos = 0;
  const keyValue = (t) => t.match(/^("[^"]*"|'[^']*'|[^\s"'#][^:]*?):(?:\s+(.*))?$/);

  function block(indent) {
    if (pos >= lines.length) return null;
    return lines[pos].text.startsWith('- ') || lines[pos].text === '-' ? list(indent) : map(indent);
  }
  function valueAfter(indent, rest) {
    if (rest !== undefined && rest !== '') return scalar(rest);
    if (pos < lines.length && (lines[pos].indent > indent ||
        (lines[pos].indent === indent && lines[pos].text.startsWith('- ')))) {
      return block(lines[pos].indent);
    }
    return null;
  }
  function map(indent) {
    const out = {};
    while (pos < lines.length && lines[pos].indent === indent && !lines[pos].text.startsWith('- ')) {
      const m = keyValue(lines[pos].text);
      assert.ok(m, `compose.yaml: cannot parse '${lines[pos].text}'`);
      pos++;
      out[String(scalar(m[1]))] = valueAfter(indent, m[2]);
    }
    return out;
  }
  function list(indent) {
    const out = [];
    while (pos < lines.length && lines[pos].indent === indent && lines[pos].text.startsWith('-')) {
      const item = lines[pos].text.replace(/^-\s*/, '');
      if (item === '') {
        pos++;
        out.push(valueAfter(indent, ''));
      } else if (keyValue(item) && !/^["'[]/.test(item)) {
        // "- key: value" starts a map whose keys sit two columns right of the dash.
        lines[pos] = { indent: indent + 2, text: item };
        out.push(map(indent + 2));
      } else {
        pos++;
        out.push(scalar(item));
      }
    }
    return out;
  }
  return block(0);
}

// ---- shared facts --------------------------------------------------------------------------------

const dockerfile = parseDockerfile(read('docker/Dockerfile'));
const compose = parseYaml(read('docker/compose.yaml'));
const stages = [...new Set(dockerfile.map((i) => i.stage))];
const finalStage = stages.at(-1);
const ops = (op, stage) => dockerfile.filter((i) => i.op === op && (stage === undefined || i.stage === stage));
const dockerYaml = read('docker/tributary.yaml');
const yamlValue = (key) => {
  const m = dockerYaml.match(new RegExp(`^\\s*${key}:\\s*"?([^"#\\n]*?)"?\\s*(#.*)?$`, 'm'));
  assert.ok(m, `docker/tributary.yaml has no '${key}'`);
  return m[1];
};
const portOf = (addr) => Number(addr.slice(addr.lastIndexOf(':') + 1));

/** Where the build stage's binary comes from: the path scripts/run.sh runs. */
const runSh = read('scripts/run.sh');
const releaseBinary = runSh.match(/exec\s+(\S+\/tributary)\s+serve/)[1];

describe('docker/Dockerfile', () => {
  test('has a build stage on debian:12 and a debian:12-slim runtime stage', () => {
    const froms = ops('FROM').map((i) => i.args);
    assert.equal(froms.length, 2, froms.join(' | '));
    assert.match(froms[0], /^debian:12\s+AS\s+\S+$/i);
    assert.match(froms[1], /^debian:12-slim$/);
  });

  test('every COPY from the build context names files that exist in the repository', () => {
    const copies = [...ops('COPY'), ...ops('ADD')].filter((i) => !copyArgs(i.args).flags.from);
    assert.ok(copies.length >= 2);
    for (const c of copies) {
      for (const src of copyArgs(c.args).sources) {
        assert.ok(exists(path.join(ROOT, src)), `Dockerfile:${c.line}: COPY source '${src}' is not in the repository`);
      }
    }
  });

  test('the build stage runs the same scripts as CI and scripts/run.sh', () => {
    const runs = ops('RUN', stages[0]).map((i) => i.args).join(' && ');
    assert.match(runs, /scripts\/install-deps\.sh(?!\s+--)/);
    assert.match(runs, /scripts\/build\.sh\s+release\b/);
    for (const s of ['scripts/install-deps.sh', 'scripts/build.sh']) {
      const mode = fs.statSync(path.join(ROOT, s)).mode;
      assert.ok(mode & 0o111, `${s} must be executable`);
    }
    // build.sh writes build/<kind>; the binary the image takes is the one scripts/run.sh runs.
    assert.match(read('scripts/build.sh'), /-B\s+"build\/\$kind"/);
    assert.equal(releaseBinary, 'build/release/src/tributary');
    assert.ok(runs.includes(releaseBinary), `the build stage must take ${releaseBinary}`);
  });

  test('the runtime stage installs the binary on PATH and the config where CMD reads it', () => {
    const copies = ops('COPY', finalStage).map((i) => copyArgs(i.args));
    const fromBuild = copies.find((c) => c.flags.from === stages[0]);
    assert.ok(fromBuild, 'the runtime stage must COPY --from the build stage');
    assert.equal(fromBuild.dest, '/usr/local/bin/tributary');
    // The file copied out of the build stage is produced there (the stripped release binary).
    const buildRuns = ops('RUN', stages[0]).map((i) => i.args).join(' ');
    assert.ok(buildRuns.includes(`-o ${fromBuild.sources[0]} ${releaseBinary}`) || fromBuild.sources[0].endsWith(releaseBinary),
      `COPY --from=${stages[0]} ${fromBuild.sources[0]} is not produced by the build stage`);

    const cmd = JSON.parse(ops('CMD', finalStage).at(-1).args);
    assert.equal(cmd[0], 'tributary');
    assert.equal(cmd[1], 'serve');
    const configAt = cmd[cmd.indexOf('--config') + 1];
    const configCopy = copies.find((c) => c.dest === configAt);
    assert.ok(configCopy, `nothing is copied to ${configAt}`);
    assert.deepEqual(configCopy.sources, ['docker/tributary.yaml']);
  });

  test("CMD uses only flags the binary's serve command accepts, as scripts and tests do", () => {
    const cmd = JSON.parse(ops('CMD', finalStage).at(-1).args);
    const usage = read('src/app/main.cpp').match(/tributary serve ([^\n]*)/)[1];
    for (const arg of cmd.slice(2).filter((a) => a.startsWith('--'))) {
      assert.ok(usage.includes(`[${arg} `), `serve does not take ${arg} (usage: ${usage})`);
    }
    // The integration harness starts the binary the same way: serve --config FILE.
    const harness = read('tests/integration/harness.mjs');
    assert.ok(harness.includes("'serve'") && harness.includes("'--config'"), 'the harness no longer runs serve --config');
  });

  test('VOLUME, EXPOSE, HEALTHCHECK and STOPSIGNAL agree with docker/tributary.yaml', () => {
    const volume = ops('VOLUME', finalStage).map((i) => i.args).join(' ');
    assert.equal(volume, yamlValue('path'));
    const listen = portOf(yamlValue('listen'));
    const admin = portOf(yamlValue('admin_listen'));
    assert.equal(yamlValue('listen').split(':')[0], '0.0.0.0');
    assert.equal(yamlValue('admin_listen').split(':')[0], '0.0.0.0');
    assert.deepEqual(ops('EXPOSE', finalStage).flatMap((i) => i.args.split(/\s+/)).map(Number).sort(), [listen, admin].sort());
    const health = ops('HEALTHCHECK', finalStage)[0].args;
    assert.match(health, new RegExp(`http://127\\.0\\.0\\.1:${admin}/healthz`));
    const tool = health.match(/CMD\s+(\S+)/)[1];
    assert.ok(ops('RUN', finalStage).some((i) => new RegExp(`\\b${tool}\\b`).test(i.args)),
      `the health check tool '${tool}' is not installed in the runtime stage`);
    assert.equal(ops('STOPSIGNAL', finalStage)[0]?.args, 'SIGTERM');
    assert.ok(ops('USER', finalStage).some((i) => i.args === 'tributary'), 'the runtime stage must not run as root');
  });

  test('the runtime stage installs a package for every shared library the binary links',
    { skip: !exists(RELEASE_BIN) && `no release binary at ${RELEASE_BIN}` }, () => {
      // Packages the runtime stage installs by name, and everything they depend on.
      const install = ops('RUN', finalStage).map((i) => i.args).join(' ').match(/apt-get install ([^&]*)/)[1];
      const listed = install.split(/\s+/).filter((w) => w && !w.startsWith('-'));
      const deps = spawnSync('apt-cache', ['depends', '--recurse', '--no-recommends', '--no-suggests', '--no-conflicts',
        '--no-breaks', '--no-replaces', '--no-enhances', ...listed], { encoding: 'utf8' });
      assert.equal(deps.status, 0, deps.stderr);
      const available = new Set([...listed, ...deps.stdout.split('\n').map((l) => l.replace(/^\s*(Pre)?Depends:\s*/, '').replace(/[<>]/g, '').trim())]);
      // In every Debian image (Essential or required by it).
      for (const base of ['libc6', 'libstdc++6', 'libgcc-s1']) available.add(base);
      // The host's release build links what the image's does (same scripts, same Debian packages).
      const ldd = spawnSync('ldd', [RELEASE_BIN], { encoding: 'utf8' });
      assert.equal(ldd.status, 0, ldd.stderr);
      const libs = [...ldd.stdout.matchAll(/=>\s+(\/\S+)/g)].map((m) => m[1]);
      assert.ok(libs.some((l) => l.includes('librocksdb')), `ldd found no librocksdb in:\n${ldd.stdout}`);
      const missing = [];
      for (const lib of libs) {
        // With merged /usr, dpkg may know a file under /lib or under /usr/lib.
        const real = fs.realpathSync(lib);
        const candidates = [lib, real, real.replace(/^\/usr\/lib\//, '/lib/'), lib.replace(/^\/lib\//, '/usr/lib/')];
        const owner = spawnSync('dpkg', ['-S', ...new Set(candidates)], { encoding: 'utf8' });
        const pkg = owner.stdout.trim() ? owner.stdout.split(':')[0] : `no package owns it`;
        if (!available.has(pkg)) missing.push(`${lib} (${pkg})`);
      }
      assert.deepEqual(missing, [], 'libraries no runtime package provides');
    });

  test('.dockerignore keeps host build trees and .git out of the context', () => {
    const ignore = read('.dockerignore').split('\n').map((l) => l.trim());
    for (const p of ['.git', 'build/']) assert.ok(ignore.includes(p), `.dockerignore lacks ${p}`);
  });
});

describe('docker/compose.yaml', () => {
  const svc = compose.services.tributary;

  test('builds the image from the repository root with docker/Dockerfile', () => {
    const context = path.resolve(DOCKER, svc.build.context);
    assert.equal(context, ROOT);
    assert.ok(exists(path.join(context, svc.build.dockerfile)));
  });

  test('env_file has a checked-in example that sets every variable the config requires', () => {
    const envFiles = [svc.env_file].flat().map((e) => (typeof e === 'string' ? e : e.path));
    const required = [...dockerYaml.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]);
    assert.ok(required.length > 0);
    for (const f of envFiles) {
      const example = path.join(DOCKER, f + '.example');
      assert.ok(exists(example), `${f}.example is missing beside compose.yaml`);
      const text = fs.readFileSync(example, 'utf8');
      for (const v of required) assert.match(text, new RegExp(`^${v}=\\S+`, 'm'), `${f}.example does not set ${v}`);
      assert.match(read('.gitignore'), new RegExp(`^/docker/${f.replace('.', '\\.')}$`, 'm'), `${f} must be git-ignored`);
    }
  });

  test('ports and the data volume match the image', () => {
    const containerPorts = svc.ports.map((p) => Number(String(p).split(':').at(-1)));
    assert.deepEqual(containerPorts.sort(), [portOf(yamlValue('listen')), portOf(yamlValue('admin_listen'))].sort());
    const adminMapping = svc.ports.find((p) => String(p).endsWith(`:${portOf(yamlValue('admin_listen'))}`));
    assert.match(String(adminMapping), /^127\.0\.0\.1:/, 'the admin port must be published on loopback only');
    const [volume, target] = svc.volumes[0].split(':');
    assert.equal(target, yamlValue('path'));
    assert.ok(volume in compose.volumes, `named volume ${volume} is not declared`);
  });

  test('every bind-mounted file exists and the receiver command runs it', () => {
    let binds = 0;
    for (const [name, service] of Object.entries(compose.services)) {
      for (const v of service.volumes ?? []) {
        const src = String(v).split(':')[0];
        if (!src.startsWith('.') && !src.startsWith('/')) continue; // a named volume
        binds++;
        assert.ok(exists(path.resolve(DOCKER, src)), `${name}: bind mount source ${src} does not exist`);
      }
    }
    assert.ok(binds >= 1);
    const receiver = compose.services.receiver;
    const script = receiver.volumes.map((v) => v.split(':')).find(([, target]) => receiver.command.includes(target));
    assert.ok(script, 'the receiver command must run the mounted script');
  });

  test('the stop grace period exceeds server.shutdown_timeout', () => {
    const seconds = (s) => Number(String(s).replace(/s$/, ''));
    assert.ok(seconds(svc.stop_grace_period) > seconds(yamlValue('shutdown_timeout')));
  });
});

describe('docker/tributary.yaml', () => {
  // The caller's environment (ASAN_OPTIONS and the like) without the variables under test.
  const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TRIBUTARY_')));
  const run = (env) => spawnSync(BIN, ['check-config', path.join(DOCKER, 'tributary.yaml')], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...baseEnv, ...env },
  });

  test('validates with the secrets set', { skip: !exists(BIN) && `no binary at ${BIN}` }, () => {
    const r = run({ TRIBUTARY_ADMIN_TOKEN: 'a-token', TRIBUTARY_WRITE_KEY: 'a-key' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /OK \(1 source\)/);
  });

  test('refuses to start without the admin token (no built-in default in the image)', { skip: !exists(BIN) && `no binary at ${BIN}` }, () => {
    const r = run({ TRIBUTARY_WRITE_KEY: 'a-key' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /tributary\.yaml:\d+:\d+: .*TRIBUTARY_ADMIN_TOKEN is not set/);
  });
});
