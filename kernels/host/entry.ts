// Starting a student's entry point, the same way in every kind of kernel host.
import { errorReason, formatReason } from '../../runtime/exit.ts';
import type { Kernel } from '../../runtime/kernel.ts';
import type { Ref } from '../../runtime/ref.ts';

export type EntryOutcome = { readonly value: unknown } | { readonly error: unknown };

/**
 * Calls `fn(self, ...args)` in a process named 'main' and reports what it returned or threw.
 * 'main' stays alive afterwards, so that processes it linked to are not told it ended.
 */
export function spawnEntry(kernel: Kernel, fn: Function, args: readonly unknown[], done: (outcome: EntryOutcome) => void): Ref {
  return kernel.spawn(
    undefined,
    async (self) => {
      try {
        done({ value: await fn(self, ...args) });
      } catch (err) {
        done({ error: err });
        return;
      }
      await self.receive(() => false); // wait for ever, inside the runtime (not outside the seed)
    },
    { name: 'main' },
  );
}

/** An error as one line for a report: its name and message (a thrown non-Error as an exit reason). */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return formatReason(errorReason(err));
}
