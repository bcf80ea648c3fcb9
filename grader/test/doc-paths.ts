// What a doc of the student pack points at — relative links, file paths in backticks,
// `npm run <script>` — and which of those the pack does not have.
import { existsSync, readFileSync } from 'node:fs';
import { join, normalize, posix } from 'node:path';

/** Files a pack does not ship but its scripts or the student make: they need not exist. */
const MADE_LATER = /^(node_modules\/|check\/|submission\.zip$|progress\.jsonl$|report\.(md|html)$|result\.json$|.*\.mine\.test\.ts$)/;

export interface Pointer {
  readonly doc: string;
  readonly line: number;
  /** `path` (a file or folder), or `npm run x`. */
  readonly target: string;
}

/** The relative paths and `npm run` scripts a Markdown doc mentions. */
export function pointers(doc: string, text: string): Pointer[] {
  const out: Pointer[] = [];
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    const add = (target: string) => out.push({ doc, line: i + 1, target });
    for (const m of line.matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)) {
      if (!/^[a-z]+:/i.test(m[1]!)) add(m[1]!);
    }
    for (const m of line.matchAll(/npm run ([a-z][\w:-]*)/g)) add(`npm run ${m[1]}`);
    for (const m of line.matchAll(/`([^`\s]+)`/g)) {
      // A path: a file with an extension the kit uses, or a folder ending in '/'; a line number may follow.
      const token = m[1]!.replace(/:\d+(:\d+)?$/, '');
      if (!/^[\w.\-/]+$/.test(token) || token.startsWith('.') || token.startsWith('-')) continue;
      if (!/(\.(ts|mts|mjs|js|md|json|jsonl|html|hbs|zip)|\/)$/.test(token)) continue;
      add(token);
    }
  }
  return out;
}

/**
 * The pointers of the pack's docs (the Markdown files among `files`, relative to `pack`) that lead nowhere: a path that
 * is neither beside the doc nor from the pack's root, or a script package.json lacks.
 */
export function missingPointers(pack: string, files: readonly string[]): Pointer[] {
  const docs = files.filter((f) => f.endsWith('.md'));
  const scripts = (JSON.parse(readFileSync(join(pack, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  const missing: Pointer[] = [];
  for (const doc of docs) {
    for (const p of pointers(doc, readFileSync(join(pack, doc), 'utf8'))) {
      if (p.target.startsWith('npm run ')) {
        if (!(p.target.slice('npm run '.length) in scripts)) missing.push(p);
        continue;
      }
      const rel = p.target.replace(/\/$/, '');
      const fromRoot = posix.normalize(rel);
      const fromDoc = posix.normalize(posix.join(posix.dirname(doc), rel));
      if (MADE_LATER.test(fromRoot) || MADE_LATER.test(fromDoc)) continue;
      if (fromRoot.startsWith('..') && fromDoc.startsWith('..')) {
        missing.push(p);
        continue;
      }
      // A bare file name (`waits.ts`) is found anywhere under the doc's folder.
      const bare =
        !rel.includes('/') && files.some((f) => f.startsWith(posix.dirname(doc) === '.' ? '' : `${posix.dirname(doc)}/`) && posix.basename(f) === rel);
      const found = bare || [fromDoc, fromRoot].some((r) => !r.startsWith('..') && existsSync(join(pack, normalize(r))));
      if (!found) missing.push(p);
    }
  }
  return missing;
}

export const formatPointer = (p: Pointer) => `${p.doc}:${p.line}  ${p.target}`;
