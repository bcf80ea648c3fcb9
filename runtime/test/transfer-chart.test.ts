// A buffer passed on from process to process (transferred at each hop) shows in the sequence
// chart with the size it was sent with, not the 0 bytes it reads once moved on.
import { describe, expect, it } from 'vitest';
import { chartLines, createSystem, type Ref } from '#runtime';

type Item = { type: 'item'; payload: ArrayBuffer };

describe('transferred buffers in traces and charts', () => {
  it('show in the chart the size they were sent with at every hop', async () => {
    const system = createSystem({ seed: 1 });
    const sink = system.spawn<Item>(
      async (self) => {
        await self.receive();
      },
      { name: 'sink' },
    );
    const relay = (next: Ref<Item>, name: string) =>
      system.spawn<Item>(
        async (self) => {
          const m = await self.receive();
          self.send(next, { type: 'item', payload: m.payload }, { transfer: [m.payload] });
          expect(m.payload.byteLength).toBe(0); // moved on: detached here
        },
        { name },
      );
    const second = relay(sink, 'second');
    const first = relay(second, 'first');
    const payload = new ArrayBuffer(16);
    system.send(first, { type: 'item', payload }, { transfer: [payload] });
    await system.runUntilIdle();
    const sends = chartLines(system.trace!)
      .filter((c) => c.kind === 'send')
      .map((c) => c.text.replace(/\s+/g, ' '));
    expect(sends).toEqual([
      expect.stringMatching(/→ first item \{payload: ArrayBuffer\(16\)\}$/),
      expect.stringMatching(/first → second item \{payload: ArrayBuffer\(16\)\}$/),
      expect.stringMatching(/second → sink item \{payload: ArrayBuffer\(16\)\}$/),
    ]);
    // The JSON says what the buffer holds now: 0 bytes once a receiver moved it on (tests read
    // that to see that a stage passed on the very buffer it got).
    const json = system.trace!.toJSON() as { events: { kind: string; msg?: { payload?: unknown } }[] };
    expect(json.events.filter((e) => e.kind === 'send').map((e) => e.msg?.payload)).toEqual([{ $bytes: 0 }, { $bytes: 0 }, { $bytes: 16 }]);
  });
});
