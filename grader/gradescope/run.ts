// `grader gradescope run`, what run_autograder does for every submission: take
// <root>/submission in any layout the grader's intake takes, grade it as `grade` grades a
// student (no canary: setup.sh ran it on this image), and write <root>/results/results.json.
// stdout goes to Gradescope's stdout file, which students do not see (stdout_visibility
// "hidden"); results.json holds only what the student report shows.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exerciseDir, loadManifest } from '../../kernels/harness/manifest.ts';
import { gradeClass } from '../grade.ts';
import { discoverDetailed } from '../intake/index.ts';
import { wantedFiles } from '../prepare/prepare.ts';
import { progress } from '../progress.ts';
import { studentFolder } from '../class-folder.ts';
import { GradescopeResults, isWithheld } from '../result.ts';
import { writeAtomic } from '../write-atomic.ts';
import type { BundleConfig } from './bundle.ts';
import { forGradescope } from './results.ts';
import { GradescopeSpecResults } from './spec.ts';

export interface RunOutcome {
  /** 0: results.json written; 3: a grading error, so no results.json (Gradescope shows "not graded", not 0). */
  readonly code: 0 | 3;
  readonly resultsFile?: string;
}

export async function runSubmission(root: string, config: BundleConfig, log: (line: string) => void = console.log): Promise<RunOutcome> {
  const submission = join(root, 'submission');
  const resultsDir = join(root, 'results');
  const resultsFile = join(resultsDir, 'results.json');
  await mkdir(resultsDir, { recursive: true });
  await rm(resultsFile, { force: true });

  // One upload is one submission. Intake finds the files in a folder around them or in an
  // archive; an upload holding several submissions is the student's to fix.
  const manifests = config.exercises.map((id) => loadManifest(exerciseDir(id)));
  const found = await discoverDetailed([submission], wantedFiles(manifests));
  if (found.sources.length > 1) {
    const names = found.sources.map((s) => s.student);
    log(`the upload holds ${names.length} submissions: ${names.join(', ')}`);
    const results = GradescopeSpecResults.parse({
      score: 0,
      output:
        `Your upload holds ${names.length} separate submissions (${names.join(', ')}), so it was not graded. ` +
        'Upload exactly one: the submission.zip that `npm run submit` writes, or the files it holds.',
      output_format: 'md',
      visibility: 'visible',
      stdout_visibility: 'hidden',
      tests: [],
    });
    await writeAtomic(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
    return { code: 0, resultsFile };
  }
  const path = found.sources[0]?.path ?? submission;

  const out = mkdtempSync(join(tmpdir(), 'mp-gradescope-'));
  try {
    const summary = await gradeClass({
      paths: [path],
      out,
      exercises: config.exercises,
      canary: false,
      allowWeakSandbox: config.allowWeakSandbox,
      prefer: process.env.KERNEL_SANDBOX === 'fallback' ? 'fallback' : 'auto',
      progress: progress(process.stdout, false),
    });
    const result = summary.results[0];
    if (!result) throw new Error(`the grader found no submission in ${submission}`);
    log(
      `${result.student}: ${isWithheld(result) ? 'grading error' : `${result.total.score}/${result.total.max}`} · sandbox ${result.sandbox.level} · kit ${result.kit.version} · ${(result.durationMs / 1000).toFixed(1)} s`,
    );
    for (const w of result.warnings) log(`warning: ${w}`);
    if (isWithheld(result)) {
      const e = result.exercises.find((x) => x.status === 'error')!;
      log(
        `GRADING ERROR (${e.id}): ${e.reason ?? 'the grading machinery failed'}. No results.json: Gradescope shows this submission as not graded; rerun it once the cause is fixed.`,
      );
      return { code: 3 };
    }
    const dir = studentFolder(out, result.student);
    const graded = GradescopeResults.parse(JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')));
    const report = await readFile(join(dir, 'report.md'), 'utf8');
    const results = forGradescope(graded, report, {
      hiddenVisibility: config.hiddenVisibility,
      extra: { kit: result.kit.version, sandbox: result.sandbox.level, submission: result.submission.hash },
    });
    await writeAtomic(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
    return { code: 0, resultsFile };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
