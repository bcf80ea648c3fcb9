// Regenerates the study demo class (examples/study/class/<student>/): real attempts at the two banks,
// run in a real student pack, so that each student's progress.jsonl is what the pack's
// reporter wrote, not invented numbers.
//
//   npx tsx examples/study/generate.ts           (about 10 minutes on 2 cores)
//
// Each demo student works through a sequence of versions of their files: the untouched
// starter, then realistic wrong versions (the exercises' mutants: bugs students write), then
// a working one (or not). Each version is saved into the pack and `npm test -- <exercise>` is
// run there, exactly as a student would. The last version of each file and the log are copied
// to examples/study/class/<student>/; grade them with
//
//   npx grader grade examples/study/class --exercise bank --exercise bank-locks --out reports/study
//   npx grader study reports/study --out reports/study/study.csv
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mutantFile } from '../../grader/mutants.ts';
import { buildPack } from '../../grader/pack/build.ts';

const kit = fileURLToPath(new URL('../..', import.meta.url));
const here = fileURLToPath(new URL('.', import.meta.url));

/** A version of the student's file: the starter, a mutant (a realistic bug), or a reference solution. */
type Version = 'starter' | 'solution' | `mutant:${string}` | `alternative:${string}`;

const FILE: Record<string, string> = { bank: 'bank/bank.ts', 'bank-locks': 'bank-locks/bank.ts' };

/** Who does what, in the order they did it. */
const PLANS: Record<string, [exercise: string, versions: Version[]][]> = {
  ana: [
    ['bank', ['starter', 'mutant:debit-first', 'solution']],
    ['bank-locks', ['starter', 'mutant:source-first', 'mutant:check-outside', 'solution']],
  ],
  ben: [
    ['bank-locks', ['starter', 'mutant:read-outside', 'mutant:unlock-one-path', 'solution']],
    ['bank', ['starter', 'mutant:blocking-ask', 'mutant:no-retry', 'solution']],
  ],
  chloe: [
    ['bank', ['starter', 'mutant:sloppy-audit', 'solution']],
    ['bank-locks', ['starter', 'mutant:audit-unordered', 'alternative:fine-grained']],
  ],
  dev: [
    ['bank', ['starter', 'mutant:debit-on-commit', 'mutant:two-replies']],
    ['bank-locks', ['starter', 'mutant:check-outside', 'mutant:if-wait']],
  ],
};

/** The text of a version of the student's file (a mutant: the solution with its patch applied). */
function source(exercise: string, v: Version): string {
  if (v.startsWith('mutant:')) return mutantFile(exercise, v.slice('mutant:'.length), FILE[exercise]!);
  if (v === 'starter') return readFileSync(join(kit, 'starter', exercise, FILE[exercise]!), 'utf8');
  if (v === 'solution') return readFileSync(join(kit, 'solutions', exercise, FILE[exercise]!), 'utf8');
  return readFileSync(join(kit, 'solutions', exercise, 'alternatives', v.slice('alternative:'.length), FILE[exercise]!), 'utf8');
}

const work = mkdtempSync(join(tmpdir(), 'mp-study-demo-'));
try {
  const pack = join(work, 'pack');
  await buildPack({ out: pack, exercises: ['bank', 'bank-locks'] });
  symlinkSync(join(kit, 'node_modules'), join(pack, 'node_modules'), 'dir');
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(VITEST|MP_|TEST_ID$|SEED$|NODE_ENV$)/.test(k)) env[k] = v;
  env.NO_COLOR = '1';
  env.CI = '1';
  for (const [student, plan] of Object.entries(PLANS)) {
    // A fresh start: the starters, no log.
    for (const ex of Object.keys(FILE)) copyFileSync(join(kit, 'starter', ex, FILE[ex]!), join(pack, FILE[ex]!));
    rmSync(join(pack, 'progress.jsonl'), { force: true });
    for (const [exercise, versions] of plan) {
      for (const v of versions) {
        // The kit's labels of a mutant are not the student's: leave them out.
        const text = source(exercise, v)
          .split('\n')
          .filter((l) => !/^\/\/ (MUTANT|Reference solution for the .* with one mistake)/.test(l))
          .join('\n');
        writeFileSync(join(pack, FILE[exercise]!), text);
        let out = '';
        try {
          out = execFileSync('npm', ['test', '--', exercise], {
            cwd: pack,
            env,
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
            maxBuffer: 64 * 1024 * 1024,
          });
        } catch (err) {
          out = String((err as { stdout?: string }).stdout ?? '');
        }
        const summary = out.split('\n').find((l) => l.trim().startsWith(`${exercise} `)) ?? '(no summary line)';
        console.log(`${student.padEnd(6)} ${exercise.padEnd(11)} ${v.padEnd(26)} ${summary.trim()}`);
      }
    }
    const dest = join(here, 'class', student);
    rmSync(dest, { recursive: true, force: true });
    for (const ex of Object.keys(FILE)) {
      const from = join(pack, FILE[ex]!);
      mkdirSync(dirname(join(dest, FILE[ex]!)), { recursive: true });
      copyFileSync(from, join(dest, FILE[ex]!));
    }
    if (existsSync(join(pack, 'progress.jsonl'))) writeFileSync(join(dest, 'progress.jsonl'), readFileSync(join(pack, 'progress.jsonl')));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
