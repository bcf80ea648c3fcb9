// The program a process kernel runs: a kernel host driven over the authenticated channel on
// fd 3 (kernels/process/channel.ts). Commands are handled strictly one after another, and
// between two commands the kernel is stopped reading its channel, so the run is a pure
// function of the command sequence (and the seed), however the messages were timed.
//
// Order matters: the channel takes its key before anything else, and the realm is locked
// down (kernels/host/lockdown.ts) before the first student module can load.
import { kernelEnd } from './channel.ts';
import { KernelHost, type Command, type Reply } from '../host/host.ts';
import { lockdown } from '../host/lockdown.ts';

const channel = kernelEnd();
lockdown();
const host = new KernelHost();

// Student code that leaves a promise rejection unhandled must not take the kernel down;
// the process that caused it has already ended with an error reason.
process.on('unhandledRejection', () => {});

channel.reply({ ready: true });
for (;;) {
  const message = channel.receive() as { id: string; cmd: Command } | undefined;
  if (message === undefined) break; // the trusted side closed the channel: done
  const reply: Reply = await host.handle(message.cmd);
  try {
    channel.reply({ id: message.id, reply });
  } catch {
    channel.reply({ id: message.id, reply: { ok: false, error: { kind: 'usage', message: 'the reply could not be sent back (it is not plain data)' } } });
  }
}
process.exit(0);
