// A linearizability checker in the style of Porcupine (Anish Athalye's Go checker, after
// Lowe's refinement of the Wing & Gong search): given a history of operations, each with
// the time it was called and the time it returned, is there one total order of them that
// (1) respects real time: an operation that returned before another was called comes
// first, and (2) is a legal run of a sequential model (a register, a map...)?
//
// The search linearizes one call at a time, always choosing among the calls that could
// come next (called before every pending return), and backtracks when a return is reached
// whose call could not be placed. A cache of (operations placed, model state) pairs cuts
// the search: the same state reached by another order is not explored twice. Histories
// are checked per partition (P-compositionality: each page of a table is an independent
// register), which keeps every search small.
//
// An operation whose outcome is unknown (it never returned, or failed in a way that may or
// may not have taken effect) gets `ret: Infinity` and `output: undefined`: it may take
// effect at any point after its call, or in effect never (linearized at the very end).

export interface Model<S, I, O> {
  init(): S;
  /** Applies `input` to `state`; `ok` is false when `output` is not what the model would answer. `output` undefined: unknown, accept any. */
  step(state: S, input: I, output: O | undefined): { ok: boolean; state: S };
  /** A string that is equal for equal states (the search cache's key). */
  key(state: S): string;
  /**
   * True for an input that never changes the state (a read). The search then places such an
   * operation as soon as it fits, without trying other orders first: moving a read earlier,
   * to a point where it fits and nothing that must precede it is missing, changes nothing
   * else. This keeps read-heavy histories cheap.
   */
  readOnly?(input: I): boolean;
}

export interface Operation<I, O> {
  /** Time of the call and of the return (any totally ordered numbers; ret > call). Infinity: never returned. */
  readonly call: number;
  readonly ret: number;
  readonly input: I;
  /** undefined when the outcome is unknown. */
  readonly output?: O;
}

export type CheckResult<I, O> =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** The partition (e.g. one page's operations) that has no linearization, sorted by call time. */
      readonly operations: Operation<I, O>[];
      /** The longest order found that is consistent so far. */
      readonly longest: Operation<I, O>[];
      /** Operations that could not be placed right after `longest`. */
      readonly stuck: Operation<I, O>[];
    }
  | { readonly ok: 'unknown'; readonly operations: Operation<I, O>[] };

export interface CheckOptions<I, O> {
  /** Splits the history into independent parts (default: one part). */
  readonly partition?: (ops: readonly Operation<I, O>[]) => Operation<I, O>[][];
  /** Search steps allowed per partition before giving up with 'unknown' (default 1,000,000). */
  readonly maxSteps?: number;
}

interface Entry {
  readonly kind: 'call' | 'return';
  readonly time: number;
  readonly op: number;
  /** The return entry of a call. */
  match?: Entry;
  prev?: Entry;
  next?: Entry;
}

export function checkOperations<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[], options: CheckOptions<I, O> = {}): CheckResult<I, O> {
  for (const op of history) {
    if (!(op.ret > op.call)) throw new RangeError(`an operation returned (at ${op.ret}) before it was called (at ${op.call})`);
  }
  const parts = options.partition ? options.partition(history) : [history.slice()];
  for (const part of parts) {
    const result = checkPart(model, part, options.maxSteps ?? 1_000_000);
    if (result.ok !== true) return result;
  }
  return { ok: true };
}

/** Searches one partition; `used.steps` counts the search steps taken. */
function checkPart<S, I, O>(
  model: Model<S, I, O>,
  input: readonly Operation<I, O>[],
  maxSteps: number,
  used: { steps: number } = { steps: 0 },
): CheckResult<I, O> {
  const ops = input.slice().sort((a, b) => a.call - b.call);
  const n = ops.length;
  if (n === 0) return { ok: true };

  // The entries in time order, as a doubly linked list behind a sentinel head. Calls sort
  // before returns at equal times (then the two operations overlap).
  const entries: Entry[] = [];
  ops.forEach((op, i) => {
    const call: Entry = { kind: 'call', time: op.call, op: i };
    const ret: Entry = { kind: 'return', time: op.ret, op: i };
    call.match = ret;
    entries.push(call, ret);
  });
  entries.sort((a, b) => a.time - b.time || (a.kind === b.kind ? a.op - b.op : a.kind === 'call' ? -1 : 1));
  const head: Entry = { kind: 'call', time: -Infinity, op: -1 };
  let prev = head;
  for (const e of entries) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }

  const lift = (e: Entry): void => {
    e.prev!.next = e.next;
    if (e.next) e.next.prev = e.prev;
    const m = e.match!;
    m.prev!.next = m.next;
    if (m.next) m.next.prev = m.prev;
  };
  const unlift = (e: Entry): void => {
    const m = e.match!;
    m.prev!.next = m;
    if (m.next) m.next.prev = m;
    e.prev!.next = e;
    if (e.next) e.next.prev = e;
  };

  const placed = new Uint8Array(n);
  const seen = new Set<string>();
  const stack: { entry: Entry; state: S; forced: boolean }[] = [];
  let state = model.init();
  let longest: number[] = [];
  let stuckAt: number[] = [];
  let steps = 0;

  const failure = (): CheckResult<I, O> => ({
    ok: false,
    operations: ops,
    longest: longest.map((i) => ops[i]!),
    stuck: (stuckAt.length > 0 ? stuckAt : candidates(head)).map((i) => ops[i]!),
  });

  let entry = head.next;
  while (head.next !== undefined) {
    used.steps++;
    if (++steps > maxSteps) return { ok: 'unknown', operations: ops };
    if (entry === undefined) break; // cannot happen: a return entry always comes first
    if (entry.kind === 'call') {
      const op = ops[entry.op]!;
      const next = model.step(state, op.input, op.output);
      let moved = false;
      if (next.ok) {
        placed[entry.op] = 1;
        const key = `${placed.join('')}|${model.key(next.state)}`;
        if (!seen.has(key)) {
          seen.add(key);
          stack.push({ entry, state, forced: model.readOnly?.(op.input) ?? false });
          state = next.state;
          lift(entry);
          entry = head.next;
          moved = true;
          if (stack.length > longest.length) longest = stack.map((s) => s.entry.op);
        } else {
          placed[entry.op] = 0;
        }
      }
      if (!moved) entry = entry.next;
    } else {
      // A return whose call is not placed: some call before it must be placed differently.
      if (stack.length === longest.length) stuckAt = candidates(head);
      if (stack.length === 0) return failure();
      // Backtrack. A read placed as soon as it fitted needs no other order tried (see
      // readOnly): if what followed it failed, the choice before it was wrong.
      let top = stack.pop()!;
      for (;;) {
        state = top.state;
        placed[top.entry.op] = 0;
        unlift(top.entry);
        if (!top.forced) break;
        if (stack.length === 0) return failure();
        top = stack.pop()!;
      }
      entry = top.entry.next;
    }
  }
  return { ok: true };
}

/**
 * A small part of a non-linearizable history that is already not linearizable by itself.
 * `canDrop(op, rest)` says whether leaving `op` out keeps the part sound: every
 * linearization of the whole history must still give one of the part (true for a read; for
 * a write only when no remaining read returned the value it wrote). First the shortest
 * failing prefix (by call time, plus what it needs) is found by bisection, then operations
 * are dropped one at a time while the rest still fails. The work is bounded by `maxSteps`
 * search steps in all (default 3,000,000): the result may then be larger than it could
 * be, never wrong.
 */
export function shrink<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  canDrop: (op: Operation<I, O>, rest: readonly Operation<I, O>[]) => boolean,
  options: { readonly maxSteps?: number } = {},
): Operation<I, O>[] {
  const all = history.slice().sort((a, b) => a.call - b.call);
  const used = { steps: 0 };
  const budget = options.maxSteps ?? 3_000_000;
  const fails = (ops: readonly Operation<I, O>[]): boolean => {
    const left = budget - used.steps;
    if (left <= 0) return false;
    return checkPart(model, ops, Math.min(left, 1_000_000), used).ok === false;
  };
  // The first k operations, plus every operation they cannot do without.
  const prefix = (k: number): Operation<I, O>[] => {
    const head = all.slice(0, k);
    const tail = all.slice(k).filter((op) => !canDrop(op, head));
    return [...head, ...tail];
  };
  let lo = 1,
    hi = all.length;
  if (!fails(all)) return all;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (fails(prefix(mid))) hi = mid;
    else lo = mid + 1;
  }
  let ops = prefix(hi);
  for (let changed = true; changed && used.steps < budget; ) {
    changed = false;
    // Latest first: the end of a history is usually where it went wrong.
    for (let i = ops.length - 1; i >= 0 && used.steps < budget; i--) {
      const rest = ops.filter((_, j) => j !== i);
      if (!canDrop(ops[i]!, rest)) continue;
      if (fails(rest)) {
        ops = rest;
        changed = true;
      }
    }
  }
  return ops.sort((a, b) => a.call - b.call);
}

/** The calls that could be linearized next: those before the first return. */
function candidates(head: Entry): number[] {
  const out: number[] = [];
  for (let e = head.next; e !== undefined && e.kind === 'call'; e = e.next) out.push(e.op);
  return out;
}

// ---- The model of this exercise: a table of pages, one register per page -----------------

export type TableInput =
  | { readonly kind: 'read'; readonly page: number }
  | { readonly kind: 'map'; readonly page: number; readonly frame: number }
  | { readonly kind: 'unmap'; readonly page: number };
/** A read's frame (null: not mapped); updates have no output worth checking. */
export type TableOutput = { readonly frame: number | null } | { readonly done: true };

/** One page's register: its frame, or null. */
export const pageModel: Model<number | null, TableInput, TableOutput> = {
  init: () => null,
  step(state, input, output) {
    switch (input.kind) {
      case 'read':
        if (output === undefined) return { ok: true, state };
        return { ok: 'frame' in output && output.frame === state, state };
      case 'map':
        return { ok: true, state: input.frame };
      case 'unmap':
        return { ok: true, state: null };
    }
  },
  key: (state) => String(state),
  readOnly: (input) => input.kind === 'read',
};

/** Splits a table history into one history per page. */
export function byPage<O>(ops: readonly Operation<TableInput, O>[]): Operation<TableInput, O>[][] {
  const pages = new Map<number, Operation<TableInput, O>[]>();
  for (const op of ops) {
    let list = pages.get(op.input.page);
    if (!list) pages.set(op.input.page, (list = []));
    list.push(op);
  }
  return [...pages.keys()].sort((a, b) => a - b).map((p) => pages.get(p)!);
}

/** Checks a table history, one page at a time. */
export function checkTable(history: readonly Operation<TableInput, TableOutput>[]): CheckResult<TableInput, TableOutput> {
  return checkOperations(pageModel, history, { partition: byPage, maxSteps: 5_000_000 });
}

/** A smallest failing part of one page's non-linearizable history (see shrink). */
export function shrinkTable(history: readonly Operation<TableInput, TableOutput>[]): Operation<TableInput, TableOutput>[] {
  const value = (op: Operation<TableInput, TableOutput>) => (op.input.kind === 'map' ? op.input.frame : null);
  // A write may go unless a remaining read could have seen it (it returned after the write
  // was called) and returned the value it wrote.
  return shrink(
    pageModel,
    history,
    (op, rest) =>
      op.input.kind === 'read' ||
      !rest.some((r) => r.input.kind === 'read' && r.ret > op.call && r.output !== undefined && 'frame' in r.output && r.output.frame === value(op)),
  );
}
