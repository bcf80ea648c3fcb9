// CPU time used by a process and all its descendants, from /proc (Linux). The watchdog
// judges a kernel by the processor time it burns, not by the wall clock, so that a machine
// busy with other work cannot make a correct submission look stuck (grades must not depend
// on load).
import { readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux configuration Node supports

/**
 * A meter on one process tree. Finding the tree means reading every process's stat in
 * /proc (about a millisecond), too slow for every command a test sends; so the members are
 * found once and read directly after that (a file each), and found again when a verdict
 * depends on it. A descendant born since the last scan is missing from a cheap reading, so
 * a verdict (`fresh`, after a cheap `now` as baseline) can only overstate what was used.
 */
export class TreeCpu {
  private members: number[] | undefined;

  constructor(private readonly root: number | undefined) {}

  /** CPU milliseconds of the tree as last scanned, or undefined without /proc. */
  now(): number | undefined {
    if (this.root === undefined || process.platform !== 'linux') return undefined;
    this.members ??= treeMembers(this.root);
    if (this.members.length === 0) return undefined;
    let ticks = 0;
    for (const pid of this.members) ticks += readStat(pid)?.ticks ?? 0;
    return (ticks * 1000) / TICKS_PER_SECOND;
  }

  /** Scans for new descendants, then reads. */
  fresh(): number | undefined {
    this.members = undefined;
    return this.now();
  }
}

function readStat(pid: number): { parent: number; ticks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined; // the process ended while we looked
  }
}

/** `root` and its descendants (empty if root is gone or /proc cannot be read). */
function treeMembers(root: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const parent = new Map<number, number>();
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) parent.set(Number(name), stat.parent);
  }
  if (!parent.has(root)) return [];
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 0 && hops < 64; p = parent.get(p), hops++) {
      if (p === root) return true;
    }
    return false;
  };
  return [...parent.keys()].filter(inTree);
}
