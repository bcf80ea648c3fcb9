// A grading slot: one vitest instance, started once, that runs job after job (a job: an
// exercise's test files over one or a few submissions, slots.ts decides). Starting vitest
// and transforming the kit's test modules is paid once per slot, not once per job; each job
// still gets a fresh test worker (vitest starts one per run), so nothing of one job's
// harness state reaches the next. No student code runs in this process or its test worker:
// each submission's code runs in its own sandboxed kernels.
import { writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createVitest, type Reporter } from 'vitest/node';
import { collect, type Collected } from './reporter.ts';
import type { SlotJob, SlotReply } from './slots.ts';

const config = fileURLToPath(new URL('./vitest.grading.config.ts', import.meta.url));
const planFile = process.env.MP_RUN!;
const send = (reply: SlotReply) => process.send!(reply);

let collected: Collected | undefined;
const reporter: Reporter = {
  onTestRunEnd(modules, errors) {
    collected = collect(modules, errors);
  },
};
// Vitest's own console output goes nowhere: what matters is collected above.
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
const vitest = await createVitest('test', { config, watch: false, reporters: [reporter] }, {}, { stdout: quiet, stderr: quiet });
const project = vitest.getRootProject();

let queue = Promise.resolve();
process.on('message', (job: SlotJob) => {
  queue = queue.then(() => run(job));
});
// The grader ended: so does the slot (its test worker and kernels go with it).
process.on('disconnect', () => process.exit(0));

async function run(job: SlotJob): Promise<void> {
  collected = undefined;
  try {
    writeFileSync(planFile, JSON.stringify({ ...job.plan, files: job.files.length }));
    await vitest.runTestSpecifications(job.files.map((f) => project.createSpecification(f)));
    send({ id: job.id, collected: collected ?? { tests: [], errors: ['vitest ended the run without results'] } });
  } catch (err) {
    send({ id: job.id, error: err instanceof Error ? err.message : String(err) });
  }
}

send({ ready: true });
