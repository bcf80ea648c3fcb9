// The words of the student pack: its README, REFLECTION.md, settings.json and small config files.
import type { PackExercise } from './info.ts';

export interface ReadmeExercise extends PackExercise {
  /** The handout's path in the pack, if the exercise has one. */
  readonly handout?: string;
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

export function studentReadme(exercises: readonly ReadmeExercise[], kit: string): string {
  const first = exercises[0]?.id ?? 'ring';
  const rows = exercises.map((e, i) => {
    const title = e.handout ? `[${e.title}](${e.handout})` : e.title;
    return `| ${i + 1} | \`${e.id}\` | ${title} | ${e.files.map((f) => `\`${f}\``).join(', ')} | ${fmt(e.points.total)} (${fmt(e.points.public)} public) |`;
  });
  return `# Exercise 3: message passing — your pack

You will build message-passing programs — Erlang/Akka-style actors, let-it-crash supervision,
a Barrelfish-style multikernel — and say how easy the model was for you. This folder is
everything you need: the actor runtime (\`runtime/\`, its guide is
[\`runtime/README.md\`](runtime/README.md)), each exercise's handout, message protocol and public
tests (\`exercises/<id>/\`), and the files you write, which start as skeletons.

## Set up (two commands)

You need Node.js and npm. Install the current long-term support release, Node 24 (from
nodejs.org, or \`nvm install 24\`); Node 20.19 or newer in the 20 line, or 22.12 or newer, also
work. Check with \`node --version\`: it must print v24.x (or v20.19+ / v22.12+). In this folder:

\`\`\`sh
npm ci        # installs the exact tool versions the course uses (into node_modules/)
npm test      # runs the public tests of every exercise
\`\`\`

## The exercises

Do them in this order. Write your code in the files of the fourth column (they are already
here, as skeletons with TODOs); leave everything else as it is, since the grader uses its own copy.

| # | id | handout | your files | points |
| ---: | --- | --- | --- | --- |
${rows.join('\n')}

The public tests are a part of what the grader runs; it also runs hidden tests for the rest of
the points (the handouts say what they check). Some items, such as \`REFLECTION.md\`, are
marked by hand.

## Testing

\`\`\`sh
npm test -- ${first}                  # the public tests of one exercise
npm run test:watch -- ${first}        # the same, again whenever you save one of your files
SEED=4181 TEST_ID=${first}.some-test npm test -- ${first}   # replay one test (by its id) under one seed
\`\`\`

- Before any test runs, your files are type-checked, as the grader does: a syntax or type
  error is printed first, as \`${exercises[0]?.files[0] ?? 'ring/ring.ts'}:12:5  type error: …\`.
  A syntax error fails every test of that exercise; a type error costs nothing by itself,
  but it is usually a bug.
- A failing test prints, in plain words, the property that broke, what was observed, the
  seed, a one-line replay command, and the last messages before the failure as a sequence
  chart (\`t=1203  teller → acc-3  reserve {…}\`).
- Every test runs under a few fixed seeds. A seed fixes the order in which messages are
  delivered and the virtual clock, so a failure happens again, message for message, each
  time you replay it: copy the replay command, add \`console.log\`s or a breakpoint, run it.
  A test earns its points only if it passes under every seed. Here each test runs under the
  grader's seeds and a few more (a run on your machine is cheap, and a bug that shows only
  under some schedules shows here too).
- Passing every public test is not yet the mark: the grader also runs hidden tests.
  \`npm test\` and \`npm run check\` list them under "Also checked when graded", by group.
- Your code runs in a thread of its own; \`MP_KERNEL=in-process\` runs it in the test's own
  thread, for a debugger.
- On Windows (PowerShell), the report shows each replay in PowerShell's form:
  \`$env:SEED='4181'; $env:TEST_ID='${first}.some-test'; npm test -- ${first}\`; afterwards
  \`Remove-Item Env:SEED, Env:TEST_ID\`.
- Code stuck in a loop that never waits (a busy wait) is stopped by a watchdog after the
  exercise's command budget (2 s of CPU time), as in the grader, and the test says so.
  \`MP_KERNEL=process npm test\` runs your code in a separate process, exactly as the grader does.
- \`console.log\` works everywhere; each line says which process printed it and when, in
  virtual time: \`[desk t=120] got question q-1\`. (The grader does not keep what you print.)
- Your own tests: put them in a file ending in \`.mine.test.ts\` beside the public tests
  (\`exercises/${first}/tests/public/${first}.mine.test.ts\`), written like the public ones
  (\`exerciseTests(import.meta.url).property('${first}.my-idea', 'what it checks', async (t) => …)\`).
  \`npm test\` runs them and reports them on a line of their own; they never count for points,
  never go into \`progress.jsonl\`, and are not submitted. (Any other test file you add beside
  the public tests is treated the same way: \`pack.json\` lists the ones the pack shipped.)
- \`npm run lint\` checks your files with [Biome](https://biomejs.dev) (an unused variable, a
  \`switch\` case that falls through, \`==\` where \`===\` was meant…), with the rules the kit's
  own code follows; \`npm run format\` lays your files out in the kit's style. Lint never
  affects your marks. Biome's editor extension reads the same \`biome.json\`, so the editor
  underlines what \`npm run lint\` prints.

## See your marks before you submit

\`\`\`sh
npm run check              # or: npm run check -- ${first}
\`\`\`

runs the public tests and writes \`check/report.html\` (open it in a browser) and
\`check/report.md\`: the grader's own report, with the marks the public tests earn. Naming an
exercise checks that one again and keeps the others as the last check found them. It is
what your lecturer will see for that part; hidden tests and hand-marked items show as such.

## Reflection

Answer the questions in [\`REFLECTION.md\`](REFLECTION.md) as you go: about your own experience
of message passing in these exercises. It is marked by hand.

## Submit

\`\`\`sh
npm run submit
\`\`\`

writes **\`submission.zip\`** and lists what is in it: exactly the files the grader takes —
your files of each exercise, \`REFLECTION.md\`, and \`progress.jsonl\` (below) — and nothing
else. It warns you about a file that is missing, still the starter, or does not compile.
Hand in that one file.

## What is recorded, and how to switch it off

This exercise is also a small study: how easy is message passing for programmers who are not
(yet) experts? To help answer it, each \`npm test\` run adds a line to \`progress.jsonl\` in
this folder, for each exercise it ran:

\`\`\`json
{"v":1,"at":"2026-03-02T14:05:11.000Z","exercise":"${first}","passed":1,"failed":1,"skipped":0,"failedTests":["${first}.example"],"firstFailed":"${first}.example","runs":1}
\`\`\`

That is: the date and time the run ended (\`at\`), which exercise, how many public tests
passed, failed or were filtered out, which failed (the first one first), and how many runs in
a row had this same outcome (\`runs\`; when there are several, \`last\` is the time the latest
ended). Nothing else: no code, no test durations, no keystrokes, nothing about your machine.
The times do show when you ran the tests, so the span from your first run to your last is a
rough measure of your working time. \`npm run submit\` includes the file; your lecturer sees
it only summed over the class (runs until the public tests first all pass, the span of
working time from those times, the properties that failed first and longest). It has no
effect on your marks.

It is your choice. To switch it off, set \`"progressLog": false\` in \`settings.json\` (or set
the environment variable \`MP_PROGRESS_LOG=0\`); nothing is recorded then, and \`npm run submit\`
leaves the file out. You may also read, edit or delete \`progress.jsonl\` at any time.

## Layout

\`\`\`
README.md          this file
REFLECTION.md      your answers to the reflection questions
settings.json      the switch for progress.jsonl
biome.json         the lint rules of npm run lint (and of Biome's editor extension)
<exercise files>   your code (see the table above)
exercises/<id>/    handout (README.md), protocol.ts, manifest.json, public tests
runtime/           the actor runtime you program against
kernels/           the test harness and the simulated kernels your code runs in
grader/            the scripts behind npm test / check / submit, and the report templates
\`\`\`

Pack built from kit ${kit}.
`;
}

export const REFLECTION_MD = `# Reflection

Answer in your own words, from your own experience of these exercises: a few sentences to a
paragraph each. There are no right answers; concrete examples from your code (an exercise, a
bug, a sequence chart) are worth more than general statements. This file is marked by hand.

## 1. Easier or harder than locks?

Was message passing easier or harder than threads and locks would have been for these tasks?
For which exercise most, and why?

_Your answer:_

## 2. Where did it help?

Where did message passing help you: a design that fell into place, a bug that could not
happen, a property that was easy to test or to see in a sequence chart?

_Your answer:_

## 3. Where did it hurt?

Where did it get in your way: a deadlock (two processes waiting on each other), lost or
duplicated messages, a reply that never came, state spread over many processes, debugging?
How did you find and fix it?

_Your answer:_

## 4. Is shared-nothing a sensible extreme?

Barrelfish builds an operating system as a network of cores that share nothing and only
exchange messages. After the multikernel exercise: is shared-nothing a sensible extreme, for
an OS or for your own programs? What does it cost, and what does it buy?

_Your answer:_

## 5. Let it crash

How did "let it crash" (supervisors restarting failed processes) change the way you handled
errors, compared with catching every exception where it happens? Would you use it again?

_Your answer:_
`;

/**
 * REFLECTION.md, with a section per study pair in the pack (a manifest's "compare"): the same
 * task done two ways, compared with evidence from the student's own runs.
 */
export function reflectionMd(pairs: readonly { readonly a: string; readonly b: string; readonly question: string }[]): string {
  let text = REFLECTION_MD;
  pairs.forEach((p, i) => {
    text += `
## ${6 + i}. ${p.a} and ${p.b}, side by side

${p.question} Compare the two with evidence from your own runs, not impressions: your
\`progress.jsonl\` (how many test runs each took before everything public passed, which
test failed first and which failed longest), the failure reports you met (a deadlock's cycle,
a lost update, money not adding up), and the seeds you replayed. Where did each design put
the difficulty, and which one could you *convince yourself* was right?

_Your answer:_
`;
  });
  return text;
}

export function settingsJson(): string {
  return `${JSON.stringify(
    {
      progressLog: true,
      about:
        'progressLog: true adds one line of test outcomes per exercise to progress.jsonl at each npm test run (see README: "What is recorded"). Set it to false to record nothing.',
    },
    null,
    2,
  )}\n`;
}

export const GITIGNORE = `node_modules/
check/
submission.zip
`;

/** For editors: the pack's files, typed as the kit types them. */
export function tsconfig(include: readonly string[]): string {
  return `${JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        types: ['node'],
        strict: true,
        noEmit: true,
        allowImportingTsExtensions: true,
        verbatimModuleSyntax: true,
        isolatedModules: true,
        noImplicitOverride: true,
        skipLibCheck: true,
        resolveJsonModule: true,
      },
      include,
      exclude: ['node_modules', 'check'],
    },
    null,
    2,
  )}\n`;
}

/** The parts of the kit's biome.json a pack takes: its rules and its formatting. */
export interface BiomeConfig {
  readonly linter?: unknown;
  readonly formatter?: unknown;
  readonly javascript?: unknown;
}

/**
 * The pack's biome.json: the kit's lint rules and formatting, applied to the student's folders
 * only (the runtime and the pack's scripts are not theirs to fix). The Biome editor extension
 * reads the same file, so the editor and `npm run lint` agree.
 */
export function biomeJson(kit: BiomeConfig, studentFolders: readonly string[]): string {
  return `${JSON.stringify(
    {
      $schema: './node_modules/@biomejs/biome/configuration_schema.json',
      files: { includes: studentFolders.map((f) => `${f}/**`) },
      assist: { enabled: false },
      ...(kit.formatter === undefined ? {} : { formatter: kit.formatter }),
      ...(kit.javascript === undefined ? {} : { javascript: kit.javascript }),
      ...(kit.linter === undefined ? {} : { linter: kit.linter }),
    },
    null,
    2,
  )}\n`;
}

export const VITEST_CONFIG = `// The pack's test configuration lives with the pack's scripts.
export { default } from './grader/pack/tools/vitest.config.ts';
`;
