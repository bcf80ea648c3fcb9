// The trace: every spawn, send, delivery, drop, exit, exit signal, restart and timer event,
// in the order the scheduler made them happen. Cheap to keep on: events are kept in columns
// (parallel typed arrays, a ring of at most `limit` events), not as one object each; a send
// keeps its message by reference (it is already frozen). Event objects are made only when
// the trace is read (`all`, `of`, `toJSON`, the chart).
import type { ExitReason } from './exit.ts';
import { chartLines } from './sequence-chart.ts';

export { chartLines, describeMessage, type ChartEntry } from './sequence-chart.ts';

export type DropCause = 'dead' | 'late-reply' | 'network' | 'partition' | 'kernel-down' | 'unknown-name';

export type TraceEvent =
  | { seq: number; t: number; kind: 'spawn'; pid: number; parent: number; name?: string }
  | { seq: number; t: number; kind: 'send'; from: number; to: number; id: number; msg: unknown }
  | { seq: number; t: number; kind: 'deliver'; from: number; to: number; id: number; queued: number }
  | { seq: number; t: number; kind: 'receive'; pid: number; id: number }
  | { seq: number; t: number; kind: 'drop'; from: number; to: number; id: number; cause: DropCause; msg: unknown }
  | { seq: number; t: number; kind: 'duplicate'; from: number; to: number; id: number /** The id of the send it copies. */; of: number }
  | { seq: number; t: number; kind: 'exit'; pid: number; reason: ExitReason }
  | { seq: number; t: number; kind: 'signal'; from: number; to: number; reason: ExitReason }
  | { seq: number; t: number; kind: 'restart'; supervisor: number; child: string; old: number; new: number }
  | { seq: number; t: number; kind: 'timer'; pid: number; op: 'set' | 'fire' | 'cancel'; timer: number; due: number }
  | { seq: number; t: number; kind: 'fault'; what: string }
  /** Code of a process ran while no run was in progress: a promise the runtime does not control resumed it. */
  | { seq: number; t: number; kind: 'outside'; pid: number };

export type TraceKind = TraceEvent['kind'];

type Without<E, K extends keyof TraceEvent> = E extends unknown ? Omit<E, K> : never;
export type TraceInput = Without<TraceEvent, 'seq' | 't'>;

export interface TraceOptions {
  /** Keep only this many of the most recent events. Default 1,000,000. */
  readonly limit?: number;
  /**
   * Keep the message of each send in full for at least this many of the most recent events
   * (default 4,096: far more than a failure report's chart shows, its last 40 lines, and few
   * enough that a long run's messages die young); an older send keeps a summary,
   * `{ type, $elided: true }` (its `type` when it had a string one). `Infinity` keeps
   * every message the trace holds. Keeping every message alive is what made a long trace
   * costly (each one outlived the young generation of the garbage collector).
   */
  readonly detail?: number;
}

/** What an older send's message reads as once the trace keeps only its summary (see `TraceOptions.detail`). */
export interface ElidedMessage {
  readonly type?: string;
  readonly $elided: true;
}

/** True for the summary an older send keeps in place of its message. */
export function isElided(msg: unknown): msg is ElidedMessage {
  return typeof msg === 'object' && msg !== null && (msg as { $elided?: unknown }).$elided === true && Object.isFrozen(msg);
}

/** One block of rows: numbers (t, a, b, c, d per row), kinds, and references. */
interface Chunk {
  readonly nums: Uint32Array;
  /** Values that are not 32-bit unsigned integers (a fractional time, a huge id), by index into `nums`. */
  wide: Map<number, number> | undefined;
  readonly kinds: Uint8Array;
  /** The message of each send row, while the block is in the detail window; then undefined (and the array goes to a new block). */
  msgs: unknown[] | undefined;
  /** An OTHER row's event, a send row's `type` past the trace's table of types (made on first use). */
  notes: unknown[] | undefined;
}

/** A send row's fifth number: its message's `type` string, as 1 + its index in the trace's table of types. */
const NO_TYPE = 0,
  NOTED_TYPE = 0xffffffff,
  MAX_TYPES = 65_536;

const WIDTH = 5;
/** Rows per block of a trace whose limit is at least this (the default's). */
const BLOCK = 4096;

/** The numbers and kinds of one block of rows: what a trace that is gone can give back. */
interface Block {
  readonly nums: Uint32Array;
  readonly kinds: Uint8Array;
}

/**
 * Blocks of traces that are gone (or that a trace let fall off its front), for the next blocks
 * of any trace: on some machines (a VM whose fresh pages fault in from its host) a new block
 * costs fifty times one used before (about 250 µs against 5 for 80 KB on the kit's VM), which
 * was most of what the trace cost there. At most one default trace's worth is kept. A reused
 * block's stale numbers are never read: each row sets its kind and the numbers of that kind.
 */
const spare: Block[] = [];
const SPARE_MAX = 256;
/**
 * Takes back the blocks of a trace once it is gone. Its held value is the blocks alone: a
 * block of messages would keep the trace alive, since messages hold refs into their system.
 * (A WeakRef per trace would not do: looking at one keeps its trace alive for the rest of the
 * job, and a deterministic run is one long job between its turns of the event loop, when
 * these callbacks run.)
 */
const gone = new FinalizationRegistry<readonly Block[]>((blocks) => {
  for (const block of blocks) release(block);
});

function release(block: Block): void {
  if (block.kinds.length === BLOCK && spare.length < SPARE_MAX) spare.push(block);
}

function newBlock(rows: number): Block {
  if (rows === BLOCK) {
    const reused = spare.pop();
    if (reused !== undefined) return reused;
  }
  return { nums: new Uint32Array(rows * WIDTH), kinds: new Uint8Array(rows) };
}

export class Trace {
  /** Events ever recorded. */
  private seq = 0;
  private readonly limit: number;
  /**
   * The stored rows, in blocks of `size`; the last block is filled up to `used`. Whole blocks
   * fall off the front once the trace holds a block more than `limit`: recording stays O(1),
   * with no copying, and only the most recent `limit` rows are shown.
   */
  private readonly chunks: Chunk[] = [];
  /** The blocks of `chunks`, in the same order (for reuse once the trace is gone). */
  private readonly blocks: Block[] = [];
  private readonly size: number;
  private used: number;
  /** Blocks behind the last one whose sends keep their messages: at least `detail` rows. */
  private readonly detailChunks: number;
  // A row's kind says how to read it: SEND (t, from, to, id, type code; msg in msgs), DELIVER
  // (t, from, to, id, queued), RECEIVE (t, pid, id), or OTHER (t; the event without seq and t
  // in notes).
  private nums!: Uint32Array;
  private chunk!: Chunk;
  private kinds!: Uint8Array;
  private msgs!: unknown[];
  /** The `type` strings of sent messages, numbered from 1 in order of first use. */
  private readonly typeCodes = new Map<string, number>();
  private readonly typeNames: string[] = [];
  /** `all` as last made, and the `seq` it was made at. */
  private made: TraceEvent[] | undefined;
  private madeAt = -1;
  /** Display names of processes (spawn name or registered name). */
  readonly names = new Map<number, string>();
  private readonly incarnations = new Map<string, number>();

  constructor(
    private readonly clock: () => number,
    options: TraceOptions = {},
  ) {
    this.limit = Math.max(1, options.limit ?? 1_000_000);
    this.size = Math.min(BLOCK, Math.max(16, this.limit));
    this.used = this.size; // the first row starts a block
    const detail = Math.max(0, options.detail ?? 4096);
    this.detailChunks = detail >= this.limit ? Infinity : Math.ceil(detail / this.size);
    gone.register(this, this.blocks);
  }

  record(event: TraceInput): void {
    const r = this.row();
    this.kinds[r] = OTHER;
    this.noteOf(this.chunk)[r] = event;
  }

  private noteOf(chunk: Chunk): unknown[] {
    return (chunk.notes ??= new Array<unknown>(this.size));
  }

  // The events of every message get their own methods: a row of numbers, no object.
  sent(from: number, to: number, id: number, msg: unknown): void {
    const r = this.row(),
      at = r * WIDTH;
    this.kinds[r] = SEND;
    this.put(at + 1, from);
    this.put(at + 2, to);
    this.put(at + 3, id);
    this.msgs[r] = msg;
    // The summary the row keeps once it leaves the detail window (its message's type, as a
    // number), read now while the message is fresh in cache: reading it then would touch
    // every old message again.
    const type = typeof msg === 'object' && msg !== null ? (msg as { type?: unknown }).type : undefined;
    this.nums[at + 4] = typeof type === 'string' ? this.typeCode(type, r) : NO_TYPE;
  }

  private typeCode(type: string, r: number): number {
    const code = this.typeCodes.get(type);
    if (code !== undefined) return code;
    if (this.typeNames.length >= MAX_TYPES) {
      this.noteOf(this.chunk)[r] = type;
      return NOTED_TYPE;
    }
    this.typeNames.push(type);
    this.typeCodes.set(type, this.typeNames.length);
    return this.typeNames.length;
  }

  delivered(from: number, to: number, id: number, queued: number): void {
    const r = this.row(),
      at = r * WIDTH;
    this.kinds[r] = DELIVER;
    this.put(at + 1, from);
    this.put(at + 2, to);
    this.put(at + 3, id);
    this.put(at + 4, queued);
  }

  received(pid: number, id: number): void {
    const r = this.row(),
      at = r * WIDTH;
    this.kinds[r] = RECEIVE;
    this.put(at + 1, pid);
    this.put(at + 2, id);
  }

  /**
   * Numbers are stored as 32-bit unsigned integers (half the bytes of doubles: fresh memory for
   * the trace is a good part of its cost); any other value goes to the block's `wide` table.
   */
  private put(i: number, value: number): void {
    if (value >>> 0 === value) {
      this.nums[i] = value;
      return;
    }
    this.nums[i] = 0;
    (this.chunk.wide ??= new Map()).set(i, value);
  }

  /** The next row of the last block (its time set), starting a block when that one is full. */
  private row(): number {
    if (this.used === this.size) this.addChunk();
    const r = this.used++;
    this.seq++;
    this.put(r * WIDTH, this.clock());
    return r;
  }

  private addChunk(): void {
    // Every block is full now: the first can go if the others still hold `limit` rows.
    if ((this.chunks.length - 1) * this.size >= this.limit) {
      this.chunks.shift();
      release(this.blocks.shift()!);
    }
    // The block leaving the detail window gives up its messages (it keeps their summaries,
    // written at the send): its array of messages serves the new block. Arrays are made at
    // their full size: one grown row by row cost ten times as much.
    const old = this.chunks[this.chunks.length - 1 - this.detailChunks];
    let msgs: unknown[] | undefined;
    if (old !== undefined && old.msgs !== undefined) {
      msgs = old.msgs.fill(undefined);
      old.msgs = undefined;
    }
    const block = newBlock(this.size);
    this.blocks.push(block);
    const chunk: Chunk = {
      nums: block.nums,
      wide: undefined,
      kinds: block.kinds,
      msgs: msgs ?? new Array<unknown>(this.size),
      notes: undefined,
    };
    this.chunk = chunk;
    this.chunks.push(chunk);
    this.nums = chunk.nums;
    this.kinds = chunk.kinds;
    this.msgs = chunk.msgs!;
    this.used = 0;
  }

  /** Rows held (every block is full but the last). */
  private get stored(): number {
    return this.chunks.length === 0 ? 0 : (this.chunks.length - 1) * this.size + this.used;
  }

  /** Rows shown: the most recent `limit`. */
  private get shown(): number {
    return Math.min(this.stored, this.limit);
  }

  /** Calls `visit` with each shown row (oldest first): its block, its index there, and its seq. */
  private forEachRow(visit: (chunk: Chunk, r: number, seq: number) => void): void {
    const shown = this.shown;
    let skip = this.stored - shown;
    let seq = this.seq - shown;
    for (let c = 0; c < this.chunks.length; c++) {
      const chunk = this.chunks[c]!;
      const rows = c === this.chunks.length - 1 ? this.used : this.size;
      if (skip >= rows) {
        skip -= rows;
        continue;
      }
      for (let r = skip; r < rows; r++) visit(chunk, r, seq++);
      skip = 0;
    }
  }

  /** The event in row `r` of a block, as an object. */
  private eventAt(chunk: Chunk, r: number, seq: number): TraceEvent {
    const n = rowOf(chunk, r),
      t = n[0]!;
    switch (chunk.kinds[r]) {
      case SEND:
        return {
          seq,
          t,
          kind: 'send',
          from: n[1]!,
          to: n[2]!,
          id: n[3]!,
          msg: chunk.msgs === undefined ? elided(this.typeOf(chunk, r, n[4]!)) : chunk.msgs[r],
        };
      case DELIVER:
        return { seq, t, kind: 'deliver', from: n[1]!, to: n[2]!, id: n[3]!, queued: n[4]! };
      case RECEIVE:
        return { seq, t, kind: 'receive', pid: n[1]!, id: n[2]! };
      default:
        return { seq, t, ...(chunk.notes![r] as TraceInput) } as TraceEvent;
    }
  }

  /** The `type` a send row recorded of its message (`code`: the row's fifth number). */
  private typeOf(chunk: Chunk, r: number, code: number): string | undefined {
    if (code === NO_TYPE) return undefined;
    if (code === NOTED_TYPE) return chunk.notes![r] as string;
    return this.typeNames[code - 1];
  }

  /** Events recorded so far (oldest first). `truncated` events fell off the front. */
  get all(): readonly TraceEvent[] {
    if (this.made === undefined || this.madeAt !== this.seq) {
      const out: TraceEvent[] = [];
      this.forEachRow((chunk, r, seq) => out.push(this.eventAt(chunk, r, seq)));
      this.made = out;
      this.madeAt = this.seq;
    }
    return this.made;
  }

  get truncated(): number {
    return this.seq - this.shown;
  }

  get length(): number {
    return this.seq;
  }

  of<K extends TraceKind>(kind: K): Extract<TraceEvent, { kind: K }>[] {
    const out: Extract<TraceEvent, { kind: K }>[] = [];
    this.forEachRow((chunk, r, seq) => {
      if (kindAt(chunk, r) === kind) out.push(this.eventAt(chunk, r, seq) as Extract<TraceEvent, { kind: K }>);
    });
    return out;
  }

  /** Names a process in charts; a name used again (a restarted child) gets #2, #3, … */
  label(pid: number, name: string): void {
    const n = (this.incarnations.get(name) ?? 0) + 1;
    this.incarnations.set(name, n);
    this.names.set(pid, n === 1 ? name : `${name}#${n}`);
  }

  nameOf(pid: number): string {
    if (pid === 0) return 'outside';
    return this.names.get(pid) ?? `<${pid}>`;
  }

  /** JSON-safe events: messages summarised to plain JSON; identical runs give identical JSON. */
  toJSON(): { truncated: number; names: Record<string, string>; events: unknown[] } {
    const names: Record<string, string> = {};
    for (const [pid, name] of this.names) names[pid] = name;
    return {
      truncated: this.truncated,
      names,
      events: this.all.map(jsonEvent),
    };
  }

  /**
   * A readable sequence chart of message traffic, oldest first, e.g.
   *   t=1203  teller → acc-3    reserve  {tx: "t-117", amount: 10}
   *   t=1210  ✂ network dropped  acc-5 → teller credited {tx: "t-117"}
   */
  toChart(options: { last?: number; pids?: readonly number[] } = {}): string {
    return chartLines(this, options)
      .map((l) => l.text)
      .join('\n');
  }
}

const SEND = 0,
  DELIVER = 1,
  RECEIVE = 2,
  OTHER = 3;

const ELIDED: ElidedMessage = Object.freeze({ $elided: true });
/** One summary object per type, made when read (a trace read as JSON shows many of each). */
const elidedOf = new Map<string, ElidedMessage>();

function elided(type: unknown): ElidedMessage {
  if (typeof type !== 'string') return ELIDED;
  let e = elidedOf.get(type);
  if (e === undefined) {
    e = Object.freeze({ type, $elided: true as const });
    if (elidedOf.size < 10_000) elidedOf.set(type, e);
  }
  return e;
}

/** The numbers of row `r` (time first), with any wide value in place. */
function rowOf(chunk: Chunk, r: number): number[] {
  const at = r * WIDTH,
    nums = chunk.nums,
    wide = chunk.wide;
  const out = [nums[at]!, nums[at + 1]!, nums[at + 2]!, nums[at + 3]!, nums[at + 4]!];
  if (wide !== undefined) for (let k = 0; k < WIDTH; k++) if (wide.has(at + k)) out[k] = wide.get(at + k)!;
  return out;
}

function kindAt(chunk: Chunk, r: number): TraceKind {
  const k = chunk.kinds[r];
  return k === SEND ? 'send' : k === DELIVER ? 'deliver' : k === RECEIVE ? 'receive' : (chunk.notes![r] as TraceInput).kind;
}

/**
 * An event as JSON. Messages are summarised; error reasons lose their stack (a stack names
 * whatever drove the run, which is not part of the program: keeping it would make the same
 * program and seed give different JSON).
 */
function jsonEvent(e: TraceEvent): unknown {
  if ('msg' in e) return { ...e, msg: toJsonSafe(e.msg) };
  if ('reason' in e && typeof e.reason === 'object' && 'error' in e.reason) {
    const { name, message } = e.reason.error;
    return { ...e, reason: { error: { name, message } } };
  }
  return e;
}

function toJsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (typeof value === 'number' && !Number.isFinite(value)) return { $number: String(value) };
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof ArrayBuffer) return { $bytes: value.byteLength }; // now: 0 once moved on (tests read that)
  if (ArrayBuffer.isView(value)) return { $bytes: value.byteLength, $view: value.constructor.name };
  if (Array.isArray(value)) return value.map(toJsonSafe);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = toJsonSafe(v);
  return out;
}
