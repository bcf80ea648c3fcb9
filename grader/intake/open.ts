import { promises as fs } from 'node:fs';
import { listTar } from './archive-tar.ts';
import { listZip } from './archive-zip.ts';
import { IntakeFatal } from './errors.ts';
import { listFolder } from './folder.ts';
import type { Notes } from './notes.ts';
import { sniff } from './sniff.ts';
import type { IntakeLimits, Listing, SubmissionSource } from './types.ts';

/**
 * Opens a submission as a listing. An archive's format is judged from its first bytes, not its
 * name: a `.tar.gz` that is really a zip (or a plain tar) is read as what it is, with a note.
 * The submission path itself must not be a symbolic link.
 */
export async function openSubmission(src: SubmissionSource, limits: IntakeLimits, notes: Notes): Promise<Listing> {
  if (src.kind === 'folder') return listFolder(src.path, limits);

  const st = await fs.lstat(src.path).catch(() => undefined);
  if (st === undefined) throw new IntakeFatal('The submitted file could not be found or read.');
  if (st.isSymbolicLink()) throw new IntakeFatal('The submission is a symbolic link; links are never followed.');
  if (!st.isFile()) throw new IntakeFatal('The submission is not a regular file.');

  const named = src.kind === 'zip' ? 'a .zip archive' : 'a .tar.gz archive';
  const format = await sniff(src.path).catch(() => {
    throw new IntakeFatal('The submitted file could not be read.');
  });
  if (format === 'empty') throw new IntakeFatal('The submitted file is empty.');
  if (typeof format === 'object') {
    throw new IntakeFatal(`The file is ${format.other}, not ${named}. Submit a .zip or .tar.gz archive.`);
  }
  switch (format) {
    case 'zip':
      if (src.kind !== 'zip') notes.add(`The file is named like ${named} but is a zip archive; it was read as a zip.`);
      return listZip(src.path, limits);
    case 'gzip':
      if (src.kind !== 'tar.gz') notes.add(`The file is named like ${named} but is gzip-compressed; it was read as a .tar.gz.`);
      return listTar(src.path, true, limits);
    case 'tar':
      if (!src.path.toLowerCase().endsWith('.tar')) notes.add(`The file is named like ${named} but is an uncompressed tar archive; it was read as one.`);
      return listTar(src.path, false, limits);
    case 'unknown':
      // A zip's table of contents sits at its end, so a zip with something prepended still opens.
      if (src.kind === 'zip') return listZip(src.path, limits);
      throw new IntakeFatal('The file is not a .tar.gz archive: it is not gzip-compressed.');
  }
}
