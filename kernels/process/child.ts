// The program a process kernel runs: a kernel host driven over Node's IPC channel.
// Commands are handled strictly one after another, so the run is a pure function of the
// command sequence (and the seed), however the messages were timed.
//
// The channel is taken away from student code before any of it loads: `process.send` is
// removed and 'message' events go only to the host, so a submission cannot read the
// harness's commands or post replies of its own. (A determined attacker with the inspector
// or raw channel internals could still try; the trusted side flags any reply it did not
// ask for. See kernels/process/README.md.)
import { KernelHost, type Command, type Reply } from '../host/host.ts';

const host = new KernelHost();
const send = process.send!.bind(process);
const emit = process.emit.bind(process) as (event: string | symbol, ...args: unknown[]) => boolean;
let chain: Promise<void> = Promise.resolve();

function onMessage(message: { id: string; cmd: Command }): void {
  chain = chain.then(async () => {
    const reply: Reply = await host.handle(message.cmd);
    try {
      send({ id: message.id, reply });
    } catch {
      send({ id: message.id, reply: { ok: false, error: { kind: 'usage', message: 'the reply could not be sent back (it is not plain data)' } } });
    }
  });
}

// Node keeps the channel open (and the process alive) while 'message' has a listener. This
// one never runs: messages are taken in emit below.
process.on('message', () => {});
Object.defineProperty(process, 'send', { value: undefined, writable: false, configurable: false });
Object.defineProperty(process, 'emit', {
  value(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'message') {
      onMessage(args[0] as { id: string; cmd: Command });
      return true;
    }
    return emit(event, ...args);
  },
  writable: false,
  configurable: false,
});


// Student code that leaves a promise rejection unhandled must not take the kernel down;
// the process that caused it has already ended with an error reason.
process.on('unhandledRejection', () => {});
send({ ready: true });
