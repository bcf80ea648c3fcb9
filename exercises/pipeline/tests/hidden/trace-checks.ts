// Properties of the pipeline read from the trace (hidden tests only). The trace records
// every send (with the message as delivered), every delivery (with the mailbox length
// after it), every receive from the mailbox, spawns and exits.
import type { TraceRecord } from '#harness';
import type { StageSpec } from '../../protocol.ts';
import { describeSpec } from '../public/driver.ts';

export interface TraceJson {
  readonly names: Record<string, string>;
  readonly events: readonly TraceRecord[];
  readonly truncated: number;
}

type Msg = { type?: string; seq?: number; n?: number; payload?: { $bytes?: number } };

/** The stage processes, first to last, and how to name them to a student. */
export interface Chain {
  readonly pids: readonly number[];
  readonly testPid: number;
  readonly stages: readonly StageSpec[];
}

export function stageName(chain: Chain, pid: number, role: 'source' | 'sink'): string {
  if (pid === chain.testPid) return `the ${role}`;
  const i = chain.pids.indexOf(pid);
  return i < 0 ? `process <${pid}>` : `stage ${i} (${describeSpec(chain.stages[i]!)})`;
}

/**
 * Follows `demand` messages from the last stage back to the source: each stage grants its
 * upstream first thing. Returns the chain, or what went wrong in words.
 */
export function findChain(trace: TraceJson, testPid: number, input: number, output: number, stages: readonly StageSpec[]): Chain | string {
  const grantsTo = new Map<number, number>();
  for (const e of trace.events) {
    if (e.kind !== 'send' || (e.msg as Msg).type !== 'demand') continue;
    const from = e.from as number;
    if (from !== testPid && !grantsTo.has(from)) grantsTo.set(from, e.to as number);
  }
  const path: number[] = [];
  for (let pid: number | undefined = output; pid !== testPid; pid = grantsTo.get(pid)) {
    if (pid === undefined) return `stage ${stages.length - path.length} never granted demand to its upstream`;
    if (path.includes(pid) || path.length > stages.length) return 'following demand from the last stage upstream never reached the source';
    path.push(pid);
  }
  path.reverse();
  if (path.length !== stages.length || path[0] !== input) {
    return `following demand from the last stage upstream reached the source after ${path.length} processes; expected the ${stages.length} stages, the first being the input`;
  }
  return { pids: path, testPid, stages };
}

/** Links of the chain, upstream → downstream: source → stage 0 → … → stage n-1 → sink. */
function links(chain: Chain): { up: number; down: number }[] {
  const all = [chain.testPid, ...chain.pids, chain.testPid];
  return all.slice(0, -1).map((up, i) => ({ up, down: all[i + 1]! }));
}

/** Every item sent over a link must be covered by demand the receiver had granted before. */
export function creditViolation(trace: TraceJson, chain: Chain): string | undefined {
  for (const { up, down } of links(chain)) {
    let demand = 0;
    let items = 0;
    for (const e of trace.events) {
      if (e.kind !== 'send') continue;
      const msg = e.msg as Msg;
      if (e.from === down && e.to === up && msg.type === 'demand') demand += msg.n ?? 0;
      if (e.from === up && e.to === down && msg.type === 'item') {
        items++;
        if (items > demand) {
          return (
            `${stageName(chain, up, 'source')} sent item ${msg.seq} to ${stageName(chain, down, 'sink')} at t=${e.t} ms, ` +
            `its item number ${items} on that link, but ${stageName(chain, down, 'sink')} had granted only ${demand}: ` +
            'a stage may send only as many items as its downstream has asked for (count the credit; when it is 0, keep the item and wait for demand)'
          );
        }
      }
    }
  }
  return undefined;
}

/** A stage may hold at most `window` items: granted upstream minus passed on downstream. */
export function windowViolation(trace: TraceJson, chain: Chain, window: number): string | undefined {
  const all = [chain.testPid, ...chain.pids, chain.testPid];
  for (let i = 0; i < chain.pids.length; i++) {
    const pid = chain.pids[i]!;
    const up = all[i]!,
      down = all[i + 2]!;
    let granted = 0;
    let out = 0;
    for (const e of trace.events) {
      if (e.kind !== 'send' || e.from !== pid) continue;
      const msg = e.msg as Msg;
      if (e.to === down && msg.type === 'item') out++;
      if (e.to === up && msg.type === 'demand') {
        granted += msg.n ?? 0;
        if (granted - out > window) {
          return (
            `${stageName(chain, pid, 'source')} had asked its upstream for ${granted} items in all by t=${e.t} ms but had passed on only ${out}: ` +
            `it took on ${granted - out} items while its window is ${window}. Grant one more item upstream only after passing one on downstream, ` +
            'or a slow stage after it makes it hoard items without bound'
          );
        }
      }
    }
  }
  return undefined;
}

/** Items waiting in a stage's mailbox, rebuilt from deliveries and receives. */
export function mailboxViolation(trace: TraceJson, chain: Chain, window: number): string | undefined {
  const items = new Set<number>();
  for (const e of trace.events) if (e.kind === 'send' && (e.msg as Msg).type === 'item') items.add(e.id as number);
  const waiting = new Map<number, Set<number>>(chain.pids.map((p) => [p, new Set<number>()]));
  for (const e of trace.events) {
    if (e.kind === 'deliver' && (e.queued as number) > 0 && items.has(e.id as number)) {
      const box = waiting.get(e.to as number);
      if (!box) continue;
      box.add(e.id as number);
      if (box.size > window) {
        return (
          `${stageName(chain, e.to as number, 'sink')} had ${box.size} items waiting in its mailbox at t=${e.t} ms (${e.queued} messages in all), ` +
          `more than its window of ${window}: its upstream sent items it had not asked for`
        );
      }
    } else if (e.kind === 'receive') {
      waiting.get(e.pid as number)?.delete(e.id as number);
    } else if (e.kind === 'exit') {
      waiting.get(e.pid as number)?.clear();
    }
  }
  return undefined;
}

/**
 * Ownership: the trace holds each message as delivered, so the buffer of an item a stage
 * received is the stage's own. Once the stage has moved it on with `transfer`, it is
 * detached: the trace shows 0 bytes. A copy, or another buffer sent in its place, leaves
 * the received buffer intact.
 */
export function ownershipViolation(trace: TraceJson, chain: Chain, inputs: readonly Uint8Array[]): string | undefined {
  // (stage pid, seq) of every item a stage passed on: only those buffers must be detached.
  const passed = new Set<string>();
  for (const e of trace.events) {
    if (e.kind === 'send' && (e.msg as Msg).type === 'item' && chain.pids.includes(e.from as number)) passed.add(`${e.from}:${(e.msg as Msg).seq}`);
  }
  for (const e of trace.events) {
    if (e.kind !== 'send') continue;
    const msg = e.msg as Msg;
    const i = chain.pids.indexOf(e.to as number);
    if (msg.type !== 'item' || i < 0 || !passed.has(`${e.to}:${msg.seq}`)) continue;
    const left = msg.payload?.$bytes ?? -1;
    if (left !== 0) {
      return (
        `${stageName(chain, e.to as number, 'sink')} received item ${msg.seq} (a ${inputs[msg.seq!]?.length ?? '?'}-byte buffer) and passed the item on, ` +
        `but the buffer it received still held ${left} bytes afterwards: it sent a copy, or a different buffer, instead of moving the one it owned. ` +
        'Transform the received bytes in place and send that same ArrayBuffer with { transfer: [payload] }.'
      );
    }
  }
  return undefined;
}

/** When the sink was sent `failed` (virtual ms), if it was. */
export function failedAt(trace: TraceJson, testPid: number): number | undefined {
  return trace.events.find((e) => e.kind === 'send' && e.to === testPid && (e.msg as Msg).type === 'failed')?.t;
}
