// Errors the runtime throws at the call site. Each says what happened and what to do.
import { formatReason, type ExitReason } from './exit.ts';

export class MessageError extends Error {
  override name = 'MessageError';
}

/**
 * A name nobody holds. Erlang's gen_server:call would exit the caller with noproc; here the
 * call throws at once, so that uncaught it ends the caller with an error naming the name,
 * and caught the caller can carry on (as Erlang's catch would).
 */
export class NoSuchNameError extends Error {
  override name = 'NoSuchNameError';
  constructor(readonly registeredName: string) {
    super(
      `no process is registered as "${registeredName}" (it never registered, or it has exited). ` +
        'Unlike Erlang, where the call would exit the caller with noproc, this is an error you can catch',
    );
  }
}

/** link/1 to a process that does not exist, by a process that does not trap exits (Erlang's error:noproc). */
export class NoProcError extends Error {
  override name = 'NoProcError';
  constructor(
    readonly target: string,
    what: string,
  ) {
    super(
      `cannot ${what} ${target}: the process does not exist (noproc). ` + 'Catch this error, or trap exits to get an EXIT message with reason noproc instead',
    );
  }
}

export class AskTimeoutError extends Error {
  override name = 'AskTimeoutError';
  constructor(
    readonly target: string,
    readonly timeout: number,
  ) {
    super(`no reply from ${target} within ${timeout} ms`);
  }
}

export class AskTargetExitedError extends Error {
  override name = 'AskTargetExitedError';
  constructor(
    readonly target: string,
    readonly reason: ExitReason,
  ) {
    super(`${target} ended before replying (${formatReason(reason)})`);
  }
}

/** startLink: the new process ended during its start-up (OTP's {error, Reason} from start_link). */
export class StartError extends Error {
  override name = 'StartError';
  constructor(
    readonly child: string,
    readonly reason: ExitReason,
  ) {
    super(`${child} ended during its start-up (${formatReason(reason)})`);
  }
}

export class RegistryError extends Error {
  override name = 'RegistryError';
}

export class StashOverflowError extends Error {
  override name = 'StashOverflowError';
}

/**
 * Thrown into the code of a process that has ended (by self.exit, an exit signal, or a crash),
 * so that its leftover code stops. Code that catches it keeps running, but cannot act: each
 * call throws this again, and receive, ask and sleep never return.
 */
export class ProcessEndedError extends Error {
  override name = 'ProcessEndedError';
  constructor(
    message = 'this process has ended, so it can no longer send, spawn, link or receive. ' +
      'If a try/catch caught this error after self.exit(...), rethrow it: if (err instanceof ProcessEndedError) throw err',
  ) {
    super(message);
  }
}
