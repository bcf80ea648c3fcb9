// The two GitHub Actions workflows: the student pack's (.github/workflows/classroom.yml, built
// by the pack) and the lecturer's (.github/workflows/grade-class.yml in the kit). Both are
// validated against GitHub's own workflow schema (@actions/workflow-parser, from GitHub's
// actions/languageservices), and both are run here, step by step, with their own commands:
// the student's in a built pack (the marked preview as the summary, Classroom's points equal
// to the preview's), the lecturer's on the demo class as a matrix of two shards and a merge,
// which must give exactly the marks of one `grade`. Steps that set up a runner (checkout,
// setup-node, apt, npm ci) are stood in for by this machine; artifacts by folders.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exerciseDir, listExercises, loadManifest } from '../../kernels/harness/manifest.ts';
import { STUDENT_WORKFLOW_PATH, studentWorkflow } from '../github/student-workflow.ts';
import { kitRoot } from '../kit.ts';
import { buildPack, type PackResult } from '../pack/build.ts';
import { publicTestIds, testNames } from '../exercise-tests.ts';
import { packManifest } from '../pack/public.ts';
import { Result } from '../result.ts';

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string | number>;
}
interface Job {
  steps: Step[];
  needs?: string | string[];
  outputs?: Record<string, string>;
  strategy?: { matrix: Record<string, unknown> };
}
interface Workflow {
  jobs: Record<string, Job>;
}

interface Ran {
  code: number;
  out: string;
}

let work: string;
const LECTURER = join(kitRoot, '.github', 'workflows', 'grade-class.yml');

/** A runner's environment: this process's, without the test runner's own variables. */
function runnerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(VITEST|MP_|TEST$|NODE_ENV$|FORCE_COLOR$)/.test(k)) env[k] = v;
  return env;
}

function sh(file: string, args: string[], options: { cwd: string; env?: Record<string, string>; replaceEnv?: boolean; timeout?: number }): Promise<Ran> {
  const env = options.replaceEnv ? options.env : { ...runnerEnv(), ...options.env };
  return new Promise((resolve) => {
    execFile(file, args, { cwd: options.cwd, env, timeout: options.timeout ?? 600_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

/** GitHub's own check of a workflow file (parse errors and model errors), in a process of its own. */
async function validate(name: string, content: string): Promise<string[]> {
  const file = join(mkdtempSync(join(work, 'validate-')), name);
  writeFileSync(file, content);
  const ran = await sh(process.execPath, ['--import', 'tsx', join(kitRoot, 'grader', 'test', 'validate-workflows.ts'), file], {
    cwd: kitRoot,
    timeout: 60_000,
  });
  expect(ran.code, ran.out).toBe(0);
  return (JSON.parse(ran.out) as Record<string, string[]>)[file]!;
}

/** `${{ a.b.c }}` from the context; anything else in an expression is an error, so the test notices a new one. */
function evaluate(text: string, ctx: Record<string, unknown>): string {
  return text.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_m, expr: string) => {
    if (!/^[a-z]+(\.[a-z0-9_-]+)+$/i.test(expr)) throw new Error(`the test cannot evaluate \${{ ${expr} }}`);
    let v: unknown = ctx;
    for (const key of expr.split('.')) v = (v as Record<string, unknown> | undefined)?.[key];
    if (v === undefined) throw new Error(`\${{ ${expr} }} is not in the test's context`);
    return String(v);
  });
}

/** Runs a `run:` step as the runner does (bash, -e, pipefail) with its env, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY. */
async function runStep(
  step: Step,
  ctx: Record<string, unknown>,
  cwd: string,
  extraEnv: Record<string, string>,
): Promise<Ran & { outputs: Record<string, string> }> {
  const dir = mkdtempSync(join(work, 'step-'));
  const script = join(dir, 'script.sh');
  writeFileSync(script, step.run!);
  const output = join(dir, 'output');
  writeFileSync(output, '');
  const env: Record<string, string> = { ...extraEnv, GITHUB_OUTPUT: output };
  for (const [k, v] of Object.entries(step.env ?? {})) env[k] = evaluate(String(v), ctx);
  const ran = await sh('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd, env });
  const outputs: Record<string, string> = {};
  for (const line of readFileSync(output, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) outputs[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return { ...ran, outputs };
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'mp-workflows-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe("both workflows pass GitHub's workflow schema", () => {
  it('the validator refuses a broken workflow (so its silence means something)', async () => {
    const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n        uses: actions/checkout@v4\n      - bogus: 1\n';
    expect((await validate('broken.yml', broken)).length).toBeGreaterThan(0);
  });

  it("the lecturer's grade-class.yml", async () => {
    expect(await validate('grade-class.yml', readFileSync(LECTURER, 'utf8'))).toEqual([]);
  });

  it("the student pack's classroom.yml, for every exercise of the kit", async () => {
    const exercises = listExercises().map((id) => {
      const m = loadManifest(exerciseDir(id));
      const names = testNames(id, 'public');
      return {
        id,
        title: m.title,
        tests: packManifest(m, publicTestIds(m)).groups.flatMap((g) => Object.entries(g.tests).map(([t, points]) => ({ id: t, name: names[t] ?? t, points }))),
      };
    });
    const text = studentWorkflow(exercises);
    expect(await validate('classroom.yml', text)).toEqual([]);
    // One Classroom step per public test, worth its points, and the reporter reads them all.
    const job = (parseYaml(text) as Workflow).jobs['run-autograding-tests']!;
    const graders = job.steps.filter((s) => s.uses?.startsWith('education/autograding-command-grader@'));
    expect(graders.length).toBe(exercises.reduce((n, e) => n + e.tests.length, 0));
    expect(graders.reduce((n, s) => n + Number(s.with!['max-score']), 0)).toBe(exercises.reduce((n, e) => n + e.tests.reduce((a, t) => a + t.points, 0), 0));
    const reporter = job.steps.find((s) => s.uses?.startsWith('education/autograding-grading-reporter@'))!;
    const runners = String(reporter.with!.runners).split(',');
    expect(runners).toEqual(graders.map((s) => s.id));
    for (const r of runners) expect(reporter.env![`${r.toUpperCase()}_RESULTS`]).toBe(`\${{ steps.${r}.outputs.result }}`);
  });
});

describe('the student workflow, run in a built pack', () => {
  let built: PackResult;
  let pack: string;
  let workflow: string;

  beforeAll(async () => {
    pack = join(work, 'pack');
    built = await buildPack({ out: pack, exercises: ['ring'] });
    // Stands in for the workflow's "npm ci": the kit's installed packages, the versions the pack's lock names.
    symlinkSync(join(kitRoot, 'node_modules'), join(pack, 'node_modules'), 'dir');
    workflow = readFileSync(join(pack, STUDENT_WORKFLOW_PATH), 'utf8');
  }, 120_000);

  it('ships with the pack and passes the schema', async () => {
    expect(built.files).toContain(STUDENT_WORKFLOW_PATH);
    expect(await validate('classroom.yml', workflow)).toEqual([]);
  });

  /** The job's steps as a runner would take them: Classroom's points from its command-grader steps. */
  async function runJob(): Promise<{ summary: string; points: number; max: number; preview: Result }> {
    const job = (parseYaml(workflow) as Workflow).jobs['run-autograding-tests']!;
    const summaryFile = join(work, `summary-${Date.now()}.md`);
    writeFileSync(summaryFile, '');
    const env = { GITHUB_STEP_SUMMARY: summaryFile, CI: 'true', MP_PROGRESS_LOG: '0' };
    let points = 0;
    let max = 0;
    const ids: string[] = [];
    for (const step of job.steps) {
      ids.push(step.id ?? step.name ?? '?');
      if (step.uses?.startsWith('education/autograding-command-grader@')) {
        // The grader action runs the command with PATH and HOME only, and passes on exit 0.
        const ran = await sh('bash', ['-c', String(step.with!.command)], {
          cwd: pack,
          env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/', FORCE_COLOR: 'true' },
          replaceEnv: true,
        });
        max += Number(step.with!['max-score']);
        if (ran.code === 0) points += Number(step.with!['max-score']);
      } else if (step.run !== undefined && step.id !== 'install') {
        const ran = await runStep(step, {}, pack, env);
        expect(ran.code, ran.out).toBe(0);
      }
    }
    expect(ids.slice(0, 5)).toEqual(['Check out', 'Set up Node', 'install', 'check', 'summary']);
    const preview = Result.parse(JSON.parse(readFileSync(join(pack, 'check', 'result.json'), 'utf8')));
    return { summary: readFileSync(summaryFile, 'utf8'), points, max, preview };
  }

  it('on the solution: the preview in the summary, and Classroom gets every public point', async () => {
    cpSync(join(kitRoot, 'solutions', 'ring', 'ring', 'ring.ts'), join(pack, 'ring', 'ring.ts'));
    const { summary, points, max, preview } = await runJob();
    expect(summary).toMatch(/^# Feedback: local preview/);
    expect(summary).toContain(preview.exercises[0]!.title);
    expect(max).toBe(preview.exercises[0]!.max);
    expect(points).toBe(max);
    expect(points).toBeGreaterThan(0);
  }, 300_000);

  it('on the starter: the same summary, and no points', async () => {
    cpSync(join(kitRoot, 'starter', 'ring', 'ring', 'ring.ts'), join(pack, 'ring', 'ring.ts'));
    const { summary, points, preview } = await runJob();
    expect(summary).toMatch(/^# Feedback: local preview/);
    expect(preview.total.score).toBe(0);
    expect(points).toBe(0);
  }, 300_000);
});

describe('the lecturer workflow, run on the demo class', () => {
  let workspace: string;
  let bin: string;
  let wf: Workflow;
  const inputs = { submissions: 'examples/class', exercises: 'ring', shards: '2' };

  beforeAll(() => {
    // A checkout of the kit: its top-level entries, linked.
    workspace = join(work, 'checkout');
    mkdirSync(workspace);
    for (const entry of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'node_modules',
      'runtime',
      'kernels',
      'exercises',
      'solutions',
      'grader',
      'examples',
    ]) {
      symlinkSync(join(kitRoot, entry), join(workspace, entry));
    }
    // A runner's sudo (this test may run as root already, or not).
    bin = join(work, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'sudo'), '#!/bin/sh\nwhile [ "$#" -gt 0 ]; do case "$1" in -E|-n) shift ;; *) break ;; esac; done\nexec "$@"\n', { mode: 0o755 });
    wf = parseYaml(readFileSync(LECTURER, 'utf8')) as Workflow;
  });

  it('gives, sharded in two and merged, exactly the marks of one grade', async () => {
    const env = { PATH: `${bin}:${process.env.PATH}` };
    const stepIds = (job: string) => wf.jobs[job]!.steps.map((s) => s.id);
    // What a runner does that this machine already has: checkout, node, apt, npm ci.
    const setup = new Set(['checkout', 'node', 'tools', 'install']);
    expect(stepIds('plan')).toEqual(['plan']);
    expect(stepIds('grade')).toEqual(['checkout', 'node', 'tools', 'install', 'grade', 'upload']);
    expect(stepIds('merge')).toEqual(['checkout', 'node', 'install', 'download', 'merge', 'summary', 'upload-grades', 'upload-dashboard', 'withheld']);

    // plan
    const plan = await runStep(wf.jobs.plan!.steps[0]!, { inputs }, workspace, env);
    expect(plan.code, plan.out).toBe(0);
    expect(plan.outputs).toEqual({ count: '2', shards: '[1,2]' });
    const shards = JSON.parse(plan.outputs.shards!) as number[];
    const needs = { plan: { outputs: plan.outputs } };
    expect(wf.jobs.grade!.strategy!.matrix.shard).toBe('${{ fromJSON(needs.plan.outputs.shards) }}');

    // the matrix of grade jobs; artifacts are folders
    const artifacts = join(work, 'artifacts');
    for (const shard of shards) {
      const ctx = { inputs, needs, matrix: { shard } };
      for (const step of wf.jobs.grade!.steps) {
        if (setup.has(step.id!)) continue;
        if (step.uses?.startsWith('actions/upload-artifact@')) {
          const name = evaluate(String(step.with!.name), ctx);
          cpSync(join(workspace, evaluate(String(step.with!.path), ctx)), join(artifacts, name), { recursive: true });
          continue;
        }
        const ran = await runStep(step, ctx, workspace, env);
        expect(ran.code, ran.out).toBe(0);
        expect(ran.outputs.status).toBe('0');
      }
    }

    // merge
    const summaryFile = join(work, 'merge-summary.md');
    writeFileSync(summaryFile, '');
    for (const step of wf.jobs.merge!.steps) {
      if (setup.has(step.id!)) continue;
      if (step.uses?.startsWith('actions/download-artifact@')) {
        const pattern = new RegExp(`^${String(step.with!.pattern).replace('*', '.*')}$`);
        for (const name of readdirSync(artifacts).filter((n) => pattern.test(n)))
          cpSync(join(artifacts, name), join(workspace, String(step.with!.path), name), { recursive: true });
        continue;
      }
      if (step.uses?.startsWith('actions/upload-artifact@')) {
        for (const p of String(step.with!.path).split('\n').filter(Boolean)) expect(existsSync(join(workspace, p.trim())), p).toBe(true);
        continue;
      }
      const ran = await runStep(step, { inputs, needs }, workspace, { ...env, GITHUB_STEP_SUMMARY: summaryFile });
      expect(ran.code, ran.out).toBe(0);
    }

    // one grade of the same class, as the README says
    const single = await sh('node', ['grader/bin.mjs', 'grade', 'examples/class', '--exercise', 'ring', '--out', 'single', '--quiet'], { cwd: workspace });
    expect(single.code, single.out).toBe(0);
    const merged = readFileSync(join(workspace, 'reports', 'grades.csv'), 'utf8');
    expect(merged).toBe(readFileSync(join(workspace, 'single', 'grades.csv'), 'utf8'));
    expect(merged.split('\r\n').filter(Boolean).length).toBe(1 + readdirSync(join(kitRoot, 'examples', 'class')).length);
    expect(readFileSync(summaryFile, 'utf8')).toContain(merged.split('\r\n')[1]!);
    // Test by test, not only totals.
    const outcomes = (dir: string) =>
      readdirSync(join(workspace, dir, 'students'))
        .sort()
        .map((s) => {
          const r = Result.parse(JSON.parse(readFileSync(join(workspace, dir, 'students', s, 'result.json'), 'utf8')));
          return [r.student, r.total.score, r.exercises.map((e) => [e.status, e.tests.map((t) => `${t.id}:${t.status}`)])];
        });
    expect(outcomes('reports')).toEqual(outcomes('single'));
    expect(existsSync(join(workspace, 'reports', 'index.html'))).toBe(true);
  }, 900_000);
});
