// A process as the engine keeps it: its mailbox, the channels that feed it, its links,
// monitors, timers and names. Nothing here is reachable from process code: the context a
// process gets holds its Proc in a JavaScript-private field.
import type { Behavior } from '../behavior.ts';
import type { ProcessContext } from '../context.ts';
import type { ExitReason } from '../exit.ts';
import { Fifo, Queue } from '../queue.ts';
import type { Ref } from '../ref.ts';
import type { Source } from '../scheduler.ts';
import type { Timer } from '../timers.ts';
import type { Engine } from './engine.ts';
import { plainEnvelope, type Envelope } from './envelope.ts';

/** A pending receive, select or ask: `select` says which clause an envelope matches (-1: none). */
export interface Wait {
  readonly select: (env: Envelope) => number;
  readonly take: (env: Envelope, clause: number) => void;
  timer?: Timer;
}

/** A timer started by key (Akka's TimerScheduler): starting the key again replaces it. */
export interface KeyedTimer {
  readonly key: string | symbol;
  /** Its messages carry this id; a message whose id is no longer current is discarded. */
  readonly id: number;
  /** Pending: undefined once a single timer has fired. */
  timer: Timer | undefined;
  /** Periodic timers: the interval. */
  readonly interval: number | undefined;
  readonly msg: unknown;
}

/** Inbound channels a process keeps before the idle ones are swept. */
export const SWEEP_AT = 64;

/**
 * The messages from one sender to one receiver, in order. A plain message (see plainEnvelope)
 * waits as two slots, its id and its message, and gets its envelope when it is delivered.
 */
export class Channel implements Source {
  readyIndex = -1;
  /** Used since the last sweep of its receiver's channels. */
  used = true;
  /** Envelopes and plain messages' pairs of slots: its length counts slots, not messages. */
  private readonly queue = new Fifo<unknown>();
  constructor(
    private readonly deliver: (to: Proc, env: Envelope) => void,
    readonly to: Proc,
    private readonly from: number,
    /** The receiver's kernel, which every plain message is from (kept here: read per message). */
    private readonly localKernel: number,
  ) {}
  get empty(): boolean {
    return this.queue.length === 0;
  }
  push(env: Envelope): void {
    this.queue.push(env);
  }
  pushPlain(id: number, msg: unknown): void {
    this.queue.push(id);
    this.queue.push(msg);
  }
  fire(): boolean {
    const queue = this.queue;
    const head = queue.shift();
    this.deliver(this.to, typeof head === 'number' ? plainEnvelope(head, this.from, this.localKernel, this.to.pid, queue.shift()) : (head as Envelope));
    return queue.length > 0;
  }
}

/** The waits of every process that has none: shared, and frozen so that a push to it throws. */
const NO_WAITS: Wait[] = Object.freeze([]) as unknown as Wait[];

export class Proc {
  readonly mailbox = new Queue<Envelope>();
  /** Pending receives, selects and asks, oldest first. Added with addWait, dropped with dropWaits. */
  waits: Wait[] = NO_WAITS;
  /** Its last satisfied receive without a timer, free for its next one (async loops: one object less per message). */
  spareWait: Wait | undefined = undefined;
  /**
   * The tables below are made on first use (an idle process holds none): the `…Table` field
   * is the table or undefined, for reading without making one; the getter makes it.
   * Inbound channels by sender pid.
   */
  inboundTable: Map<number, Channel> | undefined;
  /** The channel used last, and its sender: most processes hear from one peer at a time. */
  lastFrom = -1;
  lastChannel: Channel | undefined;
  /** Inbound channels beyond which empty ones are swept away. */
  sweepAt = SWEEP_AT;
  /** Linked processes: pid → ref (pids are unique across kernels: one scheduler, or disjoint shares of them). */
  linkTable: Map<number, Ref> | undefined;
  /** Monitors held by this process: monitor id → target (and the ask it serves, if any). */
  watchingTable: Map<number, { target: Ref; ask?: number }> | undefined;
  /** Monitors on this process: monitor id → watcher. */
  watcherTable: Map<number, Ref> | undefined;
  /** Reply aliases of its pending asks. */
  aliasTable: Set<number> | undefined;
  /** Its pending timers. */
  timerTable: Set<Timer> | undefined;
  /** Its registered names. */
  nameTable: Set<string> | undefined;
  trapExit = false;
  exited = false;
  reason: ExitReason | undefined;
  started = false;
  /** What runs in it: an async loop, a behaviour, or (a harness sink) nothing. */
  code: 'loop' | 'behavior' | 'none' = 'none';
  /** Behaviour processes: the current behaviour, and whether a handler is still running. */
  behavior: Behavior<unknown> | undefined;
  busy = false;
  resumeQueued = false;
  /** Behaviour processes: the message whose handler is running (what `stash` stashes). */
  handling: Envelope | undefined;
  /** Messages put aside by `stash`, in order (allocated on first use, as are the fields below). */
  stash: Envelope[] | undefined;
  /** Keyed timers by key, and by id (to tell a current message from a stale one). */
  keyed: Map<string | symbol, KeyedTimer> | undefined;
  keyedIds: Map<number, KeyedTimer> | undefined;
  /** A receive timeout: `msg` arrives after `ms` without a message. */
  receiveTimeout: { readonly ms: number; readonly msg: unknown } | undefined;
  /** Woken when the process's code has started (start_link waits for this). */
  readonly startWaiters: (() => void)[] = [];
  /** A harness-owned process that hands every delivery to the test side instead of running code. */
  sink: ((env: Envelope) => void) | undefined;
  /** The context its code gets (made when its code starts). */
  ctx: ProcessContext | undefined;

  constructor(
    readonly kernel: Engine,
    readonly pid: number,
    readonly ref: Ref,
    readonly name: string | undefined,
    /** The process that spawned it (the kernel's 'outside' for a process spawned from outside). */
    readonly parent: Ref,
  ) {}

  /**
   * The first wait gets a list of its own sized for one: an empty array grows to 17 slots on
   * its first push, 136 bytes an idle async loop would hold for nothing.
   */
  addWait(wait: Wait): void {
    if (this.waits === NO_WAITS) this.waits = [wait];
    else this.waits.push(wait);
  }

  dropWaits(): void {
    this.waits = NO_WAITS;
  }

  get inbound(): Map<number, Channel> {
    return (this.inboundTable ??= new Map());
  }

  get links(): Map<number, Ref> {
    return (this.linkTable ??= new Map());
  }

  get watching(): Map<number, { target: Ref; ask?: number }> {
    return (this.watchingTable ??= new Map());
  }

  get watchers(): Map<number, Ref> {
    return (this.watcherTable ??= new Map());
  }

  get aliases(): Set<number> {
    return (this.aliasTable ??= new Set());
  }

  get timers(): Set<Timer> {
    return (this.timerTable ??= new Set());
  }

  get names(): Set<string> {
    return (this.nameTable ??= new Set());
  }
}
