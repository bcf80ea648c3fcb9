// The multikernel exercise's protocol: every message, in both directions, as a zod schema
// (checked at run time by the tests) and as a TypeScript type (checked at compile time in
// your code). Three kinds of traffic:
//
//   client  → monitor   read, map, unmap            (answered with value, done or failed)
//   test    → monitor   peers                       (who the other monitors are)
//   monitor ↔ monitor   submit/outcome, prepare/prepared, commit/committed
//
// The monitor-to-monitor messages are fixed too: the tests read them in the trace, count
// them, and replay old ones at your monitors, so they must look exactly like this.
import { z } from 'zod';
import { refOf, RefSchema, type Context, type DownMessage, type Ref } from '#runtime';

// ---- The table ---------------------------------------------------------------------------

/** A virtual page number (the key of the table). */
export const Page = z.number().int().nonnegative();
/** A physical frame number (the value). */
export const Frame = z.number().int().nonnegative();

/** One change to the table, as the monitors pass it around. */
export const Update = z.discriminatedUnion('op', [
  z.object({ op: z.literal('map'), page: Page, frame: Frame }),
  z.object({ op: z.literal('unmap'), page: Page }),
]);
export type Update = z.infer<typeof Update>;

// ---- Client → monitor, and the replies --------------------------------------------------

/** The frame `page` maps to at this kernel's replica: answered locally, with no message to another kernel. */
export const Read = z.object({
  type: z.literal('read'),
  /** Chosen by the client; copied into the reply. */
  id: z.number().int(),
  page: Page,
  replyTo: refOf<Value>(),
});
export type Read = z.infer<typeof Read>;

/** Reply to a read: the frame, or null when the page is not mapped. */
export const Value = z.object({ type: z.literal('value'), id: z.number().int(), page: Page, frame: Frame.nullable() });
export type Value = z.infer<typeof Value>;

/** Map `page` to `frame` (replacing any earlier mapping) on every kernel. */
export const MapRequest = z.object({
  type: z.literal('map'),
  id: z.number().int(),
  page: Page,
  frame: Frame,
  replyTo: refOf<UpdateReply>(),
});
export type MapRequest = z.infer<typeof MapRequest>;

/** Remove the mapping of `page` on every kernel (done even if it was not mapped). */
export const UnmapRequest = z.object({
  type: z.literal('unmap'),
  id: z.number().int(),
  page: Page,
  replyTo: refOf<UpdateReply>(),
});
export type UnmapRequest = z.infer<typeof UnmapRequest>;

/**
 * The one reply to a map or unmap. `done`: every live replica has applied it, as update
 * number `seq` of the agreed sequence. `failed`: the sequencer is gone, so it cannot be
 * agreed (it may or may not have taken effect).
 */
export const UpdateReply = z.discriminatedUnion('type', [
  z.object({ type: z.literal('done'), id: z.number().int(), seq: z.number().int().positive() }),
  z.object({ type: z.literal('failed'), id: z.number().int(), reason: z.literal('sequencer-down') }),
]);
export type UpdateReply = z.infer<typeof UpdateReply>;

export const ClientRequest = z.discriminatedUnion('type', [Read, MapRequest, UnmapRequest]);
export type ClientRequest = z.infer<typeof ClientRequest>;

// ---- Set-up -------------------------------------------------------------------------------

/**
 * Sent by the test to every monitor once all are started: the monitors of all kernels,
 * yours included. `monitors[0]` is the sequencer.
 */
export const Peers = z.object({ type: z.literal('peers'), monitors: z.array(RefSchema).min(1) });
export type Peers = { readonly type: 'peers'; readonly monitors: Ref<MonitorMessage>[] };

// ---- Monitor ↔ monitor --------------------------------------------------------------------

/** Names an update for duplicate detection: the origin monitor's kernel and its own counter. */
export const OpId = z.object({ kernel: z.number().int().nonnegative(), n: z.number().int().nonnegative() });
export type OpId = z.infer<typeof OpId>;

/** Origin → sequencer: "please order this update". Resent every `retry` ms until the outcome arrives. */
export const Submit = z.object({ type: z.literal('submit'), op: OpId, update: Update, from: refOf<Outcome>() });
export type Submit = z.infer<typeof Submit>;

/** Sequencer → origin: update `op` is number `seq` and every live replica has applied it. */
export const Outcome = z.object({ type: z.literal('outcome'), op: OpId, seq: z.number().int().positive() });
export type Outcome = z.infer<typeof Outcome>;

/** Phase 1, sequencer → replica: update `seq` is coming; stop serving `update.page` until it commits. */
export const Prepare = z.object({ type: z.literal('prepare'), seq: z.number().int().positive(), update: Update, from: refOf<Prepared>() });
export type Prepare = z.infer<typeof Prepare>;

/** Replica → `from` of the prepare: I hold update `seq` (or have applied it already). */
export const Prepared = z.object({ type: z.literal('prepared'), seq: z.number().int().positive(), kernel: z.number().int().nonnegative() });
export type Prepared = z.infer<typeof Prepared>;

/** Phase 2, sequencer → replica: apply update `seq` now. */
export const Commit = z.object({ type: z.literal('commit'), seq: z.number().int().positive(), from: refOf<Committed>() });
export type Commit = z.infer<typeof Commit>;

/** Replica → `from` of the commit: I have applied every update up to and including `seq`. */
export const Committed = z.object({ type: z.literal('committed'), seq: z.number().int().positive(), kernel: z.number().int().nonnegative() });
export type Committed = z.infer<typeof Committed>;

/** Everything a monitor may receive (DOWN comes from `self.monitor`). */
export type MonitorMessage = ClientRequest | Peers | Submit | Outcome | Prepare | Prepared | Commit | Committed | DownMessage;

// ---- The entry point ----------------------------------------------------------------------

export const MonitorConfig = z.object({
  /** The kernel this monitor runs on (also `self.ref.kernel`): its replica's name in prepared/committed. */
  kernel: z.number().int().nonnegative(),
  /** Ms to wait for an answer before resending (submit, prepare, commit). */
  retry: z.number().int().positive(),
});
export type MonitorConfig = z.infer<typeof MonitorConfig>;

/**
 * Entry point, called once on every kernel: spawn this kernel's monitor and return its Ref.
 * The monitor holds this kernel's replica of the table; it learns the others from `peers`.
 */
export type StartMonitor = (self: Context<never>, config: MonitorConfig) => Ref<MonitorMessage> | Promise<Ref<MonitorMessage>>;

/** What the tests check every message against. */
export const protocol = {
  toSystem: z.union([Read, MapRequest, UnmapRequest, Peers, Submit, Outcome, Prepare, Prepared, Commit, Committed]),
  fromSystem: z.union([Value, UpdateReply, Prepared, Committed, Outcome]),
};
