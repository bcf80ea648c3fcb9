// Writing a file atomically and durably: write a temporary file next to it, flush it to the
// disk, rename it over the file, then flush the folder (which records the rename), so that a
// grader killed midway, or a machine that loses power, leaves either the old file or the new
// one, never half of one. Its own module: outputs.ts, marks/marks.ts and progress-log/store.ts
// use it, and outputs.ts imports store.ts.
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function writeAtomic(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    const handle = await open(tmp, 'wx', 0o644);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncFolder(dirname(file));
}

/** Flushes a folder's entries (a rename) to the disk; a no-op where folders cannot be opened (Windows). */
async function syncFolder(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    /* not supported here */
  } finally {
    await handle?.close();
  }
}
