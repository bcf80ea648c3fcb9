// Grading throughput: a generated class of `ring` submissions graded by the grader (sandbox
// and all seeds included, --jobs 2) against the naive way: one plain `vitest run` of the
// hidden tests per submission, in-process, no sandbox, two at a time.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { gradeClass } from '../../grader/grade.ts';
import { kitRoot } from '../../grader/kit.ts';
import { loadManifest, exerciseDir } from '../../exercises/manifest.ts';
import { median } from '../lib/measure.ts';
import type { Suite, SuiteOptions } from '../lib/suite.ts';

/** A class of n ring submissions: mostly the solution (each a distinct file), some mutants. */
async function makeClass(dir: string, n: number): Promise<string[]> {
  const manifest = loadManifest(exerciseDir('ring'));
  const solution = await readFile(join(kitRoot, 'solutions/ring/ring/ring.ts'), 'utf8');
  const students: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `student-${String(i + 1).padStart(2, '0')}`;
    const target = join(dir, id, 'ring');
    await cp(join(kitRoot, 'solutions/ring'), join(dir, id), { recursive: true });
    const mutant = i % 4 === 3 ? manifest.mutants[(i >> 2) % manifest.mutants.length] : undefined;
    const text = mutant ? await readFile(join(exerciseDir('ring'), mutant.files['ring/ring.ts']!), 'utf8') : solution;
    await writeFile(join(target, 'ring.ts'), `// ${id}\n${text}`);
    students.push(id);
  }
  return students;
}

async function naive(dir: string, students: string[], parallel: number): Promise<{ wallMs: number; perRun: number[] }> {
  const perRun: number[] = [];
  const queue = [...students];
  const t0 = performance.now();
  const vitest = join(kitRoot, 'node_modules', 'vitest', 'vitest.mjs');
  await Promise.all(Array.from({ length: parallel }, async () => {
    for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
      const start = performance.now();
      await execa(process.execPath, [vitest, 'run', '--config', 'exercises/vitest.config.ts', 'exercises/ring/tests/hidden'], {
        cwd: kitRoot, env: { MP_SUBMISSION: join(dir, s), FORCE_COLOR: '0' }, reject: false,
      });
      perRun.push(performance.now() - start);
    }
  }));
  return { wallMs: performance.now() - t0, perRun };
}

export const suite: Suite = {
  name: 'grader',
  description: 'grading a class of ring submissions (sandboxed, all seeds) vs one plain vitest run per submission',
  async run({ quick, log }: SuiteOptions) {
    const n = quick ? 6 : 40;
    const work = await mkdtemp(join(tmpdir(), 'mp-bench-grader-'));
    try {
      const cls = join(work, 'class');
      const students = await makeClass(cls, n);
      const t0 = performance.now();
      const summary = await gradeClass({ paths: [cls], out: join(work, 'out'), exercises: ['ring'], jobs: 2, force: true });
      const gradeMs = performance.now() - t0;
      const full = summary.results.filter((r) => r.exercises.every((e) => e.score === e.max)).length;
      const expectedFull = students.filter((_s, i) => i % 4 !== 3).length;
      const ok = summary.results.length === n && full === expectedFull;
      const plain = await naive(cls, students, 2);
      const ours = gradeMs / n / 1000;
      const theirs = plain.wallMs / n / 1000;
      log(`${n} ring submissions, 2 jobs at a time (${full} full marks, as expected: ${ok ? 'yes' : 'NO'})`);
      log(`${''.padEnd(44)} ${'wall'.padStart(8)} ${'s/submission'.padStart(13)}`);
      log(`${'grader (sandboxed kernels, 3 seeds, public+hidden)'.padEnd(44)} ${`${(gradeMs / 1000).toFixed(1)} s`.padStart(8)} ${ours.toFixed(2).padStart(13)}`);
      log(`${'naive (vitest run per submission, hidden)'.padEnd(44)} ${`${(plain.wallMs / 1000).toFixed(1)} s`.padStart(8)} ${theirs.toFixed(2).padStart(13)}   (median single run ${(median(plain.perRun) / 1000).toFixed(2)} s)`);
      const ratio = ours / theirs;
      log(`ratio ${ratio.toFixed(2)}× the naive per-submission time; goal ≤ 0.5× … ${ratio <= 0.5 ? 'PASS' : 'MISS'}`);
      return { ok };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
};
