// The boundary between kernels in different threads. Envelopes for another kernel are
// collected and posted in batches per destination — when the sending kernel yields, or
// every BATCH envelopes during a long burst so that the receiving thread can start early —
// so a burst costs one postMessage per batch, not one per message.
//
// A batch is two parts: the envelopes' numbers in a Float64Array, whose buffer is handed
// over without a copy, and the messages. When every message of a batch is plain JSON data
// (the usual case, checked on the sending thread) they travel as one JSON string, which
// parses about three times faster than structured clone builds the same objects; otherwise
// as an array, by structured clone (binary data, transfers, undefined, bigint…). Each pair
// of kernels has its own MessagePort (FIFO), so order between two processes is kept. What
// arrives is a fresh copy, frozen before delivery like any message; the batch is handled at
// once, while it is still in cache.
import type { MessagePort } from 'node:worker_threads';
import type { Envelope, Kernel, Router } from '../../runtime/kernel.ts';
import { buffersIn, freezeArrived } from '../../runtime/message.ts';
import type { Ref } from '../../runtime/ref.ts';

const BATCH = 1024;
/** Numbers per envelope: kind, id, from, fromKernel, to, tag (-1: none), via, moved (1: holds transferred buffers). */
const FIELDS = 8;
const KINDS: readonly Envelope['kind'][] = ['msg', 'exit', 'down', 'link', 'unlink', 'monitor', 'demonitor'];
const VIAS: readonly (Envelope['via'] | undefined)[] = [undefined, 'link', 'exit', 'kill'];

/** What one postMessage carries: `msgs` is one JSON array when every message is plain JSON data. */
interface Batch {
  readonly head: Float64Array;
  readonly count: number;
  readonly msgs: string | unknown[];
}

/** The batch being filled for one peer (its header buffer is reused; a copy of the used part is posted). */
class Outgoing {
  readonly head = new Float64Array(BATCH * FIELDS);
  msgs: unknown[] = [];
  /** Every message so far is plain JSON data. */
  json = true;
  moved = false;

  add(kind: number, id: number, from: number, fromKernel: number, to: number, tag: number | undefined, via: number, moved: boolean, msg: unknown): number {
    const i = this.msgs.length, o = i * FIELDS, head = this.head;
    head[o] = kind;
    head[o + 1] = id;
    head[o + 2] = from;
    head[o + 3] = fromKernel;
    head[o + 4] = to;
    head[o + 5] = tag ?? -1;
    head[o + 6] = via;
    head[o + 7] = moved ? 1 : 0;
    this.msgs.push(msg);
    if (moved) {
      this.moved = true;
      this.json = false; // transferred buffers go by structured clone
    } else if (this.json && !jsonSafe(msg, 0)) {
      this.json = false;
    }
    return i + 1;
  }

  reset(): void {
    this.msgs = [];
    this.json = true;
    this.moved = false;
  }
}

export class Bridge implements Router {
  /** By kernel id: the batch being filled for each live peer (undefined: no such peer, or down). */
  private readonly outbox: (Outgoing | undefined)[] = [];
  private flushing = false;

  constructor(private readonly kernel: Kernel, private readonly ports: ReadonlyMap<number, MessagePort>) {
    kernel.router = this;
    for (const [peer, port] of ports) {
      this.outbox[peer] = new Outgoing();
      port.on('message', (batch: Batch) => {
        if (this.outbox[peer] === undefined) return; // the peer is down: drop its traffic
        const { head, count } = batch;
        const msgs = typeof batch.msgs === 'string' ? JSON.parse(batch.msgs) as unknown[] : batch.msgs;
        for (let i = 0; i < count; i++) {
          const o = i * FIELDS;
          const tag = head[o + 5]!;
          kernel.enqueue({
            kind: KINDS[head[o]!]!,
            id: head[o + 1]!,
            from: head[o + 2]!,
            fromKernel: head[o + 3]!,
            to: head[o + 4]!,
            msg: freezeArrived(msgs[i]),
            tag: tag < 0 ? undefined : tag,
            via: VIAS[head[o + 6]!],
            moved: head[o + 7] === 1,
          });
        }
        kernel.scheduler.runNow();
      });
    }
  }

  transmit(from: Kernel, env: Envelope, target: Ref): void {
    const out = this.outbox[target.kernel];
    if (out === undefined) {
      from.drop(env, 'kernel-down');
      return;
    }
    const n = out.add(KINDS.indexOf(env.kind), env.id, env.from, env.fromKernel, env.to, env.tag, VIAS.indexOf(env.via), env.moved === true, env.msg);
    if (n >= BATCH) {
      this.post(target.kernel, out);
    } else if (!this.flushing) {
      this.flushing = true;
      queueMicrotask(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushing = false;
    for (let peer = 0; peer < this.outbox.length; peer++) {
      const out = this.outbox[peer];
      if (out !== undefined && out.msgs.length > 0) this.post(peer, out);
    }
  };

  private post(peer: number, out: Outgoing): void {
    const count = out.msgs.length;
    const head = out.head.slice(0, count * FIELDS);
    const transfer: ArrayBuffer[] = [head.buffer];
    if (out.moved) {
      for (let i = 0; i < count; i++) if (head[i * FIELDS + 7] === 1) buffersIn(out.msgs[i], transfer);
    }
    const batch: Batch = { head, count, msgs: out.json ? JSON.stringify(out.msgs) : out.msgs };
    out.reset();
    this.ports.get(peer)!.postMessage(batch, transfer);
  }

  /** Without shared memory we cannot look: a process on a live peer is presumed alive. */
  isAlive(target: Ref): boolean {
    return this.outbox[target.kernel] !== undefined;
  }

  /** A peer kernel is gone: drop its traffic and tell linked and monitoring processes. */
  peerDown(peer: number): void {
    if (this.outbox[peer] === undefined) return;
    this.outbox[peer] = undefined;
    this.kernel.peerDown(peer);
  }

  close(): void {
    for (const port of this.ports.values()) port.close();
  }
}

/**
 * True if JSON carries `value` exactly: plain objects and arrays of strings, booleans, null
 * and finite numbers other than -0. Anything else (undefined, holes, bigint, NaN, binary
 * data, objects without a prototype) sends its batch by structured clone.
 */
function jsonSafe(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !(value === 0 && 1 / value < 0);
    case 'object': {
      if (value === null) return true;
      if (depth > 64) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!jsonSafe(value[i], depth + 1)) return false;
        return true;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) return false;
      for (const key in value) if (!jsonSafe((value as Record<string, unknown>)[key], depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}
