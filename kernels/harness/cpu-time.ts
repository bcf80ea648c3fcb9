// CPU time used by a process and all its descendants, from /proc (Linux): the living ones,
// the ended ones not yet waited for (zombies keep their times), and the ended ones that were
// (their time moves into their parent's cutime and cstime). The watchdog
// judges a kernel by the processor time it burns, not by the wall clock, so that a machine
// busy with other work cannot make a correct submission look stuck (grades must not depend
// on load).
import { jobProcesses, readStat } from '../process/proc-table.ts';

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
    this.members ??= jobProcesses(this.root, null).map((p) => p.pid);
    if (this.members.length === 0) return undefined;
    let ticks = 0;
    for (const pid of this.members) {
      const stat = readStat(pid);
      if (stat) ticks += stat.ticks + stat.childTicks;
    }
    return (ticks * 1000) / TICKS_PER_SECOND;
  }

  /** Scans for new descendants, then reads. */
  fresh(): number | undefined {
    this.members = undefined;
    return this.now();
  }
}
