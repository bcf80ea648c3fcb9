// The pipeline exercise: your code goes here. Read exercises/pipeline/README.md first;
// every message is defined in exercises/pipeline/protocol.ts.
//
// The wiring is done for you: startPipeline spawns one process per stage and tells each
// one who its neighbours are. What is left is the life of one stage: transform items,
// respect credit, move buffers, and end (or fail) cleanly.
import type { Context, Ref } from '#runtime';
import type { Downstream, PipelineConfig, PipelineEnds, StageMessage, StageSpec, Upstream } from '#exercises/pipeline/protocol';

/**
 * Applies one stage's transform to `bytes`, in place (change the array you are given; do
 * not make a new one). For 'poison-on', throw an Error on the item whose seq is spec.seq.
 */
export function transform(spec: StageSpec, seq: number, bytes: Uint8Array): void {
  switch (spec.op) {
    case 'xor':
      // TODO: every byte b becomes b ^ spec.key
      return;
    case 'add':
      // TODO: every byte b becomes (b + spec.n) & 255
      return;
    case 'reverse':
      // TODO: the bytes in reverse order (typed arrays have a reverse() that works in place)
      return;
    case 'poison-on':
      // TODO: throw new Error(`item ${seq} is poisoned`) when seq === spec.seq; otherwise leave
      // the bytes alone
      return;
  }
}

/** Tells a freshly spawned stage who its neighbours are (internal: not part of the protocol). */
type Wire = { type: 'wire'; upstream: Ref<Upstream>; downstream: Ref<Downstream> };

async function stage(self: Context<StageMessage | Wire>, index: number, spec: StageSpec, window: number): Promise<void> {
  const { upstream, downstream } = (await self.receive({ type: 'wire' })) as Wire;

  // TODO: the state of a stage. For example: the credit its downstream has granted, the
  // items it has transformed but may not send yet (oldest first), whether end has arrived.

  // TODO: grant the upstream `window` items to begin with:
  //   self.send<Upstream>(upstream, { type: 'demand', n: window });

  for (;;) {
    const msg = await self.receive();
    switch (msg.type) {
      case 'wire':
        break;
      case 'demand':
        // TODO: the downstream lets us send msg.n more items
        break;
      case 'item':
        // TODO: take `spec.delay` ms (await self.sleep(spec.delay)), transform the payload in
        // place (new Uint8Array(msg.payload) is a view onto it), and keep the item until
        // there is credit to send it. If transform throws: send failed downstream (its
        // reason is the error's message) and cancel upstream, then stop (return).
        break;
      case 'end':
        // TODO: the upstream has finished: pass end on once every item before it is passed on
        break;
      case 'failed':
        // TODO: a stage before us failed: pass it on downstream, and stop
        break;
      case 'cancel':
        // TODO: the downstream wants nothing more: pass it on upstream, and stop
        break;
    }
    // TODO: while there is credit and a transformed item waiting, send the oldest on, moving
    // its buffer:
    //   self.send<Downstream>(downstream, { type: 'item', seq, payload }, { transfer: [payload] });
    // and grant the upstream one more item in its place.
  }
}

export function startPipeline(self: Context<never>, config: PipelineConfig): PipelineEnds {
  const { stages, window, source, sink } = config;
  const refs = stages.map((spec, i) => self.spawn<StageMessage | Wire>((me) => stage(me, i, spec, window), { name: `stage-${i}` }));
  refs.forEach((ref, i) => {
    self.send<Wire>(ref, {
      type: 'wire',
      upstream: i === 0 ? source : refs[i - 1]!,
      downstream: i === refs.length - 1 ? sink : refs[i + 1]!,
    });
  });
  return { input: refs[0]!, output: refs[refs.length - 1]! };
}
