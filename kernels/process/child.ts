// The program a process kernel runs: a kernel host driven over Node's IPC channel.
// Commands are handled strictly one after another, so the run is a pure function of the
// command sequence (and the seed), however the messages were timed.
import { KernelHost, type Command, type Reply } from '../host/host.ts';

const host = new KernelHost();
const send = process.send!.bind(process);
let chain: Promise<void> = Promise.resolve();

process.on('message', (message: { id: number; cmd: Command }) => {
  chain = chain.then(async () => {
    const reply: Reply = await host.handle(message.cmd);
    try {
      send({ id: message.id, reply });
    } catch {
      send({ id: message.id, reply: { ok: false, error: { kind: 'usage', message: 'the reply could not be sent back (it is not plain data)' } } });
    }
  });
});

// Student code that leaves a promise rejection unhandled must not take the kernel down;
// the process that caused it has already ended with an error reason.
process.on('unhandledRejection', () => {});
send({ ready: true });
