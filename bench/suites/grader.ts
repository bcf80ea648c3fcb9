// Grading speed, as a lecturer meets it: `npx grader grade` (the command, pre-built start-up,
// canary, sandboxed kernels, public and hidden tests, all seeds) against the naive way (one
// plain `vitest run` of the hidden tests per submission, in-process, no sandbox, no type
// check), in the same run, interleaved, several rounds: medians and ranges of wall time, and
// the CPU time of everything each run started.
//
//   the class: 48 ring submissions, 8 of them slow or hostile (busy loops, sleepers, code that
//     throws while loading, a slow but correct desk, a type-check bomb, a syntax error);
//     grader --jobs 2 and --jobs 1, naive two at a time;
//   alone: one honest submission, grader (with and without the canary) and naive.
//
// Goals (issue 20): class ≤ 0.5× naive per submission; --jobs 2 ≥ 1.6× faster than --jobs 1;
// one submission alone ≤ 1.0× naive. The naive way has no watchdog: a busy or sleeping
// submission runs until the one-minute cap a lecturer's script would need.
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { execa } from 'execa';
import { exerciseDir, loadManifest } from '../../kernels/harness/manifest.ts';
import { kitRoot } from '../../grader/kit.ts';
import { mutantFile } from '../../grader/mutants.ts';
import { Summary } from '../../grader/result.ts';
import { median } from '../lib/measure.ts';
import type { Suite, SuiteOptions } from '../lib/suite.ts';
import { table, writeResults } from '../report.ts';

const NAIVE_CAP_MS = 60_000;
const bin = join(kitRoot, 'grader', 'bin.mjs');
const vitest = join(kitRoot, 'node_modules', 'vitest', 'vitest.mjs');

/** Slow or hostile submissions: what each does to the desk or the ring (never to the machine: the naive way runs them unsandboxed). */
const SLOW: Record<string, (solution: string) => string> = {
  // Busy loops: the watchdog stops each after 2 s of CPU time; stop-early after three.
  'busy-desk': (s) => s.replace(/export function startDesk\(([^)]*)\)([^{]*)\{/, 'export function startDesk($1)$2{\n  for (;;);'),
  'busy-ring': (s) => s.replace(/export function startRing\(([^)]*)\)([^{]*)\{/, 'export function startRing($1)$2{\n  for (;;);'),
  // Sleepers: blocked without using the CPU; the wall-clock cap (20 s) stops each.
  'sleeper-desk': (s) =>
    s.replace(
      /export function startDesk\(([^)]*)\)([^{]*)\{/,
      'export function startDesk($1)$2{\n  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);',
    ),
  'sleeper-ring': (s) =>
    s.replace(
      /export function startRing\(([^)]*)\)([^{]*)\{/,
      'export function startRing($1)$2{\n  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);',
    ),
  // Throws while loading: every test fails alike.
  thrower: (s) => `const table: Record<string, number> = {};\nconst broken = table.missing!.toFixed(2);\n${s}\nexport const unused = broken;`,
  // Correct but slow: each start burns ~0.3 s of CPU.
  slow: (s) =>
    s.replace(
      /export function startRing\(([^)]*)\)([^{]*)\{/,
      'export function startRing($1)$2{\n  let x = 0;\n  for (let i = 0; i < 3e8; i++) x ^= i;\n  if (x === 42) throw new Error();',
    ),
  // A few hundred bytes of types that exhaust the type checker's budget.
  'typecheck-bomb': (s) => `type D = 'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g' | 'h' | 'i' | 'j';
type A = \`\${D}\${D}\${D}\${D}\`;
type Pairs<T extends string> = { [K in T]: { [J in T]: \`\${K}\${J}\` } };
export type Big = Pairs<A>;
export const z: Big[A][A] = 'aaaaaaaa' as never;
${s}`,
  'syntax-error': (s) => s.replace('export function startDesk', 'export function startDesk('),
};

interface Made {
  readonly dir: string;
  readonly students: string[];
  /** Students that must get full marks (the honest solutions). */
  readonly honest: string[];
}

/** A class of `n` ring submissions: `slow` of them slow or hostile, every 4th other one a mutant, the rest the solution. */
async function makeClass(dir: string, n: number, slow: number): Promise<Made> {
  const manifest = loadManifest(exerciseDir('ring'));
  const solution = await readFile(join(kitRoot, 'solutions/ring/ring/ring.ts'), 'utf8');
  const kinds = Object.keys(SLOW);
  // The slow ones spread over the class (name order decides nothing, but let them be apart).
  const slowAt = new Map(Array.from({ length: slow }, (_x, j) => [Math.floor(((j + 0.5) * n) / slow), kinds[j % kinds.length]!]));
  const students: string[] = [];
  const honest: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `student-${String(i + 1).padStart(2, '0')}`;
    let text = solution;
    const kind = slowAt.get(i);
    if (kind !== undefined) {
      text = SLOW[kind]!(solution);
    } else if (i % 4 === 3) {
      const mutant = manifest.mutants[(i >> 2) % manifest.mutants.length]!;
      text = mutantFile('ring', mutant.id, 'ring/ring.ts');
    } else {
      honest.push(id);
    }
    await mkdir(join(dir, id, 'ring'), { recursive: true });
    await writeFile(join(dir, id, 'ring', 'ring.ts'), `// ${id}\n${text}`);
    students.push(id);
  }
  return { dir, students, honest };
}

/** CPU time (ms) of this process's children that ended and were waited for (and theirs). */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
}

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly load: number;
}

interface Scenario {
  readonly name: string;
  /** Submissions it grades (for per-submission figures). */
  readonly n: number;
  run(out: string): Promise<void>;
}

async function grader(paths: string[], out: string, extra: string[]): Promise<void> {
  const r = await execa(process.execPath, [bin, 'grade', ...paths, '--exercise', 'ring', '--out', out, '--force', '--quiet', ...extra], {
    reject: false,
    all: true,
  });
  if (r.exitCode !== 0) throw new Error(`grader exited ${r.exitCode}: ${(r.all ?? '').split('\n').slice(-5).join(' / ')}`);
}

/** One plain `vitest run` of the hidden tests per submission, `parallel` at a time, each capped (its whole process group killed). */
async function naive(dirs: string[], parallel: number): Promise<void> {
  const queue = [...dirs];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let d = queue.shift(); d !== undefined; d = queue.shift()) {
        const child = spawn(process.execPath, [vitest, 'run', '--config', 'exercises/vitest.config.ts', 'exercises/ring/tests/hidden'], {
          cwd: kitRoot,
          env: { ...process.env, MP_SUBMISSION: d, FORCE_COLOR: '0' },
          stdio: 'ignore',
          detached: true,
        });
        const killGroup = () => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            /* already gone */
          }
        };
        const cap = setTimeout(killGroup, NAIVE_CAP_MS);
        await new Promise((resolve) => child.once('exit', resolve));
        clearTimeout(cap);
        killGroup(); // a test worker left behind by a killed run must not burn the CPU of the next
      }
    }),
  );
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export const suite: Suite = {
  name: 'grader',
  description: 'grading a class of 48 (8 slow or hostile) and one submission alone: the grader command vs one plain vitest run per submission',
  async run({ quick, log }: SuiteOptions) {
    const rounds = quick ? 1 : 3;
    const n = quick ? 8 : 48;
    const slow = quick ? 2 : 8;
    const work = await mkdtemp(join(tmpdir(), 'mp-bench-grader-'));
    try {
      const made = await makeClass(join(work, 'class'), n, slow);
      const alone = join(work, 'alone', 'alice');
      await cp(join(kitRoot, 'solutions/ring'), alone, { recursive: true });
      const classDirs = made.students.map((st) => join(made.dir, st));
      const scenarios: Scenario[] = [
        { name: 'class: grader --jobs 2', n, run: (out) => grader([made.dir], out, ['--jobs', '2']) },
        { name: 'class: grader --jobs 1', n, run: (out) => grader([made.dir], out, ['--jobs', '1']) },
        { name: 'class: naive, 2 at a time', n, run: () => naive(classDirs, 2) },
        { name: 'alone: grader', n: 1, run: (out) => grader([alone], out, ['--jobs', '2']) },
        { name: 'alone: grader --no-canary', n: 1, run: (out) => grader([alone], out, ['--jobs', '2', '--no-canary']) },
        { name: 'alone: naive', n: 1, run: () => naive([alone], 1) },
      ];
      // One warm-up of each way (disk caches, the pre-built grader), then interleaved rounds,
      // each in another order, so that a change in the machine's load spreads over all of them.
      log(`${n} ring submissions (${slow} slow or hostile), ${rounds} round${rounds > 1 ? 's' : ''}, ${cpus().length} cores`);
      await grader([alone], join(work, 'warm'), ['--no-canary']);
      await naive([alone], 1);
      const samples = new Map<string, Sample[]>(scenarios.map((sc) => [sc.name, []]));
      let ok = true;
      for (let round = 0; round < rounds; round++) {
        const order = scenarios.map((_x, i) => scenarios[(i + round) % scenarios.length]!);
        for (const sc of order) {
          const out = join(work, `out-${round}-${scenarios.indexOf(sc)}`);
          const load = loadavg()[0]!;
          const cpu0 = childrenCpuMs();
          const t0 = performance.now();
          await sc.run(out);
          samples.get(sc.name)!.push({ wallMs: performance.now() - t0, cpuMs: childrenCpuMs() - cpu0, load });
          if (sc.name.startsWith('class: grader')) ok &&= checkClass(out, made, log);
          log(`  round ${round + 1}: ${sc.name.padEnd(28)} ${s(performance.now() - t0).padStart(8)}  (load ${load.toFixed(1)})`);
        }
      }

      const med = (name: string, f: (x: Sample) => number) => median(samples.get(name)!.map(f));
      const rows = scenarios.map((sc) => {
        const xs = samples.get(sc.name)!;
        const walls = xs.map((x) => x.wallMs);
        return [
          sc.name,
          s(median(walls)),
          `${s(Math.min(...walls))}–${s(Math.max(...walls))}`,
          s(median(xs.map((x) => x.cpuMs))),
          `${(median(walls) / sc.n / 1000).toFixed(2)} s`,
        ];
      });
      log('');
      log(table(['', 'wall (median)', 'range', 'CPU (median)', 'wall per submission'], rows, ['left', 'right', 'right', 'right', 'right']));
      const loads = [...samples.values()].flat().map((x) => x.load);
      log(
        `load average (1 min) before each run: median ${median(loads).toFixed(1)}, ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on ${cpus().length} cores (other workers share the machine)`,
      );
      log('');
      const classRatio = med('class: grader --jobs 2', (x) => x.wallMs) / med('class: naive, 2 at a time', (x) => x.wallMs);
      const jobsSpeedup = med('class: grader --jobs 1', (x) => x.wallMs) / med('class: grader --jobs 2', (x) => x.wallMs);
      const aloneRatio = med('alone: grader', (x) => x.wallMs) / med('alone: naive', (x) => x.wallMs);
      const aloneNoCanary = med('alone: grader --no-canary', (x) => x.wallMs) / med('alone: naive', (x) => x.wallMs);
      const cpuRatio = med('class: grader --jobs 2', (x) => x.cpuMs) / med('class: naive, 2 at a time', (x) => x.cpuMs);
      const goal = (v: number, ok: boolean) => `${v.toFixed(2)}× … ${ok ? 'PASS' : 'MISS'}`;
      log(`class, per submission: grader --jobs 2 / naive = ${goal(classRatio, classRatio <= 0.5)} (goal ≤ 0.5×; CPU time ${cpuRatio.toFixed(2)}×)`);
      log(`class: --jobs 2 is ${goal(jobsSpeedup, jobsSpeedup >= 1.6)} faster than --jobs 1 (goal ≥ 1.6×)`);
      log(`one submission alone: grader / naive = ${goal(aloneRatio, aloneRatio <= 1)} (goal ≤ 1.0×; without the canary ${aloneNoCanary.toFixed(2)}×)`);
      if (!ok) log('WRONG MARKS in a grader run: the figures above do not count');
      const file = await writeResults(quick ? 'grader-quick' : 'grader', {
        at: new Date().toISOString(),
        node: process.version,
        cores: cpus().length,
        n,
        slow,
        rounds,
        samples: Object.fromEntries(samples),
        ratios: { classRatio, jobsSpeedup, aloneRatio, aloneNoCanary, cpuRatio },
      });
      log(`results: ${file}`);
      return { ok };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
};

/** The marks of a class run: every honest solution full marks, no grading error. */
function checkClass(out: string, made: Made, log: (line?: string) => void): boolean {
  const summary = Summary.parse(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')));
  const full = new Set(summary.students.filter((st) => !st.withheld && st.exercises.ring?.score === st.exercises.ring?.max).map((st) => st.student));
  const lost = made.honest.filter((h) => !full.has(h));
  if (summary.gradingErrors.length > 0 || lost.length > 0 || summary.studentCount !== made.students.length) {
    log(`  marks wrong: ${summary.gradingErrors.length} grading errors; honest students without full marks: ${lost.join(', ') || 'none'}`);
    return false;
  }
  return true;
}
