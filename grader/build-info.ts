// Whether this code runs pre-built (grader/prebuilt.mjs), and from where: the command finds
// the other built programs (the prepare worker, the grading slot) beside itself.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

declare const __MP_BUILD__: string | undefined;

/** The folder of the pre-built grader this code runs from; undefined when it runs from source. */
export const buildDir: string | undefined = typeof __MP_BUILD__ === 'string' ? fileURLToPath(__MP_BUILD__) : undefined;

/**
 * A pre-built program by name ('slot.mjs'): beside this code when it runs pre-built; from
 * source (tests), the current build, made now if the sources changed. Undefined where no
 * build can be made (node_modules not writable): the caller runs the source through tsx.
 */
export async function builtFile(name: string): Promise<string | undefined> {
  if (buildDir !== undefined) return join(buildDir, name);
  const { ensureBuilt } = await import('./prebuilt.mjs');
  const dir = await ensureBuilt();
  return dir === undefined ? undefined : join(dir, name);
}
