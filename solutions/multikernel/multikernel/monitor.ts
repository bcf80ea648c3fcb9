// Reference solution for the multikernel exercise: one monitor per kernel. Every monitor
// serves reads from its own replica and is a replica for the sequencer's two-phase
// protocol; the monitor in peers[0] is also the sequencer, which orders updates one at a
// time: prepare everywhere, commit everywhere, then tell the origin.
import { behavior, setup, type Context, type DownMessage, type Ref, type TimerRef } from '#runtime';
import type {
  Commit,
  Committed,
  MapRequest,
  MonitorConfig,
  MonitorMessage,
  OpId,
  Outcome,
  Prepare,
  Prepared,
  Submit,
  UnmapRequest,
  Update,
  UpdateReply,
  Value,
  Read,
} from '#exercises/multikernel/protocol';
import { Replica } from './replica.ts';

/** Timer messages a monitor sends itself (not part of the protocol). */
type Tick = { type: 'resend-submit'; n: number } | { type: 'resend-phase'; seq: number; phase: Phase };
type Phase = 'prepare' | 'commit';
type Msg = MonitorMessage | Tick;

/** The update the sequencer is agreeing on now. */
interface InFlight {
  readonly seq: number;
  readonly submit: Submit;
  phase: Phase;
  /** Live replicas (kernels) that have not answered the current phase. */
  waiting: Set<number>;
  timer?: TimerRef;
}

const keyOf = (op: OpId) => `${op.kernel}:${op.n}`;

export function startMonitor(self: Context<never>, config: MonitorConfig): Ref<MonitorMessage> {
  return self.spawn<Msg>(
    setup((me) => {
      const kernel = config.kernel;
      const replica = new Replica();
      /** Reads of a page that is prepared but not committed: answered once it commits. */
      let blockedReads: Read[] = [];

      // Set-up: who the sequencer is, and (for the sequencer) who the other replicas are.
      let sequencer: Ref<MonitorMessage> | undefined;
      let iAmSequencer = false;
      let sequencerDown = false;
      /** Updates from clients that came before `peers`: handled once it arrives. */
      let early: (MapRequest | UnmapRequest)[] = [];

      // Origin role: my clients' updates, until the sequencer reports their outcome.
      let counter = 0;
      const mine = new Map<number, { request: MapRequest | UnmapRequest; submit: Submit; timer?: TimerRef }>();

      // Sequencer role.
      const live = new Map<number, Ref<MonitorMessage>>(); // other replicas, by kernel
      const known = new Map<string, number>(); // op → seq once finished, 0 while queued or in flight
      const queue: Submit[] = [];
      let current: InFlight | undefined;
      let lastSeq = 0;

      const reply = (to: Ref<UpdateReply>, msg: UpdateReply) => me.send(to, msg);

      // ---- replica ------------------------------------------------------------------------

      function read(r: Read): void {
        const frame = replica.read(r.page);
        if (frame === 'wait') blockedReads.push(r);
        else me.send<Value>(r.replyTo, { type: 'value', id: r.id, page: r.page, frame });
      }

      function afterApply(): void {
        const waiting = blockedReads;
        blockedReads = [];
        waiting.forEach(read);
      }

      function onPrepare(p: Prepare): void {
        if (replica.prepare(p.seq, p.update)) me.send<Prepared>(p.from, { type: 'prepared', seq: p.seq, kernel });
      }

      function onCommit(c: Commit): void {
        const before = replica.lastApplied;
        if (!replica.commit(c.seq)) return;
        me.send<Committed>(c.from, { type: 'committed', seq: c.seq, kernel });
        if (replica.lastApplied !== before) afterApply();
      }

      // ---- origin -------------------------------------------------------------------------

      function update(request: MapRequest | UnmapRequest): void {
        if (sequencerDown) return reply(request.replyTo, { type: 'failed', id: request.id, reason: 'sequencer-down' });
        if (!sequencer) {
          early.push(request);
          return;
        }
        const u: Update = request.type === 'map' ? { op: 'map', page: request.page, frame: request.frame } : { op: 'unmap', page: request.page };
        const n = ++counter;
        const submit: Submit = { type: 'submit', op: { kernel, n }, update: u, from: me.ref };
        mine.set(n, { request, submit });
        sendSubmit(n);
      }

      function sendSubmit(n: number): void {
        const entry = mine.get(n);
        if (!entry) return;
        if (iAmSequencer) {
          onSubmit(entry.submit); // no network between me and myself
          return;
        }
        me.send(sequencer!, entry.submit);
        entry.timer = me.setTimer(config.retry, { type: 'resend-submit', n });
      }

      function onOutcome(o: Outcome): void {
        if (o.op.kernel !== kernel) return;
        const entry = mine.get(o.op.n);
        if (!entry) return; // a duplicate: the client has its answer already
        mine.delete(o.op.n);
        if (entry.timer) me.cancelTimer(entry.timer);
        reply(entry.request.replyTo, { type: 'done', id: entry.request.id, seq: o.seq });
      }

      function onSequencerDown(): void {
        sequencerDown = true;
        for (const entry of mine.values()) {
          if (entry.timer) me.cancelTimer(entry.timer);
          reply(entry.request.replyTo, { type: 'failed', id: entry.request.id, reason: 'sequencer-down' });
        }
        mine.clear();
      }

      // ---- sequencer ----------------------------------------------------------------------

      function onSubmit(s: Submit): void {
        const seq = known.get(keyOf(s.op));
        if (seq === undefined) {
          known.set(keyOf(s.op), 0);
          queue.push(s);
          startNext();
        } else if (seq > 0) {
          finishFor(s, seq); // the outcome was lost: say it again
        } // else: queued or in flight already (a resend or a duplicate)
      }

      function startNext(): void {
        if (current || queue.length === 0) return;
        const submit = queue.shift()!;
        const seq = ++lastSeq;
        replica.prepare(seq, submit.update);
        current = { seq, submit, phase: 'prepare', waiting: new Set(live.keys()) };
        broadcast();
      }

      /** Sends the current phase's message to every live replica that has not answered, and arms the resend timer. */
      function broadcast(): void {
        const c = current!;
        if (c.timer) me.cancelTimer(c.timer);
        c.timer = undefined;
        if (c.waiting.size === 0) return advance();
        for (const k of c.waiting) {
          const to = live.get(k)!;
          if (c.phase === 'prepare') me.send<Prepare>(to, { type: 'prepare', seq: c.seq, update: c.submit.update, from: me.ref });
          else me.send<Commit>(to, { type: 'commit', seq: c.seq, from: me.ref });
        }
        c.timer = me.setTimer(config.retry, { type: 'resend-phase', seq: c.seq, phase: c.phase });
      }

      /** Every live replica has answered the current phase. */
      function advance(): void {
        const c = current!;
        if (c.timer) me.cancelTimer(c.timer);
        c.timer = undefined;
        if (c.phase === 'prepare') {
          replica.commit(c.seq);
          afterApply();
          c.phase = 'commit';
          c.waiting = new Set(live.keys());
          broadcast();
          return;
        }
        current = undefined;
        known.set(keyOf(c.submit.op), c.seq);
        finishFor(c.submit, c.seq);
        startNext();
      }

      function finishFor(s: Submit, seq: number): void {
        const outcome: Outcome = { type: 'outcome', op: s.op, seq };
        if (s.op.kernel === kernel) onOutcome(outcome);
        else me.send(s.from, outcome);
      }

      function answered(kernelOf: number, seq: number, phase: Phase): void {
        if (!current || current.seq !== seq || current.phase !== phase) return; // old news
        current.waiting.delete(kernelOf);
        if (current.waiting.size === 0) advance();
      }

      function onDown(down: DownMessage): void {
        if (sequencer && down.ref.kernel === sequencer.kernel && down.ref.pid === sequencer.pid) return onSequencerDown();
        if (!live.delete(down.ref.kernel)) return;
        // A crashed replica is no longer live: nobody waits for it.
        if (current && current.waiting.delete(down.ref.kernel) && current.waiting.size === 0) advance();
      }

      // ---- dispatch -----------------------------------------------------------------------

      return behavior<Msg>((_, msg) => {
        switch (msg.type) {
          case 'read':
            return read(msg);
          case 'map':
          case 'unmap':
            return update(msg);
          case 'peers': {
            if (sequencer) return; // already set up
            sequencer = msg.monitors[0]!;
            iAmSequencer = sequencer.kernel === me.ref.kernel && sequencer.pid === me.ref.pid;
            if (iAmSequencer) {
              for (const m of msg.monitors.slice(1)) {
                live.set(m.kernel, m);
                me.monitor(m);
              }
            } else {
              me.monitor(sequencer);
            }
            const waiting = early;
            early = [];
            waiting.forEach(update);
            return;
          }
          case 'submit':
            return iAmSequencer ? onSubmit(msg) : undefined;
          case 'outcome':
            return onOutcome(msg);
          case 'prepare':
            return onPrepare(msg);
          case 'commit':
            return onCommit(msg);
          case 'prepared':
            return answered(msg.kernel, msg.seq, 'prepare');
          case 'committed':
            return answered(msg.kernel, msg.seq, 'commit');
          case 'DOWN':
            return onDown(msg);
          case 'resend-submit': {
            const entry = mine.get(msg.n);
            if (entry && !sequencerDown) sendSubmit(msg.n);
            return;
          }
          case 'resend-phase':
            if (current && current.seq === msg.seq && current.phase === msg.phase) {
              current.timer = undefined;
              broadcast();
            }
            return;
        }
      });
    }),
    { name: `monitor-${config.kernel}` },
  );
}
