import { IntakeFatal } from './errors.ts';
import { hashFiles } from './hash.ts';
import { resolveLimits } from './limits.ts';
import { Notes } from './notes.ts';
import { openSubmission } from './open.ts';
import { selectWanted } from './select.ts';
import type { IntakeLimits, IntakeResult, Listing, SubmissionSource, WantedFiles } from './types.ts';
import { checkWanted } from './wanted.ts';

/**
 * Reads one submission and keeps only the wanted files. A bad submission never throws: an
 * unusable one comes back with `fatal` set, refused entries come back as `notes`.
 * Throws only for caller bugs: an invalid limit (RangeError) or wanted path (TypeError).
 */
export async function intake(src: SubmissionSource, wanted: WantedFiles, limits?: Partial<IntakeLimits>): Promise<IntakeResult> {
  const resolved = resolveLimits(limits);
  const want = checkWanted(wanted);
  const notes = new Notes();
  let listing: Listing | undefined;
  try {
    listing = await openSubmission(src, resolved, notes);
    for (const note of listing.notes) notes.add(note);
    const { files, missing } = await selectWanted(listing, want, resolved, notes);
    return { student: src.student, files, missing, notes: notes.list(), hash: hashFiles(files) };
  } catch (err) {
    // Anything else is our bug or the disk's; its message may hold grader paths, so it is not shown.
    const fatal = err instanceof IntakeFatal ? err.message : 'The submission could not be read.';
    return { student: src.student, files: {}, missing: [...want.files], notes: notes.list(), hash: hashFiles({}), fatal };
  } finally {
    await listing?.close().catch(() => undefined);
  }
}
