// The student pack, end to end: build it in a temporary folder, install it from local files
// (npm ci --offline from npm's cache; the kit's own node_modules if the cache lacks a package),
// run its `npm test` on the starter (fails, helpfully) and on the solutions (passes), `npm run
// check`, `npm run submit`, and grade the zip. Also: no hidden test, solution or mutant in the
// pack; and the public part of a grade is the same locally and in the grader (demo class).
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exerciseDir, listExercises, loadManifest } from '../../kernels/harness/manifest.ts';
import { gradeClass, type GradeSummary } from '../grade.ts';
import { discover, intake } from '../intake/index.ts';
import { kitRoot } from '../kit.ts';
import { buildPack, type PackResult } from '../pack/build.ts';
import { collectSecrets, findLeaks } from '../pack/leaks.ts';
import { publicTestIds, testNames } from '../exercise-tests.ts';
import { appendRun, hazardsOf, parseLog, sameOutcome, type ProgressLine } from '../progress-log/log.ts';
import { progressLogPath, saveProgressLog, classProgress } from '../progress-log/store.ts';
import { summariseProgress } from '../progress-log/summary.ts';
import { renderClass } from '../report/index.ts';
import { Result } from '../result.ts';
import { wantedFiles } from '../prepare/prepare.ts';
import { replayCommand } from '../../kernels/harness/replay.ts';
import { formatPointer, missingPointers } from './doc-paths.ts';

let work: string;
let pack: string;
let built: PackResult;
let installedBy: string;
const timings: Record<string, number> = {};
/**
 * How long one command may take before it counts as hung: a backstop, not a property. Quiet,
 * the slowest (npm run check on the solutions) takes about a minute; on a machine at load 25
 * the same commands took 2 to 10 times as long, and a 120 s limit failed them.
 */
const BACKSTOP = 600_000;

interface Ran {
  code: number;
  out: string;
}

/** The environment a student's shell has: the test runner's own variables removed. */
function studentEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(VITEST|MP_|TEST$|NODE_ENV$|FORCE_COLOR$)/.test(k)) continue;
    env[k] = v;
  }
  return Object.assign(env, { NO_COLOR: '1', CI: '1' }, extra);
}

const plain = (s: string) => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');

/** A command in the pack as a student types it (a shell, stdout and stderr together). */
function sh(command: string, options: { cwd?: string; env?: Record<string, string>; timeout?: number } = {}): Promise<Ran> {
  const env = studentEnv(options.env);
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      'sh',
      ['-c', `${command} 2>&1`],
      { cwd: options.cwd ?? pack, env, timeout: options.timeout ?? BACKSTOP, maxBuffer: 32 * 1024 * 1024 },
      (err, stdout) => {
        timings[command.slice(0, 60)] = Date.now() - started;
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        resolve({ code, out: plain(stdout) });
      },
    );
  });
}

function zipNames(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: false, autoClose: true }, (err, z) => {
      if (err || !z) return reject(err ?? new Error('no zip'));
      const names: string[] = [];
      z.on('entry', (e: { fileName: string | Buffer }) => names.push(String(e.fileName)));
      z.on('end', () => resolve(names.sort()));
      z.on('error', reject);
    });
  });
}

const exercises = listExercises();
const manifests = exercises.map((id) => loadManifest(exerciseDir(id)));
const packed = () => built.exercises.map((e) => e.id);
const ringManifest = () => manifests.find((m) => m.id === 'ring')!;
const ringPublic = () => publicTestIds(ringManifest());

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mp-pack-test-'));
  pack = join(work, 'student-pack');
  let t = Date.now();
  built = await buildPack({ out: pack, zip: true });
  timings.build = Date.now() - t;
  t = Date.now();
  const ci = await sh('npm ci --offline --no-audit --no-fund', { timeout: BACKSTOP });
  if (ci.code === 0) {
    installedBy = 'npm ci --offline';
  } else {
    // npm's cache lacks a package (a machine that never ran npm ci for the kit): use the
    // kit's own installed packages, the same versions the lock names.
    expect(ci.out).toMatch(/ENOTCACHED|only-if-cached|cache mode/);
    rmSync(join(pack, 'node_modules'), { recursive: true, force: true });
    symlinkSync(join(kitRoot, 'node_modules'), join(pack, 'node_modules'), 'dir');
    installedBy = 'link to the kit node_modules';
  }
  timings.install = Date.now() - t;
}, 3 * BACKSTOP);

afterAll(() => {
  console.log(`pack test timings (ms), installed by ${installedBy}:`, timings);
  rmSync(work, { recursive: true, force: true });
});

describe('the pack', () => {
  it("holds the runtime, each exercise's handout, protocol, public tests and starter, the scripts, README and REFLECTION", () => {
    const files = new Set(built.files);
    for (const f of [
      'README.md',
      'REFLECTION.md',
      'package.json',
      'package-lock.json',
      'vitest.config.ts',
      'settings.json',
      'pack.json',
      'runtime/index.ts',
      'runtime/README.md',
      'kernels/harness/index.ts',
      'grader/pack/tools/check.ts',
      'grader/pack/tools/submit.ts',
      'grader/report/templates/report.html.hbs',
    ]) {
      expect(files, f).toContain(f);
    }
    for (const m of manifests.filter((x) => packed().includes(x.id))) {
      expect(files).toContain(`exercises/${m.id}/protocol.ts`);
      expect(files).toContain(`exercises/${m.id}/manifest.json`);
      for (const f of readdirSync(join(exerciseDir(m.id), 'tests', 'public'))) expect(files).toContain(`exercises/${m.id}/tests/public/${f}`);
      if (existsSync(join(exerciseDir(m.id), 'README.md'))) expect(files).toContain(`exercises/${m.id}/README.md`);
      if (existsSync(join(kitRoot, 'starter', m.id))) for (const f of m.files) expect(files, `starter file ${f}`).toContain(f);
      // The pack's manifest names exactly the public tests.
      const slim = loadManifest(join(pack, 'exercises', m.id));
      expect(slim.groups.flatMap((g) => Object.keys(g.tests)).sort()).toEqual(publicTestIds(m).sort());
      expect(slim.mutants).toEqual([]);
    }
    for (const f of built.files) {
      expect(f).not.toMatch(/^solutions\/|^starter\/|\/tests\/hidden\/|\/mutants\/|^grader\/(intake|run|prepare)\/|^kernels\/(worker|test)\//);
      expect(f).not.toMatch(/\.patch$/);
    }
    const pkg = JSON.parse(readFileSync(join(pack, 'package.json'), 'utf8'));
    expect(pkg.scripts).toEqual({
      test: 'vitest run',
      'test:watch': 'vitest watch',
      check: 'tsx grader/pack/tools/check.ts',
      submit: 'tsx grader/pack/tools/submit.ts',
      lint: 'biome lint',
      format: 'biome format --write',
    });
    const kitPkg = JSON.parse(readFileSync(join(kitRoot, 'package.json'), 'utf8'));
    for (const [name, version] of Object.entries(pkg.devDependencies)) expect(version, name).toBe({ ...kitPkg.dependencies, ...kitPkg.devDependencies }[name]);
    const readme = readFileSync(join(pack, 'README.md'), 'utf8');
    expect(readme).toMatch(/npm ci {8}# installs[\s\S]*npm test {6}# runs/);
    expect(readme).toMatch(/SEED=4181 TEST_ID=ring\.some-test npm test -- ring/);
    expect(readme).toMatch(/npm run submit/);
    expect(readme).toMatch(/"progressLog": false/);
    // It says exactly what progress.jsonl records, times included (it once said "no timing of your work").
    expect(readme).not.toMatch(/no timing/);
    expect(readme).toMatch(/the date and time the run ended \(`at`\)[\s\S]*`last` is the time the latest\s+ended/);
    expect(readme).toMatch(/Naming an\s+exercise checks that one again and keeps the others/);
    expect(readFileSync(join(pack, 'REFLECTION.md'), 'utf8')).toMatch(/locks[\s\S]*deadlock[\s\S]*Barrelfish[\s\S]*let it crash/i);
  });

  it("holds no hidden test, solution or mutant: not a distinctive line, not a hidden test's id or name, not a mutant's description", async () => {
    const secrets = collectSecrets(kitRoot, Object.values(built.sources));
    // There is something to look for: every hidden test file contributes lines, every hidden test a name.
    expect(secrets.lines.size).toBeGreaterThan(200);
    for (const m of manifests) {
      const hiddenNames = Object.values(testNames(m.id, 'hidden'));
      expect(hiddenNames.length, m.id).toBeGreaterThan(0);
      for (const mu of m.mutants) expect([...secrets.names.keys()]).toContain(mu.description);
    }
    expect(findLeaks(pack, secrets)).toEqual([]);
    // The zip holds the same files as the folder.
    expect(await zipNames(built.zip!)).toEqual(built.files.map((f) => `student-pack/${f}`).sort());

    // The check finds a leak when there is one.
    const planted = join(work, 'planted');
    cpSync(pack, planted, { recursive: true, filter: (src) => !src.includes('node_modules') });
    const hiddenFile = readdirSync(join(exerciseDir('ring'), 'tests', 'hidden'))[0]!;
    writeFileSync(join(planted, 'notes.txt'), readFileSync(join(exerciseDir('ring'), 'tests', 'hidden', hiddenFile), 'utf8'));
    const mutant = manifests[0]!.mutants[0]!;
    writeFileSync(join(planted, 'hint.md'), `Watch out: ${mutant.description}\n`);
    writeFileSync(join(planted, 'ring', 'ring.ts'), readFileSync(join(kitRoot, 'solutions', 'ring', 'ring', 'ring.ts'), 'utf8'));
    // A mutant is a patch: a line it adds is secret, read without the diff's '+'.
    const added = readFileSync(join(exerciseDir('ring'), 'mutants', 'late-timeout.patch'), 'utf8')
      .split('\n')
      .find((l) => /^\+ .*timeout/.test(l))!;
    expect(secrets.lines.get(added.slice(1).trim())).toBe('exercises/ring/mutants/late-timeout.patch');
    writeFileSync(join(planted, 'tip.ts'), `${added.slice(1)}\n`);
    const leaks = findLeaks(planted, secrets);
    expect(new Set(leaks.map((l) => l.file))).toEqual(new Set(['notes.txt', 'hint.md', 'ring/ring.ts', 'tip.ts']));
    expect(leaks.find((l) => l.file === 'tip.ts')!.from).toMatch(/mutants\/late-timeout\.patch/);
    expect(leaks.some((l) => l.from.startsWith('the name of hidden test'))).toBe(true);
    rmSync(planted, { recursive: true, force: true });
  });

  it('points only at what it has: every relative path and npm run script its docs mention exists', () => {
    expect(missingPointers(pack, built.files).map(formatPointer)).toEqual([]);
    // The check finds what is missing (what the pack's docs once pointed at).
    const planted = 'planted-notes.md';
    writeFileSync(
      join(pack, planted),
      'Start from `starter/bank/bank/bank.ts`; see [the kernels](kernels/README.md), `runtime/test/` and `npm run bench`. `ring/ring.ts:12:5`, [the protocol](exercises/ring/protocol.ts) and `npm run check` are here.\n',
    );
    try {
      expect(missingPointers(pack, [planted]).map((p) => p.target)).toEqual([
        'kernels/README.md',
        'npm run bench',
        'starter/bank/bank/bank.ts',
        'runtime/test/',
      ]);
    } finally {
      rmSync(join(pack, planted));
    }
  });

  it("npm run lint: the kit's rules over the student's files only; the starter passes, a real slip fails and is named", async () => {
    const kitRules = (JSON.parse(readFileSync(join(kitRoot, 'biome.json'), 'utf8')) as { linter: unknown }).linter;
    expect((JSON.parse(readFileSync(join(pack, 'biome.json'), 'utf8')) as { linter: unknown }).linter).toEqual(kitRules);
    const starter = await sh('npm run lint');
    expect(starter.code, starter.out).toBe(0);
    expect(starter.out).not.toMatch(/runtime\/|kernels\/|grader\//);
    const slip = join(pack, 'ring', 'slip.ts');
    writeFileSync(slip, 'export function same(a: number, b: number): boolean {\n  return a == b;\n}\n');
    try {
      const r = await sh('npm run lint');
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/ring\/slip\.ts:2:\d+ lint\/suspicious\/noDoubleEquals/);
    } finally {
      rmSync(slip);
    }
  }, 300_000); // a backstop for a hang only: child processes on a loaded machine take long

  it('shows replays in the form a failure prints them (by test id), never the old -t "<name>"', () => {
    const docs = [...built.files.filter((f) => f.endsWith('.md')), 'grader/pack/tools/vitest.config.ts'];
    let replays = 0;
    for (const doc of docs) {
      const text = readFileSync(join(pack, doc), 'utf8');
      expect(text, doc).not.toMatch(/npm test -- \S+ -t /);
      for (const m of text.matchAll(/(?:MP_KERNEL=\S+ )?SEED=(\d+) \S+ npm test -- ([a-z0-9-]+)/g)) {
        const [line, seed, exercise] = m as unknown as [string, string, string];
        const id = /TEST_ID=(\S+)/.exec(line)?.[1] ?? '';
        expect(line, doc).toBe(replayCommand(exercise, Number(seed), id));
        // A real public test of that exercise (the pack README's placeholder aside).
        if (!id.endsWith('.some-test')) expect(Object.keys(testNames(exercise, 'public')), doc).toContain(id);
        replays++;
      }
    }
    expect(replays).toBeGreaterThanOrEqual(packed().length + 1);
  });

  it('has a package-lock.json that npm ci installs, with nothing but Node and npm', () => {
    const lock = JSON.parse(readFileSync(join(pack, 'package-lock.json'), 'utf8'));
    expect(lock.packages[''].devDependencies).toEqual(JSON.parse(readFileSync(join(pack, 'package.json'), 'utf8')).devDependencies);
    expect(Object.keys(lock.packages)).toContain('node_modules/@esbuild/win32-x64'); // every platform's binaries stay
    expect(existsSync(join(pack, 'node_modules', 'vitest', 'package.json'))).toBe(true);
  });
});

describe('npm test in the pack', () => {
  it(
    'on the starter: fails, printing the property, what was observed, the seed, a replay command and the last messages',
    async () => {
      const r = await sh('npm test -- ring');
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/Type check: no errors in ring\/ring\.ts/);
      expect(r.out.indexOf('Type check')).toBeLessThan(r.out.indexOf('ring.test.ts'));
      expect(r.out).toMatch(/PropertyFailure: ring › the desk asks the office and answers the question with its text\n {2}the office got no lookup/);
      // A local run adds the manifest's local seeds to the graded ones (cheap here, and a bug
      // that shows under one seed in three shows too).
      const seeds = [...ringManifest().seeds, ...ringManifest().localSeeds];
      expect(ringManifest().localSeeds.length).toBeGreaterThanOrEqual(7);
      expect(r.out).toContain(
        `seed ${seeds[0]} (failed on ${seeds.length} of ${seeds.length} seeds) · replay: SEED=${seeds[0]} TEST_ID=ring.desk-answers npm test -- ring`,
      );
      expect(r.out).toMatch(/last messages before the failure:\n {4}t=0 +test → desk +question/);
      const info = built.exercises.find((e) => e.id === 'ring')!;
      expect(r.out).toMatch(
        new RegExp(`ring {3}0 of ${ringPublic().length} passed {3}0 of ${info.points.public} points \\(of ${info.points.total} for the exercise\\)`),
      );
      expect(r.out).not.toMatch(/\n\s+at .*\.ts:\d+/); // no stack traces
      // With consent (the default), the run is recorded: outcomes only.
      const log = parseLog(readFileSync(join(pack, 'progress.jsonl'), 'utf8'));
      expect(log.bad).toBe(0);
      expect(log.lines).toEqual([
        expect.objectContaining({
          exercise: 'ring',
          passed: 0,
          failed: ringPublic().length,
          skipped: 0,
          firstFailed: 'ring.ring-small',
          runs: 1,
          edited: false,
        }),
      ]);
      expect([...log.lines[0]!.failedTests].sort()).toEqual([...ringPublic()].sort());
      expect(r.out).toMatch(/Recorded the outcome of this run in progress\.jsonl/);
    },
    2 * BACKSTOP,
  );

  it(
    'replays one failing test under one seed with the printed command, which no shell can misread',
    async () => {
      const r = await sh('SEED=4181 TEST_ID=ring.desk-answers npm test -- ring');
      expect(r.out).toMatch(/seed 4181 \(failed on 1 of 1 seeds\) · replay: SEED=4181 TEST_ID=ring\.desk-answers npm test -- ring/);
      expect(r.out).toContain(`Tests  1 failed | ${ringPublic().length - 1} skipped`);
      // The command names the test by its id: nothing in it a shell would expand (a name with
      // backticks once ran a command of its own).
      for (const id of packed()) for (const test of Object.keys(testNames(id, 'public'))) expect(test).toMatch(/^[a-z0-9.-]+$/);
      // A filtered run is recorded as such (it is no full pass).
      const lines = parseLog(readFileSync(join(pack, 'progress.jsonl'), 'utf8')).lines;
      expect(lines.at(-1)!.skipped).toBeGreaterThan(0);
    },
    2 * BACKSTOP,
  );

  it(
    "a busy loop is stopped by the watchdog with the grader's message, in npm test and npm run check",
    async () => {
      const ring = readFileSync(join(pack, 'ring', 'ring.ts'), 'utf8');
      const log = join(pack, 'progress.jsonl');
      const logBefore = existsSync(log) ? readFileSync(log, 'utf8') : undefined;
      const solution = readFileSync(join(kitRoot, 'solutions', 'ring', 'ring', 'ring.ts'), 'utf8');
      writeFileSync(
        join(pack, 'ring', 'ring.ts'),
        solution.replace(
          'export function startDesk(self: Context<never>, config: DeskConfig): Ref<Question> {',
          'export function startDesk(self: Context<never>, config: DeskConfig): Ref<Question> {\n  for (;;);',
        ),
      );
      try {
        const r = await sh('npm test -- ring', { timeout: BACKSTOP });
        expect(r.code).not.toBe(0);
        expect(r.out).toMatch(/the submission stopped responding while handling startDesk\(\.\.\.\): it used 2 s of CPU time without answering \(a busy loop/);
        expect(r.out).toMatch(/the kernel failed at this seed, so the other seeds were not run/);
        // The printed replay runs that test under that seed, and says no more seeds than it ran.
        const replay = /replay: (SEED=\d+ TEST_ID=ring\.desk-answers npm test -- ring)\n/.exec(r.out)?.[1];
        expect(replay, r.out).toBeDefined();
        const again = await sh(replay!, { timeout: BACKSTOP });
        expect(again.out).toContain(`(the kernel failed at this seed) · replay: ${replay}\n`);
        // Under the process kernel, the replay names the mode: pasting it runs the same way again.
        // The check beside it (it writes only check/; the replay only the progress log).
        const [inProcess, check] = await Promise.all([
          sh(`MP_KERNEL=process ${replay}`, { timeout: BACKSTOP }),
          sh('npm run check -- ring', { timeout: BACKSTOP }),
        ]);
        expect(inProcess.out).toMatch(/stopped responding while handling startDesk/);
        expect(inProcess.out).toContain(`(the kernel failed at this seed) · replay: MP_KERNEL=process ${replay}\n`);
        expect(check.code, check.out).toBe(0);
        expect(readFileSync(join(pack, 'check', 'report.md'), 'utf8')).toMatch(/stopped responding while handling startDesk/);
      } finally {
        writeFileSync(join(pack, 'ring', 'ring.ts'), ring);
        if (logBefore === undefined) rmSync(log, { force: true });
        else writeFileSync(log, logBefore);
      }
    },
    6 * BACKSTOP,
  );

  it(
    "runs a student's own *.mine.test.ts, on a line of its own: never points, never the log, never submitted",
    async () => {
      const own = join(pack, 'exercises', 'ring', 'tests', 'public', 'ring.mine.test.ts');
      const log = join(pack, 'progress.jsonl');
      const logBefore = existsSync(log) ? readFileSync(log, 'utf8') : undefined;
      // It even reuses a rubric id: that must not make it count.
      writeFileSync(
        own,
        `import { exerciseTests } from '#harness';
const t = exerciseTests(import.meta.url);
t.property('ring.ring-small', 'my own: the desk starts', async (ctx) => { await ctx.open(); });
t.property('ring.my-idea', 'my own: always fails', async (ctx) => ctx.fail('on purpose'));
`,
      );
      // A test file of their own under another name is theirs too: the pack knows what it shipped.
      const extra = join(pack, 'exercises', 'ring', 'tests', 'public', 'extra.test.ts');
      writeFileSync(
        extra,
        `import { exerciseTests } from '#harness';
const t = exerciseTests(import.meta.url);
t.property('ring.ring-small', 'my other file: passes', async (ctx) => { await ctx.open(); });
`,
      );
      try {
        const r = await sh('npm test -- ring');
        expect(r.out).toMatch(/Your own tests \(never graded, never submitted\): 2 of 3 passed/);
        expect(r.out).toMatch(new RegExp(`ring {3}0 of ${ringPublic().length} passed`));
        const lines = parseLog(readFileSync(log, 'utf8')).lines;
        expect(lines.at(-1)).toMatchObject({ exercise: 'ring', passed: 0, failed: ringPublic().length });
        expect(lines.at(-1)!.failedTests).not.toContain('ring.my-idea');
        // The public ring.ring-small failed on the starter; the own test of that id passed: it stays failed.
        expect(lines.at(-1)!.failedTests).toContain('ring.ring-small');
        expect(lines.at(-1)!.failedTests.length).toBe(ringPublic().length);
        // npm run check neither counts nor shows them.
        const logBeforeCheck = readFileSync(log, 'utf8');
        const c = await sh('npm run check -- ring --quiet --out check-own');
        expect(c.code, c.out).toBe(0);
        const result = Result.parse(JSON.parse(readFileSync(join(pack, 'check-own', 'result.json'), 'utf8')));
        const ring = result.exercises.find((e) => e.id === 'ring')!;
        expect(ring.score).toBe(0);
        expect(ring.tests.map((t) => t.id).sort()).toEqual([...ringPublic()].sort());
        expect(ring.tests.find((t) => t.id === 'ring.ring-small')).toMatchObject({ status: 'failed', score: 0 });
        const md = readFileSync(join(pack, 'check-own', 'report.md'), 'utf8');
        expect(md).not.toMatch(/my own|my other file/);
        expect(readFileSync(log, 'utf8')).toBe(logBeforeCheck);
      } finally {
        rmSync(join(pack, 'check-own'), { recursive: true, force: true });
        rmSync(own, { force: true });
        rmSync(extra, { force: true });
        if (logBefore === undefined) rmSync(log, { force: true });
        else writeFileSync(log, logBefore);
      }
    },
    3 * BACKSTOP,
  );

  it(
    'reports a type error and a syntax error with file and line before any test output',
    async () => {
      const ring = readFileSync(join(pack, 'ring', 'ring.ts'), 'utf8');
      const lines = ring.split('\n');
      const at = lines.findIndex((l) => l.includes('export function startRing'));
      lines.splice(at + 1, 0, '  const hops: number = "twelve";');
      writeFileSync(join(pack, 'ring', 'ring.ts'), lines.join('\n'));
      const second = packed()[1]!;
      const file = built.exercises[1]!.files[0]!;
      const original = readFileSync(join(pack, file), 'utf8');
      writeFileSync(join(pack, file), `${original}\nexport function broken(\n`);
      try {
        const r = await sh(`npm test -- ring ${second}`);
        const typeError = new RegExp(`ring/ring\\.ts:${at + 2}:9  type error: Type 'string' is not assignable to type 'number'\\.`);
        expect(r.out).toMatch(typeError);
        expect(r.out).toMatch(new RegExp(`${file.replace('.', '\\.')}:\\d+:\\d+  syntax error: `));
        expect(r.out).toMatch(/Your code does not parse/);
        const firstTest = Math.min(r.out.indexOf('ring.test.ts'), r.out.indexOf(`${second}.test.ts`));
        expect(r.out.search(typeError)).toBeLessThan(firstTest);
        expect(r.out).toMatch(/your code does not compile:\n.*:\d+:\d+: /);
      } finally {
        writeFileSync(join(pack, 'ring', 'ring.ts'), ring);
        writeFileSync(join(pack, file), original);
      }
    },
    2 * BACKSTOP,
  );

  it(
    'in watch mode, saving a file of an exercise reruns its tests',
    async () => {
      const child = spawn('npm', ['run', 'test:watch', '--', 'ring'], {
        cwd: pack,
        env: studentEnv({ MP_PROGRESS_LOG: '0' }),
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      // Wait on the output itself: checked as each chunk arrives; the deadline is only a backstop.
      const waitFor = (pattern: RegExp, ms: number) =>
        new Promise<void>((resolve, reject) => {
          const done = (err?: Error) => {
            clearTimeout(timer);
            child.stdout.off('data', check);
            child.stderr.off('data', check);
            child.off('exit', exited);
            if (err) reject(err);
            else resolve();
          };
          const check = () => {
            if (pattern.test(plain(out))) done();
          };
          const exited = () => done(new Error(`npm run test:watch exited while waiting for ${pattern}; got:\n${plain(out)}`));
          const timer = setTimeout(() => done(new Error(`waited ${ms} ms for ${pattern}; got:\n${plain(out)}`)), ms);
          child.stdout.on('data', check);
          child.stderr.on('data', check);
          child.once('exit', exited);
          if (child.exitCode !== null) exited();
          else check();
        });
      const starter = readFileSync(join(pack, 'ring', 'ring.ts'), 'utf8');
      try {
        await waitFor(new RegExp(`Tests {2}${ringPublic().length} failed[\\s\\S]*Watching for file changes`), BACKSTOP);
        cpSync(join(kitRoot, 'solutions', 'ring', 'ring', 'ring.ts'), join(pack, 'ring', 'ring.ts'));
        await waitFor(new RegExp(`RERUN[\\s\\S]*ring/ring\\.ts[\\s\\S]*Tests {2}${ringPublic().length} passed`), BACKSTOP);
      } finally {
        try {
          process.kill(-child.pid!, 'SIGTERM'); // the process group this test started
        } catch {
          // already gone
        }
        writeFileSync(join(pack, 'ring', 'ring.ts'), starter);
      }
    },
    2 * BACKSTOP,
  );

  it(
    "with the solutions copied in: passes, and npm run check shows full public marks with the grader's report",
    async () => {
      for (const id of packed()) cpSync(join(kitRoot, 'solutions', id), pack, { recursive: true });
      // npm test and npm run check at once: the one writes the progress log, the other check/.
      const logBefore = parseLog(readFileSync(join(pack, 'progress.jsonl'), 'utf8')).lines;
      const [r, c] = await Promise.all([sh('npm test'), sh('npm run check')]);
      expect(r.out).toMatch(/Test Files {2}\d+ passed \(\d+\)\n/);
      expect(r.code).toBe(0);
      for (const e of built.exercises) expect(r.out).toMatch(new RegExp(`${e.id} +\\d+ of \\d+ passed +${e.points.public} of ${e.points.public} points`));
      const lines = parseLog(readFileSync(join(pack, 'progress.jsonl'), 'utf8')).lines;
      for (const id of packed()) expect(lines.filter((l) => l.exercise === id).at(-1)).toMatchObject({ failed: 0, skipped: 0, firstFailed: null });

      expect(c.code).toBe(0);
      expect(c.out).toMatch(/Report: check\/report\.html/);
      const result = Result.parse(JSON.parse(readFileSync(join(pack, 'check', 'result.json'), 'utf8')));
      for (const e of result.exercises) {
        const info = built.exercises.find((x) => x.id === e.id)!;
        expect([e.id, e.status, e.score, e.max]).toEqual([e.id, 'graded', info.points.public, info.points.public]);
      }
      const md = readFileSync(join(pack, 'check', 'report.md'), 'utf8');
      expect(md).toMatch(/^# Feedback: local preview/);
      expect(md).toMatch(/only the public tests ran/);
      // Local full marks never pass for the mark: every property only grading checks is named,
      // in particular the one each mutant that no public test catches would lose.
      for (const id of packed()) {
        const m = loadManifest(join(kitRoot, 'exercises', id));
        const publicIds = new Set(publicTestIds(m, join(kitRoot, 'exercises', id)));
        const hiddenGroups = m.groups.filter((g) => Object.keys(g.tests).some((t) => !publicIds.has(t)));
        const section = md.slice(md.indexOf(`(${id}):`), md.indexOf('\n## ', md.indexOf(`(${id}):`)) >>> 0);
        if (hiddenGroups.length > 0) expect(section).toMatch(/Also checked when graded/);
        for (const g of hiddenGroups) expect(section).toContain(`- ${g.name}: `);
        for (const mu of m.mutants.filter((x) => !publicIds.has(x.test))) {
          const home = m.groups.find((g) => mu.test in g.tests)!;
          expect(section, `${id}/${mu.id} is caught only when graded`).toContain(`- ${home.name}: `);
        }
        if (hiddenGroups.length > 0) expect(r.out).toMatch(new RegExp(`Also checked when graded[^]*\\n  ${id} +\\d+ hidden tests?: `));
      }
      expect(readFileSync(join(pack, 'check', 'report.html'), 'utf8')).toMatch(/^<!doctype html>/i);
      // check does not add to the progress log: what is new is npm test's run, one line per exercise
      // (a run of check recorded too would show as a second line or as runs: 2).
      expect(parseLog(readFileSync(join(pack, 'progress.jsonl'), 'utf8')).lines).toEqual(lines);
      expect(lines.slice(0, logBefore.length)).toEqual(logBefore);
      expect(
        lines
          .slice(logBefore.length)
          .map((l) => `${l.exercise} ${l.runs}`)
          .sort(),
      ).toEqual(
        packed()
          .map((id) => `${id} 1`)
          .sort(),
      );
    },
    3 * BACKSTOP,
  );

  it(
    'npm run check -- <id> checks that exercise again and keeps the others in the report, saying so',
    async () => {
      const before = Result.parse(JSON.parse(readFileSync(join(pack, 'check', 'result.json'), 'utf8')));
      const solution = readFileSync(join(pack, 'ring', 'ring.ts'), 'utf8');
      cpSync(join(kitRoot, 'starter', 'ring', 'ring', 'ring.ts'), join(pack, 'ring', 'ring.ts'));
      try {
        const c = await sh('npm run check -- ring');
        expect(c.code, c.out).toBe(0);
        const after = Result.parse(JSON.parse(readFileSync(join(pack, 'check', 'result.json'), 'utf8')));
        expect(after.exercises.map((e) => e.id)).toEqual(before.exercises.map((e) => e.id));
        for (const e of after.exercises) {
          if (e.id === 'ring') expect(e.score).toBe(0);
          else expect(e, e.id).toEqual(before.exercises.find((x) => x.id === e.id));
        }
        expect(after.total.score).toBe(before.total.score - before.exercises.find((e) => e.id === 'ring')!.score);
        const others = packed().filter((id) => id !== 'ring');
        expect(after.warnings.join('\n')).toContain(`Only ring was checked now; ${others.join(', ')} are as the check of`);
        expect(readFileSync(join(pack, 'check', 'report.md'), 'utf8')).toContain('Only ring was checked now');
        expect(c.out).toMatch(new RegExp(`${others[0]} +[\\d.]+ / [\\d.]+ public points.*\\(from the earlier check: not run now\\)`));
      } finally {
        writeFileSync(join(pack, 'ring', 'ring.ts'), solution);
      }
    },
    3 * BACKSTOP,
  );
});

describe('submitting and grading', () => {
  let zipPath: string;
  let graded: GradeSummary;
  const demo = readdirSync(join(kitRoot, 'examples', 'class')).sort();
  const local = new Map<string, Result>();

  beforeAll(async () => {
    writeFileSync(join(pack, 'REFLECTION.md'), `${readFileSync(join(pack, 'REFLECTION.md'), 'utf8')}\nMessage passing was easier.\n`);
    const s = await sh('npm run submit');
    expect(s.code).toBe(0);
    zipPath = join(pack, 'submission.zip');
    const cls = join(work, 'class');
    mkdirSync(cls);
    cpSync(zipPath, join(cls, 'packed.zip'));
    for (const student of demo) cpSync(join(kitRoot, 'examples', 'class', student), join(cls, student), { recursive: true });
    // The public tests of each demo submission, locally (in-process, as `npm test` runs them;
    // the attacker's code, which busy-loops and tries to kill its parent, in a process kernel).
    // Two at a time, while the grader grades the class: each writes only its own --out folder.
    const queue = [...demo];
    const localChecks = Promise.all(
      [0, 1].map(async () => {
        for (let student = queue.shift(); student !== undefined; student = queue.shift()) {
          // Under the grader's seeds only, to compare test by test (a student's run adds more).
          const env: Record<string, string> = { MP_SUBMISSION: join(kitRoot, 'examples', 'class', student), MP_LOCAL_SEEDS: '0' };
          if (student === 'mallory') env.MP_KERNEL = 'process';
          const r = await sh(`npm run check -- ring --quiet --out ${JSON.stringify(join(work, 'local', student))}`, { env });
          expect(r.code, r.out).toBe(0);
          local.set(student, Result.parse(JSON.parse(readFileSync(join(work, 'local', student, 'result.json'), 'utf8'))));
        }
      }),
    );
    const t = Date.now();
    const grading = (async () => {
      // No canary: it would grade the same reference solutions the packed submission holds (the
      // canary has tests of its own: infrastructure.test.ts, gradescope-bundle.test.ts).
      graded = await gradeClass({ paths: [cls], out: join(work, 'graded'), jobs: 2, canary: false });
      // On an overloaded machine (other graders running, sharing the sandbox uids) a kernel
      // process can fail to start: that is the host, not the submission. Grade those students
      // again, on their own, at most twice.
      for (let retry = 0; retry < 2; retry++) {
        const flaky = graded.results
          .filter((r) => /kernel process (did not start within|exited while starting)/.test(JSON.stringify(r.exercises)))
          .map((r) => r.student);
        if (flaky.length === 0) break;
        console.warn(`regrading ${flaky.join(', ')}: a kernel process did not start (host overloaded)`);
        const again = await gradeClass({
          paths: flaky.map((st) => join(cls, st === 'packed' ? 'packed.zip' : st)),
          out: join(work, 'graded'),
          jobs: 1,
          force: true,
          canary: false,
        });
        graded = { ...graded, results: graded.results.map((r) => again.results.find((a) => a.student === r.student) ?? r) };
      }
      timings.grade = Date.now() - t;
    })();
    await Promise.all([grading, localChecks]);
    timings['grade and local checks'] = Date.now() - t;
  }, 10 * BACKSTOP);

  it('npm run submit writes one zip with exactly the files the grader takes, and lists them', async () => {
    const [source] = await discover([zipPath], wantedFiles(manifests));
    const taken = await intake(source!, wantedFiles(manifests));
    const expected = [...built.exercises.flatMap((e) => e.files), 'REFLECTION.md', 'progress.jsonl'].sort();
    expect(Object.keys(taken.files).sort()).toEqual(expected);
    expect(taken.notes).toEqual([]);
    expect(taken.missing.filter((f) => expected.includes(f))).toEqual([]);
  });

  it('the grader takes the zip as it is and gives the solutions full marks', () => {
    const r = graded.results.find((x) => x.student === 'packed')!;
    expect(r.notes).toEqual([]);
    for (const e of r.exercises.filter((x) => packed().includes(x.id))) expect([e.id, e.status, e.score]).toEqual([e.id, 'graded', e.max]);
  });

  it('the public part of a grade is the same locally and in the grader, for every demo submission', () => {
    for (const student of demo) {
      const mine = local.get(student)!.exercises.find((e) => e.id === 'ring')!;
      const theirs = graded.results.find((x) => x.student === student)!.exercises.find((e) => e.id === 'ring')!;
      expect(mine.status, student).toBe(theirs.status);
      expect(mine.diagnostics, student).toEqual(theirs.diagnostics);
      expect(mine.tests.length, student).toBeGreaterThan(0);
      for (const t of mine.tests) {
        const g = theirs.tests.find((x) => x.id === t.id)!;
        if (g.message?.startsWith('Not run:')) {
          // The grader stops a submission whose kernel failed three tests in a row; locally every test runs.
          expect([student, t.id, t.score, t.status === 'passed']).toEqual([student, g.id, 0, false]);
          continue;
        }
        expect({ student, id: t.id, status: t.status, score: t.score, seeds: t.seeds, seed: t.failure?.seed, observed: t.failure?.observed }).toEqual({
          student,
          id: g.id,
          status: g.status,
          score: g.score,
          seeds: g.seeds,
          seed: g.failure?.seed,
          observed: g.failure?.observed,
        });
      }
      const publicIds = new Set(mine.tests.map((t) => t.id));
      expect(mine.score, student).toBe(theirs.tests.filter((t) => publicIds.has(t.id)).reduce((a, t) => a + t.score, 0));
    }
    // The demo class covers passing, failing, not compiling and a kernel that hangs.
    const statuses = new Set([...local.values()].flatMap((r) => r.exercises[0]!.tests.map((t) => t.status)));
    expect(statuses).toEqual(new Set(['passed', 'failed', 'error']));
    expect([...local.values()].some((r) => r.exercises[0]!.status === 'compile-error')).toBe(true);
  });

  it("the class dashboard summarises the students' progress logs per exercise", async () => {
    const out = join(work, 'graded');
    const [source] = await discover([join(work, 'class', 'packed.zip')], wantedFiles(manifests));
    const taken = await intake(source!, wantedFiles(manifests));
    await saveProgressLog(out, 'packed', taken.files['progress.jsonl']);
    expect(existsSync(progressLogPath(out, 'packed'))).toBe(true);
    const evidence = (await classProgress(
      out,
      graded.results.map((r) => r.student),
    ))!;
    expect(evidence.ring).toMatchObject({ students: 1, neverPassed: 0, attemptsToFirstFullPass: { n: 1 } });
    // Runs of the untouched starter (the first run and its filtered replay: "edited": false) are
    // no attempts; the student's own code: a type error, then the first full pass.
    expect(evidence.ring!.attemptsToFirstFullPass.median).toBe(2);
    expect(evidence.ring!.starterRuns).toBeGreaterThanOrEqual(2);
    expect(evidence.ring!.firstFailedProperties).toEqual([{ property: 'a token goes 3 times round a ring of 4 and Done reports 12 hops', students: 1 }]);
    // The dashboard renders it as it is (renderClass's `progress` option).
    const html = renderClass(graded.results, { progress: evidence }).indexHtml;
    expect(html).toContain('a token goes 3 times round a ring of 4 and Done reports 12 hops');
  });
});

describe('the progress log and its summary', () => {
  const line = (exercise: string, passed: number, failed: string[], at: string, skipped = 0): ProgressLine => ({
    v: 1,
    at,
    exercise,
    passed,
    failed: failed.length,
    skipped,
    failedTests: failed,
    firstFailed: failed[0] ?? null,
    runs: 1,
  });

  it("merges consecutive runs with the same outcome into one line, and stops before the grader's size limit", () => {
    let text = '';
    text = appendRun(text, line('ring', 0, ['ring.a', 'ring.b'], '2026-03-01T10:00:00Z'))!;
    text = appendRun(text, line('ring', 0, ['ring.a', 'ring.b'], '2026-03-01T10:05:00Z'))!;
    text = appendRun(text, line('ring', 1, ['ring.b'], '2026-03-01T10:07:00Z'))!;
    const { lines } = parseLog(text);
    expect(lines.map((l) => [l.runs, l.last ?? null])).toEqual([
      [2, '2026-03-01T10:05:00Z'],
      [1, null],
    ]);
    let big = '';
    for (let i = 0; ; i++) {
      const next = appendRun(big, line('ring', i % 2, [`ring.t${i}`], '2026-03-01T10:00:00Z'));
      if (next === undefined) break;
      big = next;
    }
    expect(Buffer.byteLength(big)).toBeLessThanOrEqual(240 * 1024);
    expect(Buffer.byteLength(big)).toBeGreaterThan(230 * 1024);
  });

  it('counts runs to the first full pass, the working span, and the properties failed first and longest', () => {
    const alice = [
      line('ring', 0, ['ring.a', 'ring.b'], '2026-03-01T10:00:00Z'),
      { ...line('ring', 1, ['ring.b'], '2026-03-01T10:10:00Z'), runs: 3, last: '2026-03-01T11:00:00Z' },
      line('ring', 1, [], '2026-03-01T11:30:00Z', 1), // filtered with -t: not a full pass
      line('ring', 2, [], '2026-03-01T12:00:00Z'),
      line('bank', 0, ['bank.x'], '2026-03-02T09:00:00Z'),
    ];
    const bob = [line('ring', 0, ['ring.b', 'ring.a'], '2026-03-01T09:00:00Z'), line('ring', 1, ['ring.b'], '2026-03-01T10:00:00Z')];
    const text = (ls: ProgressLine[]) => `${ls.map((l) => JSON.stringify(l)).join('\n')}\nnot json\n{"v":2}\n`;
    const evidence = summariseProgress(
      [
        { student: 'alice', text: text(alice) },
        { student: 'bob', text: text(bob) },
        { student: 'carol', text: '{"v":1,"at":"x","exercise":"ring","passed":0,"failed":1,"skipped":0,"failedTests":["<script>"],"firstFailed":"<script>"}' },
      ],
      { names: { 'ring.a': 'property A', 'ring.b': 'property B' } },
    );
    expect(evidence.ring).toEqual({
      students: 3,
      runs: 6 + 2 + 1,
      neverPassed: 2,
      attemptsToFirstFullPass: { median: 6, n: 1, max: 6 },
      workingSpanHours: { median: 1.5, max: 2 },
      firstFailedProperties: [
        { property: 'property A', students: 1 },
        { property: 'property B', students: 1 },
      ],
      longestFailedProperties: [{ property: 'property B', students: 2, medianRuns: 3 }],
      starterRuns: 0,
      hazards: { deadlock: 0, 'lost-update': 0, conservation: 0 },
    });
    expect(evidence.bank).toMatchObject({ students: 1, neverPassed: 1, runs: 1 });
  });

  it("counts from the first run of the student's own code, per exercise, with the kinds of failure met", () => {
    const at = (h: number) => new Date(Date.UTC(2026, 2, 1, h)).toISOString();
    const dana = [
      { ...line('bank', 0, ['bank.account-ops', 'bank.transfer-one'], at(8)), edited: false, runs: 2 },
      { ...line('bank-locks', 0, ['bank-locks.account-ops'], at(9)), edited: false },
      { ...line('bank', 1, ['bank.transfer-one'], at(10)), edited: true },
      { ...line('bank-locks', 1, ['bank-locks.model'], at(12)), edited: true, hazards: ['deadlock' as const] },
      { ...line('bank-locks', 1, ['bank-locks.never-negative'], at(13)), edited: true, hazards: ['lost-update' as const, 'conservation' as const] },
      { ...line('bank', 2, [], at(14)), edited: true },
      { ...line('bank-locks', 2, [], at(16)), edited: true },
    ];
    const evidence = summariseProgress([{ student: 'dana', text: dana.map((l) => JSON.stringify(l)).join('\n') }], { exercises: ['bank', 'bank-locks'] });
    // The starter's first test is not "first broken": the first test their own code failed is.
    expect(evidence.bank).toMatchObject({
      students: 1,
      runs: 2,
      starterRuns: 2,
      attemptsToFirstFullPass: { median: 2 },
      firstFailedProperties: [{ property: 'bank.transfer-one', students: 1 }],
    });
    expect(evidence['bank-locks']).toMatchObject({
      runs: 3,
      starterRuns: 1,
      attemptsToFirstFullPass: { median: 3 },
      firstFailedProperties: [{ property: 'bank-locks.model', students: 1 }],
    });
    // Each exercise's span is from its own first edited run to its own last run.
    expect(evidence.bank!.workingSpanHours.median).toBe(4);
    expect(evidence['bank-locks']!.workingSpanHours.median).toBe(4);
    expect(evidence['bank-locks']!.hazards).toEqual({ deadlock: 1, 'lost-update': 1, conservation: 1 });
    expect(evidence.bank!.hazards).toEqual({ deadlock: 0, 'lost-update': 0, conservation: 0 });
    // A student who only ever ran the starter says nothing yet.
    expect(summariseProgress([{ student: 'eve', text: JSON.stringify(dana[0]) }]).bank).toBeUndefined();
  });

  it("names the kinds of failure from the reports' words, and keeps runs that differ in them apart", () => {
    expect(hazardsOf('no reply within 1000 ms.\ndeadlock: 2 tasks wait in a cycle, each for a lock the next one holds')).toEqual(['deadlock']);
    expect(hazardsOf('acc-0 holds 3 …\nlost update on acc-0.balance: deposit read 0, then …')).toEqual(['lost-update']);
    expect(hazardsOf('the accounts hold 990 in all; expected 1000: money was lost.')).toEqual(['conservation']);
    expect(hazardsOf('after depositing 5 the reply was …')).toEqual([]);
    const a = { ...line('bank-locks', 1, ['bank-locks.model'], '2026-03-01T10:00:00Z'), edited: true };
    expect(sameOutcome(a, { ...a, hazards: ['deadlock'] })).toBe(false);
    expect(sameOutcome(a, { ...a, edited: false })).toBe(false);
    expect(sameOutcome(a, { ...a })).toBe(true);
  });
});
