// What crosses between processes. A message is plain data: objects, arrays, strings, numbers,
// booleans, null, bigints, ArrayBuffers and typed arrays. At send the runtime makes the
// receiver a deep-frozen copy, as Erlang copies terms: the receiver never sees the sender's
// later mutations and cannot change what it got (nor what the trace recorded). Data that is
// already deeply frozen (a received message being forwarded, a Ref) is shared instead of
// copied, since nobody can change it. Binary data cannot be frozen: each receiver gets its
// own copy of the bytes, or the sender's buffer itself when it is listed in `transfer`: the
// sender's ArrayBuffer is detached afterwards (ownership transfer: the exchange-heap /
// linear-type idea). Symbol-keyed properties are dropped, as structured clone drops them at
// a kernel boundary.
import { MessageError } from './errors.ts';
import { isSealed, SEALED } from './ref.ts';

const MAX_DEPTH = 200;

export interface SendOptions {
  /** ArrayBuffers whose ownership moves to the receiver; the sender's copies become detached. */
  readonly transfer?: readonly ArrayBuffer[];
}

/** Thrown inside the copy with the offending value; `seal` turns it into a MessageError with a path. */
export class Unsendable {
  constructor(
    readonly value: unknown,
    readonly why: (path: string) => string,
  ) {}
}

// Scratch state of the seal in progress. A getter in a message may itself send (seal again):
// each seal saves the state it found and puts it back when it returns, so a nested seal
// cannot change how the outer one copies or moves buffers.
const NONE: readonly ArrayBuffer[] = [];
/** Buffers copied so far in this message (views onto one buffer keep sharing one buffer). */
let made: Map<ArrayBuffer, ArrayBuffer> | undefined;
/** Buffers listed in `transfer`: left in place during the copy, moved once it has succeeded. */
let moving: readonly ArrayBuffer[] = NONE;
/** While moving: each view made over a buffer left in place, with its offset and length. */
let views: Map<ArrayBufferView, { readonly offset: number; readonly length: number }> | undefined;
/** While moving: the containers this copy made (the only ones that may hold a buffer to move). */
let fresh: WeakSet<object> | undefined;

/**
 * The size each buffer had when a send moved it away (a moved buffer reads 0 bytes from then
 * on). A trace keeps the messages it saw, and a receiver that passes a buffer on detaches the
 * very buffer the trace holds: charts read the size it was sent with here.
 */
const movedSizes = new WeakMap<ArrayBuffer, number>();

/** A buffer's size as it was sent: its size now, or, once moved on by a send, the size it had then. */
export function sentByteLength(buffer: ArrayBuffer): number {
  return buffer.byteLength > 0 ? buffer.byteLength : (movedSizes.get(buffer) ?? 0);
}

/** Returns the receiver's frozen copy of `message`, or throws a MessageError naming the path. */
export function seal<T>(message: T, transfer?: readonly ArrayBuffer[]): T {
  if (typeof message !== 'object' || message === null) {
    if (message === undefined) {
      throw new MessageError('cannot send undefined: send a value (for example { type: "ping" })');
    }
    if (typeof message === 'function' || typeof message === 'symbol') {
      throw new MessageError(primitiveProblem(message)!('message'));
    }
    if (transfer !== undefined && transfer.length > 0) detachAll(transfer);
    return message;
  }
  // The state found, kept in locals (an object to hold it would be one more per message).
  const outerMade = made,
    outerMoving = moving,
    outerViews = views,
    outerFresh = fresh;
  made = undefined;
  try {
    if (transfer === undefined || transfer.length === 0) {
      moving = NONE;
      return copy(message, 0) as T; // the common case: nothing to move
    }
    // The message is read once (each getter runs once). A failed send must change nothing, so
    // the buffers to move stay in place until the whole copy has succeeded; then they move, and
    // the copy's paths to them are rebuilt from the copy itself (our own data: no getters).
    moving = transfer;
    views = new Map();
    fresh = new WeakSet();
    const draft = copy(message, 0);
    const shapes = views;
    const moved = new Map<ArrayBuffer, ArrayBuffer>();
    for (const buffer of transfer) {
      if (!moved.has(buffer) && !isDetached(buffer)) {
        movedSizes.set(buffer, buffer.byteLength);
        moved.set(buffer, structuredClone(buffer, { transfer: [buffer] }));
      }
    }
    return rebuild(draft, moved, shapes, fresh, 0) as T;
  } catch (err) {
    throw explained(err, message);
  } finally {
    made = outerMade;
    moving = outerMoving;
    views = outerViews;
    fresh = outerFresh;
  }
}

/** The copy with each moved buffer (and each view over one) replaced by the receiver's. */
function rebuild(
  value: unknown,
  moved: Map<ArrayBuffer, ArrayBuffer>,
  shapes: Map<ArrayBufferView, { offset: number; length: number }>,
  made: WeakSet<object>,
  depth: number,
): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof ArrayBuffer) return moved.get(value) ?? value;
  if (ArrayBuffer.isView(value)) {
    const shape = shapes.get(value);
    const buffer = shape === undefined ? undefined : moved.get(value.buffer as ArrayBuffer);
    if (buffer === undefined) return value;
    const Ctor = value.constructor as new (b: ArrayBuffer, offset: number, length: number) => ArrayBufferView;
    return new Ctor(buffer, shape!.offset, shape!.length);
  }
  if (!made.has(value) || depth > MAX_DEPTH) return value; // shared frozen data holds no buffer
  if (Array.isArray(value)) {
    const items = value.map((item) => rebuild(item, moved, shapes, made, depth + 1));
    return items.every((item, i) => item === value[i]) ? value : Object.freeze(items);
  }
  const entries = Object.keys(value).map((key) => [key, rebuild((value as Record<string, unknown>)[key], moved, shapes, made, depth + 1)] as const);
  if (entries.every(([key, item]) => item === (value as Record<string, unknown>)[key])) return value;
  const obj: Record<string, unknown> = Object.getPrototypeOf(value) === null ? Object.create(null) : {};
  for (const [key, item] of entries) setData(obj, key, item);
  return Object.freeze(obj);
}

/** An Unsendable thrown inside the copy becomes a MessageError saying where in the message. */
function explained(err: unknown, message: unknown): unknown {
  return err instanceof Unsendable ? new MessageError(err.why(pathTo(message, err.value) ?? 'message')) : err;
}

function primitiveProblem(value: unknown): ((path: string) => string) | undefined {
  if (typeof value === 'function') {
    return (path) =>
      `cannot send a function (at ${path}): processes share no code or closures. ` + 'Send data, and let the receiver decide what to do with it.';
  }
  if (typeof value === 'symbol') return (path) => `cannot send a symbol (at ${path}): use a string instead`;
  return undefined;
}

/** The receiver's copy of `value` (an object); primitives are handled at the call site, inline. */
function copy(value: object, depth: number): unknown {
  // Refs and other deeply frozen plain data (a message being forwarded) are shared once
  // checked. Most messages are fresh literals: not frozen, so this costs one test.
  if (Object.isFrozen(value) && ((value as Record<symbol, unknown>)[SEALED] === true || deeplyFrozen(value, depth))) {
    return value;
  }
  if (depth > MAX_DEPTH) {
    throw new Unsendable(value, (path) => `cannot send a cyclic structure, or one nested deeper than ${MAX_DEPTH} levels (at ${path.slice(0, 80)}…)`);
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype) {
    const obj: Record<string, unknown> = {};
    // Plain objects only: for-in sees own enumerable keys (and Object.prototype has none).
    for (const key in value) {
      const item = (value as Record<string, unknown>)[key];
      const copied =
        typeof item !== 'object' || item === null
          ? checked(item)
          : isSealed(item)
            ? item // a Ref: shared without a call
            : copy(item, depth + 1);
      setData(obj, key, copied);
    }
    fresh?.add(obj);
    return Object.freeze(obj);
  }
  if (Array.isArray(value)) {
    const n = value.length;
    const arr = new Array(n);
    for (let i = 0; i < n; i++) {
      const item: unknown = value[i];
      arr[i] = typeof item !== 'object' || item === null ? checked(item) : isSealed(item) ? item : copy(item, depth + 1);
    }
    fresh?.add(arr);
    return Object.freeze(arr);
  }
  if (proto === null) {
    const obj: Record<string, unknown> = Object.create(null);
    for (const key in value) {
      const item = (value as Record<string, unknown>)[key];
      obj[key] = typeof item === 'object' && item !== null ? copy(item, depth + 1) : checked(item);
    }
    fresh?.add(obj);
    return Object.freeze(obj);
  }
  if (value instanceof ArrayBuffer) return takeBuffer(value);
  if (ArrayBuffer.isView(value)) return copyView(value);
  throw new Unsendable(value, (path) => notPlainData(value, path));
}

/**
 * Sets an own data property on a plain object being built. A key named `__proto__` (JSON.parse
 * makes them) is defined as data, as structured clone keeps it, not taken as the prototype.
 */
export function setData(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** A primitive inside a message: itself, unless it cannot be sent. */
function checked(item: unknown): unknown {
  if (typeof item === 'function' || typeof item === 'symbol') throw new Unsendable(item, primitiveProblem(item)!);
  return item;
}

/** True if a frozen value holds only primitives and deeply frozen plain objects and arrays. */
function deeplyFrozen(value: object, depth: number): boolean {
  const proto = Object.getPrototypeOf(value);
  if (proto === Array.prototype) {
    const arr = value as unknown[];
    for (let i = 0; i < arr.length; i++) {
      const item = arr[i];
      if (typeof item === 'object' && item !== null) {
        if (depth >= MAX_DEPTH || !Object.isFrozen(item) || !deeplyFrozen(item, depth + 1)) return false;
      } else if (typeof item === 'function' || typeof item === 'symbol') {
        return false;
      }
    }
    return true;
  }
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (typeof item === 'object' && item !== null) {
      if (depth >= MAX_DEPTH || !Object.isFrozen(item) || !deeplyFrozen(item, depth + 1)) return false;
    } else if (typeof item === 'function' || typeof item === 'symbol') {
      return false;
    }
  }
  return true;
}

function notPlainData(value: object, path: string): string {
  if (value instanceof Map) {
    return `cannot send a Map (at ${path}): send plain data instead, e.g. Object.fromEntries(map) or [...map]`;
  }
  if (value instanceof Set) return `cannot send a Set (at ${path}): send an array instead, e.g. [...set]`;
  if (value instanceof Date) return `cannot send a Date (at ${path}): send a number, e.g. date.getTime()`;
  if (value instanceof Promise) return `cannot send a Promise (at ${path}): await it first and send the value`;
  if (value instanceof Error) return `cannot send an Error object (at ${path}): send { name, message } instead`;
  const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'unknown class';
  return (
    `cannot send an instance of ${name} (at ${path}): objects with methods cannot cross a process ` +
    'boundary. Send plain data (an object literal) and rebuild the behaviour on the receiving side.'
  );
}

export function isDetached(buffer: ArrayBuffer): boolean {
  if (buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

/**
 * A buffer listed in `transfer` is moved without copying (structured clone with transfer hands
 * over the backing store and detaches the original): during the copy it stays in place, and
 * `seal` moves it once the whole copy has succeeded. Any other buffer is copied. Views onto
 * one buffer keep sharing one buffer in the receiver's copy.
 */
function takeBuffer(buffer: ArrayBuffer): ArrayBuffer {
  made ??= new Map();
  const done = made.get(buffer);
  if (done) return done;
  if (isDetached(buffer)) {
    throw new Unsendable(buffer, (path) => `cannot send a detached ArrayBuffer (at ${path}): its ownership was already transferred by an earlier send`);
  }
  const result = moving.includes(buffer) ? buffer : buffer.slice(0);
  made.set(buffer, result);
  return result;
}

function copyView(view: ArrayBufferView): ArrayBufferView {
  if (!(view.buffer instanceof ArrayBuffer)) {
    throw new Unsendable(view, (path) => `cannot send a view onto a SharedArrayBuffer (at ${path}): shared memory is the opposite of message passing`);
  }
  const offset = view.byteOffset;
  const length = view instanceof DataView ? view.byteLength : (view as unknown as { length: number }).length;
  const buffer = takeBuffer(view.buffer);
  const Ctor = view.constructor as new (b: ArrayBuffer, offset: number, length: number) => ArrayBufferView;
  const copied = new Ctor(buffer, offset, length);
  if (buffer === view.buffer) views!.set(copied, { offset, length }); // over a buffer to move: rebuilt once it has moved
  return copied;
}

/** Buffers listed in `transfer` but not found in the message are detached too (postMessage semantics). */
function detachAll(buffers: readonly ArrayBuffer[]): void {
  for (const buffer of buffers) {
    if (!isDetached(buffer)) {
      movedSizes.set(buffer, buffer.byteLength);
      structuredClone(buffer, { transfer: [buffer] });
    }
  }
}

/** The path from the message root to `target`, for error messages (slow path, errors only). */
function pathTo(root: unknown, target: unknown, path = 'message', depth = 0): string | undefined {
  if (root === target) return path;
  if (typeof root !== 'object' || root === null || depth > MAX_DEPTH || ArrayBuffer.isView(root)) return undefined;
  if (Array.isArray(root)) {
    for (let i = 0; i < root.length; i++) {
      const found = pathTo(root[i], target, `${path}[${i}]`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  const proto = Object.getPrototypeOf(root);
  if (proto !== Object.prototype && proto !== null) return undefined;
  for (const key of Object.keys(root)) {
    const found = pathTo((root as Record<string, unknown>)[key], target, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Freezes a value that arrived from another thread (already a private copy, made by
 * structured clone or JSON.parse), so that it has the same immutability as a message sent
 * within a kernel.
 */
export function freezeArrived<T>(value: T, depth = 0): T {
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null) freezeArrived(item, depth + 1);
    }
    return Object.freeze(value);
  }
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value) || Object.isFrozen(value)) return value;
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (typeof item === 'object' && item !== null) freezeArrived(item, depth + 1);
  }
  return Object.freeze(value);
}

/** ArrayBuffers inside a message (to hand them over without a copy at a thread boundary). */
export function buffersIn(value: unknown, found: ArrayBuffer[] = [], depth = 0): ArrayBuffer[] {
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return found;
  if (value instanceof ArrayBuffer) {
    if (!found.includes(value)) found.push(value);
  } else if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer && !found.includes(value.buffer)) found.push(value.buffer);
  } else {
    for (const key of Object.keys(value)) buffersIn((value as Record<string, unknown>)[key], found, depth + 1);
  }
  return found;
}
