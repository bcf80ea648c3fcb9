/**
 * Which sandbox will process kernels get on this host, and what does it cost?
 *
 *   npx tsx kernels/process/sandbox-probe.ts [--runs 7]
 *
 * Prints the detected level and why, the one-line description of each level available here, and
 * the median cold start (spawn → first IPC message) of each. Exit code 0 if bwrap is in force.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectSandbox, spawnSandboxed, type SandboxLevel } from './sandbox.ts';

async function coldStart(script: string, dir: string, prefer: 'auto' | 'fallback'): Promise<{ ms: number; level: SandboxLevel; description: string }> {
  const t0 = performance.now();
  const sc = await spawnSandboxed({ script, readOnly: [dir], prefer });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no message within 10 s; stderr: ${sc.stderr.text()}`)), 10_000);
      sc.child.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return { ms: performance.now() - t0, level: sc.level, description: sc.description };
  } finally {
    await sc.kill();
  }
}

async function main(): Promise<void> {
  const runsFlag = process.argv.indexOf('--runs');
  const runs = runsFlag > 0 ? Math.max(1, Number(process.argv[runsFlag + 1]) || 5) : 5;
  const detected = await detectSandbox();
  console.log(`detected: ${detected.level} (${detected.reason})`);

  const dir = mkdtempSync(join(tmpdir(), 'kit-sandbox-probe-'));
  chmodSync(dir, 0o755); // the job's uid must be able to read it
  const script = join(dir, 'ready.mjs');
  writeFileSync(script, "process.send({ type: 'ready' }, () => process.exit(0));\n");
  chmodSync(script, 0o644);
  try {
    const levels: ('auto' | 'fallback')[] = detected.level === 'bwrap' ? ['auto', 'fallback'] : ['fallback'];
    for (const prefer of levels) {
      const times: number[] = [];
      let description = '';
      let level: SandboxLevel = 'fallback';
      for (let i = 0; i < runs; i++) {
        const r = await coldStart(script, dir, prefer);
        times.push(r.ms);
        description = r.description;
        level = r.level;
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)]!;
      console.log(`\n${level}: ${description}`);
      console.log(`  cold start median ${median.toFixed(1)} ms over ${runs} runs (${times.map((t) => t.toFixed(0)).join(', ')} ms)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exitCode = detected.level === 'bwrap' ? 0 : 1;
}

await main();
