// Reading a shared memory's snapshot (memory.ts) after something went wrong: the cycle of a
// deadlock (who holds what, who waits for what, and the lock operations that led there), and
// lost updates (a task wrote a field from a value it had read before another task changed it).
// Plain functions over plain data: a test runs them on the snapshot its kernel sent back.
import type { MemorySnapshot, SharedEvent, TaskState } from './memory.ts';

export interface DeadlockStep {
  readonly task: string;
  readonly holds: readonly string[];
  /** The lock it waits for, and the mode for a read-write lock. */
  readonly waitsFor: string;
  readonly mode?: 'read' | 'write';
  /** The next task of the cycle: it holds what this one waits for. */
  readonly heldBy: string;
}

export interface Deadlock {
  readonly cycle: readonly DeadlockStep[];
  /** The lock operations of the tasks in the cycle, in order, up to the last wait. */
  readonly sequence: readonly SharedEvent[];
}

/** Tasks that wait for a lock, each with the tasks holding it: the wait-for graph. */
export function waitsForGraph(snapshot: MemorySnapshot): Map<string, TaskState> {
  const out = new Map<string, TaskState>();
  for (const t of snapshot.tasks) if (!t.ended && t.waitsFor?.kind === 'lock') out.set(t.task, t);
  return out;
}

/** A cycle in the wait-for graph, if there is one (the first found, from the task that waited longest). */
export function findDeadlock(snapshot: MemorySnapshot): Deadlock | undefined {
  const graph = waitsForGraph(snapshot);
  const starts = [...graph.values()].sort((a, b) => a.waitsFor!.since - b.waitsFor!.since);
  for (const start of starts) {
    const path: string[] = [];
    const onPath = new Map<string, number>();
    let at: string | undefined = start.task;
    while (at !== undefined && !onPath.has(at)) {
      onPath.set(at, path.length);
      path.push(at);
      const t = graph.get(at);
      at = t?.waitsFor?.heldBy.find((h) => graph.has(h) || h === at);
    }
    if (at === undefined) continue;
    const cyc = path.slice(onPath.get(at));
    const cycle: DeadlockStep[] = cyc.map((name, i) => {
      const t = graph.get(name)!;
      const next = cyc[(i + 1) % cyc.length]!;
      return { task: name, holds: t.holds, waitsFor: t.waitsFor!.target, ...(t.waitsFor!.mode ? { mode: t.waitsFor!.mode } : {}), heldBy: next };
    });
    const members = new Set(cyc);
    const lastWait = Math.max(...cyc.map((n) => graph.get(n)!.waitsFor!.since));
    const sequence = snapshot.events.filter((e) => members.has(e.task) && e.seq <= lastWait && LOCK_OPS.has(e.op));
    return { cycle, sequence };
  }
  return undefined;
}

const LOCK_OPS = new Set<SharedEvent['op']>(['lock', 'wait-lock', 'unlock', 'wait', 'woken', 'signal', 'broadcast']);

export interface LostUpdate {
  /** "acc-1.balance" */
  readonly location: string;
  /** The task whose change was lost, and its write. */
  readonly lost: SharedEvent;
  /** The task that overwrote it, its stale read, and its write. */
  readonly staleRead: SharedEvent;
  readonly overwrite: SharedEvent;
  /** What happened from the stale read to the overwrite: both tasks' operations on this location and their lock operations. */
  readonly interleaving: readonly SharedEvent[];
}

/**
 * Writes made from a stale read: task B read a field, task A then wrote it, and B wrote it
 * without reading it again, so A's change is gone. (B's write may not depend on what it read;
 * this names the candidates, to be read beside the failure they explain.)
 */
export function findLostUpdates(events: readonly SharedEvent[], limit = 5): LostUpdate[] {
  const out: LostUpdate[] = [];
  const lastRead = new Map<string, SharedEvent>(); // location + task → its latest read
  const writes = new Map<string, SharedEvent[]>(); // location → writes, in order
  for (const e of events) {
    if (e.op !== 'read' && e.op !== 'write') continue;
    const loc = `${e.target}.${e.field ?? ''}`;
    if (e.op === 'read') {
      lastRead.set(`${loc}\n${e.task}`, e);
      continue;
    }
    const read = lastRead.get(`${loc}\n${e.task}`);
    const list = writes.get(loc) ?? [];
    if (read) {
      const between = list.filter((w) => w.seq > read.seq && w.task !== e.task);
      const lost = between.at(-1);
      if (lost && out.length < limit) {
        const pair = new Set([lost.task, e.task]);
        const interleaving = events.filter(
          (x) =>
            x.seq >= read.seq &&
            x.seq <= e.seq &&
            pair.has(x.task) &&
            (x.op === 'read' || x.op === 'write' ? `${x.target}.${x.field ?? ''}` === loc : LOCK_OPS.has(x.op)),
        );
        out.push({ location: loc, lost, staleRead: read, overwrite: e, interleaving });
      }
    }
    list.push(e);
    writes.set(loc, list);
    lastRead.delete(`${loc}\n${e.task}`);
  }
  return out;
}

/** One event as a line: "t=12  #40  transfer t-3   waits for lock acc-2 (held by transfer t-7)". */
export function describeEvent(e: SharedEvent, width = 18): string {
  const mode = e.mode ? ` (${e.mode})` : '';
  let what: string;
  switch (e.op) {
    case 'lock':
      what = `locked ${e.target}${mode}`;
      break;
    case 'wait-lock':
      what = `waits for ${e.target}${mode}${e.heldBy?.length ? `, held by ${e.heldBy.join(', ')}` : ''}`;
      break;
    case 'unlock':
      what = `unlocked ${e.target}${mode}`;
      break;
    case 'wait':
      what = `waits on condition ${e.target} (its mutex released)`;
      break;
    case 'woken':
      what = `woken on ${e.target}${e.field === 'spurious' ? ' (spurious: no signal)' : ''}`;
      break;
    case 'signal':
      what = `signals ${e.target}`;
      break;
    case 'broadcast':
      what = `broadcasts ${e.target}`;
      break;
    case 'read':
      what = `read  ${e.target}.${e.field} = ${JSON.stringify(e.value)}`;
      break;
    case 'write':
      what = `wrote ${e.target}.${e.field} = ${JSON.stringify(e.value)}`;
      break;
    case 'atomic':
      what = `${e.target}.${e.field} → ${JSON.stringify(e.value)}`;
      break;
    default:
      what = e.op;
  }
  return `t=${String(e.t).padEnd(5)} ${e.task.padEnd(width)} ${what}`;
}

/** The deadlock as the report shows it: the cycle, then the sequence that led there (its last `lines`). */
export function formatDeadlock(d: Deadlock, lines = 12): string {
  const width = Math.max(...d.cycle.map((s) => s.task.length));
  const out = [
    `deadlock: ${d.cycle.length === 1 ? 'a task waits for a lock it holds itself' : `${d.cycle.length} tasks wait in a cycle, each for a lock the next one holds`}:`,
  ];
  for (const s of d.cycle) {
    const holds = s.holds.length ? `holds ${s.holds.join(', ')}` : 'holds nothing';
    out.push(`  ${s.task.padEnd(width)}  ${holds}; waits for ${s.waitsFor}${s.mode ? ` (${s.mode})` : ''}, held by ${s.heldBy}`);
  }
  const seq = d.sequence.slice(-lines);
  out.push(`how it came to this (lock operations of these tasks${d.sequence.length > seq.length ? `, last ${seq.length}` : ''}):`);
  for (const e of seq) out.push(`  ${describeEvent(e, width)}`);
  return out.join('\n');
}

/** A lost update as the report shows it. */
export function formatLostUpdate(u: LostUpdate, lines = 12): string {
  const a = u.lost.task,
    b = u.overwrite.task;
  const width = Math.max(a.length, b.length);
  const out = [
    `lost update on ${u.location}: ${b} read ${JSON.stringify(u.staleRead.value)}, then ${a} wrote ${JSON.stringify(u.lost.value)}, then ${b} wrote ${JSON.stringify(u.overwrite.value)} from its old read: ${a}'s change is lost.`,
    'the interleaving:',
  ];
  for (const e of u.interleaving.slice(-lines)) out.push(`  ${describeEvent(e, width)}`);
  return out.join('\n');
}
