// The simulated network between the kernels of one cluster: the FoundationDB approach.
// Every fault is drawn from the cluster's seeded generator, so a failing run replays
// exactly from its seed.
//
// What it promises, and what it does not:
//  - Without `reorder`, messages between one pair of processes arrive in the order sent
//    (each link between two kernels is FIFO), minus those dropped by faults.
//  - `drop` and `duplicate` apply to messages. Exit signals and DOWN messages are never
//    lost (they stand for the connection-level failure detection of Erlang's distribution):
//    when a kernel crashes, linked and monitoring processes elsewhere see 'noconnection'.
//  - A partition drops every message between the two sides until `heal()`.
import type { Envelope, Kernel, Proc, Router } from '#runtime/kernel';
import type { Random } from '#runtime/prng';
import type { Ref } from '#runtime/ref';
import type { Scheduler } from '#runtime/scheduler';
import type { Trace } from '#runtime/trace';

export interface NetworkOptions {
  /** One-way latency in virtual ms, drawn uniformly from [min, max] (default 1..5). */
  readonly latency?: { readonly min: number; readonly max: number };
  /** Probability that a message is lost (default 0). */
  readonly drop?: number;
  /** Probability that a message is delivered twice (default 0). */
  readonly duplicate?: number;
  /** Let messages between one pair overtake each other (default false: FIFO links). */
  readonly reorder?: boolean;
}

export class Network implements Router {
  private latency: { min: number; max: number };
  private drop: number;
  private duplicate: number;
  private reorder: boolean;
  /** FIFO links: last scheduled arrival and messages in flight, per directed kernel pair. */
  private readonly lastArrival = new Map<number, number>();
  private readonly inFlight = new Map<number, Envelope[]>();
  private partitions: [Set<number>, Set<number>][] = [];

  constructor(
    private readonly scheduler: Scheduler,
    private readonly kernels: Kernel[],
    private readonly random: Random,
    private readonly trace: Trace | undefined,
    options: NetworkOptions = {},
  ) {
    this.latency = { min: 1, max: 5 };
    this.drop = 0;
    this.duplicate = 0;
    this.reorder = false;
    this.configure(options);
  }

  /** Changes fault settings from now on (e.g. start dropping after a warm-up). */
  configure(options: NetworkOptions): void {
    if (options.latency) this.latency = { ...options.latency };
    if (options.drop !== undefined) this.drop = checkProbability('drop', options.drop);
    if (options.duplicate !== undefined) this.duplicate = checkProbability('duplicate', options.duplicate);
    if (options.reorder !== undefined) this.reorder = options.reorder;
    if (this.latency.min < 0 || this.latency.max < this.latency.min) {
      throw new RangeError(`latency must satisfy 0 <= min <= max, got ${this.latency.min}..${this.latency.max}`);
    }
  }

  partition(a: readonly number[], b: readonly number[]): void {
    this.partitions.push([new Set(a), new Set(b)]);
    this.trace?.record({ kind: 'fault', what: `partition {${a.join(',')}} | {${b.join(',')}}` });
  }

  heal(): void {
    this.partitions = [];
    this.trace?.record({ kind: 'fault', what: 'partition healed' });
  }

  isPartitioned(from: number, to: number): boolean {
    return this.partitions.some(([a, b]) => (a.has(from) && b.has(to)) || (b.has(from) && a.has(to)));
  }

  transmit(from: Kernel, env: Envelope, target: Ref): void {
    const to = this.kernels[target.kernel];
    if (to === undefined) throw new Error(`no kernel ${target.kernel} in this cluster`);
    let copies = 1;
    if (env.kind === 'msg') {
      if (this.isPartitioned(from.id, to.id)) return from.drop(env, 'partition');
      if (this.drop > 0 && this.random.next() < this.drop) return from.drop(env, 'network');
      if (this.duplicate > 0 && this.random.next() < this.duplicate) copies = 2;
    }
    for (let i = 0; i < copies; i++) {
      const copy: Envelope = i === 0 ? env : { ...env, id: this.scheduler.nextId() };
      if (i > 0) this.trace?.record({ kind: 'duplicate', from: env.from, to: env.to, id: copy.id, of: env.id });
      const arrival = this.arrival(from.id, to.id);
      if (this.reorder) {
        this.scheduler.setTimer(arrival - this.scheduler.now(), () => to.enqueue(copy));
      } else {
        // Arrival timers of one link may fall due together and fire in any order: each one
        // delivers the head of the link, so the link stays FIFO whatever the pick.
        const key = from.id * 65536 + to.id;
        let queue = this.inFlight.get(key);
        if (queue === undefined) this.inFlight.set(key, (queue = []));
        queue.push(copy);
        this.scheduler.setTimer(arrival - this.scheduler.now(), () => to.enqueue(queue.shift()!));
      }
    }
  }

  private arrival(from: number, to: number): number {
    const { min, max } = this.latency;
    const delay = min + Math.floor(this.random.next() * (max - min + 1));
    let at = this.scheduler.now() + delay;
    if (!this.reorder) {
      const key = from * 65536 + to;
      at = Math.max(at, this.lastArrival.get(key) ?? 0);
      this.lastArrival.set(key, at);
    }
    return at;
  }

  isAlive(target: Ref): boolean {
    const kernel = this.kernels[target.kernel];
    return kernel !== undefined && kernel.up && kernel.isAlive(target);
  }

  proc(target: Ref): Proc | undefined {
    return this.kernels[target.kernel]?.local(target);
  }
}

function checkProbability(name: string, p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${name} must be a probability between 0 and 1, got ${p}`);
  return p;
}
