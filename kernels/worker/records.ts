// Flat records across a thread boundary. Most messages are one flat object of primitives and
// process references: { type: 'put', key: 'k', value: 3, replyTo }. Encoding one costs a walk
// of its keys: numbers go into a Float64Array (exactly: NaN and -0 too), strings into an
// array, and everything else is known from the message's *shape* — its keys in order, the
// kind of each value, and the values of enum-like strings such as `type: 'put'`. Each sender
// learns shapes as it meets them and tells the receiver once (in the batch that first uses
// one); after that a record costs a shape id and its numbers, with no JSON or structured
// clone. The encoding is made at send, so it is the snapshot that stands in for the copy.
//
// A message is read once, field by field, before anything is written: its getters (code,
// which might even send) run then and only then, and the streams never hold half a record.
// Anything that is not a flat record (nested objects, arrays, binary data, bigint, more than
// LIMITS.keys fields), or a shape past the limits, makes `encode` write nothing and return
// -1; `readBack` then gives what was read, for the bridge to send by its other means. The
// limits bound the memory a stream of odd messages (objects used as dictionaries, a string
// field with endless values) can take.
import { setData } from '../../runtime/message.ts';
import { isSealed, makeRef } from '../../runtime/ref.ts';

/**
 * Per sender and receiver: distinct shapes, and entries (fields and nodes) in the tree of
 * shape prefixes; fields in one record. A string field is enum-like (its values part of the
 * shape) for the first `tags` short values seen under that field name.
 */
export const LIMITS = { shapes: 4096, entries: 16384, keys: 64, tags: 16, tagLength: 40 } as const;

// The kind of a value: NUM and STR carry data; REF carries kernel, pid and alias as numbers;
// the rest are known from the shape alone. NONE: not a record's value.
const NUM = 0,
  STR = 1,
  REF = 2,
  TRUE = 3,
  FALSE = 4,
  NULL = 5,
  UNDEFINED = 6,
  TAG = 7,
  NONE = -1;
const CONSTANTS: readonly unknown[] = [undefined, undefined, undefined, true, false, null, undefined]; // by kind; 0–2 are not constants

/** A shape as the receiver learns it: field names, kinds, and the string of each TAG field. */
export interface Shape {
  readonly id: number;
  readonly keys: readonly string[];
  readonly kinds: readonly number[];
  readonly tags: readonly (string | undefined)[];
}

/** A prefix of a shape: the fields so far. A node with an id is a whole shape. */
class Node {
  id = -1;
  /** Next field: by name, then by kind (and by value, for tags). */
  readonly next = new Map<string, Field>();
  constructor(
    readonly parent: Node | undefined,
    readonly key: string,
    readonly kind: number,
    readonly tag: string | undefined,
  ) {}
}

class Field {
  readonly byKind: (Node | undefined)[] = [];
  readonly tags = new Map<string, Node>();
}

/** One message's fields as read (kinds as above, before tags are decided). */
class Reading {
  count = 0;
  readonly keys: string[] = [];
  readonly kinds: number[] = [];
  readonly values: unknown[] = [];
  /** kernel, pid, alias (-1: none) of each REF field, in order. */
  readonly refs: number[] = [];
}

/** One sender's encoder for one receiver. Streams fill until `take`. */
export class RecordEncoder {
  private readonly root = new Node(undefined, '', -1, undefined);
  private entries = 0;
  private shapes = 0;
  private fresh: Shape[] = [];
  private nums = new Float64Array(1024);
  private n = 0;
  private strs: string[] = [];
  /** Distinct tag values made per field name; a name past LIMITS.tags makes no more. */
  private readonly tagsByName = new Map<string, number>();
  /** One reading per nesting level: a getter may send while its message is being read. */
  private readonly readings: Reading[] = [];
  private depth = 0;

  /** Appends `message` and returns its shape id; or -1, appending nothing, if it is not a flat record. */
  encode(message: unknown): number {
    const reading = (this.readings[this.depth] ??= new Reading());
    reading.count = 0;
    if (typeof message !== 'object' || message === null || Object.getPrototypeOf(message) !== Object.prototype) return -1;
    if (isSealed(message)) return -1; // a bare Ref: rare, leave it to the general path
    this.depth++;
    let flat: boolean;
    try {
      flat = read(message as Record<string, unknown>, reading);
    } finally {
      this.depth--;
    }
    if (!flat) return -1;
    const shape = this.write(reading);
    if (shape >= 0) {
      reading.values.fill(undefined, 0, reading.count); // hold on to nothing
      reading.count = 0;
    }
    return shape;
  }

  /**
   * After `encode` returned -1: a plain object of what it read of the message, each field
   * read once (undefined if it read nothing: the message was not a plain object).
   */
  readBack(): Record<string, unknown> | undefined {
    const reading = this.readings[this.depth];
    if (reading === undefined || reading.count === 0) return undefined;
    const copy: Record<string, unknown> = {};
    for (let i = 0; i < reading.count; i++) {
      setData(copy, reading.keys[i]!, reading.values[i]);
    }
    reading.values.fill(undefined, 0, reading.count);
    reading.count = 0;
    return copy;
  }

  /** Entries in the tree of shape prefixes (at most LIMITS.entries). */
  get size(): number {
    return this.entries;
  }

  /** What was appended since the last take (and forgets it). */
  take(): { nums: Float64Array | undefined; strs: string[] | undefined; shapes: Shape[] | undefined } {
    const taken = {
      nums: this.n > 0 ? this.nums.slice(0, this.n) : undefined,
      strs: this.strs.length > 0 ? this.strs : undefined,
      shapes: this.fresh.length > 0 ? this.fresh : undefined,
    };
    this.n = 0;
    if (this.nums.length > 65536) this.nums = new Float64Array(1024); // one batch of wide records need not stay
    if (this.strs.length > 0) this.strs = [];
    if (this.fresh.length > 0) this.fresh = [];
    return taken;
  }

  /** Walks the tree of shapes with what was read, appending the data; no code of the message runs here. */
  private write(reading: Reading): number {
    const n0 = this.n,
      s0 = this.strs.length;
    const { keys, kinds, values, refs } = reading;
    let node = this.root;
    for (let i = 0, r = 0; i < reading.count; i++) {
      const key = keys[i]!;
      const kind = kinds[i]!;
      let field = node.next.get(key);
      if (field === undefined) {
        if (this.entries >= LIMITS.entries) return this.undo(n0, s0);
        field = new Field();
        node.next.set(key, field);
        this.entries++;
      }
      if (kind === STR) {
        const value = values[i] as string;
        const tagged = field.tags.get(value) ?? this.newTag(node, field, key, value);
        if (tagged !== undefined) {
          node = tagged;
          continue;
        }
        this.strs.push(value);
      } else if (kind === NUM) {
        this.push(values[i] as number);
      } else if (kind === REF) {
        this.push(refs[r++]!);
        this.push(refs[r++]!);
        this.push(refs[r++]!);
      }
      let next = field.byKind[kind];
      if (next === undefined) {
        if (this.entries >= LIMITS.entries) return this.undo(n0, s0);
        next = field.byKind[kind] = new Node(node, key, kind, undefined);
        this.entries++;
      }
      node = next;
    }
    if (node.id < 0) {
      if (this.shapes >= LIMITS.shapes) return this.undo(n0, s0);
      node.id = this.shapes++;
      this.fresh.push(shapeOf(node));
    }
    return node.id;
  }

  /** A node for a new enum-like value of `key`, or undefined if the value is data. */
  private newTag(node: Node, field: Field, key: string, value: string): Node | undefined {
    if (value.length > LIMITS.tagLength || this.entries >= LIMITS.entries) return undefined;
    const made = this.tagsByName.get(key) ?? 0;
    if (made >= LIMITS.tags) return undefined;
    this.tagsByName.set(key, made + 1);
    const tag = new Node(node, key, TAG, value);
    field.tags.set(value, tag);
    this.entries++;
    return tag;
  }

  private push(x: number): void {
    if (this.n === this.nums.length) {
      const grown = new Float64Array(this.nums.length * 2);
      grown.set(this.nums);
      this.nums = grown;
    }
    this.nums[this.n++] = x;
  }

  private undo(n0: number, s0: number): -1 {
    this.n = n0;
    this.strs.length = s0;
    return -1;
  }
}

/**
 * Reads every field of `message` once into `reading`: the only place a message's code
 * (getters) runs. True if it is a flat record. It reads on past a field that is not, so that
 * `readBack` has the whole message.
 */
function read(message: Record<string, unknown>, reading: Reading): boolean {
  let flat = true,
    i = 0,
    r = 0;
  for (const key in message) {
    const value = message[key];
    let kind: number;
    switch (typeof value) {
      case 'number':
        kind = NUM;
        break;
      case 'string':
        kind = STR;
        break;
      case 'boolean':
        kind = value ? TRUE : FALSE;
        break;
      case 'undefined':
        kind = UNDEFINED;
        break;
      case 'object':
        kind = value === null ? NULL : NONE;
        if (value !== null && isSealed(value)) {
          const { kernel, pid, alias } = value as { kernel: unknown; pid: unknown; alias?: unknown };
          if (typeof kernel === 'number' && typeof pid === 'number' && (alias === undefined || typeof alias === 'number')) {
            reading.refs[r++] = kernel;
            reading.refs[r++] = pid;
            reading.refs[r++] = alias ?? -1;
            kind = REF;
          }
        }
        break;
      default:
        kind = NONE; // function, symbol, bigint
    }
    if (kind === NONE || key === '__proto__') flat = false; // a __proto__ key would set the rebuilt record's prototype
    reading.keys[i] = key;
    reading.kinds[i] = kind;
    reading.values[i] = value;
    i++;
  }
  reading.count = i;
  return flat && i <= LIMITS.keys;
}

function shapeOf(node: Node): Shape {
  const keys: string[] = [],
    kinds: number[] = [],
    tags: (string | undefined)[] = [];
  for (let at: Node | undefined = node; at?.parent !== undefined; at = at.parent) {
    keys.push(at.key);
    kinds.push(at.kind);
    tags.push(at.tag);
  }
  return { id: node.id, keys: keys.reverse(), kinds: kinds.reverse(), tags: tags.reverse() };
}

/** One receiver's decoder for one sender: the shapes it has been told, and the batch being read. */
export class RecordDecoder {
  private readonly shapes: Shape[] = [];
  private nums: Float64Array | undefined;
  private n = 0;
  private strs: readonly string[] | undefined;
  private s = 0;

  /** Starts reading a batch. */
  begin(nums: Float64Array | undefined, strs: readonly string[] | undefined, shapes: readonly Shape[] | undefined): void {
    if (shapes !== undefined) for (const shape of shapes) this.shapes[shape.id] = shape;
    this.nums = nums;
    this.n = 0;
    this.strs = strs;
    this.s = 0;
  }

  /** The next record of the batch, of shape `id`, deeply frozen like any arrived message. */
  decode(id: number): Readonly<Record<string, unknown>> {
    const { keys, kinds, tags } = this.shapes[id]!;
    const record: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) {
      const kind = kinds[i]!;
      record[keys[i]!] =
        kind === NUM ? this.nums![this.n++] : kind === TAG ? tags[i] : kind === STR ? this.strs![this.s++] : kind === REF ? this.ref() : CONSTANTS[kind];
    }
    return Object.freeze(record);
  }

  private ref(): unknown {
    const nums = this.nums!;
    const kernel = nums[this.n]!,
      pid = nums[this.n + 1]!,
      alias = nums[this.n + 2]!;
    this.n += 3;
    return makeRef(kernel, pid, alias < 0 ? undefined : alias);
  }
}
