// Combining sharded runs: each shard graded a disjoint part of the class into its own folder
// (`grade --shard i/N`, recorded in its shard.json); merging reads their result.json files,
// checks that together they are the whole class, carries the hand marks of every shard, and
// writes one class report. A set of shards that is not the whole class (one missing, one
// given twice, shards of different classes, kits or exercises) is refused, unless --partial.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from './errors.ts';
import { lockFolder } from './lock.ts';
import { applyMarks, readLedger, writeLedger, type Ledger, type Mark } from './marks/marks.ts';
import { readAll, writeClass, writeStudent } from './outputs.ts';
import { copyProgressLogs } from './progress-log/store.ts';
import type { Result } from './result.ts';
import { SHARD_FILE, type ShardRecord } from './shard.ts';

export interface MergeOptions {
  /** Merge what is there even when it is not the whole class (each problem becomes a warning). */
  readonly partial?: boolean;
}

export interface MergeSummary {
  readonly results: Result[];
  readonly index: string;
  /** What was wrong but merged anyway (--partial), or merged with a choice made (a mark given twice). */
  readonly conflicts: string[];
}

/** The set of shards is not the whole class: nothing was written. */
export class MergeError extends UserError {
  override name = 'MergeError';
}

async function readShard(dir: string): Promise<ShardRecord | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, SHARD_FILE), 'utf8')) as ShardRecord;
  } catch {
    return undefined;
  }
}

/** Why the folders are not the whole class (empty when they are). */
function completeness(folders: readonly { dir: string; shard?: ShardRecord; results: Result[] }[]): string[] {
  const problems: string[] = [];
  const unsharded = folders.filter((f) => f.shard === undefined).map((f) => f.dir);
  if (unsharded.length > 0)
    problems.push(
      `${unsharded.join(', ')} ${unsharded.length === 1 ? 'was' : 'were'} not graded with --shard (no ${SHARD_FILE}), so nothing says which part of the class ${unsharded.length === 1 ? 'it holds' : 'they hold'}`,
    );
  const sharded = folders.filter((f): f is { dir: string; shard: ShardRecord; results: Result[] } => f.shard !== undefined);
  if (sharded.length === 0) return problems;
  const counts = [...new Set(sharded.map((f) => f.shard.count))];
  if (counts.length > 1) problems.push(`the shards split the class in different ways (${sharded.map((f) => `${f.shard.index}/${f.shard.count}`).join(', ')})`);
  const seen = new Map<number, string>();
  for (const f of sharded) {
    if (seen.has(f.shard.index)) problems.push(`shard ${f.shard.index}/${f.shard.count} was given twice (${seen.get(f.shard.index)} and ${f.dir})`);
    else seen.set(f.shard.index, f.dir);
  }
  const n = counts[0]!;
  const missing = Array.from({ length: n }, (_x, i) => i + 1).filter((i) => !seen.has(i));
  if (counts.length === 1 && missing.length > 0)
    problems.push(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${n}`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing`);
  const sizes = [...new Set(sharded.map((f) => f.shard.classSize))];
  if (sizes.length > 1) problems.push(`the shards come from different classes (of ${sizes.join(' and ')} submissions)`);
  const exercises = [...new Set(sharded.map((f) => f.shard.exercises.join(', ')))];
  if (exercises.length > 1) problems.push(`the shards graded different exercises (${exercises.map((e) => e || 'none').join(' / ')})`);
  const kits = [...new Set(folders.flatMap((f) => [...(f.shard ? [f.shard.kitVersion] : []), ...f.results.map((r) => r.kit.version)]))];
  if (kits.length > 1) problems.push(`the shards were graded with different kit versions (${kits.join(', ')}): their marks do not compare`);
  for (const f of sharded) {
    const have = new Set(f.results.map((r) => r.student));
    const lost = f.shard.students.filter((s) => !have.has(s));
    if (lost.length > 0)
      problems.push(
        `${f.dir} (shard ${f.shard.index}/${f.shard.count}) lacks the results of ${lost.length} of its students (${lost.slice(0, 5).join(', ')}${lost.length > 5 ? ', …' : ''}): was it stopped before it finished? Run its grade command again`,
      );
  }
  return problems;
}

/** Every shard's hand marks in one ledger; a mark given differently in two places keeps the later one. */
function mergeLedgers(ledgers: readonly { dir: string; ledger: Ledger }[], conflicts: string[]): Ledger {
  const marks: Record<string, Record<string, Mark>> = {};
  for (const { dir, ledger } of ledgers) {
    for (const [student, items] of Object.entries(ledger.marks)) {
      for (const [item, mark] of Object.entries(items)) {
        const seen = marks[student]?.[item];
        if (seen && (seen.score !== mark.score || seen.comment !== mark.comment)) {
          conflicts.push(
            `${student} / ${item} was marked differently in two folders (${seen.score ?? 'not marked'} and ${mark.score ?? 'not marked'} in ${dir}); keeping the later one`,
          );
          if (seen.at >= mark.at) continue;
        }
        (marks[student] ??= {})[item] = mark;
      }
    }
  }
  return { version: 1, marks };
}

export async function mergeReports(dirs: readonly string[], out: string, options: MergeOptions = {}): Promise<MergeSummary> {
  const release = lockFolder(resolve(out), 'merge');
  try {
    return await mergeLocked(dirs, out, options);
  } finally {
    release();
  }
}

async function mergeLocked(dirs: readonly string[], out: string, options: MergeOptions): Promise<MergeSummary> {
  const conflicts: string[] = [];
  const folders = await Promise.all(dirs.map(async (dir) => ({ dir, shard: await readShard(dir), results: await readAll(dir) })));
  // Marks first: a damaged marks.json anywhere stops the merge before anything is written.
  const ledgers = await Promise.all([...dirs, out].map(async (dir) => ({ dir, ledger: await readLedger(dir) })));
  for (const f of folders) if (f.results.length === 0) conflicts.push(`${f.dir} holds no graded submissions`);
  const problems = completeness(folders);
  if (problems.length > 0 && !options.partial) {
    throw new MergeError(
      `these folders are not the whole class, so nothing was merged:\n  ${problems.join('\n  ')}\nGrade the missing shards, or pass --partial to merge what is there.`,
    );
  }
  conflicts.push(...problems);

  const byStudent = new Map<string, Result>();
  for (const f of folders) {
    for (const r of f.results) {
      const seen = byStudent.get(r.student);
      if (seen) {
        conflicts.push(`${r.student} was graded in more than one shard; keeping the later result`);
        if (seen.gradedAt >= r.gradedAt) continue;
      }
      byStudent.set(r.student, r);
    }
  }
  const ledger = mergeLedgers(ledgers, conflicts);
  const results = [...byStudent.values()]
    .map((r) => applyMarks(r, ledger.marks[r.student]))
    .sort((a, b) => (a.student < b.student ? -1 : a.student > b.student ? 1 : 0));
  if (Object.keys(ledger.marks).length > 0) await writeLedger(out, ledger);
  for (const r of results) await writeStudent(out, r);
  await copyProgressLogs(
    dirs,
    out,
    results.map((r) => r.student),
  );
  const index = await writeClass(out, results);
  return { results, index, conflicts };
}
