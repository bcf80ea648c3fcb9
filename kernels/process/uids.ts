// Uids for sandboxed jobs. RLIMIT_NPROC and signal permissions are per uid, machine-wide, so
// two kernels that share a uid can starve or signal each other: every kernel gets a uid no
// other job on this machine holds, whichever grader run it belongs to.
//
// A uid is held through a lock file named after it in a root-owned folder; the file names
// its holder (pid and start time), so a lock whose holder died is taken over. The range
// sits between the last uid `useradd` gives (UID_MAX, 60000 by default) and systemd's
// dynamic users (61184–65519); a uid that /etc/passwd names or that a running process uses
// is skipped.
import {
  closeSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { readStat } from './proc-table.ts';

export const UID_RANGE = { first: 60_001, last: 61_183 } as const;

export interface UidLease {
  readonly uid: number;
  /** Gives the uid back (idempotent). Call it once no process of the job remains. */
  release(): void;
}

const LOCK_DIRS = ['/run/mp-kit-uids', '/var/lock/mp-kit-uids'];

/** Whether this process can run jobs under other uids at all (root). */
export function canSwitchUids(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

let lockDir: string | null | undefined;

/** The lock folder: root-owned, mode 0700, not a link; made on first use. null when unusable. */
function locks(): string | null {
  if (lockDir !== undefined) return lockDir;
  lockDir = null;
  for (const dir of LOCK_DIRS) {
    try {
      if (!existsSync(dir)) mkdirSync(dir, { mode: 0o700 });
      const st = lstatSync(dir);
      if (st.isDirectory() && !st.isSymbolicLink() && st.uid === 0 && (st.mode & 0o022) === 0) return (lockDir = dir);
    } catch {
      /* try the next place */
    }
  }
  return lockDir;
}

const me = (): string => `${process.pid} ${readStat(process.pid)?.start ?? '?'}\n`;

function holderAlive(text: string): boolean {
  const [pid, start] = text.trim().split(' ');
  const info = readStat(Number(pid));
  return info !== null && info.start === start && info.state !== 'Z';
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

let placed = 0;

/**
 * Puts a lock file with our name in it at `path` in one step: written aside, then linked (fails
 * if the lock exists) or renamed (a takeover) into place. A lock is never seen empty: a reader
 * that caught one between create and write once took it for stale, and two kernels shared a uid.
 */
function place(path: string, how: 'create' | 'replace'): boolean {
  const aside = `${path}.${process.pid}.${threadId}.${++placed}.new`;
  try {
    writeFileSync(aside, me(), { mode: 0o600 });
    if (how === 'replace') {
      renameSync(aside, path);
      return true;
    }
    linkSync(aside, path);
    return true;
  } catch {
    return false;
  } finally {
    try {
      unlinkSync(aside);
    } catch {
      /* renamed into place */
    }
  }
}

/** Takes the lock of `uid` if it is free or its holder died. */
function tryLock(dir: string, uid: number): boolean {
  const path = join(dir, String(uid));
  if (place(path, 'create')) return true;
  const holder = readText(path);
  if (holder === null || holderAlive(holder)) return false;
  // A stale lock: take it over under a short-lived mutex, so that two runs cannot both do it.
  const mutex = `${path}.takeover`;
  try {
    closeSync(openSync(mutex, 'wx', 0o600));
  } catch {
    try {
      if (Date.now() - statSync(mutex).mtimeMs > 10_000) unlinkSync(mutex); // its maker died mid-takeover
    } catch {
      /* gone already */
    }
    return false;
  }
  try {
    if (readText(path) !== holder) return false;
    return place(path, 'replace');
  } finally {
    unlinkSync(mutex);
  }
}

/** Uids named in /etc/passwd or used by a running process. */
function uidsInUse(): Set<number> {
  const used = new Set<number>();
  for (const line of (readText('/etc/passwd') ?? '').split('\n')) {
    const uid = Number(line.split(':')[2]);
    if (Number.isInteger(uid)) used.add(uid);
  }
  for (const name of existsSync('/proc') ? readdirSync('/proc') : []) {
    if (!/^\d+$/.test(name)) continue;
    const status = readText(`/proc/${name}/status`);
    const m = status && /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(status);
    if (m) for (const u of m.slice(1)) used.add(Number(u));
  }
  return used;
}

const held = new Map<number, string>();
let cursor = 0;

/**
 * A uid for one job, held until released (or until this process ends: then it is freed, and
 * after a crash taken over as stale). Undefined when this process cannot switch uids (not
 * root) or no uid of the range is free: the job then runs as the grader, and says so.
 */
export function leaseUid(): UidLease | undefined {
  if (!canSwitchUids() || locks() === null) return undefined;
  const used = uidsInUse();
  const size = UID_RANGE.last - UID_RANGE.first + 1;
  // Start where the last lease ended (and at a point set by the pid), so concurrent runs rarely race.
  if (cursor === 0) cursor = process.pid % size;
  for (let i = 0; i < size; i++) {
    const uid = UID_RANGE.first + ((cursor + i) % size);
    if (used.has(uid)) continue;
    const lease = takeUid(uid);
    if (lease) {
      cursor = (cursor + i + 1) % size;
      return lease;
    }
  }
  return undefined;
}

/** The lease of one particular uid of the range, if no live process holds it (its holder died: taken over). */
export function takeUid(uid: number): UidLease | undefined {
  const dir = locks();
  if (dir === null || held.has(uid) || uid < UID_RANGE.first || uid > UID_RANGE.last || !tryLock(dir, uid)) return undefined;
  held.set(uid, join(dir, String(uid)));
  let released = false;
  return {
    uid,
    release() {
      if (released) return;
      released = true;
      unlock(uid);
    },
  };
}

function unlock(uid: number): void {
  const path = held.get(uid);
  if (path === undefined) return;
  held.delete(uid);
  try {
    if (readText(path) === me()) unlinkSync(path);
  } catch {
    /* someone took it over after we died: not ours to remove */
  }
}

process.once('exit', () => {
  for (const uid of [...held.keys()]) unlock(uid);
});
