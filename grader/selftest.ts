// The kit grading itself: each reference solution must get full marks, each mutant must
// lose marks in every rubric group it is meant to break, and each starter must be graded
// without error (it compiles and its tests run). The same pipeline as a class run.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exerciseDir, listExercises, loadManifest } from '../exercises/manifest.ts';
import { gradeClass } from './grade.ts';
import { kitRoot } from './kit.ts';
import type { Progress } from './progress.ts';

export interface SelftestRow {
  readonly exercise: string;
  readonly submission: string;
  readonly expect: string;
  readonly got: string;
  readonly ok: boolean;
}

export interface SelftestReport {
  readonly rows: SelftestRow[];
  readonly ok: boolean;
  readonly misses: number;
  readonly table: string;
}

export async function selftest(options: { exercises?: string[]; jobs?: number; progress?: Progress } = {}): Promise<SelftestReport> {
  const ids = options.exercises && options.exercises.length > 0 ? options.exercises : listExercises();
  const rows: SelftestRow[] = [];
  for (const id of ids) {
    const m = loadManifest(exerciseDir(id));
    const work = await mkdtemp(join(tmpdir(), `mp-selftest-${id}-`));
    try {
      const cls = join(work, 'class');
      const solution = join(kitRoot, 'solutions', id);
      await cp(solution, join(cls, 'solution'), { recursive: true });
      if (existsSync(join(kitRoot, 'starter', id))) await cp(join(kitRoot, 'starter', id), join(cls, 'starter'), { recursive: true });
      for (const mutant of m.mutants) {
        const dir = join(cls, `mutant-${mutant.id}`);
        await cp(solution, dir, { recursive: true });
        for (const [target, source] of Object.entries(mutant.files)) {
          await cp(join(exerciseDir(id), source), join(dir, target));
        }
      }
      const summary = await gradeClass({ paths: [cls], out: join(work, 'out'), exercises: [id], force: true, jobs: options.jobs, progress: options.progress });
      const byName = new Map(summary.results.map((r) => [r.student, r.exercises[0]!]));
      const sol = byName.get('solution');
      rows.push({
        exercise: id, submission: 'solution', expect: 'full marks',
        got: sol ? `${sol.status} ${sol.score}/${sol.max}${failedTests(sol)}` : 'no result',
        ok: sol !== undefined && sol.status === 'graded' && sol.score === sol.max,
      });
      const starter = byName.get('starter');
      if (starter) {
        rows.push({
          exercise: id, submission: 'starter', expect: 'graded, no error',
          got: `${starter.status} ${starter.score}/${starter.max}`,
          ok: starter.status === 'graded' && starter.tests.every((t) => t.status !== 'error'),
        });
      }
      for (const mutant of m.mutants) {
        const r = byName.get(`mutant-${mutant.id}`);
        const lost = r ? mutant.loses.filter((g) => { const gr = r.groups.find((x) => x.id === g); return gr !== undefined && gr.score < gr.max; }) : [];
        rows.push({
          exercise: id, submission: `mutant ${mutant.id}`, expect: `loses ${mutant.loses.join(', ')}`,
          got: r ? `${r.status} ${r.score}/${r.max}; lost in: ${r.groups.filter((g) => g.score < g.max).map((g) => g.id).join(', ') || 'nothing'}` : 'no result',
          ok: r !== undefined && r.status === 'graded' && lost.length === mutant.loses.length,
        });
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  const misses = rows.filter((r) => !r.ok).length;
  return { rows, ok: misses === 0, misses, table: table(rows) };
}

function failedTests(e: { tests: { id: string; status: string }[] }): string {
  const failed = e.tests.filter((t) => t.status !== 'passed').map((t) => t.id);
  return failed.length > 0 ? ` (failed: ${failed.join(', ')})` : '';
}

function table(rows: readonly SelftestRow[]): string {
  const header = ['', 'exercise', 'submission', 'expected', 'got'];
  const cells = rows.map((r) => [r.ok ? '✓' : '✗', r.exercise, r.submission, r.expect, r.got]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
