// The boundary between kernels in different threads. Envelopes for another kernel are
// collected and posted as one batch per destination when the sending kernel yields, so a
// burst of messages costs one postMessage, not one each. Each pair of kernels has its own
// MessagePort (FIFO), so order between two processes is kept. What arrives is a
// structured-clone copy; it is frozen before delivery, like any message.
import type { MessagePort } from 'node:worker_threads';
import type { Envelope, Kernel, Router } from '../../runtime/kernel.ts';
import { buffersIn, freezeArrived } from '../../runtime/message.ts';
import type { Ref } from '../../runtime/ref.ts';

export class Bridge implements Router {
  private readonly outbox = new Map<number, Envelope[]>();
  private flushing = false;
  private readonly down = new Set<number>();

  constructor(private readonly kernel: Kernel, private readonly ports: ReadonlyMap<number, MessagePort>) {
    kernel.router = this;
    for (const [peer, port] of ports) {
      port.on('message', (batch: Envelope[]) => {
        if (this.down.has(peer)) return;
        for (const env of batch) {
          freezeArrived(env.msg);
          kernel.enqueue(env);
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
    batch.push(env);
    if (!this.flushing) {
      this.flushing = true;
      queueMicrotask(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushing = false;
    for (const [peer, batch] of this.outbox) {
      if (batch.length === 0) continue;
      const transfer: ArrayBuffer[] = [];
      for (const env of batch) if (env.moved) buffersIn(env.msg, transfer);
      this.ports.get(peer)!.postMessage(batch, transfer);
      this.outbox.set(peer, []);
    }
  };

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
