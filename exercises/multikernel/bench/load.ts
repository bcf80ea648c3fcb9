// The load generator the multikernel benchmark runs next to every monitor on a worker
// kernel. ../bench.ts bundles it together with a submission's startMonitor.
import type { Context, Ref } from '#runtime';
import type { ClientRequest, UpdateReply, Value } from '#exercises/multikernel/protocol';

export interface LoadConfig {
  /** This kernel's monitor. */
  readonly monitor: Ref<ClientRequest>;
  readonly kind: 'read' | 'update';
  /** Real ms to keep sending for. */
  readonly duration: number;
  /** Requests outstanding at once. */
  readonly window: number;
  /** Pages to spread the requests over. */
  readonly pages: number;
  /** Makes frames and pages differ between kernels. */
  readonly kernel: number;
}

/**
 * Sends requests to the local monitor for `duration` ms, `window` at a time, from this
 * process (the entry point's 'main'), then waits for the last answers. Returns how many
 * were answered, the real time it took, and how many updates failed.
 */
export async function runLoad(self: Context<never>, config: LoadConfig): Promise<{ ops: number; ms: number; failed: number }> {
  const me = self as unknown as Context<Value | UpdateReply>;
  const replyTo = me.ref;
  let sent = 0,
    answered = 0,
    failed = 0;
  const send = () => {
    const id = sent++;
    const page = (id * 7 + config.kernel) % config.pages;
    me.send<ClientRequest>(
      config.monitor,
      config.kind === 'read'
        ? { type: 'read', id, page, replyTo }
        : id % 4 === 3
          ? { type: 'unmap', id, page, replyTo }
          : { type: 'map', id, page, frame: config.kernel * 1_000_000 + id, replyTo },
    );
  };
  const started = performance.now();
  const until = started + config.duration;
  for (let i = 0; i < config.window; i++) send();
  let sending = true;
  while (answered < sent) {
    const reply = await me.receive();
    answered++;
    if (reply.type === 'failed') failed++;
    // Look at the clock every 64 answers: it is not free.
    if (sending && (answered & 63) === 0 && performance.now() >= until) sending = false;
    if (sending) send();
  }
  return { ops: answered, ms: performance.now() - started, failed };
}
