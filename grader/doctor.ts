// `npx grader doctor`: is this host ready to grade a class? One screen: node, the sandbox
// level a class would get and why, whether bubblewrap can run this node, the canary's result
// and time per submission, and what to install or change, as commands.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { nodeFor, permissionFlag, runningNode } from '../kernels/process/node-binary.ts';
import { detectSandbox, fallbackNetworkPrefix } from '../kernels/process/sandbox.ts';
import { canSwitchUids, leaseUid } from '../kernels/process/uids.ts';
import { runCanary } from './grade.ts';
import { kitRoot } from './kit.ts';
import { progress } from './progress.ts';

interface Check {
  readonly ok: boolean | 'warn';
  readonly what: string;
  readonly detail: string;
  readonly fix?: string;
}

const mark = (ok: Check['ok']) => (ok === true ? '✓' : ok === 'warn' ? '⚠' : '✗');

/** Whether `version` (x.y.z) satisfies the kit's `engines` range: ^20.19 || >=22.12. */
export function supportedNode(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major > 22;
}

export async function doctor(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { 'no-canary': { type: 'boolean', default: false }, exercise: { type: 'string', multiple: true } },
    strict: true,
  });
  const checks: Check[] = [];
  const engines = (JSON.parse(readFileSync(join(kitRoot, 'package.json'), 'utf8')) as { engines?: { node?: string } }).engines?.node ?? '?';
  const node = runningNode();
  const underHome = node.startsWith(homedir() + '/');
  checks.push({
    ok: supportedNode(process.version),
    what: `node ${process.version}`,
    detail: `${node}${underHome ? ' (under your home folder: nvm, fnm or volta style)' : ''}; the kit needs ${engines}`,
    fix: supportedNode(process.version) ? undefined : 'nvm install 24 && nvm use 24   # or any Node ^20.19 || >=22.12',
  });

  const detected = await detectSandbox();
  const root = canSwitchUids();
  if (process.platform !== 'linux') {
    checks.push({
      ok: 'warn',
      what: 'sandbox: fallback',
      detail: `${detected.reason}; node's permission model (${permissionFlag()}) limits files, processes and workers`,
    });
  } else if (detected.level === 'bwrap') {
    checks.push({ ok: true, what: 'sandbox: bubblewrap', detail: `${detected.reason}; no network, only the submission and the kit's runtime visible` });
  } else {
    const missing = /not installed/.test(detected.reason);
    checks.push({
      ok: false,
      what: 'sandbox: bubblewrap not usable',
      detail: detected.reason,
      fix: missing ? 'sudo apt-get install -y bubblewrap' : 'sudo sysctl -w kernel.unprivileged_userns_clone=1   # bubblewrap needs user namespaces',
    });
  }
  if (process.platform === 'linux') {
    const uid = leaseUid();
    const probeUid = uid?.uid ?? 65534;
    const staged = nodeFor(probeUid);
    uid?.release();
    checks.push({
      ok: true,
      what: 'node inside the sandbox',
      detail:
        staged === node ? `${node} is readable by the sandbox's uid` : `${node} is not reachable by the sandbox's uid: a private copy is used (${staged})`,
    });
    const netns = await fallbackNetworkPrefix();
    checks.push({
      ok: detected.level === 'bwrap' || netns !== null ? true : false,
      what: 'network closed for student code',
      detail:
        detected.level === 'bwrap'
          ? 'bubblewrap gives each kernel its own network namespace'
          : netns !== null
            ? 'the fallback level runs kernels in a network namespace of their own (unshare)'
            : 'neither bubblewrap nor unshare can close the network here: grade refuses unless --allow-weak-sandbox',
      fix: detected.level === 'bwrap' || netns !== null ? undefined : 'sudo apt-get install -y bubblewrap util-linux',
    });
    checks.push({
      ok: root ? true : 'warn',
      what: 'a uid per student',
      detail: root
        ? "running as root: every submission's kernels get a uid of their own (process limits cannot touch a neighbour)"
        : "not root: every kernel runs as you, so one submission's process limit is shared with the others",
      fix: root ? undefined : 'run the grader as root (e.g. in a container or a CI job) for per-student uids',
    });
    checks.push({
      ok: existsSync('/usr/bin/prlimit') || existsSync('/bin/prlimit') ? true : 'warn',
      what: 'resource limits (prlimit)',
      detail:
        existsSync('/usr/bin/prlimit') || existsSync('/bin/prlimit')
          ? 'memory, CPU, files and processes are capped per kernel'
          : 'prlimit missing: only the V8 heap is capped',
      fix: existsSync('/usr/bin/prlimit') || existsSync('/bin/prlimit') ? undefined : 'sudo apt-get install -y util-linux',
    });
  }

  let canaryLine: Check | undefined;
  if (!values['no-canary']) {
    const report = await runCanary({ exercises: values.exercise as string[] | undefined, progress: progress(process.stderr, true) });
    canaryLine = {
      ok: report.failures.length === 0,
      what: 'canary (reference solutions)',
      detail:
        report.failures.length === 0
          ? `${report.exercises.join(', ')}: full marks in ${report.seconds.toFixed(1)} s (about ${(report.seconds / report.exercises.length).toFixed(1)} s per exercise of one submission on this machine)`
          : `did not get full marks: ${report.failures.join(' | ')}`,
      fix: report.failures.length === 0 ? undefined : 'fix the sandbox problems above, then run: npx grader doctor',
    };
    checks.push(canaryLine);
  }

  const width = Math.max(...checks.map((c) => c.what.length));
  console.log('Grader host check\n');
  for (const c of checks) {
    console.log(`${mark(c.ok)} ${c.what.padEnd(width)}  ${c.detail}`);
    if (c.fix) console.log(`  ${' '.repeat(width)}  → ${c.fix}`);
  }
  const failed = checks.filter((c) => c.ok === false);
  console.log(failed.length === 0 ? '\nReady to grade.' : `\nNot ready: ${failed.length} problem(s) above.`);
  return failed.length === 0 ? 0 : 1;
}
