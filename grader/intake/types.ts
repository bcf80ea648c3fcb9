/** Public and internal types of submission intake. */

/** Size limits that protect the grader from oversize uploads and archive bombs. */
export interface IntakeLimits {
  /** Largest accepted size of one wanted file, in bytes (uncompressed). */
  maxFileBytes: number;
  /** Largest total size, in bytes: of the whole unpacked archive, or of the files read from a folder. */
  maxTotalBytes: number;
  /** Most entries (files, folders, links) an archive may hold. */
  maxEntries: number;
  /** Uncompressed/compressed ratio above which an archive is treated as a bomb (judged from 1 MiB unpacked on). */
  maxRatio: number;
}

export type SubmissionKind = 'folder' | 'zip' | 'tar.gz';

/** One student's submission on disk. */
export interface SubmissionSource {
  student: string;
  path: string;
  kind: SubmissionKind;
  /** Other submissions found for the same student id (or one equal to it but for letter case), not graded. */
  duplicates?: string[];
}

/** The files a student is asked to submit, as relative posix paths. */
export interface WantedFiles {
  /** Required files; those not found are listed in `IntakeResult.missing`. */
  files: string[];
  /** Files taken when present; their absence is not reported. */
  optional?: string[];
}

export interface IntakeResult {
  student: string;
  /** Relative wanted path -> UTF-8 text; only accepted wanted files. */
  files: Record<string, string>;
  /** Required wanted files that were not found or not accepted. */
  missing: string[];
  /** Plain-English notes for the student's report: rejected entries and why. */
  notes: string[];
  /** sha256 (hex) over the sorted (path, content) pairs of `files`: the cache key. */
  hash: string;
  /** Set when nothing usable could be read (unreadable archive, bomb). */
  fatal?: string;
}

/** What an entry of a folder or archive is. */
export type EntryKind = 'file' | 'dir' | 'symlink' | 'hardlink' | 'special';

/** One entry as listed by a folder or archive reader, before any path checks. */
export interface ListedEntry {
  /** The name as stored (decoded to a string), not yet checked or normalised. */
  name: string;
  kind: EntryKind;
  /** Uncompressed size in bytes as the archive or file system states it (0 for folders and links). */
  size: number;
  /**
   * Reads the content, never more than `maxBytes` (throws `EntryError` past it).
   * Throws `EntryError` with a plain-English reason when this entry can't be read,
   * or `IntakeFatal` when the whole submission must be given up.
   */
  read(maxBytes: number): Promise<Buffer>;
}

/** The entries of one submission, plus notes the reader made on the way. */
export interface Listing {
  entries: ListedEntry[];
  notes: string[];
  /** Releases file handles; safe to call more than once. */
  close(): Promise<void>;
}
