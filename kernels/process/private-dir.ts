// Folders only this process writes: everything the grader writes or executes (the kernel
// program, a staged node binary, workspaces, bundles) lives in one, never at a predictable
// path another local user could have made first.
//
// A private folder is made by mkdtemp, checked (a directory, not a link, ours, no write bit
// for others) and removed when this process ends, however it ends: at a normal exit here,
// and after a crash or SIGKILL by a small janitor process that waits for this one to die.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();
let janitor: ChildProcess | undefined;

// The janitor reads folder paths, one a line, from its stdin; when the pipe closes (its parent
// ended, by any means) it removes them. It has its own session, so a terminal's ^C that stops
// the grader does not stop the clean-up.
const JANITOR = `
const { rmSync } = require('node:fs');
let text = '';
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => { text += d; });
process.stdin.on('end', () => {
  const dirs = new Set();
  for (const line of text.split('\\n')) {
    if (line.startsWith('+')) dirs.add(line.slice(1));
    else if (line.startsWith('-')) dirs.delete(line.slice(1));
  }
  for (const dir of dirs) try { rmSync(dir, { recursive: true, force: true }); } catch {}
  process.exit(0);
});
`;

function tell(line: string): void {
  if (janitor === undefined) {
    janitor = spawn(process.execPath, ['-e', JANITOR], { stdio: ['pipe', 'ignore', 'ignore'], detached: true, env: {} });
    janitor.on('error', () => {});
    janitor.stdin!.on('error', () => {});
    janitor.unref();
    (janitor.stdin as unknown as { unref(): void }).unref();
  }
  janitor.stdin!.write(`${line}\n`);
}

/**
 * A new folder under the OS temp folder that only this process can write. `mode` 0o700 keeps
 * others out; 0o711 lets a sandbox's uid reach files whose names it is given, without listing
 * the folder or writing to it.
 */
export function privateDir(prefix: string, mode: 0o700 | 0o711 = 0o700): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, mode);
  assertPrivate(dir);
  made.add(dir);
  tell(`+${dir}`);
  return dir;
}

/** Removes a folder made by privateDir now (the janitor is told it is gone). */
export function removePrivateDir(dir: string): void {
  if (!made.delete(dir)) return;
  rmSync(dir, { recursive: true, force: true });
  tell(`-${dir}`);
}

/** Throws unless `dir` is a real directory of ours that nobody else can write to. */
export function assertPrivate(dir: string): void {
  const st = lstatSync(dir);
  const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
  if (!st.isDirectory() || st.isSymbolicLink() || st.uid !== uid || (st.mode & 0o022) !== 0) {
    throw new Error(`${dir} is not a private folder of this process (a link, another owner, or writable by others): refusing to use it`);
  }
}

process.once('exit', () => {
  for (const dir of made) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* the janitor will try again */
    }
  }
});
