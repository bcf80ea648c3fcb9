// `npm run submit [-- --out FILE]`: one zip holding exactly what the grader takes: each
// exercise's files (the manifests' `files`), REFLECTION.md, and progress.jsonl when the
// progress log is on. Lists them, and warns about files that are missing, never changed
// from the starter, or do not compile. The grader reads the zip as it is.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { folderReader } from '../../../kernels/harness/bundle-file.ts';
import { bundleSubmission } from '../../../kernels/loader/bundle.ts';
import { sha256, size } from '../../files.ts';
import { PROGRESS_LOG, REFLECTION, packExercises, packRoot, progressLogEnabled, readPackInfo, studentRoot } from './local.ts';
import { zip } from '../../zip.ts';

export interface SubmitOptions {
  /** The zip to write (default: submission.zip in the pack). */
  readonly out?: string;
  readonly quiet?: boolean;
}

export interface Submitted {
  readonly zip: string;
  readonly files: string[];
  readonly warnings: string[];
}

export async function submit(options: SubmitOptions = {}): Promise<Submitted> {
  const root = studentRoot();
  const info = readPackInfo();
  const files: string[] = [];
  const warnings: string[] = [];
  for (const m of packExercises()) {
    const present = m.files.filter((f) => existsSync(join(root, f)));
    const missing = m.files.filter((f) => !present.includes(f));
    if (present.length === 0) {
      warnings.push(`${m.id}: none of its files are here (${m.files.join(', ')}): the exercise counts as not submitted.`);
      continue;
    }
    if (missing.length > 0) warnings.push(`${m.id}: missing ${missing.join(', ')}: the exercise cannot be graded without it.`);
    files.push(...present);
    const starter = info?.exercises.find((e) => e.id === m.id)?.starter ?? {};
    const unchanged = present.filter((f) => starter[f] !== undefined && starter[f] === sha256(readFileSync(join(root, f))));
    if (unchanged.length === present.length) warnings.push(`${m.id}: ${unchanged.join(', ')} ${unchanged.length > 1 ? 'are' : 'is'} still the starter code.`);
    if (missing.length === 0) {
      const bundled = await bundleSubmission({ entry: m.entry, read: folderReader(root, m.files) });
      if (!bundled.ok) {
        const e = bundled.errors[0]!;
        warnings.push(`${m.id}: does not compile (${e.file}:${e.line}:${e.column} ${e.message}): its tests will all fail.`);
      }
    }
  }
  if (existsSync(join(root, REFLECTION))) {
    files.push(REFLECTION);
    if (info?.reflection !== undefined && info.reflection === sha256(readFileSync(join(root, REFLECTION)))) {
      warnings.push(`${REFLECTION} has no answers yet.`);
    }
  } else {
    warnings.push(`${REFLECTION} is missing: it holds the reflection questions (marked by hand).`);
  }
  const log = join(packRoot, PROGRESS_LOG);
  const withLog = progressLogEnabled() && existsSync(log);
  const entries = files.map((f) => ({ name: f, data: readFileSync(join(root, f)) }));
  if (withLog) entries.push({ name: PROGRESS_LOG, data: readFileSync(log) });

  const target = resolve(options.out ?? join(packRoot, 'submission.zip'));
  writeFileSync(target, zip(entries));
  if (!options.quiet) {
    const width = Math.max(...entries.map((e) => e.name.length));
    const lines = [
      `Wrote ${relative(process.cwd(), target) || target} (${size(statSync(target).size)}) with ${entries.length} file${entries.length === 1 ? '' : 's'}:`,
    ];
    for (const e of entries) lines.push(`  ${e.name.padEnd(width)}  ${size(e.data.length)}`);
    if (!withLog) lines.push(`  (no ${PROGRESS_LOG}: ${progressLogEnabled() ? 'no test run was recorded yet' : 'the progress log is switched off'})`);
    if (warnings.length > 0) lines.push('', 'Check before you hand it in:', ...warnings.map((w) => `  ! ${w}`));
    lines.push('', 'Hand in this one file. Nothing else from the pack is graded.');
    console.log(lines.join('\n'));
  }
  return { zip: target, files: entries.map((e) => e.name), warnings };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { out: { type: 'string' }, quiet: { type: 'boolean', default: false } } });
  submit({ out: values.out, quiet: values.quiet }).catch((err: unknown) => {
    console.error(`submit: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  });
}
