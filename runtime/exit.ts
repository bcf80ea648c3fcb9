// Exit reasons and the system messages a process can receive (OTP vocabulary).
import type { Ref } from './ref.ts';

export interface ErrorInfo {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

/**
 * Why a process ended. Well-known reasons: 'normal' (finished), 'shutdown' (asked to stop),
 * 'killed' (untrappable kill), 'noproc' (the process did not exist), 'noconnection' (its
 * kernel crashed or became unreachable). `{ error }`: it threw or a promise it awaited
 * rejected. Any other string is a custom reason, as in Erlang.
 */
export type ExitReason = string | { readonly error: ErrorInfo } | { readonly shutdown: string };

/** Delivered to a process that traps exits, instead of killing it. */
export interface ExitMessage {
  readonly type: 'EXIT';
  readonly from: Ref;
  readonly reason: ExitReason;
}

/** Delivered to a monitoring process when the monitored process ends (or did not exist). */
export interface DownMessage {
  readonly type: 'DOWN';
  readonly monitor: MonitorRef;
  readonly ref: Ref;
  readonly reason: ExitReason;
}

export interface MonitorRef {
  readonly monitor: number;
}

export function errorReason(err: unknown): ExitReason {
  if (err instanceof Error) {
    return Object.freeze({ error: Object.freeze({ name: err.name, message: err.message, stack: err.stack }) });
  }
  return Object.freeze({ error: Object.freeze({ name: 'Error', message: describeThrown(err) }) });
}

function describeThrown(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return `non-Error value thrown: ${JSON.stringify(value)}`;
  } catch {
    return `non-Error value thrown: ${String(value)}`;
  }
}

/** 'normal', 'shutdown' and {shutdown} are the reasons a transient child is not restarted for. */
export function isNormalExit(reason: ExitReason): boolean {
  return reason === 'normal' || reason === 'shutdown' || (typeof reason === 'object' && 'shutdown' in reason);
}

export function formatReason(reason: ExitReason): string {
  if (typeof reason === 'string') return reason;
  if ('shutdown' in reason) return `shutdown: ${reason.shutdown}`;
  return `${reason.error.name}: ${reason.error.message}`;
}
