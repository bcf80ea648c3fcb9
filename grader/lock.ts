// One grader command at a time per output folder. Two commands writing the same folder (a
// `grade` still running when `marks import` starts, two terminals) would each rewrite the
// class files and marks.json from what they read, and one's writes would be lost. A command
// that writes a folder holds `<out>/.grader.lock`, a file naming its holder (host, pid, start
// time, command); a lock whose holder is gone (on this host) is taken over.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readStat } from '../kernels/process/proc-table.ts';
import { UserError } from './errors.ts';

export const LOCK = '.grader.lock';

interface Holder {
  readonly host: string;
  readonly pid: number;
  /** The process's start time in /proc (a pid reused by another process does not count as the holder). */
  readonly start: string | null;
  readonly command: string;
  readonly since: string;
}

/** The folder is in use by another grader command. */
export class LockedError extends UserError {
  override name = 'LockedError';
}

function alive(h: Holder): boolean {
  if (h.host !== hostname()) return true; // cannot tell: assume it is running
  if (h.pid === process.pid) return true;
  const stat = readStat(h.pid);
  if (stat !== null) return stat.state !== 'Z' && (h.start === null || stat.start === h.start);
  try {
    process.kill(h.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const held = new Set<string>();
process.once('exit', () => {
  for (const file of held) {
    try {
      unlinkSync(file);
    } catch {
      /* gone already */
    }
  }
});

/**
 * Takes `<out>/.grader.lock` for `command` ("grade", "marks import"…), making `out` if needed;
 * returns the release function. Throws LockedError while another live command holds it.
 */
export function lockFolder(out: string, command: string): () => void {
  mkdirSync(out, { recursive: true });
  const file = join(out, LOCK);
  const me: Holder = { host: hostname(), pid: process.pid, start: readStat(process.pid)?.start ?? null, command, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, `${JSON.stringify(me)}\n`);
      closeSync(fd);
      held.add(file);
      return () => {
        if (!held.delete(file)) return;
        try {
          unlinkSync(file);
        } catch {
          /* gone already */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder: Holder | undefined;
    try {
      holder = JSON.parse(readFileSync(file, 'utf8')) as Holder;
    } catch {
      holder = undefined; // being written right now, or garbage: look again
    }
    if (holder && alive(holder)) {
      const where = holder.host === hostname() ? `pid ${holder.pid}` : `pid ${holder.pid} on ${holder.host}`;
      throw new LockedError(
        `${out} is in use by another grader command ("grader ${holder.command}", ${where}, since ${holder.since.slice(0, 19).replace('T', ' ')} UTC). ` +
          `Wait for it to finish; if that process is gone, delete ${file}.`,
      );
    }
    if (holder) {
      try {
        unlinkSync(file); // its holder is gone
      } catch {
        /* someone else took it over first */
      }
    }
  }
  throw new LockedError(`could not take the lock ${file}; another grader command keeps changing it`);
}
