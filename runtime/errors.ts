// Errors the runtime throws at the call site. Each says what happened and what to do.
import { formatReason, type ExitReason } from './exit.ts';

export class MessageError extends Error {
  override name = 'MessageError';
}

export class NoSuchNameError extends Error {
  override name = 'NoSuchNameError';
  constructor(readonly registeredName: string) {
    super(`no process is registered as "${registeredName}" (it never registered, or it has exited)`);
  }
}

export class AskTimeoutError extends Error {
  override name = 'AskTimeoutError';
  constructor(readonly target: string, readonly timeout: number) {
    super(`no reply from ${target} within ${timeout} ms`);
  }
}

export class AskTargetExitedError extends Error {
  override name = 'AskTargetExitedError';
  constructor(readonly target: string, readonly reason: ExitReason) {
    super(`${target} ended before replying (${formatReason(reason)})`);
  }
}

export class RegistryError extends Error {
  override name = 'RegistryError';
}

/** Thrown into the code of a process that has already ended, so that its leftover code stops. */
export class ProcessEndedError extends Error {
  override name = 'ProcessEndedError';
}
