// Reference solution for the pipeline exercise.
import type { Context, Ref } from '#runtime';
import type { Downstream, End, Item, PipelineConfig, PipelineEnds, StageMessage, StageSpec, Upstream } from '#exercises/pipeline/protocol';

/** Applies one stage's transform to `bytes`, in place. Throws on a poisoned item. */
export function transform(spec: StageSpec, seq: number, bytes: Uint8Array): void {
  switch (spec.op) {
    case 'xor':
      for (let i = 0; i < bytes.length; i++) bytes[i] ^= spec.key;
      return;
    case 'add':
      for (let i = 0; i < bytes.length; i++) bytes[i] = (bytes[i]! + spec.n) & 255;
      return;
    case 'reverse':
      bytes.reverse();
      return;
    case 'poison-on':
      if (seq === spec.seq) throw new Error(`item ${seq} is poisoned`);
      return;
  }
}

/** Tells a freshly spawned stage who its neighbours are (internal: not part of the protocol). */
type Wire = { type: 'wire'; upstream: Ref<Upstream>; downstream: Ref<Downstream> };

async function stage(self: Context<StageMessage | Wire>, index: number, spec: StageSpec, window: number): Promise<void> {
  const { upstream, downstream } = (await self.receive({ type: 'wire' })) as Wire;
  let credit = 0; // items the downstream still lets us send
  const ready: Item[] = []; // transformed, waiting for credit (oldest first)
  let end: End | undefined; // set once the upstream has finished

  // Everything we hold (on its way, in the mailbox, being transformed, waiting) was granted
  // by us: grant `window` now, then one more each time an item leaves.
  self.send<Upstream>(upstream, { type: 'demand', n: window });

  for (;;) {
    const msg = await self.receive();
    switch (msg.type) {
      case 'wire':
        break;
      case 'demand':
        credit += msg.n;
        break;
      case 'cancel':
        self.send<Upstream>(upstream, msg); // pass the cancel on towards the source, and stop
        return;
      case 'failed':
        self.send<Downstream>(downstream, msg); // pass the failure on towards the sink, and stop
        return;
      case 'end':
        end = msg;
        break;
      case 'item': {
        if (spec.delay > 0) await self.sleep(spec.delay);
        try {
          transform(spec, msg.seq, new Uint8Array(msg.payload));
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          self.send<Downstream>(downstream, { type: 'failed', seq: msg.seq, stage: index, reason });
          self.send<Upstream>(upstream, { type: 'cancel', reason: `stage ${index} failed on item ${msg.seq}: ${reason}` });
          return;
        }
        ready.push(msg);
        break;
      }
    }
    while (credit > 0 && ready.length > 0) {
      const item = ready.shift()!;
      // The same buffer, moved: our reference to it is detached from now on.
      self.send<Downstream>(downstream, { type: 'item', seq: item.seq, payload: item.payload }, { transfer: [item.payload] });
      credit--;
      if (end === undefined) self.send<Upstream>(upstream, { type: 'demand', n: 1 });
    }
    if (end !== undefined && ready.length === 0) {
      self.send<Downstream>(downstream, end);
      return;
    }
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
