// Erlang/OTP as a peer, measured on the same machine in the same run, when `erl` and `erlc`
// are installed (Debian: erlang-base). The workloads are written in Erlang in
// erlang/mp_bench_peer.erl with the same message shapes as every other peer (maps with a
// `type` key); one emulator with one scheduler (`+S 1`, as the figures) stays up for
// the whole suite, and each run is one line to it and one line back. Without Erlang the suite
// falls back to the figures recorded in runtime/README.md (ERLANG_REFERENCE).
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Implementation, Outcome } from '../lib/types.ts';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'erlang', 'mp_bench_peer.erl');

/** The OTP release of the `erl` on PATH, or undefined when Erlang is not installed. */
function otpRelease(): string | undefined {
  const r = spawnSync('erl', ['-noshell', '-eval', 'io:put_chars(erlang:system_info(otp_release)), halt().'], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 && /^\d+$/.test(r.stdout.trim()) ? r.stdout.trim() : undefined;
}

/** One emulator for the whole suite: started at the first run, ended when Node exits (its stdin closes). */
class Emulator {
  private proc: ChildProcessWithoutNullStreams | undefined;
  private lines: Interface | undefined;
  private waiting: ((line: string) => void)[] = [];

  private start(): void {
    const out = mkdtempSync(join(tmpdir(), 'mp-bench-erlang-'));
    const compiled = spawnSync('erlc', ['-o', out, SOURCE], { encoding: 'utf8' });
    if (compiled.status !== 0) throw new Error(`erlc failed: ${compiled.stderr || compiled.stdout || compiled.error?.message}`);
    const proc = spawn('erl', ['-noshell', '+S', '1', '-pa', out, '-s', 'mp_bench_peer', 'main'], { stdio: 'pipe' });
    proc.on('exit', (code) => {
      for (const w of this.waiting.splice(0)) w(`error the Erlang emulator exited (${code})`);
      this.proc = undefined;
    });
    this.lines = createInterface({ input: proc.stdout });
    this.lines.on('line', (line) => {
      this.waiting.shift()?.(line);
      if (this.waiting.length === 0) this.hold(false);
    });
    this.proc = proc;
  }

  /** An idle emulator does not keep Node alive (it halts when its stdin closes); a pending answer does. */
  private hold(on: boolean): void {
    const p = this.proc;
    if (!p) return;
    for (const h of [p, p.stdin, p.stdout, p.stderr] as unknown as { ref(): void; unref(): void }[]) on ? h.ref() : h.unref();
  }

  ask(command: string): Promise<string> {
    if (!this.proc) this.start();
    this.hold(true);
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.proc!.stdin.write(`${command}\n`);
    });
  }
}

async function run(emulator: Emulator, command: string): Promise<Outcome> {
  const answer = await emulator.ask(`run ${command}`);
  const m = /^ok (\d+) (\d+) (\d+) (\d+)$/.exec(answer);
  if (!m) throw new Error(`Erlang: ${answer}`);
  return { result: Number(m[1]), detail: Number(m[2]), ms: Number(m[3]) / 1000, cpuMs: Number(m[4]) / 1000 };
}

/** The Erlang peer, or undefined when `erl` is not on PATH. */
export function erlangPeer(): Implementation | undefined {
  const release = otpRelease();
  if (release === undefined) return undefined;
  const emulator = new Emulator();
  return {
    id: 'erlang',
    label: `Erlang/OTP ${release} +S1`,
    scale: { min: 1 / 8, max: 16 },
    runners: {
      'ping-pong': ({ roundTrips }) => run(emulator, `ping-pong ${roundTrips}`),
      'thread-ring': ({ actors, hops }) => run(emulator, `thread-ring ${actors} ${hops}`),
      counting: ({ messages }) => run(emulator, `counting ${messages}`),
      'fan-out': ({ workers, rounds }) => run(emulator, `fan-out ${workers} ${rounds}`),
    },
  };
}
