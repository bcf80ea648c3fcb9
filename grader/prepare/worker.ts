// A prepare worker: bundles or type-checks one exercise of one submission at a time, for the
// grader's prepare pool (pool.ts). It runs kit code on a submission's files, which arrive as
// text over IPC: it reads nothing of the submission from disk, and the type checker and the
// bundler read nothing but the kit files they are allowed (see typecheck.ts, bundle.ts).
// The pool bounds each job's CPU time and this process's heap, and replaces the worker when a
// job exceeds them. Kit files are parsed once and reused for every submission, and each type
// check starts from the previous program.
import { bundleSubmission } from '../../kernels/loader/bundle.ts';
import { typecheckSources } from '../typecheck.ts';
import { kitRoot } from '../kit.ts';
import type { PrepareJob, PrepareReply } from './pool.ts';

process.on('message', (job: PrepareJob) => {
  void run(job).then((reply) => process.send!(reply));
});

async function run(job: PrepareJob): Promise<PrepareReply> {
  try {
    const read = (path: string): string | undefined => (job.files.includes(path) && Object.hasOwn(job.texts, path) ? job.texts[path] : undefined);
    if (job.kind === 'typecheck') return { id: job.id, ok: true, diagnostics: typecheckSources(read, job.files, kitRoot) };
    const bundled = await bundleSubmission({ entry: job.entry, read });
    return { id: job.id, ok: true, ...(bundled.ok ? { code: bundled.code } : { errors: bundled.errors }) };
  } catch (err) {
    return { id: job.id, ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

process.send!({ ready: true });
