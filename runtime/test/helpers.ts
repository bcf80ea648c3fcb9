// Small helpers shared by the runtime's tests (not a test file itself).
import type { ExitReason, Ref, System } from '../index.ts';

/** The reason a process ended with, or 'alive' while it runs. */
export function fate(system: System, ref: Ref): ExitReason | 'alive' {
  const info = system.info(ref);
  if (info === undefined) throw new Error(`no process ${ref.pid} on this system`);
  return info.alive ? 'alive' : info.reason!;
}

/** The ErrorInfo of an `{ error }` exit reason (fails the test for any other reason). */
export function errorOf(reason: ExitReason | 'alive' | undefined): { name: string; message: string; stack?: string } {
  if (typeof reason !== 'object' || reason === null || !('error' in reason)) {
    throw new Error(`expected an { error } exit reason, got ${JSON.stringify(reason)}`);
  }
  return reason.error;
}

/** Seeds 1..n. */
export function seeds(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
