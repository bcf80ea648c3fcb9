// The `grader` command: grade, merge, selftest, pack, marks, doctor, new, gradescope. Every error a user can cause
// (a UserError: PackError and MarksError are ones) ends in one plain line and exit code 2; a
// crash of the grader itself in a message and exit code 1.
import { parseArgs } from 'node:util';
import { relative } from 'node:path';
import { UserError } from './errors.ts';
import { GRADESCOPE_USAGE } from './gradescope/usage.ts';
import { gradeClass } from './grade.ts';
import { mergeReports } from './merge.ts';
import { progress } from './progress.ts';
import { exploreText, selftest } from './selftest.ts';
import { isWithheld, type Result } from './result.ts';

const USAGE = `Usage:
  npx grader grade <path>... [--out DIR] [--exercise ID]... [--jobs N] [--force] [--shard I/N]
                   [--no-canary] [--allow-weak-sandbox]
      A path is one submission (a folder, .zip or .tar.gz) or a folder holding one per student
      (the entry's name is the student id). Writes DIR/students/<student>/report.html,
      report.md, result.json, results.json (Gradescope), and DIR/index.html, grades.csv,
      summary.json. Default --out reports. Already graded submissions (same files, same kit)
      are skipped unless --force. First grades the reference solutions (the canary) and
      stops if they do not get full marks (--no-canary skips that). Refuses a sandbox that
      leaves the network open unless --allow-weak-sandbox. Exit 3 when some student's marks
      are withheld because the grading machinery failed (a grading error, never a 0).
  npx grader doctor
      One screen on this host's readiness: node, the sandbox level and why, whether
      bubblewrap can run this node, the canary's result and time per submission, and what
      to install or change.
  npx grader merge <dir>... --out DIR
      Combines the outputs of sharded runs into one class report.
  npx grader selftest [--exercise ID]... [--explore N]
      Reference solutions get full marks, every mutant loses exactly its groups' marks and
      fails the test meant for it under every manifest seed, starters score nothing, handouts
      agree with the manifests. Prints a table; exits non-zero on any miss. --explore N also
      runs everything under N seeds beyond the manifest's and prints kill rates per test.
  npx grader new <id>
      Scaffolds a new exercise that selftest passes: handout, protocol, manifest, a public and
      a hidden test, a starter, a solution and a mutant. See exercises/AUTHORING.md.
  npx grader pack [--out DIR] [--zip] [--exercise ID]...
      Builds the student pack in DIR (default student-pack): runtime, handouts, protocols,
      public tests, starters, README.md, REFLECTION.md; npm test / check / submit. No hidden
      test, solution or mutant (checked). --zip also writes DIR.zip.
  npx grader marks import <csv> [--out DIR] [--dry-run]
      Merges a lecturer's marks (columns student, item, score, comment) into the results in
      DIR (default reports): reports, grades.csv, Gradescope files. All or nothing.
${GRADESCOPE_USAGE}`;

class UsageError extends Error {}

/** Filesystem errors caused by a path on the command line (a missing file, a folder that is a file…). */
const USER_FS_ERRORS = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'EEXIST', 'EROFS', 'ENOSPC']);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  switch (command) {
    case 'grade':
      return grade(rest);
    case 'merge':
      return merge(rest);
    case 'selftest':
      return runSelftest(rest);
    case 'pack':
      return pack(rest);
    case 'marks':
      return marks(rest);
    case 'doctor':
      return (await import('./doctor.ts')).doctor(rest);
    case 'new':
      return scaffold(rest);
    case 'gradescope':
      return (await import('./gradescope/cli.ts')).gradescope(rest);
    default:
      throw new UsageError(`unknown command "${command}" (try: grade, merge, selftest, pack, marks, doctor, new, gradescope)`);
  }
}

function parse(args: string[], options: NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

async function grade(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    out: { type: 'string', default: 'reports' },
    exercise: { type: 'string', multiple: true },
    jobs: { type: 'string' },
    force: { type: 'boolean', default: false },
    shard: { type: 'string' },
    chunk: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    'no-canary': { type: 'boolean', default: false },
    'allow-weak-sandbox': { type: 'boolean', default: false },
  });
  if (positionals.length === 0) throw new UsageError('grade needs at least one path: a submission, or a folder of submissions');
  const jobs = values.jobs === undefined ? undefined : positiveInt('--jobs', values.jobs as string);
  const chunk = values.chunk === undefined ? undefined : positiveInt('--chunk', values.chunk as string);
  let shard: { index: number; count: number } | undefined;
  if (values.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(values.shard as string);
    if (!m || Number(m[2]) < 1 || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) {
      throw new UsageError(`--shard must look like I/N with 1 ≤ I ≤ N (e.g. --shard 1/4), got "${values.shard}"`);
    }
    shard = { index: Number(m[1]) - 1, count: Number(m[2]) };
  }
  const started = Date.now();
  const summary = await gradeClass({
    paths: positionals,
    out: values.out as string,
    exercises: values.exercise as string[] | undefined,
    jobs,
    chunk,
    force: values.force as boolean,
    shard,
    prefer: process.env.KERNEL_SANDBOX === 'fallback' ? 'fallback' : 'auto',
    canary: !values['no-canary'],
    allowWeakSandbox: values['allow-weak-sandbox'] as boolean,
    progress: progress(process.stderr, values.quiet as boolean),
  });
  for (const s of summary.skipped) console.error(`skipped ${s.path}: ${s.reason}`);
  printGradingErrors(summary.results);
  printTable(summary.results);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`\n${summary.results.length} submissions (${summary.graded} graded, ${summary.cached} already graded) in ${seconds} s`);
  console.log(`Class dashboard: ${relative(process.cwd(), summary.index) || summary.index}`);
  if (summary.gradingErrors.length > 0) {
    console.error(`\ngrader: GRADING ERRORS: the marks of ${summary.gradingErrors.length} student(s) are withheld (${summary.gradingErrors.join(', ')}); fix the cause and run the same command again.`);
    return 3;
  }
  return 0;
}

/** Grading errors first, loudly: a lecturer must not publish those rows. */
function printGradingErrors(results: readonly Result[]): void {
  const failed = results.filter(isWithheld);
  if (failed.length === 0) return;
  console.log(`GRADING ERRORS: marks withheld (not zero) for ${failed.length} student(s):`);
  for (const r of failed) {
    const e = r.exercises.find((x) => x.status === 'error')!;
    console.log(`  ${r.student} (${e.id}): ${e.reason ?? 'the grading machinery failed'}`);
  }
  console.log('');
}

async function merge(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { out: { type: 'string' } });
  if (positionals.length === 0) throw new UsageError('merge needs the output folders of the shards');
  if (!values.out) throw new UsageError('merge needs --out DIR');
  const { results, index, conflicts } = await mergeReports(positionals, values.out as string);
  for (const c of conflicts) console.error(`warning: ${c}`);
  printTable(results);
  console.log(`\nMerged ${results.length} submissions. Class dashboard: ${relative(process.cwd(), index) || index}`);
  return 0;
}

async function runSelftest(args: string[]): Promise<number> {
  const { values } = parse(args, { exercise: { type: 'string', multiple: true }, jobs: { type: 'string' }, explore: { type: 'string' } });
  const jobs = values.jobs === undefined ? undefined : positiveInt('--jobs', values.jobs as string);
  const explore = values.explore === undefined ? undefined : positiveInt('--explore', values.explore as string);
  const report = await selftest({ exercises: values.exercise as string[] | undefined, jobs, explore, progress: progress(process.stderr) });
  for (const e of report.explored) console.log(`${exploreText(e)}\n\nREADME footer:\n${e.markdown}\n`);
  console.log(report.table);
  const flagged = report.warnings > 0 ? ` (${report.warnings} flagged with !)` : '';
  console.log(report.ok ? `\nselftest passed${flagged}` : `\nselftest FAILED: ${report.misses} miss(es)${flagged}`);
  return report.ok ? 0 : 1;
}

async function pack(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { out: { type: 'string', default: 'student-pack' }, zip: { type: 'boolean', default: false }, exercise: { type: 'string', multiple: true } });
  if (positionals.length > 0) throw new UsageError(`pack takes no paths (got "${positionals[0]}"); use --out DIR`);
  const { buildPack } = await import('./pack/build.ts');
  const built = await buildPack({ out: values.out as string, zip: values.zip as boolean, exercises: values.exercise as string[] | undefined });
  for (const w of built.warnings) console.error(`warning: ${w}`);
  console.log(`Student pack: ${relative(process.cwd(), built.dir) || built.dir} (${built.files.length} files; exercises: ${built.exercises.map((e) => e.id).join(', ')})`);
  if (built.zip) console.log(`Zipped: ${relative(process.cwd(), built.zip) || built.zip}`);
  console.log('Students run: npm ci && npm test');
  return 0;
}

async function marks(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'import') throw new UsageError(sub === undefined ? 'marks needs a subcommand: marks import <csv>' : `unknown marks subcommand "${sub}" (try: marks import <csv>)`);
  const { values, positionals } = parse(rest, { out: { type: 'string', default: 'reports' }, 'dry-run': { type: 'boolean', default: false } });
  if (positionals.length !== 1) throw new UsageError('marks import needs exactly one CSV file');
  const { importMarks } = await import('./marks/marks.ts');
  const summary = await importMarks({ csv: positionals[0]!, out: values.out as string, dryRun: values['dry-run'] as boolean });
  const verb = values['dry-run'] ? 'would import' : 'imported';
  console.log(`${verb} ${summary.imported} mark${summary.imported === 1 ? '' : 's'} for ${summary.students.length} student${summary.students.length === 1 ? '' : 's'}`);
  if (summary.stillAwaiting.length > 0) console.log(`still awaiting marking (not counted as zero): ${summary.stillAwaiting.join(', ')}`);
  return 0;
}

async function scaffold(args: string[]): Promise<number> {
  const { positionals } = parse(args, {});
  if (positionals.length !== 1) throw new UsageError('new needs exactly one exercise id, e.g. npx grader new echo');
  const { scaffoldExercise } = await import('./scaffold/scaffold.ts');
  const made = await scaffoldExercise(positionals[0]!);
  for (const f of made.files) console.log(`created ${f}`);
  console.log(`\nNext: npx grader selftest --exercise ${made.id}   (then read exercises/AUTHORING.md)`);
  return 0;
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a whole number ≥ 1, got "${value}"`);
  return n;
}

function printTable(results: readonly Result[]): void {
  if (results.length === 0) {
    console.log('No submissions found.');
    return;
  }
  const ids = results[0]!.exercises.map((e) => e.id);
  const header = ['student', ...ids, 'total'];
  const rows = results.map((r) => [
    r.student,
    ...r.exercises.map((e) => (e.status === 'graded' ? `${fmt(e.score)}/${fmt(e.max)}` : e.status === 'error' ? 'grading error' : e.status)),
    isWithheld(r) ? 'withheld' : `${fmt(r.total.score)}/${fmt(r.total.max)}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    if (err instanceof UsageError || err instanceof UserError || (err as Error)?.name === 'ManifestError') {
      console.error(`grader: ${(err as Error).message}`);
      if (err instanceof UsageError) console.error('Run "npx grader --help" for usage.');
      process.exitCode = 2;
    } else if (USER_FS_ERRORS.has((err as NodeJS.ErrnoException)?.code ?? '')) {
      // A path the user gave that cannot be read or written: their mistake, said in one line.
      console.error(`grader: ${(err as Error).message.replace(/^E[A-Z]+: /, '')}`);
      process.exitCode = 2;
    } else {
      console.error(`grader: internal error: ${(err as Error)?.stack ?? String(err)}`);
      process.exitCode = 1;
    }
  },
);
