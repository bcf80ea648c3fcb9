// Combining sharded runs: each shard graded a disjoint part of the class into its own
// folder; merging reads their result.json files and writes one class report.
import { readAll, writeClass, writeStudent } from './outputs.ts';
import { copyProgressLogs } from './progress-log/store.ts';
import type { Result } from './result.ts';

export async function mergeReports(dirs: readonly string[], out: string): Promise<{ results: Result[]; index: string; conflicts: string[] }> {
  const byStudent = new Map<string, Result>();
  const conflicts: string[] = [];
  for (const dir of dirs) {
    const found = await readAll(dir);
    if (found.length === 0) conflicts.push(`${dir} holds no graded submissions`);
    for (const r of found) {
      const seen = byStudent.get(r.student);
      if (seen) {
        conflicts.push(`${r.student} was graded in more than one shard; keeping the later result`);
        if (seen.gradedAt >= r.gradedAt) continue;
      }
      byStudent.set(r.student, r);
    }
  }
  const results = [...byStudent.values()].sort((a, b) => a.student.localeCompare(b.student));
  const versions = new Set(results.map((r) => r.kit.version));
  if (versions.size > 1) conflicts.push(`the shards were graded with different kit versions: ${[...versions].join(', ')}`);
  for (const r of results) await writeStudent(out, r);
  await copyProgressLogs(dirs, out, results.map((r) => r.student));
  const index = await writeClass(out, results);
  return { results, index, conflicts };
}
