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
  /**
   * The public test files the pack shipped (relative to tests/public/): any other test file
   * there is the student's own, whatever its name, and never counts.
   */
  readonly publicTests?: readonly string[];
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

/**
 * A student's own test file: one named `*.mine.test.ts`, or (given the pack's info) any test
 * file beside the public tests that the pack did not ship. It runs in `npm test` but never
 * counts: not in points, not in the progress log, not in `npm run check`; the grader never has
 * it (intake takes only the manifest's files).
 */
export function isOwnTestFile(file: string, info?: PackInfo): boolean {
  if (/\.mine\.test\.[cm]?ts$/.test(file)) return true;
  const m = /(?:^|[\\/])exercises[\\/]([a-z][a-z0-9-]*)[\\/]tests[\\/]public[\\/](.+)$/.exec(file);
  const shipped = m && info?.exercises.find((e) => e.id === m[1])?.publicTests;
  return shipped ? !shipped.includes(m[2]!.split('\\').join('/')) : false;
}

export const PACK_INFO = 'pack.json';
export function readPackInfo(root: string): PackInfo | undefined {
  const file = join(root, PACK_INFO);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as PackInfo;
}
