// The Gradescope bundle, as Gradescope uses it: build the zip for one exercise (ring), unpack
// it into a folder standing for /autograder (AUTOGRADER_ROOT; outside /tmp, which bubblewrap
// replaces, as /autograder is), run its setup.sh (npm ci offline from the packages the zip
// carries, the sandbox check, the canary), then its run_autograder for a solution (as the
// submission.zip students make), the starter (in a wrapper folder), a mutant and an attack,
// and check each results.json against Gradescope's spec, its marks, and that nothing a
// student pack does not show reaches it. The sandbox is probed directly in that layout too:
// student code cannot read the bundle's hidden tests, solutions or configuration, nor write
// Gradescope's results.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectSandbox, fallbackNetworkPrefix, spawnSandboxed } from '../../kernels/process/sandbox.ts';
import { leaseUid } from '../../kernels/process/uids.ts';
import { buildGradescopeBundle, type BundleResult } from '../gradescope/bundle.ts';
import { GradescopeSpecResults } from '../gradescope/spec.ts';
import { kitRoot } from '../kit.ts';
import { mutantFile } from '../mutants.ts';
import { buildPack } from '../pack/build.ts';
import { collectSecrets, findLeaks } from '../pack/leaks.ts';
import { testNames } from '../exercise-tests.ts';
import { exerciseDir, loadManifest } from '../../kernels/harness/manifest.ts';
import { makeZip } from './archives.ts';

let work: string;
let root: string;
let built: BundleResult;
let setup: Ran;
const graded: Record<string, { run: Ran; results?: GradescopeSpecResults }> = {};
const timings: Record<string, number> = {};

interface Ran {
  code: number;
  out: string;
}

function run(file: string, args: string[], env: Record<string, string> = {}, cwd = root): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd, env: { ...process.env, AUTOGRADER_ROOT: root, ...env }, timeout: 400_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0, out: `${stdout}${stderr}` });
      },
    );
  });
}

/** Unpacks a zip as Gradescope does, keeping the modes (run_autograder must stay executable). */
function unzip(file: string, into: string): Promise<void> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: true }, (err, z) => {
      if (err || !z) return reject(err ?? new Error('no zip'));
      z.on('error', reject);
      z.on('end', () => resolve());
      z.on('entry', (e: { fileName: string; externalFileAttributes: number }) => {
        const target = join(into, e.fileName);
        mkdirSync(dirname(target), { recursive: true });
        z.openReadStream(e as never, (err2, stream) => {
          if (err2 || !stream) return reject(err2 ?? new Error('no stream'));
          pipeline(stream, createWriteStream(target)).then(() => {
            const mode = (e.externalFileAttributes >>> 16) & 0o777;
            if (mode) chmodSync(target, mode);
            z.readEntry();
          }, reject);
        });
      });
      z.readEntry();
    });
  });
}

/** A submission as Gradescope lays it out in /autograder/submission, graded by run_autograder. */
async function grade(
  name: string,
  files: Record<string, string | Buffer>,
  env: Record<string, string> = {},
): Promise<{ run: Ran; results?: GradescopeSpecResults }> {
  const submission = join(root, 'submission');
  rmSync(submission, { recursive: true, force: true });
  rmSync(join(root, 'results'), { recursive: true, force: true });
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(dirname(join(submission, path)), { recursive: true });
    writeFileSync(join(submission, path), data);
  }
  const started = Date.now();
  const ran = await run(join(root, 'run_autograder'), [], env);
  timings[name] = Date.now() - started;
  const file = join(root, 'results', 'results.json');
  const results = existsSync(file) ? GradescopeSpecResults.parse(JSON.parse(readFileSync(file, 'utf8'))) : undefined;
  graded[name] = { run: ran, results };
  return graded[name]!;
}

const solution = () => readFileSync(join(kitRoot, 'solutions/ring/ring/ring.ts'), 'utf8');
const hiddenTest = () => join(root, 'source', 'kit', 'exercises', 'ring', 'tests', 'hidden', 'ring.test.ts');

beforeAll(async () => {
  // Outside /tmp: bubblewrap gives student code a /tmp of its own, which would hide a bundle
  // there whatever else it did; /autograder is a top-level folder, like the kit's own.
  mkdirSync(join(kitRoot, '.scratch'), { recursive: true });
  work = mkdtempSync(join(kitRoot, '.scratch', 'gradescope-'));
  chmodSync(work, 0o711); // the sandbox probe's uid must reach its own folder inside
  let t = Date.now();
  built = await buildGradescopeBundle({ out: join(work, 'autograder.zip'), exercises: ['ring'], fetchMissing: false });
  timings.build = Date.now() - t;
  root = join(work, 'autograder');
  await unzip(built.zip, join(root, 'source'));
  // Gradescope copies run_autograder to /autograder/run_autograder when it builds the image.
  writeFileSync(join(root, 'run_autograder'), readFileSync(join(root, 'source', 'run_autograder')), { mode: 0o755 });
  t = Date.now();
  setup = await run('bash', [join(root, 'source', 'setup.sh')], {}, join(root, 'source'));
  timings.setup = Date.now() - t;
}, 600_000);

afterAll(() => {
  console.log('gradescope bundle test timings (ms):', timings);
  rmSync(work, { recursive: true, force: true });
});

describe('the Gradescope bundle', () => {
  it('has setup.sh and run_autograder at the root, executable, and no mutant, starter or other exercise', () => {
    expect(built.files).toEqual(
      expect.arrayContaining(['setup.sh', 'run_autograder', 'bundle.json', 'README.md', 'kit/package.json', 'kit/package-lock.json', 'kit/grader/bin.mjs']),
    );
    expect(statSync(join(root, 'source', 'setup.sh')).mode & 0o111).not.toBe(0);
    expect(statSync(join(root, 'source', 'run_autograder')).mode & 0o111).not.toBe(0);
    expect(built.files.filter((f) => /mutants\/|^kit\/starter\/|exercises\/(bank|crawler|pipeline|multikernel)\/|\/test\//.test(f))).toEqual([]);
    expect(built.files).toContain('kit/exercises/ring/tests/hidden/ring.test.ts');
    expect(JSON.parse(readFileSync(join(root, 'source', 'bundle.json'), 'utf8'))).toMatchObject({
      exercises: ['ring'],
      allowWeakSandbox: false,
      hiddenVisibility: 'hidden',
    });
  });

  it('carries every npm package grading needs, so setup installs offline, then checks the machine with the canary', () => {
    expect(built.missing, 'packages missing from the npm cache: run npm ci in the kit first').toEqual([]);
    expect(setup.code, setup.out).toBe(0);
    expect(setup.out).toMatch(/npm packages: npm ci --offline from the bundle's cache/);
    expect(setup.out).toMatch(/node: v\d+\.\d+\.\d+ at .* is supported: kept/);
    expect(setup.out).toMatch(/sandbox: (bubblewrap|the fallback level still closes the network)/);
    expect(setup.out).toMatch(/canary: full marks for the reference solution/);
    expect(existsSync(join(root, 'source', 'kit', 'node_modules', 'vitest', 'package.json'))).toBe(true);
    expect(statSync(hiddenTest()).mode & 0o077).toBe(0);
  });

  it('grades the solution, uploaded as the submission.zip students make, to full marks, per the spec', async () => {
    const zip = makeZip([
      { name: 'ring/ring.ts', data: solution() },
      { name: 'REFLECTION.md', data: '# Reflection\n' },
    ]);
    const { run: ran, results } = await grade('solution', { 'submission.zip': zip });
    expect(ran.code, ran.out).toBe(0);
    expect(results).toBeDefined();
    expect(results!.score).toBe(16);
    expect(results!.output_format).toBe('md');
    expect(results!.output).toMatch(/^# Feedback: submission/);
    expect(results!.stdout_visibility).toBe('hidden');
    expect(results!.tests!.map((t) => t.status)).toEqual(results!.tests!.map(() => 'passed'));
    // The hidden group: its tests unnamed, hidden from students.
    const idle = results!.tests!.filter((t) => t.tags?.includes('idle'));
    expect(idle.map((t) => [t.visibility, t.name])).toEqual([['hidden', 'Warm-up: a token ring and a front desk › No busy waiting › hidden test 1']]);
    expect(results!.extra_data).toMatchObject({ sandbox: expect.stringMatching(/bwrap|fallback/) });
  }, 400_000);

  it('grades the starter, in a folder around it, to 0 without an error', async () => {
    const starter = readFileSync(join(kitRoot, 'starter/ring/ring/ring.ts'), 'utf8');
    const { run: ran, results } = await grade('starter', { 'exercise3/ring/ring.ts': starter });
    expect(ran.code, ran.out).toBe(0);
    expect(results!.score).toBe(0);
    const manifest = loadManifest(exerciseDir('ring'));
    expect(results!.tests!.length).toBe(manifest.groups.reduce((n, g) => n + Object.keys(g.tests).length, 0));
    expect(results!.tests!.every((t) => t.status === 'failed' && t.score === 0)).toBe(true);
  }, 400_000);

  it('takes from a mutant the marks of the group it breaks, and only those', async () => {
    const mutant = mutantFile('ring', 'sequential', 'ring/ring.ts');
    const { run: ran, results } = await grade('mutant', { 'ring/ring.ts': mutant });
    expect(ran.code, ran.out).toBe(0);
    const lost = results!.tests!.filter((t) => t.status === 'failed').map((t) => t.tags?.[1]);
    expect(lost.length).toBeGreaterThan(0);
    expect(new Set(lost)).toEqual(new Set(['desk']));
    expect(results!.score).toBeLessThan(16);
  }, 400_000);

  it('contains an attack on the bundle: it reads, writes and earns nothing beyond what its own code earns', async () => {
    // The reference solution, preceded by attempts at the bundle's secrets and at
    // Gradescope's results; if any succeeds it sabotages its own ring, which costs marks.
    const targets = [hiddenTest(), join(root, 'source', 'kit', 'solutions', 'ring', 'ring', 'ring.ts'), join(root, 'source', 'bundle.json')];
    const attack = `const builtin = (name: string): any => (process as any).getBuiltinModule?.(name) ?? (globalThis as any).require?.(name);
let loot = '';
for (const file of ${JSON.stringify(targets)}) { try { loot += builtin('node:fs').readFileSync(file, 'utf8'); } catch {} }
try { builtin('node:fs').writeFileSync(${JSON.stringify(join(root, 'results', 'results.json'))}, '{"score": 1000}'); loot += 'wrote results'; } catch {}
try { builtin('node:fs').writeFileSync(${JSON.stringify(join(root, 'source', 'kit', 'PWNED'))}, 'x'); loot += 'wrote kit'; } catch {}
export const LOOT = loot;
${solution().replace(/export function startRing\(([^)]*)\)([^{]*)\{/, (m) => `${m}\n  if (LOOT) (config as any).laps = 0;`)}`;
    expect(attack).toContain('if (LOOT)');
    const { run: ran, results } = await grade('attack', { 'ring/ring.ts': attack });
    expect(ran.code, ran.out).toBe(0);
    expect(results!.score).toBe(16);
    expect(existsSync(join(root, 'source', 'kit', 'PWNED'))).toBe(false);
    expect(JSON.stringify(results)).not.toContain('"score": 1000');
  }, 400_000);

  it('shows students nothing that the student pack does not, but the names the rubric shows', async () => {
    const pack = join(work, 'pack');
    const p = await buildPack({ out: pack, exercises: ['ring'] });
    const secrets = collectSecrets(kitRoot, Object.values(p.sources));
    // After grading, a visible or name-only group shows its tests' names (the lecturer's
    // choice in the manifest, as in every report); a hidden group never does.
    const ring = loadManifest(exerciseDir('ring'));
    const names = testNames('ring', 'hidden');
    for (const id of ring.groups.filter((g) => g.visibility !== 'hidden').flatMap((g) => Object.keys(g.tests))) {
      secrets.ids.delete(id);
      if (names[id]) secrets.names.delete(names[id]);
    }
    expect(secrets.names.size + secrets.ids.size + secrets.lines.size).toBeGreaterThan(0);
    const visible = join(work, 'visible');
    mkdirSync(visible);
    expect(Object.keys(graded).sort()).toEqual(['attack', 'mutant', 'solution', 'starter']);
    for (const [name, { results }] of Object.entries(graded)) {
      // Everything a student could be shown: the output and every test, hidden ones too.
      const text = [results!.output ?? '', ...results!.tests!.flatMap((t) => [t.name ?? '', t.output ?? ''])].join('\n');
      writeFileSync(join(visible, `${name}.md`), text);
    }
    expect(findLeaks(visible, secrets)).toEqual([]);
  }, 120_000);

  it('a grading error writes no results.json, so Gradescope shows "not graded", never a 0', async () => {
    const bin = join(work, 'broken-bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'prlimit'), '#!/bin/sh\necho "prlimit: broken on purpose" >&2\nexit 1\n', { mode: 0o755 });
    const { run: ran, results } = await grade('broken', { 'ring/ring.ts': solution() }, { PATH: `${bin}:${process.env.PATH}` });
    delete graded.broken;
    expect(ran.code, ran.out).toBe(3);
    expect(results).toBeUndefined();
    expect(ran.out).toMatch(/GRADING ERROR/);
  }, 400_000);
});

describe("the sandbox in the bundle's layout", () => {
  const probe = `import { readFileSync, writeFileSync } from 'node:fs';
const { read, write } = JSON.parse(process.argv[2]);
const out = {};
for (const [k, p] of Object.entries(read)) { try { readFileSync(p); out[k] = 'read'; } catch (e) { out[k] = e.code ?? String(e); } }
for (const [k, p] of Object.entries(write)) { try { writeFileSync(p, 'x'); out[k] = 'written'; } catch (e) { out[k] = e.code ?? String(e); } }
process.send(out, () => process.exit(0));
`;

  it.each(['auto', 'fallback'] as const)(
    'hides the bundle from student code (%s level)',
    async (prefer) => {
      if (prefer === 'auto' && (await detectSandbox()).level !== 'bwrap') return; // the fallback case covers this host
      if (prefer === 'fallback' && (await fallbackNetworkPrefix()) === null) return; // grading would refuse such a host
      const dir = mkdtempSync(join(work, 'probe-'));
      chmodSync(dir, 0o755);
      writeFileSync(join(dir, 'probe.mjs'), probe, { mode: 0o644 });
      const targets = {
        read: {
          hidden: hiddenTest(),
          solution: join(root, 'source', 'kit', 'solutions', 'ring', 'ring', 'ring.ts'),
          config: join(root, 'source', 'bundle.json'),
          setup: join(root, 'source', 'setup.sh'),
        },
        write: { results: join(root, 'results', 'results.json'), kit: join(root, 'source', 'kit', 'PWNED') },
      };
      mkdirSync(join(root, 'results'), { recursive: true });
      const lease = leaseUid();
      try {
        const sc = await spawnSandboxed({ script: join(dir, 'probe.mjs'), args: [JSON.stringify(targets)], readOnly: [dir], uid: lease?.uid, prefer });
        const got = await new Promise<Record<string, string>>((resolve, reject) => {
          sc.child.once('message', (m) => resolve(m as Record<string, string>));
          sc.exited.then(() => reject(new Error(`probe ended without a message: ${sc.stderr.text()}`)));
        });
        await sc.kill();
        for (const [what, outcome] of Object.entries(got)) expect(outcome, `${what} at the ${sc.level} level`).not.toMatch(/^(read|written)$/);
        expect(Object.keys(got).sort()).toEqual(['config', 'hidden', 'kit', 'results', 'setup', 'solution']);
      } finally {
        lease?.release();
      }
    },
    60_000,
  );
});

describe('setup.sh on a machine without Node', () => {
  /** A folder of links to the tools setup.sh uses, and no node: as on Gradescope's base image. */
  function pathWithoutNode(dir: string): string {
    mkdirSync(dir, { recursive: true });
    for (const tool of ['bash', 'sh', 'curl', 'sha512sum', 'tar', 'gzip', 'install', 'mktemp', 'mkdir', 'rm', 'ln', 'cat', 'id', 'cut', 'env']) {
      const found = (process.env.PATH ?? '')
        .split(':')
        .map((d) => join(d, tool))
        .find((p) => existsSync(p));
      if (found) symlinkSync(found, join(dir, tool));
    }
    return dir;
  }

  /** A tarball laid out as the registry's (package/…), and its sha512 as sha512sum prints it. */
  async function tarball(dir: string, name: string, files: Record<string, string>): Promise<{ file: string; sha512: string }> {
    const src = join(dir, `${name}-src`);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(src, 'package', path)), { recursive: true });
      writeFileSync(join(src, 'package', path), text, { mode: 0o755 });
    }
    const file = join(dir, `${name}.tgz`);
    const made = await run('tar', ['-czf', file, '-C', src, 'package'], {}, dir);
    expect(made.code, made.out).toBe(0);
    return { file, sha512: createHash('sha512').update(readFileSync(file)).digest('hex') };
  }

  it('installs the pinned Node and npm only when they match their sha512, and refuses other bytes', async () => {
    const dir = mkdtempSync(join(work, 'no-node-'));
    const bin = pathWithoutNode(join(dir, 'bin'));
    const node = await tarball(dir, 'node', { 'bin/node': '#!/bin/sh\n[ "$1" = --version ] && echo v24.22.3\nexit 0\n' });
    const npm = await tarball(dir, 'npm', { 'bin/npm-cli.js': '#!/bin/sh\necho 11.19.1\n', 'bin/npx-cli.js': '#!/bin/sh\n' });
    const script = `source ${JSON.stringify(join(root, 'source', 'setup.sh'))}; install_node`;
    const env = (prefix: string, nodeSha: string) => ({
      PATH: bin,
      MP_NODE_PREFIX: prefix,
      MP_NODE_URL: `file://${node.file}`,
      MP_NODE_SHA512: nodeSha,
      MP_NPM_URL: `file://${npm.file}`,
      MP_NPM_SHA512: npm.sha512,
    });
    const good = await run(join(bin, 'bash'), ['-c', script], env(join(dir, 'good'), node.sha512), dir);
    expect(good.code, good.out).toBe(0);
    expect(good.out).toMatch(/node: installing Node 24\.22\.3 and npm 11\.19\.1/);
    expect(good.out).toMatch(/node: v24\.22\.3, npm 11\.19\.1/);
    expect(existsSync(join(dir, 'good', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'))).toBe(true);
    const bad = await run(join(bin, 'bash'), ['-c', script], env(join(dir, 'bad'), '0'.repeat(128)), dir);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/is not the pinned file \(sha512 differs\): refusing it/);
    expect(existsSync(join(dir, 'bad', 'bin', 'node'))).toBe(false);
  }, 300_000); // a backstop for a hang only: child processes on a loaded machine take long
});
