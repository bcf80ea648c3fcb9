import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { safePath } from './paths.ts';
import type { IntakeResult } from './types.ts';

/**
 * Writes the accepted files of `result` under `dir`, creating folders as needed. Paths are
 * re-checked (a hand-built result with "../x" throws TypeError rather than writing outside `dir`).
 */
export async function writeWorkspace(result: IntakeResult, dir: string): Promise<void> {
  const root = path.resolve(dir);
  await fs.mkdir(root, { recursive: true });
  for (const [rel, text] of Object.entries(result.files)) {
    const checked = safePath(rel);
    const target = checked.ok ? path.join(root, ...checked.path.split('/')) : '';
    if (!checked.ok || checked.path !== rel || rel === '' || path.relative(root, target).startsWith('..')) {
      throw new TypeError(`writeWorkspace: refusing unsafe path ${JSON.stringify(rel)}`);
    }
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, text, 'utf8');
  }
}
