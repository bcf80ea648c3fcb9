// The kernel host freezes, before student code loads, every export of the runtime and every
// class prototype, and runs Node with --frozen-intrinsics. The runtime must work the same
// there: it never assigns to a prototype or a built-in after its modules have loaded. A
// program (frozen-program.ts: a supervisor restarting a crashed child, an ask that times out,
// a selective receive, select, keyed timers, a state machine) runs in a child process both
// ways and must give the same trace.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const runtimeDir = join(here, '..');
let dir: string;
let program: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mp-frozen-'));
  program = join(dir, 'program.mjs');
  const out = await build({
    entryPoints: [join(here, 'frozen-program.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  writeFileSync(program, out.outputFiles[0]!.text);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Outcome {
  facts: Record<string, unknown>;
  frozenClasses: string[];
  trace: string;
  events: number;
}

async function run(frozen: boolean): Promise<Outcome> {
  const args = frozen ? ['--frozen-intrinsics', program] : [program];
  const { stdout } = await promisify(execFile)(process.execPath, args, {
    env: { ...process.env, FREEZE: frozen ? '1' : '0', NODE_OPTIONS: '' },
    timeout: 60_000,
  });
  const last = stdout.trim().split('\n').at(-1)!;
  return JSON.parse(last) as Outcome;
}

/** Every class declared in runtime/ (and runtime/core/, runtime/shared/). */
function classesInRuntime(): string[] {
  const names: string[] = [];
  for (const sub of ['', 'core', 'shared']) {
    for (const file of readdirSync(join(runtimeDir, sub)).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(runtimeDir, sub, file), 'utf8');
      for (const m of text.matchAll(/^(export )?class (\w+)/gm)) {
        expect(m[1], `class ${m[2]} in ${join(sub, file)} must be exported, so that a host can freeze its prototype`).toBe('export ');
        names.push(m[2]!);
      }
    }
  }
  return names.sort();
}

describe('a frozen runtime', () => {
  it('gives the same trace with every export and class prototype deep-frozen, under node --frozen-intrinsics', async () => {
    const [plain, frozen] = await Promise.all([run(false), run(true)]);
    expect(plain.facts).toEqual({
      restarts: 1,
      supervisorAlive: true,
      askTimedOut: true,
      received: [3, 'first x1', 10, 120],
      idle: true,
      now: 120,
    });
    expect(frozen.facts).toEqual(plain.facts);
    expect(frozen.trace).toBe(plain.trace);
    expect(frozen.events).toBeGreaterThan(50);
    expect(plain.frozenClasses).toEqual([]);
    expect(frozen.frozenClasses).toEqual(classesInRuntime()); // every class of the runtime was frozen
  }, 120_000);
});
