// The `grader` command: grade, merge, marks, doctor, selftest, pack, new, mutant, gradescope, study; each has --help. Every
// error a user can cause (a UserError: PackError, MarksError, MergeError, LockedError are
// ones) ends in one plain line and exit code 2; a crash of the grader itself in a message and
// exit code 1.
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { UserError } from './errors.ts';
import { gradeClass, type ExerciseChoice } from './grade.ts';
import { mergeReports } from './merge.ts';
import { progress } from './progress.ts';
import { ATTENTION_LABEL, type AttentionKind } from './report/attention.ts';
import { exploreText, selftest } from './selftest.ts';
import { GRADESCOPE_USAGE } from './gradescope/usage.ts';
import { isWithheld, Summary, type Result } from './result.ts';

const USAGE = `Usage: npx grader <command> [options]

Commands:
  grade <path>...           grade a class: reports per student, a class dashboard, grades.csv
  merge <dir>... --out DIR  combine the folders of a class graded in shards (--shard I/N)
  marks import <csv>        add hand marks (student,item,score,comment) to graded results
  doctor                    is this machine ready to grade? what to install
  selftest                  after editing tests: solutions full marks, mutants lose marks
  pack                      build the student pack (no hidden test, solution or mutant)
  new <id>                  scaffold a new exercise that selftest passes
  mutant <id> <mutant>      write a mutant out to edit (--out DIR), or its patch (--from DIR)
  gradescope                build the autograder zip for Gradescope
  study --out FILE          export the exercise pairs' evidence, one anonymised row per student

Run "npx grader <command> --help" for a command's options.`;

/** Each command's --help. */
const HELP: Record<string, string> = {
  study: `Usage: npx grader study [DIR] --out FILE [--salt KEY]

For the exercises that a manifest pairs as a comparison ("compare", e.g. bank and bank-locks):
one row per student and exercise of a graded class (DIR, default: reports), from the students'
consented progress logs and their marks. Columns: participant (a pseudonym), comparison,
exercise, runs and starter_runs (runs of their own code; runs of the untouched starter),
attempts_to_first_full_pass, working_span_hours, first_failed_test, longest_failed_test,
longest_failed_runs, hit_deadlock, hit_lost_update, hit_conservation_failure (1/0, from the
failure reports of their local runs), graded_status, graded_score, graded_max. No names, no
code: a participant is a keyed hash of the student id, with a random key unless --salt is given
(give the same key to match rows of two exports; keep it away from the data).

Options:
  --out FILE    the CSV to write (required)
  --salt KEY    the pseudonyms' key (default: a fresh random key, not stored)`,
  grade: `Usage: npx grader grade <path>... [options]

Grades every submission: a path is one submission (a folder, .zip or .tar.gz) or a folder
holding one per student (the entry's name is the student id). Writes, in the --out folder:
  students/<student>/report.html, report.md   the student's feedback
  students/<student>/result.json, results.json   the marks; Gradescope's file
  index.html   the class dashboard (who needs attention first)
  grades.csv, summary.json   for a gradebook; everything in one file
Before anyone, the reference solutions are graded the same way (the canary): if they do not
get full marks, nothing is written.

Options:
  --out DIR             output folder (default: reports)
  --exercise ID         grade this exercise (repeatable; default: the exercises whose files
                        the submissions hold, and the command says which)
  --jobs N              test runs at once (default: the number of cores)
  --force               grade again even submissions already graded with this kit
  --shard I/N           grade only the I-th of N parts of the class (merge them afterwards)
  --chunk N             at most N submissions in one test run (default 4; 1: one at a time)
  --no-canary           skip grading the reference solutions first
  --allow-weak-sandbox  grade even where the sandbox cannot close the network
  --quiet               no progress line

Exit status: 0 all graded; 2 a usage, canary or sandbox problem (nothing graded); 3 some
marks withheld because the grading machinery failed (a grading error, never a 0).`,
  merge: `Usage: npx grader merge <dir>... --out DIR [--partial]

Combines the output folders of a class graded in shards (grade --shard I/N) into one class
report in DIR, with every shard's hand marks (marks.json). Refuses, writing nothing, when the
folders are not the whole class: a shard missing or given twice, shards of different classes,
exercises or kit versions, a shard stopped before it finished.

Options:
  --out DIR     output folder (required)
  --partial     merge what is there anyway, with a warning for each problem`,
  marks: `Usage: npx grader marks import <csv> [--out DIR] [--dry-run]

Merges a lecturer's marks into the graded results in DIR (default: reports): the reports,
grades.csv and the Gradescope files. The CSV has the columns student, item, score, comment
(a header row names them; a few synonyms are understood). An item is "<exercise>.<item>" as
in result.json, or just the item or its title when unambiguous; an empty score un-marks it.
All or nothing: any problem is listed with its line and nothing is written. The marks are
kept in DIR/marks.json (the previous copy in marks.json.bak) and survive a regrade.

Options:
  --out DIR     the graded class (default: reports)
  --dry-run     check everything, write nothing`,
  doctor: `Usage: npx grader doctor [--exercise ID]... [--no-canary]

One screen on this machine's readiness: node, the sandbox level a class would get and why,
whether bubblewrap can run this node, the canary's result and time, and what to install.

Options:
  --exercise ID   run the canary for this exercise only (repeatable)
  --no-canary     skip grading the reference solutions`,
  selftest: `Usage: npx grader selftest [--exercise ID]... [--jobs N] [--explore N] [--sandboxed]

Checks the kit after its tests change: each reference solution gets full marks, each mutant
loses exactly the marks of its groups and fails the test meant for it under every manifest
seed, starters score nothing, handouts agree with the manifests. Prints a table; exits 1 on
any miss.

Options:
  --exercise ID   check this exercise only (repeatable)
  --jobs N        test runs at once (default: the number of cores)
  --explore N     also run everything under N seeds beyond the manifest's and print each
                  test's kill rate (a README footer for the handout)
  --sandboxed     run every submission in a sandboxed process kernel, as a class is graded
                  (default: worker-thread kernels, the same tests and watchdog at half the CPU)`,
  new: `Usage: npx grader new <id>

Scaffolds a new exercise in exercises/<id> that selftest passes: handout, protocol, manifest,
a public and a hidden test, a starter, a solution and a mutant. See exercises/AUTHORING.md.`,
  mutant: `Usage: npx grader mutant <exercise> <mutant> --out DIR
       npx grader mutant <exercise> <mutant> --from DIR

A mutant is exercises/<exercise>/mutants/<mutant>.patch: a unified diff against the reference
solution (solutions/<exercise>/), so the patch is the bug and the solution can change under it.
  --out DIR    writes the mutant as a whole submission into DIR (a new or empty folder): the
               solution with the patch applied, or the plain solution for a new mutant. Edit it.
  --from DIR   writes the patch from DIR: each file of the exercise that differs from the
               solution. Its header (the text before the diff) is the old patch's, or
               "<mutant>: <description>" from the manifest; say there what bug it plants.
Then list the mutant in the manifest (if new) and run npx grader selftest --exercise <exercise>.
See exercises/AUTHORING.md, "Mutants".`,
  gradescope: `Usage:
${GRADESCOPE_USAGE}`,
  pack: `Usage: npx grader pack [--out DIR] [--zip] [--exercise ID]...

Builds the student pack in DIR (default: student-pack): the runtime, handouts, protocols,
public tests, starters, README.md and REFLECTION.md, with npm test / check / submit. No
hidden test, solution or mutant (checked). --zip also writes DIR.zip.`,
};

class UsageError extends Error {}

/** Filesystem errors caused by a path on the command line (a missing file, a folder that is a file…). */
const USER_FS_ERRORS = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'EEXIST', 'EROFS', 'ENOSPC']);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    console.log(topic !== undefined && topic in HELP ? HELP[topic] : USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command in HELP && (rest.includes('--help') || rest.includes('-h'))) {
    console.log(HELP[command]);
    return 0;
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
    case 'mutant':
      return mutant(rest);
    case 'gradescope':
      return (await import('./gradescope/cli.ts')).gradescope(rest);
    case 'study':
      return study(rest);
    default:
      throw new UsageError(`unknown command "${command}" (the commands: grade, merge, marks, doctor, selftest, pack, new, mutant, gradescope, study)`);
  }
}

/** The command being parsed, for the usage hint after a mistake. */
let current = '';

function parse(args: string[], options: NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument starting with a '-'.*$/s, ''));
  }
}

async function grade(args: string[]): Promise<number> {
  current = 'grade';
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
  // Grading errors first, loudly: a lecturer must not publish those rows.
  printGradingErrors(summary.results);
  console.log(exercisesLine(summary.exercises));
  for (const s of summary.skipped) console.error(`not graded: ${relative(process.cwd(), s.path) || s.path}: ${s.reason}`);
  printTable(summary.results);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`\n${summary.results.length} submissions (${summary.graded} graded, ${summary.cached} already graded) in ${seconds} s`);
  printAttention(summary.index);
  console.log(`Class dashboard: ${summary.index}`);
  if (summary.gradingErrors.length > 0) {
    console.error(
      `\ngrader: GRADING ERRORS: the marks of ${summary.gradingErrors.length} student(s) are withheld (${summary.gradingErrors.join(', ')}); fix the cause and run the same command again.`,
    );
    return 3;
  }
  return 0;
}

/** Which exercises were graded, and why those: a lecturer who named none must see what was chosen. */
function exercisesLine(choice: ExerciseChoice): string {
  if (!choice.inferred) return `Exercise${choice.ids.length > 1 ? 's' : ''}: ${choice.ids.join(', ')}`;
  const found = Object.entries(choice.found).filter(([, n]) => n > 0);
  if (found.length === 0) return `No --exercise given, and no submission holds a file of any exercise: graded against all of them (${choice.ids.join(', ')}).`;
  const left = Object.entries(choice.found)
    .filter(([, n]) => n === 0)
    .map(([id]) => id);
  return (
    `No --exercise given: grading ${found.map(([id, n]) => `${id} (its files are in ${n} of ${choice.submissions} submissions)`).join(', ')}` +
    (left.length > 0 ? `; not ${left.join(', ')} (no submission holds their files). Name exercises with --exercise to choose.` : '.')
  );
}

/** "Who needs help?" in the terminal: the dashboard's list, from summary.json. */
function printAttention(index: string): void {
  let summary: Summary;
  try {
    summary = Summary.parse(JSON.parse(readFileSync(join(dirname(index), 'summary.json'), 'utf8')));
  } catch {
    return;
  }
  if (summary.duplicates.length > 0) {
    console.log(`\nSubmissions not graded (a second one for the same student):`);
    for (const d of summary.duplicates) for (const n of d.notes) console.log(`  ${d.student}: ${n}`);
  }
  if (summary.attention.length === 0) return;
  console.log(`\nNeeds attention (${summary.attention.length}):`);
  const width = Math.min(24, Math.max(...summary.attention.map((a) => a.student.length)));
  for (const a of summary.attention) {
    const [first, ...rest] = a.reasons;
    console.log(`  ${a.student.padEnd(width)}  ${label(first!)}`);
    for (const r of rest) console.log(`  ${' '.repeat(width)}  ${label(r)}`);
  }
  console.log('');
}

function label(r: { kind: string; text: string }): string {
  const text = r.text.length > 110 ? `${r.text.slice(0, 109)}…` : r.text;
  return `${ATTENTION_LABEL[r.kind as AttentionKind] ?? r.kind}: ${text}`;
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
  current = 'merge';
  const { values, positionals } = parse(args, { out: { type: 'string' }, partial: { type: 'boolean', default: false } });
  if (positionals.length === 0) throw new UsageError('merge needs the output folders of the shards');
  if (!values.out) throw new UsageError('merge needs --out DIR');
  const { results, index, conflicts } = await mergeReports(positionals, values.out as string, { partial: values.partial as boolean });
  for (const c of conflicts) console.error(`warning: ${c}`);
  printTable(results);
  console.log(`\nMerged ${results.length} submissions.`);
  printAttention(index);
  console.log(`Class dashboard: ${index}`);
  return 0;
}

async function study(args: string[]): Promise<number> {
  current = 'study';
  const { values, positionals } = parse(args, { out: { type: 'string' }, salt: { type: 'string' } });
  if (!values.out) throw new UsageError('study needs --out FILE (the CSV to write)');
  if (positionals.length > 1) throw new UsageError('study takes one graded class folder (default: reports)');
  const dir = positionals[0] ?? 'reports';
  const { readAll } = await import('./outputs.ts');
  const { comparisons, renderStudyCsv, randomSalt, studyRows } = await import('./study/study.ts');
  const { writeAtomic } = await import('./write-atomic.ts');
  const results = await readAll(dir);
  if (results.length === 0) throw new UserError(`${dir} holds no graded class (no students/*/result.json): grade it first, or name the folder`);
  const pairs = comparisons();
  if (pairs.length === 0) throw new UserError('no manifest pairs two exercises ("compare"): nothing to export');
  const rows = await studyRows(dir, results, { salt: (values.salt as string | undefined) ?? randomSalt(), pairs });
  await writeAtomic(values.out as string, renderStudyCsv(rows));
  const withLog = rows.filter((r) => r.evidence !== undefined).length;
  console.log(`Wrote ${rows.length} rows (${withLog} with a progress log) for ${pairs.map((p) => p.id).join(', ')} to ${values.out as string}.`);
  return 0;
}

async function runSelftest(args: string[]): Promise<number> {
  current = 'selftest';
  const { values } = parse(args, {
    exercise: { type: 'string', multiple: true },
    jobs: { type: 'string' },
    explore: { type: 'string' },
    sandboxed: { type: 'boolean', default: false },
  });
  const jobs = values.jobs === undefined ? undefined : positiveInt('--jobs', values.jobs as string);
  const explore = values.explore === undefined ? undefined : positiveInt('--explore', values.explore as string);
  const report = await selftest({
    exercises: values.exercise as string[] | undefined,
    jobs,
    explore,
    sandboxed: values.sandboxed as boolean,
    progress: progress(process.stderr),
  });
  for (const e of report.explored) console.log(`${exploreText(e)}\n\nREADME footer:\n${e.markdown}\n`);
  console.log(report.table);
  const flagged = report.warnings > 0 ? ` (${report.warnings} flagged with !)` : '';
  console.log(report.ok ? `\nselftest passed${flagged}` : `\nselftest FAILED: ${report.misses} miss(es)${flagged}`);
  return report.ok ? 0 : 1;
}

async function scaffold(args: string[]): Promise<number> {
  current = 'new';
  const { positionals } = parse(args, {});
  if (positionals.length !== 1) throw new UsageError('new needs exactly one exercise id, e.g. npx grader new echo');
  const { scaffoldExercise } = await import('./scaffold/scaffold.ts');
  const made = await scaffoldExercise(positionals[0]!);
  for (const f of made.files) console.log(`created ${f}`);
  console.log(`\nNext: npx grader selftest --exercise ${made.id}   (then read exercises/AUTHORING.md)`);
  return 0;
}

async function mutant(args: string[]): Promise<number> {
  current = 'mutant';
  const { values, positionals } = parse(args, { out: { type: 'string' }, from: { type: 'string' } });
  if (positionals.length !== 2)
    throw new UsageError('mutant needs an exercise id and a mutant id, e.g. npx grader mutant ring late-timeout --out /tmp/late-timeout');
  const outDir = values.out as string | undefined;
  const fromDir = values.from as string | undefined;
  if ((outDir === undefined) === (fromDir === undefined))
    throw new UsageError('mutant needs exactly one of --out DIR (write it out to edit) and --from DIR (write its patch)');
  const [exercise, id] = positionals as [string, string];
  const { existsSync, readdirSync, readFileSync: read, writeFileSync } = await import('node:fs');
  const { exerciseDir, listExercises, loadManifest } = await import('../kernels/harness/manifest.ts');
  const { makeMutantPatch, MutantPatchError, patchFile, patchHeader, writeMutant, writeSolution } = await import('./mutants.ts');
  if (!listExercises().includes(exercise)) throw new UserError(`no exercise "${exercise}" (the exercises: ${listExercises().join(', ')})`);
  if (!/^[a-z][a-z0-9-]*$/.test(id)) throw new UserError(`"${id}" cannot be a mutant id: use lower-case letters, digits and dashes, starting with a letter`);
  const dir = exerciseDir(exercise);
  const m = loadManifest(dir);
  const patch = join(dir, patchFile(id));
  const listed = m.mutants.find((mu) => mu.id === id);
  if (outDir !== undefined) {
    const out = outDir;
    if (existsSync(out) && readdirSync(out).length > 0) throw new UserError(`${out} is not empty: give a new or empty folder`);
    if (existsSync(patch)) {
      try {
        const files = await writeMutant(exercise, id, out);
        console.log(`wrote mutant ${exercise}/${id} to ${out} (the solution with ${files.join(', ')} changed by its patch)`);
      } catch (e) {
        if (e instanceof MutantPatchError) throw new UserError(e.message);
        throw e;
      }
    } else {
      await writeSolution(exercise, out);
      console.log(
        `no exercises/${exercise}/${patchFile(id)} yet: wrote the solution to ${out}; plant the bug there, then: npx grader mutant ${exercise} ${id} --from ${out}`,
      );
    }
    return 0;
  }
  const from = fromDir!;
  if (!existsSync(from)) throw new UserError(`${from} does not exist`);
  const header = existsSync(patch) ? patchHeader(read(patch, 'utf8')) : `${id}: ${listed?.description ?? 'say here what bug this mutant plants'}`;
  const text = makeMutantPatch(m, from, header);
  if (!/^--- /m.test(text)) throw new UserError(`the files of ${exercise} in ${from} (${m.files.join(', ')}) are the solution's: no bug to make a patch of`);
  writeFileSync(patch, text);
  console.log(`wrote exercises/${exercise}/${patchFile(id)} (${text.split('\n').length - 1} lines)`);
  if (!listed) console.log(`now list it in exercises/${exercise}/manifest.json: { "id": "${id}", "description": "…", "loses": […], "test": "…" }`);
  console.log(`then: npx grader selftest --exercise ${exercise}`);
  return 0;
}

async function pack(args: string[]): Promise<number> {
  current = 'pack';
  const { values, positionals } = parse(args, {
    out: { type: 'string', default: 'student-pack' },
    zip: { type: 'boolean', default: false },
    exercise: { type: 'string', multiple: true },
  });
  if (positionals.length > 0) throw new UsageError(`pack takes no paths (got "${positionals[0]}"); use --out DIR`);
  const { buildPack } = await import('./pack/build.ts');
  const built = await buildPack({ out: values.out as string, zip: values.zip as boolean, exercises: values.exercise as string[] | undefined });
  for (const w of built.warnings) console.error(`warning: ${w}`);
  console.log(
    `Student pack: ${relative(process.cwd(), built.dir) || built.dir} (${built.files.length} files; exercises: ${built.exercises.map((e) => e.id).join(', ')})`,
  );
  if (built.zip) console.log(`Zipped: ${relative(process.cwd(), built.zip) || built.zip}`);
  console.log('Students run: npm ci && npm test');
  return 0;
}

async function marks(args: string[]): Promise<number> {
  current = 'marks';
  const [sub, ...rest] = args;
  if (sub !== 'import')
    throw new UsageError(sub === undefined ? 'marks needs a subcommand: marks import <csv>' : `unknown marks subcommand "${sub}" (try: marks import <csv>)`);
  const { values, positionals } = parse(rest, { out: { type: 'string', default: 'reports' }, 'dry-run': { type: 'boolean', default: false } });
  if (positionals.length !== 1) throw new UsageError('marks import needs exactly one CSV file');
  const { importMarks } = await import('./marks/marks.ts');
  const summary = await importMarks({ csv: positionals[0]!, out: values.out as string, dryRun: values['dry-run'] as boolean });
  const verb = values['dry-run'] ? 'would import' : 'imported';
  console.log(
    `${verb} ${summary.imported} mark${summary.imported === 1 ? '' : 's'} for ${summary.students.length} student${summary.students.length === 1 ? '' : 's'}`,
  );
  if (summary.stillAwaiting.length > 0) console.log(`still awaiting marking (not counted as zero): ${summary.stillAwaiting.join(', ')}`);
  return 0;
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a whole number ≥ 1, got "${value}"`);
  return n;
}

const STATUS = { missing: 'not submitted', unreadable: 'could not read', 'compile-error': 'does not compile', error: 'grading error' } as const;

function printTable(results: readonly Result[]): void {
  if (results.length === 0) {
    console.log('No submissions found.');
    return;
  }
  const ids = results[0]!.exercises.map((e) => e.id);
  const header = ['student', ...ids, 'total'];
  const rows = results.map((r) => [
    r.student,
    ...r.exercises.map((e) => (e.status === 'graded' ? `${fmt(e.score)}/${fmt(e.max)}` : STATUS[e.status])),
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
      if (err instanceof UsageError) console.error(`Run "npx grader ${current && current in HELP ? `${current} --help` : '--help'}" for usage.`);
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
