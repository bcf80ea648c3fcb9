// The program of a worker kernel: a real-time runtime kernel in its own thread, linked to
// its peers by MessagePorts, running entry points of a loaded module on request.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { createKernel } from '../../runtime/kernel.ts';
import { Scheduler } from '../../runtime/scheduler.ts';
import { publishSharedModules } from '../loader/shared-modules.ts';
import { Bridge } from './bridge.ts';
import { runEntry, type ControlReply, type ControlRequest } from './control.ts';

interface Setup {
  readonly id: number;
  /** Kernels in the cluster (the main thread's included): the share of pids and ids is id of count. */
  readonly kernels: number;
  readonly seed: number;
  readonly module?: string;
  readonly ports: Record<number, MessagePort>;
}

const setup = workerData as Setup;
const kernel = createKernel(setup.id, new Scheduler('realtime', setup.seed + setup.id, { index: setup.id, count: setup.kernels }), undefined);
const bridge = new Bridge(kernel, new Map(Object.entries(setup.ports).map(([k, p]) => [Number(k), p])));
publishSharedModules();
const loaded: Promise<Record<string, unknown>> = setup.module
  ? (import(pathToFileURL(setup.module).href) as Promise<Record<string, unknown>>)
  : Promise.resolve({});

parentPort!.on('message', async (req: ControlRequest) => {
  let reply: ControlReply;
  switch (req.op) {
    case 'start':
      reply = await runEntry(kernel, await loaded, req.entry, req.args);
      break;
    case 'down':
      bridge.peerDown(req.kernel);
      reply = { id: req.id, ok: true, value: null };
      break;
  }
  parentPort!.postMessage({ ...reply, id: req.id });
});
loaded.then(
  () => parentPort!.postMessage({ ready: true }),
  (err) => parentPort!.postMessage({ ready: false, error: err instanceof Error ? err.message : String(err) }),
);
