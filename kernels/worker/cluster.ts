// Worker kernels: one runtime kernel per thread, for real parallelism (the multikernel
// exercise's performance part, and benchmarks). Kernel 0 is the calling thread's own
// real-time kernel; kernels 1..n are worker threads. All pairs are connected by their own
// MessagePort. Refs work across them exactly as within a kernel.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { createKernel } from '../../runtime/kernel.ts';
import { Scheduler } from '../../runtime/scheduler.ts';
import { systemOf, type System } from '../../runtime/system.ts';
import { Bridge } from './bridge.ts';
import { workerScript } from './build.ts';
import type { ControlReply, ControlRequest } from './control.ts';

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export interface WorkerClusterOptions {
  /** Worker threads (kernels 1..workers). */
  readonly workers: number;
  /** A JavaScript module (e.g. a bundled submission) each worker loads, for `start`. */
  readonly module?: string;
  readonly seed?: number;
}

export interface WorkerCluster {
  /** Kernel 0, in this thread (real-time mode). */
  readonly main: System;
  readonly size: number;
  /** Calls `entry(self, ...args)` of the loaded module on kernel k (1..workers); resolves to what it returned. */
  start<T = unknown>(kernel: number, entry: string, ...args: unknown[]): Promise<T>;
  /** Terminates a worker as a crash would: its peers see 'noconnection'. */
  crash(kernel: number): Promise<void>;
  close(): Promise<void>;
}

export async function startWorkerCluster(options: WorkerClusterOptions): Promise<WorkerCluster> {
  const n = options.workers;
  if (!Number.isInteger(n) || n < 1 || n > 32) throw new RangeError(`workers must be 1..32, got ${n}`);
  const seed = options.seed ?? 1;
  const script = await workerScript();
  // A port for every pair of kernels 0..n.
  const ports: Map<number, MessagePort>[] = Array.from({ length: n + 1 }, () => new Map());
  for (let a = 0; a <= n; a++) {
    for (let b = a + 1; b <= n; b++) {
      const { port1, port2 } = new MessageChannel();
      ports[a]!.set(b, port1);
      ports[b]!.set(a, port2);
    }
  }
  // Each kernel's scheduler hands out its own share of pids and ids: links, monitors and
  // channels are keyed by them, across threads too.
  const mainKernel = createKernel(0, new Scheduler('realtime', seed, { index: 0, count: n + 1 }), undefined);
  const bridge = new Bridge(mainKernel, ports[0]!);
  const workers: Worker[] = [];
  const pending = new Map<number, (reply: ControlReply) => void>();
  let nextId = 1;
  const alive = new Set<number>();

  const ready: Promise<void>[] = [];
  for (let k = 1; k <= n; k++) {
    const own = Object.fromEntries(ports[k]!);
    const worker = new Worker(script, {
      workerData: { id: k, kernels: n + 1, seed, module: options.module, ports: own },
      transferList: [...ports[k]!.values()],
    });
    worker.unref();
    workers.push(worker);
    alive.add(k);
    ready.push(
      new Promise((resolve, reject) => {
        worker.once('message', (m: { ready: boolean; error?: string }) =>
          m.ready ? resolve() : reject(new Error(`worker kernel ${k} could not load its module: ${m.error}`)),
        );
        worker.once('error', reject);
      }),
    );
    worker.on('message', (m: ControlReply & { ready?: boolean }) => {
      if (m.ready !== undefined) return;
      pending.get(m.id)?.(m);
      pending.delete(m.id);
    });
    worker.on('exit', () => lost(k));
    worker.on('error', () => lost(k));
  }

  function lost(k: number): void {
    if (!alive.delete(k)) return;
    bridge.peerDown(k);
    for (const other of alive) void request(other, { op: 'down', kernel: k }).catch(() => {});
  }

  function request(k: number, req: WithoutId<ControlRequest>): Promise<ControlReply> {
    const worker = workers[k - 1];
    if (!worker || !alive.has(k)) return Promise.reject(new Error(`worker kernel ${k} is not running`));
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      worker.postMessage({ ...req, id });
    });
  }

  await Promise.all(ready);

  return {
    main: systemOf(mainKernel, seed),
    size: n + 1,
    async start<T>(kernel: number, entry: string, ...args: unknown[]): Promise<T> {
      const reply = await request(kernel, { op: 'start', entry, args });
      if (!reply.ok) throw new Error(`${entry}(...) on worker kernel ${kernel}: ${reply.error}`);
      return reply.value as T;
    },
    async crash(kernel: number): Promise<void> {
      const worker = workers[kernel - 1];
      if (!worker) throw new RangeError(`no worker kernel ${kernel}`);
      await worker.terminate();
      lost(kernel);
    },
    async close(): Promise<void> {
      for (const k of [...alive]) alive.delete(k);
      await Promise.all(workers.map((w) => w.terminate()));
      bridge.close();
    },
  };
}
