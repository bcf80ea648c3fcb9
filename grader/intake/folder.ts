import { constants, promises as fs } from 'node:fs';
import type { Dirent } from 'node:fs';
import * as path from 'node:path';
import { EntryError, IntakeFatal } from './errors.ts';
import { formatBytes } from './limits.ts';
import { isJunkSegment } from './paths.ts';
import type { EntryKind, IntakeLimits, ListedEntry, Listing } from './types.ts';

/**
 * Lists a submission folder without ever following a symbolic link: the walk uses the
 * directory entries' own types (lstat semantics), links are listed as links and never entered,
 * files with more than one hard link are listed as hard links, and reads open with O_NOFOLLOW.
 * OS junk (`__MACOSX`, `.DS_Store`, `node_modules`, `.git`…) is not entered. The walk stops
 * after `maxEntries` entries with a note (a folder is not a bomb: nothing is inflated).
 */
export async function listFolder(root: string, limits: IntakeLimits): Promise<Listing> {
  const rootStat = await fs.lstat(root).catch(() => undefined);
  if (rootStat === undefined) throw new IntakeFatal('The submission folder could not be read.');
  if (rootStat.isSymbolicLink()) throw new IntakeFatal('The submission is a symbolic link; links are never followed.');
  if (!rootStat.isDirectory()) throw new IntakeFatal('The submission is not a folder.');

  const entries: ListedEntry[] = [];
  const notes: string[] = [];
  const pending: string[] = [''];
  let seen = 0;
  walk: while (pending.length > 0) {
    const rel = pending.shift() as string;
    let dirents: Dirent[];
    try {
      dirents = await fs.readdir(path.join(root, rel), { withFileTypes: true });
    } catch {
      if (rel === '') throw new IntakeFatal('The submission folder could not be read.');
      notes.push(`Could not open the folder "${rel}"; its files were not read.`);
      continue;
    }
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of dirents) {
      if (isJunkSegment(d.name)) continue;
      seen += 1;
      if (seen > limits.maxEntries) {
        notes.push(`Stopped looking through the folder after ${limits.maxEntries} entries; files past that point were not read.`);
        break walk;
      }
      const relPath = rel === '' ? d.name : `${rel}/${d.name}`;
      const full = path.join(root, relPath);
      if (d.isDirectory()) {
        entries.push(folderEntry(relPath, 'dir', 0, full));
        pending.push(relPath);
      } else if (d.isSymbolicLink()) {
        entries.push(folderEntry(relPath, 'symlink', 0, full));
      } else if (d.isFile()) {
        const st = await fs.lstat(full).catch(() => undefined);
        if (st === undefined) continue;
        const kind: EntryKind = st.isSymbolicLink() ? 'symlink' : !st.isFile() ? 'special' : st.nlink > 1 ? 'hardlink' : 'file';
        entries.push(folderEntry(relPath, kind, st.size, full));
      } else {
        entries.push(folderEntry(relPath, 'special', 0, full));
      }
    }
  }
  return { entries, notes, close: async () => {} };
}

function folderEntry(name: string, kind: EntryKind, size: number, full: string): ListedEntry {
  return { name, kind, size, read: (maxBytes) => readNoFollow(full, maxBytes) };
}

/** Opens without following a final symlink, re-checks the type, and reads at most `maxBytes`. */
async function readNoFollow(full: string, maxBytes: number): Promise<Buffer> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(full, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK') throw new EntryError('it is a symbolic link; links are never followed.');
    throw new EntryError('it could not be opened.');
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new EntryError('it is not a regular file.');
    if (st.nlink > 1) throw new EntryError('it is a hard link to another file; links are not accepted.');
    if (st.size > maxBytes) throw new EntryError(`it is ${formatBytes(st.size)}, over the ${formatBytes(maxBytes)} limit.`);
    const expected = Math.min(maxBytes, st.size);
    const buf = Buffer.alloc(expected + 1);
    let filled = 0;
    while (filled < buf.length) {
      const { bytesRead } = await handle.read(buf, filled, buf.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled > expected) throw new EntryError('it changed while being read.');
    return buf.subarray(0, filled);
  } finally {
    await handle.close();
  }
}
