// Inside a kernel, the timers, clock and randomness that student code might reach for
// directly (setTimeout, setInterval, Date, Math.random, performance.now) follow the
// system's virtual clock and seed, so even code that bypasses the runtime stays
// deterministic and replayable. Each student bundle starts with a prelude that shadows
// those globals with the versions made here for its kernel.
import { format } from 'node:util';
import type { Kernel } from '../../runtime/kernel.ts';

export const LOADING_KERNEL = Symbol.for('mp.kit.loading-kernel');

/** Virtual time starts at this wall-clock instant (2026-01-01T00:00:00Z), so dates look sane. */
export const EPOCH = Date.UTC(2026, 0, 1);

export interface VirtualGlobals {
  setTimeout: (fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => object;
  clearTimeout: (handle: unknown) => void;
  setInterval: (fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => object;
  clearInterval: (handle: unknown) => void;
  setImmediate: (fn: (...args: unknown[]) => void, ...args: unknown[]) => object;
  clearImmediate: (handle: unknown) => void;
  Date: DateConstructor;
  Math: Math;
  performance: { now(): number };
  /** Each line marked with the process that printed it and the virtual time: `[desk t=120] …`. */
  console: Pick<Console, 'log' | 'info' | 'debug' | 'warn' | 'error' | 'trace' | 'dir' | 'table'>;
}

export function virtualGlobals(kernel: Kernel): VirtualGlobals {
  const handles = new WeakMap<object, () => void>();
  const schedule = (fn: (...args: unknown[]) => void, ms: number, args: unknown[], repeat: boolean): object => {
    const owner = kernel.current;
    const handle = {};
    let cancel = () => {};
    const arm = (): void => {
      const run = () => {
        if (repeat) arm();
        kernel.scheduler.settleNeeded = true; // the callback may resume awaiting process code
        try {
          fn(...args);
        } catch (err) {
          // A throwing callback ends the process that set the timer (let it crash).
          if (owner) kernel.crash(owner, err);
          else throw err;
        }
      };
      if (owner && !owner.exited) {
        const timer = kernel.startTimer(owner, ms, run);
        cancel = () => kernel.cancelTimer(owner, timer);
      } else {
        const timer = kernel.scheduler.setTimer(ms, run);
        cancel = () => kernel.scheduler.cancelTimer(timer);
      }
    };
    arm();
    handles.set(handle, () => cancel());
    return handle;
  };
  const clear = (handle: unknown): void => {
    if (typeof handle === 'object' && handle !== null) handles.get(handle)?.();
  };
  const now = () => EPOCH + kernel.scheduler.now();

  class VirtualDate extends Date {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(now());
      else super(...(args as [string]));
    }
    static override now(): number {
      return now();
    }
  }
  const VMath = Object.create(Math, { random: { value: () => kernel.userRandom.next() } }) as Math;
  // console.log from student code says who printed it, and when (in virtual time), in every kind
  // of kernel: interleaved output of many processes is otherwise unreadable.
  const who = (): string => {
    const p = kernel.current;
    return p ? (kernel.trace?.nameOf(p.pid) ?? p.name ?? `<${p.pid}>`) : 'module';
  };
  const printer =
    (stream: 'stdout' | 'stderr') =>
    (...data: unknown[]): void => {
      const text = format(...data)
        .split('\n')
        .map((l) => `[${who()} t=${kernel.scheduler.now()}] ${l}`)
        .join('\n');
      process[stream].write(`${text}\n`);
    };
  const log = printer('stdout');
  const warn = printer('stderr');

  return {
    setTimeout: (fn, ms = 0, ...args) => schedule(fn, Number(ms) || 0, args, false),
    clearTimeout: clear,
    setInterval: (fn, ms = 0, ...args) => schedule(fn, Math.max(1, Number(ms) || 0), args, true),
    clearInterval: clear,
    setImmediate: (fn, ...args) => schedule(fn, 0, args, false),
    clearImmediate: clear,
    Date: VirtualDate as DateConstructor,
    Math: VMath,
    performance: { now: () => kernel.scheduler.now() },
    console: { log, info: log, debug: log, dir: log, table: log, trace: warn, warn, error: warn },
  };
}

/** The prelude put at the top of every student bundle. */
export const PRELUDE =
  `const { setTimeout, clearTimeout, setInterval, clearInterval, setImmediate, clearImmediate, Date, Math, performance, console } = ` +
  `globalThis[Symbol.for(${JSON.stringify(LOADING_KERNEL.description)})] ?? globalThis;`;
