// Writing a file atomically: write a temporary file next to it, then rename it over the
// file, so that a grader killed midway leaves either the old file or the new one, never
// half of one. Its own module: outputs.ts, marks/marks.ts and progress-log/store.ts use it,
// and outputs.ts imports store.ts.
import { rename, writeFile } from 'node:fs/promises';

export async function writeAtomic(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}
