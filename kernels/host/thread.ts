// The program of a thread kernel: a kernel host in a worker thread of the test process, driven
// by messages. Local runs (`npm test`, `npm run check`) use it: it is as quick to start as the
// in-process kernel, but a busy loop in student code blocks only this thread, and the test side
// can stop it (worker.terminate()) and say so, instead of hanging for ever. Commands are handled
// strictly one after another, so the run is a pure function of the commands and the seed.
import { parentPort } from 'node:worker_threads';
import { KernelHost, type Command, type Reply } from './host.ts';

const host = new KernelHost();
let chain: Promise<void> = Promise.resolve();

// Student code that leaves a promise rejection unhandled must not take the kernel down; the
// process that caused it has already ended with an error reason.
process.on('unhandledRejection', () => {});

parentPort!.on('message', (message: { id: string; cmd: Command }) => {
  chain = chain.then(async () => {
    const reply: Reply = await host.handle(message.cmd);
    try {
      parentPort!.postMessage({ id: message.id, reply });
    } catch {
      parentPort!.postMessage({
        id: message.id,
        reply: { ok: false, error: { kind: 'usage', message: 'the reply could not be sent back (it is not plain data)' } },
      });
    }
  });
});
parentPort!.postMessage({ ready: true });
