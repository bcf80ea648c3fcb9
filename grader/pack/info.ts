// pack.json: what `npx grader pack` records about a student pack (the kit version, each
// exercise's files, points and starter hashes), written by the pack builder and read by the
// pack's scripts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What `npx grader pack` records about an exercise in pack.json. */
export interface PackExercise {
  readonly id: string;
  readonly title: string;
  /** The files a student submits for it (the manifest's `files`). */
  readonly files: readonly string[];
  readonly points: {
    /** Points of the public tests (what `npm run check` can show). */
    readonly public: number;
    /** Points of every automated test, hidden ones included. */
    readonly total: number;
    /** Points marked by hand (e.g. REFLECTION.md). */
    readonly manual: number;
  };
  /** sha256 of each starter file, to warn about submitting a file that was never changed. */
  readonly starter: Readonly<Record<string, string>>;
  /** What only grading checks (hidden tests), so that local green is not taken for a mark. */
  readonly gradedOnly?: readonly GradedOnly[];
}

/**
 * A rubric group's hidden tests: what only grading checks. Named by the group (the name of a
 * hidden test is itself hidden: the pack never holds it).
 */
export interface GradedOnly {
  readonly group: string;
  readonly tests: number;
  readonly points: number;
}

export interface PackInfo {
  /** The kit version the pack was built from (the grader stamps the same on results). */
  readonly kit: string;
  readonly exercises: readonly PackExercise[];
  /** sha256 of REFLECTION.md as shipped. */
  readonly reflection?: string;
}

export const PACK_INFO = 'pack.json';
export function readPackInfo(root: string): PackInfo | undefined {
  const file = join(root, PACK_INFO);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as PackInfo;
}
