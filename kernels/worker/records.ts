// Flat records across a thread boundary. Most messages are one flat object of primitives and
// process references: { type: 'put', key: 'k', value: 3, replyTo }. Encoding one costs a walk
// of its keys: numbers go into a Float64Array (exactly: NaN and -0 too), strings into an
// array, and everything else is known from the message's *shape* — its keys in order, the
// kind of each value, and the values of enum-like strings such as `type: 'put'`. Each sender
// learns shapes as it meets them and tells the receiver once (in the batch that first uses
// one); after that a record costs a shape id and its numbers, with no JSON or structured
// clone. The encoding is made at send, so it is the snapshot that stands in for the copy.
//
// Anything else (nested objects, arrays, binary data, bigint), or a shape past the limits
// below, is not a flat record: `encode` writes nothing and returns -1, and the bridge sends
// the message by its other means. The limits bound the memory a stream of odd messages
// (objects used as dictionaries, a string field with endless values) can take.
import { makeRef, SEALED } from '../../runtime/ref.ts';

/**
 * Per sender and receiver: distinct shapes, and entries (fields and nodes) in the tree of
 * shape prefixes. A string field is enum-like (its values part of the shape) for its first
 * `tags` values, if they are short.
 */
export const LIMITS = { shapes: 4096, entries: 16384, tags: 64, tagLength: 40 } as const;

// The kind of a value: NUM and STR carry data; REF carries kernel, pid and alias as numbers;
// the rest are known from the shape alone.
const NUM = 0, STR = 1, REF = 2, TRUE = 3, FALSE = 4, NULL = 5, UNDEFINED = 6, TAG = 7;
const CONSTANTS: readonly unknown[] = [, , , true, false, null, undefined];

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
  constructor(readonly parent: Node | undefined, readonly key: string, readonly kind: number, readonly tag: string | undefined) {}
}

class Field {
  readonly byKind: (Node | undefined)[] = [];
  readonly tags = new Map<string, Node>();
  /** Too many values seen: new ones are data (STR), not part of the shape. */
  saturated = false;
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

  /** Appends `message`'s data and returns its shape id, or -1 (nothing appended) if it is not a flat record. */
  encode(message: unknown): number {
    if (typeof message !== 'object' || message === null || Object.getPrototypeOf(message) !== Object.prototype) return -1;
    if ((message as Record<symbol, unknown>)[SEALED] === true) return -1; // a bare Ref: rare, leave it to the general path
    const n0 = this.n, s0 = this.strs.length;
    try {
      return this.walk(message as Record<string, unknown>, n0, s0);
    } catch (err) { // a getter that throws: the send fails, and the streams stay as they were
      this.undo(n0, s0);
      throw err;
    }
  }

  private walk(message: Record<string, unknown>, n0: number, s0: number): number {
    let node = this.root;
    for (const key in message) {
      if (key === '__proto__') return this.undo(n0, s0); // would set the prototype of the rebuilt record
      const value = message[key];
      let field = node.next.get(key);
      if (field === undefined) {
        if (this.entries >= LIMITS.entries) return this.undo(n0, s0);
        field = new Field();
        node.next.set(key, field);
        this.entries++;
      }
      let kind: number;
      switch (typeof value) {
        case 'number':
          this.push(value);
          kind = NUM;
          break;
        case 'string': {
          const tagged = field.tags.get(value);
          if (tagged !== undefined) {
            node = tagged;
            continue;
          }
          if (!field.saturated && value.length <= LIMITS.tagLength && this.entries < LIMITS.entries) {
            if (field.tags.size >= LIMITS.tags) {
              field.saturated = true;
            } else {
              const made = new Node(node, key, TAG, value);
              this.entries++;
              field.tags.set(value, made);
              node = made;
              continue;
            }
          }
          this.strs.push(value);
          kind = STR;
          break;
        }
        case 'boolean':
          kind = value ? TRUE : FALSE;
          break;
        case 'undefined':
          kind = UNDEFINED;
          break;
        case 'object':
          if (value === null) {
            kind = NULL;
          } else if ((value as Record<symbol, unknown>)[SEALED] === true && Object.isFrozen(value)) {
            const ref = value as { kernel: number; pid: number; alias?: number };
            this.push(ref.kernel);
            this.push(ref.pid);
            this.push(ref.alias ?? -1);
            kind = REF;
          } else {
            return this.undo(n0, s0);
          }
          break;
        default: // function, symbol, bigint: not a flat record
          return this.undo(n0, s0);
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
    if (this.strs.length > 0) this.strs = [];
    if (this.fresh.length > 0) this.fresh = [];
    return taken;
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

function shapeOf(node: Node): Shape {
  const keys: string[] = [], kinds: number[] = [], tags: (string | undefined)[] = [];
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
      record[keys[i]!] = kind === NUM ? this.nums![this.n++]
        : kind === TAG ? tags[i]
        : kind === STR ? this.strs![this.s++]
        : kind === REF ? this.ref()
        : CONSTANTS[kind];
    }
    return Object.freeze(record);
  }

  private ref(): unknown {
    const nums = this.nums!;
    const kernel = nums[this.n]!, pid = nums[this.n + 1]!, alias = nums[this.n + 2]!;
    this.n += 3;
    return makeRef(kernel, pid, alias < 0 ? undefined : alias);
  }
}
