import { createHash } from 'node:crypto';

/**
 * The cache key of a submission: sha256 (hex) over its accepted files, sorted by path
 * (plain code-unit order), as the JSON text of `[["path", "content"], …]` — unambiguous and
 * independent of how the files were packed (folder, zip, tar.gz) or in which order.
 */
export function hashFiles(files: Record<string, string>): string {
  const pairs = Object.keys(files)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((path) => [path, files[path]]);
  return createHash('sha256').update(JSON.stringify(pairs), 'utf8').digest('hex');
}
