// The process table from /proc (Linux): who is whose child, and how much CPU each used.
// The sandbox uses it to find and reap everything a kernel left behind, the watchdog to
// judge a kernel by the CPU time of its process tree.
import { existsSync, readFileSync, readdirSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgrp: number;
  start: string;
  state: string;
  /** CPU time used (user + system), in clock ticks. */
  ticks: number;
  /** CPU time of its children that ended and were waited for (cutime + cstime), in clock ticks. */
  childTicks: number;
}

export function readStat(pid: number): ProcInfo | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // rest[0]=state, [1]=ppid, [2]=pgrp, [11]=utime, [12]=stime, [13]=cutime, [14]=cstime, [19]=starttime (field 22 overall)
    return {
      pid,
      state: rest[0]!,
      ppid: Number(rest[1]),
      pgrp: Number(rest[2]),
      start: rest[19]!,
      ticks: Number(rest[11]) + Number(rest[12]),
      childTicks: Number(rest[13]) + Number(rest[14]),
    };
  } catch {
    return null; // the process ended while we looked
  }
}

function processTable(): ProcInfo[] {
  if (!existsSync('/proc/self/stat')) return [];
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = readStat(Number(name));
    if (info) out.push(info);
  }
  return out;
}

/** root and all its descendants (by parent pid), plus every member of process group `pgrp`. */
export function jobProcesses(root: number, pgrp: number | null): ProcInfo[] {
  const table = processTable();
  const children = new Map<number, ProcInfo[]>();
  for (const p of table) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const found = new Map<number, ProcInfo>();
  const self = table.find((p) => p.pid === root);
  const stack = self ? [self] : [];
  while (stack.length) {
    const p = stack.pop()!;
    if (found.has(p.pid)) continue;
    found.set(p.pid, p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  if (pgrp !== null) for (const p of table) if (p.pgrp === pgrp && !found.has(p.pid)) found.set(p.pid, p);
  return [...found.values()];
}
