// The workflow the student pack carries (.github/workflows/classroom.yml). On every push it
// installs the pack, runs `npm run check` (the public tests, scored by the grader's own
// scoring) and puts the marked preview (check/report.md) in the job's summary. Used as a
// GitHub Classroom template, the same job gives Classroom its autograding points: one step of
// Classroom's command grader per public test, worth that test's points, passing when the
// preview says the test passed, then Classroom's reporter. Classroom finds the points on the
// check run of the job named `run-autograding-tests`, so that is the job's name.
// These are the public tests' points only: the grader's hidden tests and hand marking come
// from the lecturer.

export interface WorkflowTest {
  readonly id: string;
  readonly name: string;
  readonly points: number;
}

export interface WorkflowExercise {
  readonly id: string;
  readonly title: string;
  readonly tests: readonly WorkflowTest[];
}

export const STUDENT_WORKFLOW_PATH = '.github/workflows/classroom.yml';

/** The Node the workflow installs: the current LTS line, as the student README asks for. */
export const STUDENT_NODE = '24';

/** A YAML scalar that is exactly `s` (JSON strings are YAML double-quoted scalars). */
const q = (s: string) => JSON.stringify(s);

/** Classroom's step ids become environment names (`<ID>_RESULTS`): letters and digits only. */
export function runnerId(exercise: string, index: number): string {
  return `${exercise.replace(/[^a-z0-9]/gi, '')}${index + 1}`;
}

/** Passes when check/result.json (written by `npm run check`) says test `id` passed. */
export function passedCommand(id: string): string {
  const script =
    'let r;try{r=require("./check/result.json")}catch{process.exit(1)}' +
    'const t=r.exercises.flatMap((e)=>e.tests).find((t)=>t.id===process.argv[1]);process.exit(t&&t.status==="passed"?0:1)';
  return `node --input-type=commonjs -e '${script}' ${id}`;
}

export function studentWorkflow(exercises: readonly WorkflowExercise[]): string {
  const graders: string[] = [];
  const runners: string[] = [];
  for (const ex of exercises) {
    ex.tests.forEach((t, i) => {
      if (!Number.isInteger(t.points) || t.points < 0)
        throw new Error(`${t.id}: Classroom's command grader counts whole points only, the manifest gives ${t.points}`);
      if (!/^[a-z0-9][a-z0-9.-]*$/.test(t.id)) throw new Error(`${t.id}: a test id must be lower-case letters, digits, dots and dashes`);
      const runner = runnerId(ex.id, i);
      runners.push(runner);
      graders.push(
        `      - name: ${q(`${ex.id}: ${t.name}`)}
        id: ${runner}
        if: always()
        uses: education/autograding-command-grader@v1
        with:
          test-name: ${q(`${ex.id}: ${t.name}`)}
          command: ${q(passedCommand(t.id))}
          timeout: 1
          max-score: ${t.points}`,
      );
    });
  }
  const env = runners.map((r) => `          ${r.toUpperCase()}_RESULTS: "\${{ steps.${r}.outputs.result }}"`);
  return `# Runs the public tests on every push and shows the marked preview (npm run check) as this
# job's summary. Used as a GitHub Classroom template, it also reports the public tests'
# points to Classroom. The grader's hidden tests and hand marking come later, from your
# lecturer. Built by "npx grader pack": edit the pack's builder, not this file.
name: Autograding Tests
on:
  push:
  pull_request:
  workflow_dispatch:
  repository_dispatch:
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    timeout-minutes: 30
    steps:
      - name: Check out
        uses: actions/checkout@v4
      - name: Set up Node
        uses: actions/setup-node@v4
        with:
          node-version: ${q(STUDENT_NODE)}
          cache: npm
      - name: Install the pack
        id: install
        run: npm ci
      - name: Public tests and the marked preview
        id: check
        run: npm run check
      - name: The preview as the job summary
        id: summary
        if: always()
        run: |
          if [ -f check/report.md ]; then
            cat check/report.md >> "$GITHUB_STEP_SUMMARY"
          else
            echo "npm run check wrote no report: its step's log says why." >> "$GITHUB_STEP_SUMMARY"
          fi
${graders.join('\n')}
      - name: Classroom points
        id: reporter
        if: always()
        uses: education/autograding-grading-reporter@v1
        env:
${env.join('\n')}
        with:
          runners: ${runners.join(',')}
`;
}
