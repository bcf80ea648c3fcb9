// What travels between processes: an envelope in a channel (a plain message waits there as
// its id and message, and gets its envelope when it is delivered: plainEnvelope). User
// messages, exit signals and DOWN notices travel the same channels, so they keep their order
// with the messages of the same sender (as in Erlang); link and monitor requests to a process
// in another thread too.
import type { ExitReason } from '../exit.ts';
import type { DropCause } from '../trace.ts';

/** A message, signal or control request on its way, and as a mailbox keeps it. */
export interface Envelope {
  readonly id: number;
  readonly from: number;
  /** The sender's kernel (processes on other kernels are addressed by kernel and pid). */
  readonly fromKernel: number;
  readonly to: number;
  /** msg/exit/down travel to processes; link/unlink/monitor/demonitor set up links and monitors with a process on a kernel in another thread. */
  readonly kind: 'msg' | 'exit' | 'down' | 'link' | 'unlink' | 'monitor' | 'demonitor';
  readonly msg: unknown;
  /** Reply alias (kind 'msg'), monitor id (kind 'down'). */
  readonly tag?: number;
  /**
   * Exit signals: 'link' when caused by a linked process ending; 'kill' when untrappable. An
   * EXIT message made from an exit signal keeps it: only the runtime makes messages with `via`.
   */
  readonly via?: 'link' | 'exit' | 'kill';
  /** Set at delivery when the envelope belongs to a pending ask (its reply or its DOWN). */
  ask?: number;
  /** The message holds buffers sent with `transfer`: hand them over, not copy, at a thread boundary. */
  moved?: boolean;
  /** A keyed timer's message: the timer's id (a message of a cancelled or replaced timer is discarded). */
  readonly timer?: number;
}

/**
 * The envelope of a plain message between two processes of one kernel (no reply alias, keyed
 * timer, exit cause or moved buffer). Such a message waits in its channel as its id and message
 * alone, and gets this envelope only when it is delivered or dropped: a flood of queued
 * messages keeps no envelope alive for each.
 */
export function plainEnvelope(id: number, from: number, kernel: number, to: number, msg: unknown): Envelope {
  return { id, from, fromKernel: kernel, to, kind: 'msg', msg, tag: undefined, via: undefined, moved: false };
}

/** A message that found no receiver. */
export interface DeadLetter {
  readonly t: number;
  readonly from: number;
  readonly to: number;
  readonly msg: unknown;
  readonly cause: DropCause;
}

/** What `info` tells about a process (erlang:process_info, in short). */
export interface ProcessInfo {
  readonly pid: number;
  readonly name: string | undefined;
  readonly alive: boolean;
  readonly reason: ExitReason | undefined;
  readonly mailbox: number;
  readonly links: number[];
  readonly monitors: number;
  readonly trapExit: boolean;
  readonly registered: string[];
  readonly timers: number;
}

/** A user message (not a reply or DOWN that belongs to a pending ask). */
export function isUserEnvelope(env: Envelope): boolean {
  return env.ask === undefined;
}
