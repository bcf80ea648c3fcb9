// Requests from the main thread to a worker kernel, and running an entry point there.
import type { Kernel } from '../../runtime/kernel.ts';
import { describeError, spawnEntry } from '../host/entry.ts';

export type ControlRequest =
  | { readonly id: number; readonly op: 'start'; readonly entry: string; readonly args: readonly unknown[] }
  | { readonly id: number; readonly op: 'down'; readonly kernel: number };

export type ControlReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };

/** Calls `module[entry](self, ...args)` in a process named 'main' that then stays alive. */
export function runEntry(kernel: Kernel, module: Record<string, unknown>, entry: string, args: readonly unknown[]): Promise<ControlReply> {
  const fn = module[entry];
  if (typeof fn !== 'function') return Promise.resolve({ id: 0, ok: false, error: `the module does not export a function named "${entry}"` });
  return new Promise((resolve) => {
    spawnEntry(kernel, fn, args, (outcome) =>
      resolve('value' in outcome ? { id: 0, ok: true, value: outcome.value } : { id: 0, ok: false, error: describeError(outcome.error) }),
    );
  });
}
