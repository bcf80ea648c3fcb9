// Student code and the kernel host must share one copy of the runtime (and of zod): a
// process spawned by student code has to live in the host's scheduler. The host publishes
// the module namespaces on a well-known global; the student bundle imports them from there.
import * as runtime from '../../runtime/index.ts';
import * as zod from 'zod';

export const SHARED_MODULES = Symbol.for('mp.kit.modules');

export type SharedModules = Record<string, Record<string, unknown>>;

/** The modules student code may import, by specifier. */
export function sharedModules(): SharedModules {
  return { '#runtime': runtime as Record<string, unknown>, zod: zod as Record<string, unknown> };
}

/** Publishes the shared modules (idempotent). Done by whoever loads student bundles. */
export function publishSharedModules(): void {
  const g = globalThis as Record<symbol, unknown>;
  if (g[SHARED_MODULES] === undefined) g[SHARED_MODULES] = sharedModules();
}
