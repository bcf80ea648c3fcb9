// The thread kernel's program, pre-built (see loader/prebuild.ts).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prebuilt } from '../loader/prebuild.ts';

const here = dirname(fileURLToPath(import.meta.url));

export function threadKernelScript(): Promise<string> {
  return prebuilt(resolve(here, 'thread.ts'), 'thread-kernel', { sourcemap: false });
}
