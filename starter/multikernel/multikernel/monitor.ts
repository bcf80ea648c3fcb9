// One monitor per kernel. Every monitor serves reads from its own replica and is a replica
// in the sequencer's two-phase protocol; the monitor in peers[0] is also the sequencer.
// Read the handout first: it gives the rules each message follows.
import { behavior, setup, type Context, type Ref, type TimerRef } from '#runtime';
import type { MapRequest, MonitorConfig, MonitorMessage, Read, UnmapRequest, UpdateReply, Value } from '#exercises/multikernel/protocol';
import { Replica } from './replica.ts';

/** Timer messages a monitor sends itself with `me.setTimer(ms, msg)` (add what you need). */
type Tick = { type: 'resend'; what: string };
type Msg = MonitorMessage | Tick;

export function startMonitor(self: Context<never>, config: MonitorConfig): Ref<MonitorMessage> {
  return self.spawn<Msg>(
    setup((me) => {
      const kernel = config.kernel;
      const replica = new Replica();
      /** Reads of a page that is prepared but not committed: answer them once it commits. */
      let blockedReads: Read[] = [];
      let sequencer: Ref<MonitorMessage> | undefined;
      let iAmSequencer = false;
      // TODO (sequencer): the other replicas that are live, the queue of submitted updates,
      // the update in flight (its seq, its phase, who has not answered yet), the last seq.
      // TODO (origin): your clients' updates until their outcome arrives, with resend timers.
      const timers: TimerRef[] = [];
      void timers;
      void blockedReads;

      function read(r: Read): void {
        const frame = replica.read(r.page);
        if (frame === 'wait') blockedReads.push(r);
        else me.send<Value>(r.replyTo, { type: 'value', id: r.id, page: r.page, frame });
      }

      function update(request: MapRequest | UnmapRequest): void {
        // TODO: give the update an OpId { kernel, n }, send `submit` to the sequencer (or, if
        // you are the sequencer, take it yourself), resend every config.retry ms until the
        // `outcome` comes, then answer the client once: { type: 'done', id, seq }.
        // If the sequencer is DOWN, answer { type: 'failed', id, reason: 'sequencer-down' }.
        const reply: UpdateReply = { type: 'failed', id: request.id, reason: 'sequencer-down' };
        void reply;
      }

      return behavior<Msg>((_, msg) => {
        switch (msg.type) {
          case 'read':
            return read(msg);
          case 'map':
          case 'unmap':
            return update(msg);
          case 'peers':
            sequencer = msg.monitors[0]!;
            iAmSequencer = sequencer.kernel === me.ref.kernel && sequencer.pid === me.ref.pid;
            // TODO: watch the others with me.monitor(ref): the sequencer watches every replica
            // (a DOWN means that kernel crashed: stop waiting for it); a replica watches the sequencer.
            void iAmSequencer;
            return;
          case 'prepare':
            // TODO: ask the replica; if it says so, answer { type: 'prepared', seq, kernel } to msg.from.
            void kernel;
            return;
          case 'commit':
            // TODO: ask the replica; if it says so, answer { type: 'committed', seq, kernel } to msg.from,
            // then answer the blocked reads that can be answered now.
            return;
          case 'submit':
          case 'prepared':
          case 'committed':
            // TODO (sequencer): order updates one at a time: prepare everywhere, commit everywhere,
            // then send { type: 'outcome', op, seq } to the origin. Resend to whoever has not answered.
            return;
          case 'outcome':
            // TODO (origin): answer your client once (outcomes can arrive twice).
            return;
          case 'DOWN':
            // TODO: a monitor you watch has gone down (its kernel crashed).
            return;
          case 'resend':
            return;
        }
      });
    }),
    { name: `monitor-${config.kernel}` },
  );
}
