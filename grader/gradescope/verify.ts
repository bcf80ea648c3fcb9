// `grader gradescope verify`, the last step of setup.sh: does this machine grade right? The
// sandbox level it gets (an open network is refused unless the bundle allows it), then the
// reference solutions graded exactly as a student is (the canary): full marks, or the
// upload fails with the reason in Gradescope's build log, before any student is graded.
import { detectSandbox, fallbackNetworkPrefix } from '../../kernels/process/sandbox.ts';
import { runCanary } from '../grade.ts';
import { kitVersion } from '../kit.ts';
import { progress } from '../progress.ts';
import type { BundleConfig } from './bundle.ts';

export async function verifyHost(config: Pick<BundleConfig, 'exercises' | 'allowWeakSandbox'>, log: (line: string) => void = console.log): Promise<boolean> {
  log(`kit ${kitVersion()} · node ${process.version} · exercises ${config.exercises.join(', ')}`);
  const detected = await detectSandbox();
  const forced = process.env.KERNEL_SANDBOX === 'fallback';
  const level = forced ? 'fallback' : detected.level;
  if (level === 'bwrap') {
    log(`sandbox: bubblewrap (${detected.reason}): no network, only the submission's own bundle visible`);
  } else {
    const netns = await fallbackNetworkPrefix();
    log(`sandbox: fallback level, because ${forced ? 'KERNEL_SANDBOX=fallback' : detected.reason}`);
    if (netns !== null) {
      log('sandbox: the fallback level still closes the network (a network namespace per kernel); every report says the level');
    } else if (config.allowWeakSandbox) {
      log(
        'sandbox: WARNING: student code can reach the network here; this bundle was built with --allow-weak-sandbox, so grading goes on, and every report says so',
      );
    } else {
      log(
        'sandbox: REFUSED: student code could reach the network here. Give the container user namespaces (see "Grading at scale" in the kit README), or rebuild the bundle with --allow-weak-sandbox to accept that.',
      );
      return false;
    }
  }
  const report = await runCanary({ exercises: config.exercises, progress: progress(process.stderr, true) });
  if (report.failures.length > 0) {
    log(`canary: the reference solution did not get full marks here, so no mark would be right: ${report.failures.join(' | ')}`);
    return false;
  }
  log(`canary: full marks for the reference solution${config.exercises.length > 1 ? 's' : ''} in ${report.seconds.toFixed(1)} s`);
  return true;
}
