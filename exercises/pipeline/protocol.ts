// The pipeline exercise's protocol: every message, in both directions, as a zod schema
// (checked at run time by the tests) and as a TypeScript type (checked at compile time in
// your code).
//
//   source ──item/end──▶ stage 0 ──item/end──▶ stage 1 ── … ──▶ stage n-1 ──item/end──▶ sink
//   source ◀─demand───── stage 0 ◀─demand───── stage 1 ◀─ … ─── stage n-1 ◀─demand───── sink
//
// Items, `end` and `failed` flow downstream; `demand` and `cancel` flow upstream. In the
// tests, the test itself plays both the source and the sink.
import { z } from 'zod';
import { refOf, type Context, type Ref } from '#runtime';

/** An ArrayBuffer (a block of bytes that can be *transferred*: moved, not copied). */
const Bytes = z.custom<ArrayBuffer>((v) => v instanceof ArrayBuffer || Object.prototype.toString.call(v) === '[object ArrayBuffer]', 'expected an ArrayBuffer');

// ---- Downstream: from the source, through every stage, to the sink ------------------------

/**
 * One item of the stream. `seq` numbers the items 0, 1, 2, … in the order the source sent
 * them; `payload` holds the bytes. Send it on with `{ transfer: [payload] }`: the buffer
 * moves to the next stage and your own reference to it becomes detached (0 bytes).
 */
export const Item = z.object({
  type: z.literal('item'),
  seq: z.number().int().nonnegative(),
  payload: Bytes,
});
export type Item = z.infer<typeof Item>;

/** End of stream: sent once, after the last item; `count` is the number of items sent before it. */
export const End = z.object({ type: z.literal('end'), count: z.number().int().nonnegative() });
export type End = z.infer<typeof End>;

/**
 * A stage's transform threw on item `seq`. Sent downstream (and passed on by every stage
 * after it) instead of the item; `stage` is the index of the stage that failed (0 = first),
 * `reason` the error's message. The stream ends here: no `end` follows.
 */
export const Failed = z.object({
  type: z.literal('failed'),
  seq: z.number().int().nonnegative(),
  stage: z.number().int().nonnegative(),
  reason: z.string(),
});
export type Failed = z.infer<typeof Failed>;

/** Everything that travels downstream (what a stage receives from its upstream). */
export const Downstream = z.discriminatedUnion('type', [Item, End, Failed]);
export type Downstream = z.infer<typeof Downstream>;

// ---- Upstream: from the sink, through every stage, to the source --------------------------

/** "You may send me `n` more items." Credit adds up: two demands of 2 allow 4 items. */
export const Demand = z.object({ type: z.literal('demand'), n: z.number().int().positive() });
export type Demand = z.infer<typeof Demand>;

/** "Stop: send me nothing more." Passed upstream stage by stage, up to the source. */
export const Cancel = z.object({ type: z.literal('cancel'), reason: z.string() });
export type Cancel = z.infer<typeof Cancel>;

/** Everything that travels upstream (what a stage receives from its downstream). */
export const Upstream = z.discriminatedUnion('type', [Demand, Cancel]);
export type Upstream = z.infer<typeof Upstream>;

/** Everything a stage may receive: from its upstream or from its downstream. */
export type StageMessage = Downstream | Upstream;

// ---- Configuration -----------------------------------------------------------------------

const Delay = z.number().int().nonnegative();

/**
 * What one stage does to each item's payload, in place (the same buffer, changed), and how
 * long it takes: `delay` virtual ms per item (wait with `await self.sleep(delay)`).
 *  - xor:       every byte b becomes b ^ key
 *  - add:       every byte b becomes (b + n) & 255
 *  - reverse:   the bytes in reverse order
 *  - poison-on: bytes unchanged, but the transform throws new Error(`item ${seq} is poisoned`)
 *               on the item whose seq is `seq` (it stands for any bug or bad input in a real
 *               transform); the `failed` that reports it has that message as its reason
 * A stage is data, not a function: functions cannot be sent in messages.
 */
export const StageSpec = z.discriminatedUnion('op', [
  z.object({ op: z.literal('xor'), key: z.number().int().min(0).max(255), delay: Delay }),
  z.object({ op: z.literal('add'), n: z.number().int().min(0).max(255), delay: Delay }),
  z.object({ op: z.literal('reverse'), delay: Delay }),
  z.object({ op: z.literal('poison-on'), seq: z.number().int().nonnegative(), delay: Delay }),
]);
export type StageSpec = z.infer<typeof StageSpec>;

export const PipelineConfig = z.object({
  /** The stages, first to last (1 to 8 of them): one process each. */
  stages: z.array(StageSpec).min(1).max(8),
  /**
   * The most items one stage may hold at a time: granted to it but not yet passed on
   * (on their way to it, in its mailbox, being transformed, or waiting for credit).
   * A stage starts by granting its upstream `window` items.
   */
  window: z.number().int().min(1),
  /** Where the first stage sends `demand` and `cancel` (the source). */
  source: refOf<Upstream>(),
  /** Where the last stage sends items, `end` and `failed` (the sink). */
  sink: refOf<Downstream>(),
});
export type PipelineConfig = z.infer<typeof PipelineConfig>;

/** What `startPipeline` returns: the two ends of the chain of stages. */
export interface PipelineEnds {
  /** The first stage: the source sends it items and `end`. */
  readonly input: Ref<Downstream>;
  /** The last stage: the sink sends it `demand` and `cancel`. */
  readonly output: Ref<Upstream>;
}

/**
 * Entry point: spawn one process per stage, wire them into a chain between `config.source`
 * and `config.sink`, and return the first and last stage. (With one stage, both are the
 * same process.)
 */
export type StartPipeline = (self: Context<never>, config: PipelineConfig) => PipelineEnds | Promise<PipelineEnds>;

/** What the tests check every message against. */
export const protocol = {
  toSystem: z.union([Downstream, Upstream]),
  fromSystem: z.union([Downstream, Upstream]),
};
