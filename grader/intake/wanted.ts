import { assertCleanRelative } from './paths.ts';
import type { WantedFiles } from './types.ts';

/** Wanted files checked and de-duplicated: `files` required, `optional` not also required. */
export interface CheckedWanted {
  files: string[];
  optional: string[];
  /** Required then optional. */
  all: string[];
}

/** Throws TypeError for a path that is not a clean relative posix path (a manifest bug, not a student's). */
export function checkWanted(wanted: WantedFiles): CheckedWanted {
  const files = [...new Set(wanted.files)];
  const optional = [...new Set(wanted.optional ?? [])].filter((p) => !files.includes(p));
  for (const p of [...files, ...optional]) assertCleanRelative(p, 'a wanted file');
  return { files, optional, all: [...files, ...optional] };
}

/** First segments of wanted paths that sit in a folder ("ring/ring.ts" -> "ring"). */
export function expectedFolders(wanted: CheckedWanted): string[] {
  return [...new Set(wanted.all.filter((p) => p.includes('/')).map((p) => p.slice(0, p.indexOf('/'))))];
}
