// Manual marks: `npx grader marks import marks.csv --out reports` merges a lecturer's marks
// (student id, item, score, comment) into the graded results in `reports`: each student's
// result.json, report.html, report.md and Gradescope results.json, and the class files
// (grades.csv, summary.json, index.html). Items not yet marked stay "awaiting marking" and
// are not counted as zero.
//
// The CSV: a header row naming the columns (student, item, score, comment; a few synonyms are
// understood), or no header and the columns in that order. An item is a manifest's manual item,
// written as "<exercise>.<item>" (as in result.json) or just "<item>" or its title when that is
// unambiguous. An empty score un-marks the item (back to awaiting). Scores run from 0 to the
// item's points. The import is all or nothing: any problem (an unknown student or item, a score
// out of range, the same item twice) is reported with its line and nothing is written.
//
// Marks are also kept in `<out>/marks.json`, so that they survive a regrade: the grader applies
// them to every freshly graded result (grade.ts calls applyStoredMarks before writing it), and
// `merge` carries each shard's into the merged folder. marks.json is validated whenever it is
// read: a damaged one stops the command (it is never read as empty, which would let the next
// import drop every earlier mark); it is written atomically and flushed to disk, the previous
// copy kept as marks.json.bak; the output folder is locked while a command writes it.
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { lockFolder } from '../lock.ts';
import { readAll, writeClass, writeStudent } from '../outputs.ts';
import type { ManualItem, Result } from '../result.ts';
import { writeAtomic } from '../write-atomic.ts';
import { CsvError, parseCsv, type CsvRow } from './csv.ts';

export const Mark = z
  .object({
    /** Undefined: explicitly not marked (awaiting). */
    score: z.number().finite().min(0).optional(),
    comment: z.string().optional(),
    /** When it was imported (ISO) and from which file. */
    at: z.string(),
    source: z.string(),
  })
  .strict();
export type Mark = z.infer<typeof Mark>;

export const Ledger = z
  .object({
    version: z.literal(1),
    /** student → item id ("<exercise>.<item>") → mark. */
    marks: z.record(z.string(), z.record(z.string(), Mark)),
  })
  .strict();
export type Ledger = z.infer<typeof Ledger>;

export const LEDGER = 'marks.json';

/** A marks file that cannot be imported (nothing was written); the CLI prints the message (a UserError). */
export class MarksError extends UserError {
  override name = 'MarksError';
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(problems.length > 0 ? `${message}\n  ${problems.join('\n  ')}` : message);
  }
}

export interface MarkRow {
  readonly line: number;
  readonly student: string;
  readonly item: string;
  /** Undefined when the score cell is empty. */
  readonly score?: number;
  readonly scoreText: string;
  readonly comment?: string;
}

const COLUMNS = {
  student: ['student', 'student id', 'studentid', 'student_id', 'id', 'sid', 'user', 'username', 'login'],
  item: ['item', 'item id', 'itemid', 'item_id', 'question', 'criterion', 'task'],
  score: ['score', 'mark', 'marks', 'points', 'grade'],
  comment: ['comment', 'comments', 'feedback', 'note', 'notes', 'remark'],
} as const;

function parseScore(text: string): number | undefined | null {
  const t = text.trim();
  if (t === '') return undefined;
  const normal = /^\d+,\d+$/.test(t) ? t.replace(',', '.') : t;
  if (!/^[+]?(\d+(\.\d*)?|\.\d+)$/.test(normal)) return null;
  return Number(normal);
}

/** The rows of a marks CSV; problems (line: what) for rows that cannot be read. */
export function parseMarks(text: string): { rows: MarkRow[]; problems: string[] } {
  let table: CsvRow[];
  try {
    table = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvError) return { rows: [], problems: [err.message] };
    throw err;
  }
  const problems: string[] = [];
  if (table.length === 0) return { rows: [], problems: ['the file holds no rows'] };
  const head = table[0]!.cells.map((c) => c.trim().toLowerCase());
  const find = (names: readonly string[]) => head.findIndex((h) => names.includes(h));
  let cols = { student: find(COLUMNS.student), item: find(COLUMNS.item), score: find(COLUMNS.score), comment: find(COLUMNS.comment) };
  let body = table.slice(1);
  if (cols.student < 0 || cols.item < 0 || cols.score < 0) {
    const looksLikeData = table[0]!.cells.length >= 3 && parseScore(table[0]!.cells[2]!) !== null;
    if (!looksLikeData) {
      return {
        rows: [],
        problems: [`line 1: the header must name the columns student, item and score (and optionally comment); found: ${table[0]!.cells.join(', ')}`],
      };
    }
    cols = { student: 0, item: 1, score: 2, comment: 3 };
    body = table;
  }
  const rows: MarkRow[] = [];
  for (const r of body) {
    const cell = (i: number) => (i >= 0 ? (r.cells[i] ?? '') : '');
    const student = cell(cols.student).trim();
    const item = cell(cols.item).trim();
    const scoreText = cell(cols.score).trim();
    const comment = cell(cols.comment).trim();
    if (student === '' || item === '') {
      problems.push(`line ${r.line}: a row needs a student and an item`);
      continue;
    }
    const score = parseScore(scoreText);
    if (score === null) {
      problems.push(`line ${r.line}: "${scoreText}" is not a score (a number like 7 or 7.5, or empty for not marked)`);
      continue;
    }
    rows.push({ line: r.line, student, item, score, scoreText, comment: comment === '' ? undefined : comment });
  }
  return { rows, problems };
}

/** The manual item of `result` that `item` names, or why there is none. */
export function resolveItem(result: Result, item: string): ManualItem | string {
  const exact = result.manual.find((m) => m.id === item);
  if (exact) return exact;
  const lower = item.toLowerCase();
  const bySuffix = result.manual.filter((m) => m.id.toLowerCase() === lower || m.id.toLowerCase().endsWith(`.${lower}`));
  if (bySuffix.length === 1) return bySuffix[0]!;
  const byTitle = result.manual.filter((m) => m.title.trim().toLowerCase() === lower);
  if (byTitle.length === 1) return byTitle[0]!;
  if (bySuffix.length > 1 || byTitle.length > 1) return `"${item}" could be ${[...bySuffix, ...byTitle].map((m) => m.id).join(' or ')}: write the full id`;
  if (result.manual.length === 0) return `${result.student} has no items marked by hand (the manifests list none)`;
  return `no item "${item}" for ${result.student} (items: ${result.manual.map((m) => m.id).join(', ')})`;
}

/** `result` with `marks` (item id → mark) applied and its totals recomputed; items it does not have are ignored. */
export function applyMarks(result: Result, marks: Readonly<Record<string, Mark>> | undefined): Result {
  if (!marks) return result;
  const manual: ManualItem[] = result.manual.map((m) => {
    const mark = marks[m.id];
    if (!mark) return m;
    const { score: _s, comment: _c, ...rest } = m;
    return mark.score === undefined
      ? { ...rest, status: 'awaiting', ...(mark.comment ? { comment: mark.comment } : {}) }
      : { ...rest, status: 'marked', score: mark.score, ...(mark.comment ? { comment: mark.comment } : {}) };
  });
  const isMarked = (m: ManualItem) => m.status === 'marked' && m.score !== undefined;
  const automated = result.exercises.reduce((a, e) => a + e.score, 0);
  return {
    ...result,
    manual,
    total: {
      score: automated + manual.filter(isMarked).reduce((a, m) => a + m.score!, 0),
      max: result.total.max,
      awaiting: manual.filter((m) => !isMarked(m)).reduce((a, m) => a + m.max, 0),
    },
  };
}

/** The marks kept in `out` (none yet: empty). Throws MarksError when marks.json is damaged. */
export async function readLedger(out: string): Promise<Ledger> {
  const file = join(out, LEDGER);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, marks: {} };
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw damaged(file, (err as Error).message);
  }
  const parsed = Ledger.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw damaged(file, `${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}

function damaged(file: string, why: string): MarksError {
  return new MarksError(
    `${file} is damaged (${why}), so no hand mark in it can be trusted and nothing was changed. ` +
      `Fix it, or put back the previous copy (${LEDGER}.bak beside it), then run the command again.`,
  );
}

/** Writes the ledger atomically (flushed to disk), keeping the previous one as marks.json.bak. */
export async function writeLedger(out: string, ledger: Ledger): Promise<void> {
  const file = join(out, LEDGER);
  await copyFile(file, `${file}.bak`).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  await writeAtomic(file, `${JSON.stringify(Ledger.parse(ledger), null, 2)}\n`);
}

/** For the grader: a freshly graded result with the marks already imported for its student. */
export async function applyStoredMarks(out: string, result: Result): Promise<Result> {
  return applyMarks(result, (await readLedger(out)).marks[result.student]);
}

export interface ImportOptions {
  /** The marks CSV file. */
  readonly csv: string;
  /** The grader's output folder (holding one folder per graded student). */
  readonly out: string;
  /** Check everything, write nothing. */
  readonly dryRun?: boolean;
}

export interface ImportSummary {
  /** Marks taken from the file. */
  readonly imported: number;
  /** Students whose results changed. */
  readonly students: string[];
  /** Students with items still awaiting marking. */
  readonly stillAwaiting: string[];
  readonly results: Result[];
}

export async function importMarks(options: ImportOptions): Promise<ImportSummary> {
  const release = options.dryRun ? () => {} : lockFolder(options.out, 'marks import');
  try {
    return await importLocked(options);
  } finally {
    release();
  }
}

async function importLocked(options: ImportOptions): Promise<ImportSummary> {
  const ledger = await readLedger(options.out); // a damaged marks.json stops the import first
  const text = await readFile(options.csv, 'utf8');
  const { rows, problems } = parseMarks(text);
  const results = await readAll(options.out);
  if (results.length === 0) throw new MarksError(`${options.out} holds no graded students: grade first, then import marks`);
  const byId = new Map(results.map((r) => [r.student, r]));
  const byLower = new Map<string, Result[]>();
  for (const r of results) byLower.set(r.student.toLowerCase(), [...(byLower.get(r.student.toLowerCase()) ?? []), r]);

  const at = new Date().toISOString();
  const accepted: { student: string; item: string; mark: Mark }[] = [];
  const firstLine = new Map<string, number>();
  for (const row of rows) {
    const result = byId.get(row.student) ?? (byLower.get(row.student.toLowerCase())?.length === 1 ? byLower.get(row.student.toLowerCase())![0] : undefined);
    if (!result) {
      problems.push(`line ${row.line}: no graded student "${row.student}" in ${options.out}`);
      continue;
    }
    const item = resolveItem(result, row.item);
    if (typeof item === 'string') {
      problems.push(`line ${row.line}: ${item}`);
      continue;
    }
    if (row.score !== undefined && (!Number.isFinite(row.score) || row.score < 0 || row.score > item.max)) {
      problems.push(`line ${row.line}: ${row.scoreText} is outside 0–${item.max} for "${item.title}"`);
      continue;
    }
    const key = `${result.student}\u0000${item.id}`;
    if (firstLine.has(key)) {
      problems.push(`line ${row.line}: ${result.student} / ${item.id} was already given on line ${firstLine.get(key)}`);
      continue;
    }
    firstLine.set(key, row.line);
    accepted.push({ student: result.student, item: item.id, mark: { score: row.score, comment: row.comment, at, source: options.csv } });
  }
  if (problems.length > 0) throw new MarksError(`${options.csv}: ${problems.length} problem${problems.length > 1 ? 's' : ''}; nothing was imported:`, problems);

  const marks: Record<string, Record<string, Mark>> = { ...ledger.marks };
  const ignoreUndefined = (m: Mark): Mark => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) as Mark;
  for (const a of accepted) marks[a.student] = { ...marks[a.student], [a.item]: ignoreUndefined(a.mark) };
  const changed = [...new Set(accepted.map((a) => a.student))].sort();
  const updated = results.map((r) => (changed.includes(r.student) ? applyMarks(r, marks[r.student]) : r));
  if (!options.dryRun) {
    await writeLedger(options.out, { version: 1, marks });
    for (const r of updated) if (changed.includes(r.student)) await writeStudent(options.out, r);
    await writeClass(options.out, updated);
  }
  return {
    imported: accepted.length,
    students: changed,
    stillAwaiting: updated.filter((r) => r.total.awaiting > 0).map((r) => r.student),
    results: updated,
  };
}
