// The boundary between kernels in different threads. Envelopes for another kernel are
// collected and posted in batches per destination — when the sending kernel yields, or
// every BATCH envelopes during a long burst so that the receiving thread can start early —
// so a burst costs one postMessage per batch, not one per message. A batch is one flat
// array (structured clone handles a flat array of primitives far faster than many small
// objects). Each pair of kernels has its own MessagePort (FIFO), so order between two
// processes is kept. What arrives is a structured-clone copy; it is frozen before delivery,
// like any message.
import type { MessagePort } from 'node:worker_threads';
import type { Envelope, Kernel, Router } from '../../runtime/kernel.ts';
import { buffersIn, freezeArrived } from '../../runtime/message.ts';
import type { Ref } from '../../runtime/ref.ts';

const BATCH = 1024;
const FIELDS = 9;
const KINDS: readonly Envelope['kind'][] = ['msg', 'exit', 'down', 'link', 'unlink', 'monitor', 'demonitor'];
const VIAS: readonly (Envelope['via'] | undefined)[] = [undefined, 'link', 'exit', 'kill'];

export class Bridge implements Router {
  private readonly outbox = new Map<number, unknown[]>();
  private flushing = false;
  private readonly down = new Set<number>();

  constructor(private readonly kernel: Kernel, private readonly ports: ReadonlyMap<number, MessagePort>) {
    kernel.router = this;
    for (const [peer, port] of ports) {
      port.on('message', (batch: unknown[]) => {
        if (this.down.has(peer)) return;
        for (let i = 0; i < batch.length; i += FIELDS) {
          const msg = freezeArrived(batch[i + 5]);
          kernel.enqueue({
            kind: KINDS[batch[i] as number]!,
            id: batch[i + 1] as number,
            from: batch[i + 2] as number,
            fromKernel: batch[i + 3] as number,
            to: batch[i + 4] as number,
            msg,
            tag: batch[i + 6] as number | undefined,
            via: VIAS[batch[i + 7] as number],
            moved: batch[i + 8] === 1,
          });
        }
      });
    }
  }

  transmit(from: Kernel, env: Envelope, target: Ref): void {
    if (!this.ports.has(target.kernel) || this.down.has(target.kernel)) {
      from.drop(env, 'kernel-down');
      return;
    }
    let batch = this.outbox.get(target.kernel);
    if (batch === undefined) this.outbox.set(target.kernel, (batch = []));
    batch.push(KINDS.indexOf(env.kind), env.id, env.from, env.fromKernel, env.to, env.msg, env.tag, VIAS.indexOf(env.via), env.moved ? 1 : 0);
    if (batch.length >= BATCH * FIELDS) {
      this.post(target.kernel, batch);
      this.outbox.set(target.kernel, []);
    } else if (!this.flushing) {
      this.flushing = true;
      queueMicrotask(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushing = false;
    for (const [peer, batch] of this.outbox) {
      if (batch.length === 0) continue;
      this.post(peer, batch);
      this.outbox.set(peer, []);
    }
  };

  private post(peer: number, batch: unknown[]): void {
    const transfer: ArrayBuffer[] = [];
    for (let i = 0; i < batch.length; i += FIELDS) if (batch[i + 8] === 1) buffersIn(batch[i + 5], transfer);
    this.ports.get(peer)!.postMessage(batch, transfer);
  }

  /** Without shared memory we cannot look: a process on a live peer is presumed alive. */
  isAlive(target: Ref): boolean {
    return this.ports.has(target.kernel) && !this.down.has(target.kernel);
  }

  /** A peer kernel is gone: drop its traffic and tell linked and monitoring processes. */
  peerDown(peer: number): void {
    if (this.down.has(peer)) return;
    this.down.add(peer);
    this.outbox.delete(peer);
    this.kernel.peerDown(peer);
  }

  close(): void {
    for (const port of this.ports.values()) port.close();
  }
}
