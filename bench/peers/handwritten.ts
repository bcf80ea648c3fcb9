// The practical limit: a minimal hand-written actor loop with nothing but what message
// passing needs. An actor is an index; each has a mailbox (a FIFO queue) and a handler
// function; a run queue holds the actors with mail; a while loop hands each one message at
// a time to its handler. No copying, no tracing, no links, no timers, no async.
import { cpuMsSince, type Implementation, type Outcome } from '../lib/types.ts';

type Handler<M> = (self: number, msg: M) => void;

/** A FIFO: a growable ring buffer (power-of-two capacity). Taken slots are cleared. */
class Fifo<T> {
  private items: (T | undefined)[] = new Array(8);
  private mask = 7;
  private head = 0;
  private tail = 0;
  get size(): number {
    return (this.tail - this.head) & this.mask;
  }
  push(item: T): void {
    this.items[this.tail] = item;
    this.tail = (this.tail + 1) & this.mask;
    if (this.tail === this.head) this.grow();
  }
  shift(): T {
    const item = this.items[this.head] as T;
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    return item;
  }
  private grow(): void {
    const old = this.items,
      n = old.length;
    const items: (T | undefined)[] = new Array(n * 2);
    for (let i = 0; i < n; i++) items[i] = old[(this.head + i) & this.mask];
    this.items = items;
    this.head = 0;
    this.tail = n;
    this.mask = n * 2 - 1;
  }
}

export class MiniActors<M> {
  protected readonly handlers: Handler<M>[] = [];
  protected readonly mailboxes: Fifo<M>[] = [];
  protected readonly queued: boolean[] = [];
  protected readonly runQueue = new Fifo<number>();

  spawn(handler: Handler<M>): number {
    this.handlers.push(handler);
    this.mailboxes.push(new Fifo<M>());
    this.queued.push(false);
    return this.handlers.length - 1;
  }

  send(to: number, msg: M): void {
    this.mailboxes[to]!.push(msg);
    if (!this.queued[to]) {
      this.queued[to] = true;
      this.runQueue.push(to);
    }
  }

  /** Runs until no actor has mail. */
  run(): void {
    const { handlers, mailboxes, queued, runQueue } = this;
    while (runQueue.size > 0) {
      const id = runQueue.shift();
      const mailbox = mailboxes[id]!;
      handlers[id]!(id, mailbox.shift());
      if (mailbox.size > 0) runQueue.push(id);
      else queued[id] = false;
    }
  }
}

/**
 * The same loop, plus the isolation this runtime gives every message: the receiver gets a
 * deep-frozen copy (plain objects and arrays; frozen data is shared). A reference row: what
 * copy-on-send costs at a minimum, with no kernel around it.
 */
export class CopyingMiniActors<M> extends MiniActors<M> {
  override send(to: number, msg: M): void {
    super.send(to, copyFrozen(msg));
  }
}

function copyFrozen<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  if (Array.isArray(value)) return Object.freeze(value.map(copyFrozen)) as T;
  const out: Record<string, unknown> = {};
  for (const key in value) out[key] = copyFrozen((value as Record<string, unknown>)[key]);
  return Object.freeze(out) as T;
}

type PingMsg = { type: 'start' } | { type: 'ping'; n: number; replyTo: number } | { type: 'pong'; n: number };
type RingMsg = { type: 'next'; next: number } | { type: 'token'; hop: number };
type CountMsg = { type: 'inc' } | { type: 'get'; replyTo: number } | { type: 'start' } | { type: 'count'; n: number };
type FanMsg = { type: 'start' } | { type: 'job'; round: number; n: number; replyTo: number } | { type: 'done'; round: number; n: number };

interface Probe {
  result?: number;
  detail?: number;
}

/** Wires (untimed), then times the kick-off message until the loop drains. */
function timed<M>(actors: MiniActors<M>, probe: Probe, kick: () => void): Promise<Outcome> {
  actors.run();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  kick();
  actors.run();
  const ms = performance.now() - t0;
  return Promise.resolve({ result: probe.result ?? -1, detail: probe.detail, ms, cpuMs: cpuMsSince(cpu) });
}

type Make = <M>() => MiniActors<M>;

function runners(make: Make): Implementation['runners'] {
  return {
    'ping-pong': ({ roundTrips }) => {
      const a = make<PingMsg>();
      const probe: Probe = {};
      const ponger = a.spawn((self, msg) => {
        if (msg.type === 'ping') a.send(msg.replyTo, { type: 'pong', n: msg.n });
      });
      const pinger = a.spawn((self, msg) => {
        if (msg.type === 'start') a.send(ponger, { type: 'ping', n: 1, replyTo: self });
        else if (msg.type === 'pong') {
          if (msg.n < roundTrips) a.send(ponger, { type: 'ping', n: msg.n + 1, replyTo: self });
          else probe.result = msg.n;
        }
      });
      return timed(a, probe, () => a.send(pinger, { type: 'start' }));
    },

    'thread-ring': ({ actors, hops }) => {
      const a = make<RingMsg>();
      const probe: Probe = {};
      for (let index = 0; index < actors; index++) {
        let next = -1;
        a.spawn((_self, msg) => {
          if (msg.type === 'next') next = msg.next;
          else if (msg.hop === hops) {
            probe.result = msg.hop;
            probe.detail = index;
          } else a.send(next, { type: 'token', hop: msg.hop + 1 });
        });
      }
      for (let i = 0; i < actors; i++) a.send(i, { type: 'next', next: (i + 1) % actors });
      return timed(a, probe, () => a.send(0, { type: 'token', hop: 0 }));
    },

    counting: ({ messages }) => {
      const a = make<CountMsg>();
      const probe: Probe = {};
      let count = 0;
      const counter = a.spawn((_self, msg) => {
        if (msg.type === 'inc') count++;
        else if (msg.type === 'get') a.send(msg.replyTo, { type: 'count', n: count });
      });
      const producer = a.spawn((self, msg) => {
        if (msg.type === 'start') {
          for (let i = 0; i < messages; i++) a.send(counter, { type: 'inc' });
          a.send(counter, { type: 'get', replyTo: self });
        } else if (msg.type === 'count') probe.result = msg.n;
      });
      return timed(a, probe, () => a.send(producer, { type: 'start' }));
    },

    'fan-out': ({ workers, rounds }) => {
      const a = make<FanMsg>();
      const probe: Probe = {};
      const pool: number[] = [];
      for (let i = 0; i < workers; i++) {
        pool.push(
          a.spawn((_self, msg) => {
            if (msg.type === 'job') a.send(msg.replyTo, { type: 'done', round: msg.round, n: msg.n * 2 });
          }),
        );
      }
      let round = 0,
        pending = 0,
        replies = 0,
        sum = 0;
      const master = a.spawn((self, msg) => {
        if (msg.type === 'done') {
          if (msg.round !== round) throw new Error(`reply for round ${msg.round} during round ${round}`);
          replies++;
          sum += msg.n;
          if (--pending > 0) return;
          if (++round === rounds) {
            probe.result = replies;
            probe.detail = sum;
            return;
          }
        } else if (msg.type !== 'start') return;
        pending = workers;
        for (let i = 0; i < workers; i++) a.send(pool[i]!, { type: 'job', round, n: i, replyTo: self });
      });
      return timed(a, probe, () => a.send(master, { type: 'start' }));
    },
  };
}

export const handwrittenPeer: Implementation = {
  id: 'handwritten',
  label: 'hand-written loop',
  scale: { min: 1, max: 64 },
  runners: runners(() => new MiniActors()),
};

export const handwrittenCopyingPeer: Implementation = {
  id: 'handwritten-copy',
  label: 'hand-written + copy/freeze',
  scale: { min: 1, max: 64 },
  runners: runners(() => new CopyingMiniActors()),
};
