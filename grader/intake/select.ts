import { decodeText } from './text.ts';
import { EntryError } from './errors.ts';
import { formatBytes } from './limits.ts';
import { listNames, type Notes } from './notes.ts';
import { isJunkPath, quote, safePath } from './paths.ts';
import type { IntakeLimits, ListedEntry, Listing } from './types.ts';
import type { CheckedWanted } from './wanted.ts';

export interface Selection {
  files: Record<string, string>;
  missing: string[];
}

/**
 * From a listing, takes the wanted files and notes everything refused.
 *
 * 1. Every entry name goes through `safePath`; refused names are noted, OS junk is dropped
 *    silently, links and special files are noted and never read.
 * 2. The submission root is either the top level or ONE top-level wrapper folder: the
 *    candidate holding the most wanted paths wins, the top level on a tie (`alice/ring/ring.ts`
 *    and `exercise3/ring/ring.ts` both give `ring/ring.ts`). A wanted file missing from its
 *    folder but lying loose at the root (`bank.ts` for `bank/bank.ts`) is taken, with a note,
 *    when that is unambiguous: no other file of that name anywhere, and no other wanted path
 *    of that name. Deeper nesting is not guessed: it yields a "found … instead" hint.
 * 3. Each wanted file is checked against the per-file and total limits before it is read,
 *    read with a byte bound, and decoded as UTF-8.
 * An `IntakeFatal` thrown by a read (a crafted archive) passes through.
 */
export async function selectWanted(listing: Listing, wanted: CheckedWanted, limits: IntakeLimits, notes: Notes): Promise<Selection> {
  const files = new Map<string, ListedEntry>();
  const present = new Set<string>(); // every safe, non-junk path, whatever its kind
  const topFolders = new Set<string>();
  const noted = new Set<string>();

  for (const entry of listing.entries) {
    const checked = safePath(entry.name);
    if (!checked.ok) {
      notes.skip(entry.name, checked.reason);
      continue;
    }
    const p = checked.path;
    if (p === '' || isJunkPath(p)) continue;
    present.add(p);
    if (p.includes('/') || entry.kind === 'dir') topFolders.add(p.split('/')[0] as string);
    switch (entry.kind) {
      case 'dir':
        break;
      case 'symlink':
        notes.skip(p, 'it is a symbolic link; links are never followed.');
        noted.add(p);
        break;
      case 'hardlink':
        notes.skip(p, 'it is a hard link to another file; links are not accepted.');
        noted.add(p);
        break;
      case 'special':
        notes.skip(p, 'it is not a regular file (a device, a pipe or similar).');
        noted.add(p);
        break;
      case 'file':
        if (files.has(p)) {
          notes.skip(p, 'the archive holds this name twice; the first copy was used.');
        } else {
          files.set(p, entry);
        }
        break;
    }
  }

  const prefix = chooseRoot(present, topFolders, wanted, notes);
  const result: Record<string, string> = {};
  const missing: string[] = [];
  const used = new Set<string>();
  let total = 0;

  const loose = looseFiles(files, prefix, wanted);
  for (const w of wanted.all) {
    let full = prefix + w;
    if (!files.has(full) && loose.has(w)) {
      full = loose.get(w)!;
      notes.add(`Took ${quote(full)} as ${quote(w)}: the exercise expects it in the folder ${quote(w.slice(0, w.lastIndexOf('/') + 1))}.`);
    }
    used.add(full);
    const entry = files.get(full);
    const required = wanted.files.includes(w);
    if (entry === undefined) {
      if (required) missing.push(w);
      continue;
    }
    try {
      if (entry.size > limits.maxFileBytes) {
        throw new EntryError(`it is ${formatBytes(entry.size)}, over the ${formatBytes(limits.maxFileBytes)} limit for one file.`);
      }
      if (total + entry.size > limits.maxTotalBytes) {
        throw new EntryError(`reading it would take the submission past its ${formatBytes(limits.maxTotalBytes)} limit.`);
      }
      const data = await entry.read(Math.min(limits.maxFileBytes, limits.maxTotalBytes - total));
      result[w] = decodeText(data);
      total += data.length;
    } catch (err) {
      if (!(err instanceof EntryError)) throw err;
      notes.skip(full, err.message);
      noted.add(full);
      if (required) missing.push(w);
    }
  }

  for (const w of missing) {
    const full = prefix + w;
    if (noted.has(full)) continue;
    const hints = [...files.keys()].filter((p) => !used.has(p) && looksLike(p, full)).sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
    if (hints.length > 0) {
      notes.add(`Missing "${w}": found ${listNames(hints, 3)} instead, not at that path. Names must match exactly, including upper and lower case.`);
    }
  }

  const ignored = [...files.keys()].filter((p) => !used.has(p)).sort();
  if (ignored.length > 0) {
    notes.add(`Ignored ${ignored.length} file${ignored.length === 1 ? '' : 's'} the exercise does not ask for: ${listNames(ignored)}.`);
  }
  return { files: result, missing };
}

/** "" (the top level) or "folder/" for the one wrapper folder holding the most wanted paths. */
function chooseRoot(present: Set<string>, topFolders: Set<string>, wanted: CheckedWanted, notes: Notes): string {
  // A wanted file counts in place, or loose at that root (`bank.ts` for `bank/bank.ts`).
  const score = (prefix: string): number =>
    wanted.all.filter(
      (w) =>
        present.has(prefix + w) ||
        (present.has(prefix + w.slice(w.lastIndexOf('/') + 1)) && prefix.toLowerCase() !== w.slice(0, w.lastIndexOf('/') + 1).toLowerCase()),
    ).length;
  let best = '';
  let bestScore = score('');
  const tied: string[] = [];
  for (const folder of [...topFolders].sort()) {
    const s = score(`${folder}/`);
    if (s > bestScore) {
      best = `${folder}/`;
      bestScore = s;
      tied.length = 0;
      tied.push(folder);
    } else if (s === bestScore && s > 0 && best !== '') {
      tied.push(folder);
    }
  }
  if (tied.length > 1) {
    notes.add(`The exercise files appear in several top-level folders (${listNames(tied)}); the files in "${tied[0]}" were used.`);
  }
  return best;
}

/**
 * Wanted paths in a folder whose file lies loose at the root instead (`bank.ts` for
 * `bank/bank.ts`), where unambiguous: the only file of that name in the listing, and the only
 * wanted path of that name.
 */
function looseFiles(files: Map<string, ListedEntry>, prefix: string, wanted: CheckedWanted): Map<string, string> {
  const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
  const out = new Map<string, string>();
  for (const w of wanted.all) {
    if (!w.includes('/') || files.has(prefix + w)) continue;
    // `Ring/ring.ts` is a misnamed folder (names must match exactly), not a wrapper around a loose file.
    if (prefix !== '' && prefix.toLowerCase() === w.slice(0, w.lastIndexOf('/') + 1).toLowerCase()) continue;
    const name = base(w);
    const candidate = prefix + name;
    if (!files.has(candidate)) continue;
    const sameName = [...files.keys()].filter((p) => base(p) === name);
    const wantedSameName = wanted.all.filter((x) => base(x) === name);
    if (sameName.length === 1 && wantedSameName.length === 1 && !wanted.all.includes(name)) out.set(w, candidate);
  }
  return out;
}

/** Same path ignoring case, the wanted path under other folders, or the same file name elsewhere. */
function looksLike(candidate: string, wantedPath: string): boolean {
  if (candidate.toLowerCase() === wantedPath.toLowerCase()) return true;
  const base = wantedPath.slice(wantedPath.lastIndexOf('/') + 1).toLowerCase();
  const candidateBase = candidate.slice(candidate.lastIndexOf('/') + 1).toLowerCase();
  return base === candidateBase;
}
