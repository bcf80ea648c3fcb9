// `npm run check [-- <exercise>...] [--out DIR]`: the marked preview. Prepares each exercise
// as the grader does (files present? type check, bundle), runs its public tests, scores them
// with the grader's own scoring (grader/score.ts) and writes the grader's report (same
// templates) to check/report.html and check/report.md, with check/result.json.
// Only the public tests run here; the report says how many points the hidden tests carry.
// Checking some exercises (`npm run check -- ring`) replaces theirs in the report and keeps the
// others from the last check, saying so.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startVitest, type Reporter, type TestModule } from 'vitest/node';
import type { Manifest } from '../../../kernels/harness/manifest.ts';
import type { PropertyOutcome } from '../../../kernels/harness/property.ts';
import { folderReader } from '../../../kernels/harness/bundle-file.ts';
import { bundleSubmission } from '../../../kernels/loader/bundle.ts';
import type { PreparedExercise } from '../../prepare/prepare.ts';
import { Redactor } from '../../redact.ts';
import { renderStudentReport } from '../../report/student.ts';
import { Result, type Diagnostic, type ExerciseResult } from '../../result.ts';
import { awaitingManual, scoreExercise } from '../../score.ts';
import { sha256 } from '../../files.ts';
import { exerciseOfTestFile, packExercises, packRoot, readPackInfo, studentRoot } from './local.ts';
import { isOwnTestFile } from '../info.ts';
import PackReporter from './reporter.ts';
import { typecheckFiles } from '../../typecheck.ts';

export const configFile = fileURLToPath(new URL('./vitest.config.ts', import.meta.url));

/** The same steps and words as the grader's prepare (grader/prepare/prepare.ts), on the student's own folder. */
export async function prepareLocal(m: Manifest, root: string): Promise<PreparedExercise> {
  const missing = m.files.filter((f) => !existsSync(join(root, f)));
  if (missing.length === m.files.length) {
    return { id: m.id, status: 'missing', reason: `not submitted (expected ${m.files.join(', ')})`, diagnostics: [] };
  }
  if (missing.length > 0) {
    return { id: m.id, status: 'missing', reason: `missing file${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`, diagnostics: [] };
  }
  const diagnostics: Diagnostic[] = typecheckFiles(root, m.files).map(({ kind: _kind, ...d }) => d);
  const bundled = await bundleSubmission({ entry: m.entry, read: folderReader(root, m.files) });
  if (!bundled.ok) {
    const errors = bundled.errors.map((e) => ({ file: e.file, line: e.line, column: e.column, message: e.message }));
    const seen = new Set<string>();
    return {
      id: m.id,
      status: 'compile-error',
      reason: `your code does not compile: ${errors
        .slice(0, 3)
        .map((e) => `${e.file}:${e.line}:${e.column} ${e.message}`)
        .join('; ')}`,
      diagnostics: [...errors, ...diagnostics].filter((d) => {
        const key = `${d.file}:${d.line}:${d.column}:${d.message}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      }),
    };
  }
  return { id: m.id, status: 'ready', diagnostics };
}

/** Collects what each property test left in its task meta (as the grader's reporter does). */
class Collector implements Reporter {
  readonly outcomes = new Map<string, Map<string, PropertyOutcome>>();
  readonly errors = new Map<string, string[]>();
  private readonly info = readPackInfo();

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<{ message?: string }>): void {
    for (const mod of testModules) {
      const id = exerciseOfTestFile(mod.moduleId);
      if (!id || isOwnTestFile(mod.moduleId, this.info)) continue;
      const errors = this.errors.get(id) ?? [];
      for (const e of mod.errors()) errors.push(`${relative(packRoot, mod.moduleId)}: ${e.message}`);
      for (const e of unhandled) errors.push(e.message ?? 'unknown error');
      this.errors.set(id, errors);
      const mine = this.outcomes.get(id) ?? new Map<string, PropertyOutcome>();
      for (const test of mod.children.allTests()) {
        const o = test.meta().mp;
        if (o) mine.set(o.test, o);
      }
      this.outcomes.set(id, mine);
    }
  }
}

export interface CheckOptions {
  readonly exercises?: readonly string[];
  /** Where the report goes (default: check/ in the pack). */
  readonly out?: string;
  /** Print the summary (default true). */
  readonly quiet?: boolean;
}

/** The result.json of an earlier check in `dir`, if it is one of this kit's. */
function previousResult(dir: string, kit: string | undefined): Result | undefined {
  try {
    const r = Result.parse(JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')));
    return r.kit.version === (kit ?? 'unknown') ? r : undefined;
  } catch {
    return undefined;
  }
}

export async function check(options: CheckOptions = {}): Promise<{ result: Result; dir: string }> {
  const started = Date.now();
  let keptFrom = '';
  const root = studentRoot();
  const manifests = packExercises(options.exercises ?? []);
  const info = readPackInfo();
  const prepared = new Map<string, PreparedExercise>();
  for (const m of manifests) prepared.set(m.id, await prepareLocal(m, root));

  const ready = manifests.filter((m) => prepared.get(m.id)!.status === 'ready');
  const collector = new Collector();
  if (ready.length > 0) {
    const vitest = await startVitest(
      'test',
      ready.map((m) => `exercises/${m.id}/tests/public/`),
      {
        config: configFile,
        root: packRoot,
        run: true,
        watch: false,
        reporters: [new PackReporter({ log: false, summary: false }), collector],
      },
    );
    await vitest?.close();
  }

  const redactor = new Redactor();
  const exercises: ExerciseResult[] = manifests.map((m) => {
    const mine = collector.outcomes.get(m.id) ?? new Map<string, PropertyOutcome>();
    const errors = collector.errors.get(m.id) ?? [];
    const jobError = prepared.get(m.id)!.status === 'ready' && mine.size === 0 ? (errors[0] ?? 'the tests reported no result') : undefined;
    const scored = scoreExercise(m, prepared.get(m.id)!, mine, redactor, jobError);
    const gradedOnly = info?.exercises.find((e) => e.id === m.id)?.gradedOnly ?? [];
    return gradedOnly.length > 0 ? { ...scored, gradedOnly: [...gradedOnly] } : scored;
  });
  const manual = awaitingManual(manifests);
  const dir = resolve(options.out ?? join(packRoot, 'check'));
  // `npm run check -- ring` checks ring again and keeps the other exercises of the last report
  // (same kit; exercises of this pack), each in the pack's order, and says when they were checked.
  const kept: string[] = [];
  if ((options.exercises ?? []).length > 0) {
    const previous = previousResult(dir, info?.kit);
    if (previous) {
      const order = packExercises().map((m) => m.id);
      const checked = new Set(exercises.map((e) => e.id));
      for (const e of previous.exercises) {
        if (checked.has(e.id) || !order.includes(e.id)) continue;
        exercises.push(e);
        manual.push(...previous.manual.filter((i) => i.exercise === e.id));
        kept.push(e.id);
      }
      const rank = (id: string) => order.indexOf(id);
      exercises.sort((a, b) => rank(a.id) - rank(b.id));
      manual.sort((a, b) => rank(a.exercise ?? '') - rank(b.exercise ?? ''));
      if (kept.length > 0) keptFrom = previous.gradedAt;
    }
  }
  const all = [...manifests.map((m) => m.id), ...kept];
  const outcomes = [...collector.outcomes.values()].flatMap((m) => [...m.values()]);
  const ran = outcomes.find((o) => o.sandbox)?.sandbox;
  const publicPoints = exercises.reduce((a, e) => a + e.max, 0);
  const totalPoints = all.reduce((a, id) => a + (info?.exercises.find((e) => e.id === id)?.points.total ?? 0), 0);
  const warnings = [
    totalPoints > publicPoints
      ? `This is a local preview: only the public tests ran (${fmt(publicPoints)} of the ${fmt(totalPoints)} automated points). The grader also runs hidden tests, with your code in a sandbox.`
      : 'This is a local preview of the public tests. The grader runs the same tests with your code in a sandbox.',
  ];
  if (kept.length > 0) {
    warnings.push(
      `Only ${manifests.map((m) => m.id).join(', ')} ${manifests.length > 1 ? 'were' : 'was'} checked now; ${kept.join(', ')} ${kept.length > 1 ? 'are' : 'is'} as the check of ${keptFrom.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} found ${kept.length > 1 ? 'them' : 'it'} (npm run check checks every exercise again).`,
    );
  }
  for (const o of outcomes) {
    if (o.kernelFailure) warnings.push(`A test of ${o.exercise} ("${o.name}") stopped the kernel: ${o.failure?.observed ?? o.error ?? 'the kernel stopped'}`);
  }
  const files: Record<string, string> = {};
  for (const m of packExercises(all)) for (const f of m.files) if (existsSync(join(root, f))) files[f] = readFileSync(join(root, f), 'utf8');
  const result = Result.parse({
    student: 'local preview',
    kit: { version: info?.kit ?? 'unknown' },
    submission: {
      hash: sha256(
        JSON.stringify(
          Object.keys(files)
            .sort()
            .map((f) => [f, files[f]]),
        ),
      ),
    },
    gradedAt: new Date().toISOString(),
    durationMs: Date.now() - started,
    total: {
      score: exercises.reduce((a, e) => a + e.score, 0),
      max: publicPoints + manual.reduce((a, i) => a + i.max, 0),
      awaiting: manual.reduce((a, i) => a + i.max, 0),
    },
    exercises,
    manual,
    sandbox:
      ran?.level === 'bwrap' || ran?.level === 'fallback'
        ? { level: ran.level, description: ran.description }
        : { level: 'in-process', description: 'your own machine: your code ran inside the test process (the grader runs it in a sandbox)' },
    warnings,
    notes: [],
  });

  mkdirSync(dir, { recursive: true });
  const { html, md } = renderStudentReport(result);
  writeFileSync(join(dir, 'report.html'), html);
  writeFileSync(join(dir, 'report.md'), md);
  writeFileSync(join(dir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);

  if (!options.quiet) {
    const width = Math.max(...exercises.map((e) => e.id.length));
    const lines = ['', 'Marked preview (public tests):'];
    for (const e of exercises) {
      const total = info?.exercises.find((x) => x.id === e.id)?.points.total;
      const status =
        (e.status === 'graded' ? '' : e.status === 'missing' ? '   not found' : e.status === 'compile-error' ? '   does not compile' : '   could not be run') +
        (kept.includes(e.id) ? '   (from the earlier check: not run now)' : '');
      lines.push(`  ${e.id.padEnd(width)}   ${fmt(e.score)} / ${fmt(e.max)} public points${total !== undefined ? ` (of ${fmt(total)})` : ''}${status}`);
    }
    if (manual.length > 0) lines.push(`  marked by hand: ${fmt(manual.reduce((a, i) => a + i.max, 0))} points, awaiting marking (not counted as zero)`);
    const rel = relative(process.cwd(), dir) || '.';
    lines.push('', `Report: ${join(rel, 'report.html')} (open it in a browser) and ${join(rel, 'report.md')}`);
    console.log(lines.join('\n'));
  }
  return { result, dir };
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: { out: { type: 'string' }, quiet: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  check({ exercises: positionals, out: values.out, quiet: values.quiet }).then(
    () => {
      process.exitCode = 0;
    },
    (err: unknown) => {
      console.error(`check: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 2;
    },
  );
}
