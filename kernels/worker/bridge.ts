// The boundary between kernels in different threads. Envelopes for another kernel are
// collected and posted in batches per destination — when the sending kernel yields, or
// every BATCH envelopes during a long burst so that the receiving thread can start early —
// so a burst costs one postMessage per batch, not one per message.
//
// A user message is encoded when it is sent, and that encoding is its snapshot (it stands in
// for the copy a send within a kernel makes). The usual message, a flat record of primitives
// and refs, becomes numbers and a shape (records.ts): no JSON, no structured clone. Other
// plain JSON data becomes JSON text; anything else (binary data, transfers, bigint, undefined
// in an array…) is copied by the kernel and goes by structured clone.
//
// A batch carries the envelopes' numbers in a Float64Array and the records' numbers in
// another, both handed over without a copy; the records' strings; and the other messages,
// as one JSON array when all of them are JSON text (it parses about three times faster than
// structured clone builds the same objects). Each pair of kernels has its own MessagePort
// (FIFO), so order between two processes is kept. What arrives is a fresh copy, frozen
// before delivery like any message; the batch is handled at once, while it is in cache.
import type { MessagePort } from 'node:worker_threads';
import type { Envelope, Kernel, Router } from '../../runtime/kernel.ts';
import { buffersIn, freezeArrived, seal } from '../../runtime/message.ts';
import type { Ref } from '../../runtime/ref.ts';
import { RecordDecoder, RecordEncoder, type Shape } from './records.ts';

const BATCH = 1024;
/** Numbers per envelope: kind, id, from, fromKernel, to, tag (-1: none), via, form, shape (records). */
const FIELDS = 9;
const KINDS: readonly Envelope['kind'][] = ['msg', 'exit', 'down', 'link', 'unlink', 'monitor', 'demonitor'];
const VIAS: readonly (Envelope['via'] | undefined)[] = [undefined, 'link', 'exit', 'kill'];
/** How a message travels: a flat record (see records.ts), JSON text, or an object by structured clone (holding moved buffers or not). */
const RECORD = 0,
  TEXT = 1,
  OBJECT = 2,
  MOVED = 3;

/** What one postMessage carries. `msgs` (messages that are not records; none: undefined) is one JSON array when all of them are JSON text. */
interface Batch {
  readonly head: Float64Array;
  readonly count: number;
  readonly msgs: string | unknown[] | undefined;
  readonly nums: Float64Array | undefined;
  readonly strs: string[] | undefined;
  readonly shapes: Shape[] | undefined;
}

/** The batch being filled for one peer (its header buffer is reused; a copy of the used part is posted). */
class Outgoing {
  readonly head = new Float64Array(BATCH * FIELDS);
  readonly records = new RecordEncoder();
  count = 0;
  msgs: unknown[] = [];
  /** Every message in `msgs` is JSON text. */
  text = true;
  moved = false;

  add(kind: number, id: number, from: number, fromKernel: number, to: number, tag: number | undefined, via: number, form: number, shape: number): number {
    const o = this.count * FIELDS,
      head = this.head;
    head[o] = kind;
    head[o + 1] = id;
    head[o + 2] = from;
    head[o + 3] = fromKernel;
    head[o + 4] = to;
    head[o + 5] = tag ?? -1;
    head[o + 6] = via;
    head[o + 7] = form;
    head[o + 8] = shape;
    return ++this.count;
  }

  /** Adds the message of the envelope just added, if it is not a record. */
  carry(form: number, msg: unknown): void {
    this.msgs.push(msg);
    if (form !== TEXT) this.text = false;
    if (form === MOVED) this.moved = true;
  }

  take(): Batch {
    const { nums, strs, shapes } = this.records.take();
    const msgs = this.msgs.length === 0 ? undefined : this.text ? `[${this.msgs.join(',')}]` : this.msgs;
    const batch: Batch = { head: this.head.slice(0, this.count * FIELDS), count: this.count, msgs, nums, strs, shapes };
    this.count = 0;
    this.msgs = [];
    this.text = true;
    this.moved = false;
    return batch;
  }
}

export class Bridge implements Router {
  /** By kernel id: the batch being filled for each live peer (undefined: no such peer, or down). */
  private readonly outbox: (Outgoing | undefined)[] = [];
  private flushing = false;

  constructor(
    private readonly kernel: Kernel,
    private readonly ports: ReadonlyMap<number, MessagePort>,
  ) {
    kernel.attach(this);
    for (const [peer, port] of ports) {
      this.outbox[peer] = new Outgoing();
      const records = new RecordDecoder();
      port.on('message', (batch: Batch) => {
        if (this.outbox[peer] === undefined) return; // the peer is down: drop its traffic
        const { head, count } = batch;
        const joined = typeof batch.msgs === 'string';
        const msgs = joined ? (JSON.parse(batch.msgs as string) as unknown[]) : (batch.msgs ?? []);
        records.begin(batch.nums, batch.strs, batch.shapes);
        for (let i = 0, j = 0; i < count; i++) {
          const o = i * FIELDS;
          const tag = head[o + 5]!,
            form = head[o + 7]!;
          const msg = form === RECORD ? records.decode(head[o + 8]!) : freezeArrived(form === TEXT && !joined ? JSON.parse(msgs[j++] as string) : msgs[j++]);
          kernel.enqueue({
            kind: KINDS[head[o]!]!,
            id: head[o + 1]!,
            from: head[o + 2]!,
            fromKernel: head[o + 3]!,
            to: head[o + 4]!,
            msg,
            tag: tag < 0 ? undefined : tag,
            via: VIAS[head[o + 6]!],
            moved: form === MOVED,
          });
        }
        kernel.scheduler.runNow();
      });
    }
  }

  /**
   * A user message for another thread: its encoding, made now, is its snapshot. A flat record
   * goes as numbers and a shape. Anything else is copied as within a kernel (from what the
   * encoder read, so each getter runs once) and goes as JSON text if it is plain JSON data,
   * by structured clone if not. Throws what the copy throws for a message that cannot be sent.
   */
  sendFar(from: Kernel, sender: number, target: Ref, message: unknown): boolean {
    const out = this.outbox[target.kernel];
    if (out === undefined) return false;
    const shape = out.records.encode(message);
    let form = RECORD,
      msg: unknown;
    if (shape < 0) {
      const copy = seal(out.records.readBack() ?? message);
      form = jsonSafe(copy, 0) ? TEXT : OBJECT;
      msg = form === TEXT ? JSON.stringify(copy) : copy;
    }
    const n = out.add(0, from.scheduler.nextId(), sender, from.id, target.pid, target.alias, 0, form, shape);
    if (form !== RECORD) out.carry(form, msg);
    this.added(target.kernel, out, n);
    return true;
  }

  transmit(from: Kernel, env: Envelope, target: Ref): void {
    const out = this.outbox[target.kernel];
    if (out === undefined) {
      from.drop(env, 'kernel-down');
      return;
    }
    const form = env.moved === true ? MOVED : jsonSafe(env.msg, 0) ? TEXT : OBJECT;
    const n = out.add(KINDS.indexOf(env.kind), env.id, env.from, env.fromKernel, env.to, env.tag, VIAS.indexOf(env.via), form, -1);
    out.carry(form, form === TEXT ? JSON.stringify(env.msg) : env.msg);
    this.added(target.kernel, out, n);
  }

  private added(peer: number, out: Outgoing, n: number): void {
    if (n >= BATCH) {
      this.post(peer, out);
    } else if (!this.flushing) {
      this.flushing = true;
      queueMicrotask(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushing = false;
    for (let peer = 0; peer < this.outbox.length; peer++) {
      const out = this.outbox[peer];
      if (out !== undefined && out.count > 0) this.post(peer, out);
    }
  };

  private post(peer: number, out: Outgoing): void {
    const moved = out.moved;
    const batch = out.take();
    const transfer: ArrayBuffer[] = [batch.head.buffer as ArrayBuffer];
    if (batch.nums !== undefined) transfer.push(batch.nums.buffer as ArrayBuffer);
    if (moved) {
      const msgs = batch.msgs as unknown[];
      for (let i = 0, j = 0; i < batch.count; i++) {
        const form = batch.head[i * FIELDS + 7];
        if (form === MOVED) buffersIn(msgs[j], transfer);
        if (form !== RECORD) j++;
      }
    }
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
 * data, objects without a prototype) goes by structured clone.
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
