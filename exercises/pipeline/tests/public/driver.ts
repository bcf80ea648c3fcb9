// The test side of the pipeline: it plays the source (answers `demand` with items, then
// sends `end`) and the sink (grants `demand`, collects items), speaking only the protocol.
// Shared by the public and hidden tests; not a test file itself.
import { isRef } from '#runtime';
import type { PropertyContext, Session, TraceRecord } from '#harness';
import type { Cancel, Downstream, End, Failed, PipelineEnds, StageSpec, Upstream } from '../../protocol.ts';

export interface Workload {
  readonly stages: readonly StageSpec[];
  readonly window: number;
  /** Item `seq` carries `inputs[seq]` (never empty). */
  readonly inputs: readonly Uint8Array[];
}

export interface SinkPolicy {
  /** Credit the sink grants the last stage when the pipeline starts. */
  readonly initial: number;
  /** Grant one more item of credit after each item received (false: grant nothing more on its own). */
  readonly regrant: boolean;
  /** Virtual ms the sink spends on each item before granting the next (a slow consumer). */
  readonly perItem: number;
}

export interface Received {
  readonly seq: number;
  readonly bytes: Uint8Array;
}

export type PumpResult = 'end' | 'failed' | 'items' | 'quiet';

/** Plays source and sink around one pipeline. */
export class PipelineDriver {
  ends!: PipelineEnds;
  /** Items that reached the sink before `end`/`failed`, in arrival order. */
  readonly received: Received[] = [];
  end: End | undefined;
  failed: Failed | undefined;
  /** The `cancel` the source got, if any. */
  cancel: Cancel | undefined;
  /** Downstream messages that reached the sink after `end` or `failed`. */
  readonly late: Downstream[] = [];
  /** Items the source has sent so far. */
  sent = 0;
  endSent = false;
  /** Credit the source has been granted in all, and has left. */
  demanded = 0;
  sourceCredit = 0;
  /** Credit the sink has granted in all. */
  granted = 0;
  /** The first time the sink got an item beyond its credit. */
  overSink: string | undefined;
  /** Most credit the source was granted beyond the items the sink had received, when a demand arrived. */
  maxAhead = 0;
  private draining = false;

  constructor(
    private readonly ctx: PropertyContext,
    readonly s: Session,
    readonly w: Workload,
    public sink: SinkPolicy,
  ) {}

  get count(): number {
    return this.w.inputs.length;
  }

  /** Calls startPipeline with the test as source and sink, and grants the sink's first credit. */
  async start(): Promise<void> {
    const ends = await this.s.start<PipelineEnds>('startPipeline', {
      stages: this.w.stages,
      window: this.w.window,
      source: this.s.self,
      sink: this.s.self,
    });
    this.ctx.check(
      typeof ends === 'object' && ends !== null && isRef(ends.input) && isRef(ends.output),
      `startPipeline returned ${preview(ends)}; expected { input: <Ref of the first stage>, output: <Ref of the last stage> }`,
    );
    this.ends = ends;
    if (this.sink.initial > 0) await this.grant(this.sink.initial);
    await this.feed();
  }

  /** The sink grants `n` more items to the last stage. */
  async grant(n: number): Promise<void> {
    this.granted += n;
    await this.s.send(this.ends.output, { type: 'demand', n });
  }

  /** The sink cancels the stream. */
  async cancelFromSink(reason: string): Promise<void> {
    await this.s.send(this.ends.output, { type: 'cancel', reason });
  }

  /** The source sends as many items as it has credit for, then `end` after the last one. */
  private async feed(): Promise<void> {
    while (this.cancel === undefined && this.sourceCredit > 0 && this.sent < this.count) {
      const seq = this.sent++;
      this.sourceCredit--;
      await this.s.send(this.ends.input, { type: 'item', seq, payload: this.w.inputs[seq]!.slice().buffer });
    }
    if (this.cancel === undefined && this.sent === this.count && !this.endSent) {
      this.endSent = true;
      await this.s.send(this.ends.input, { type: 'end', count: this.count });
    }
  }

  /**
   * Plays source and sink until the sink gets `end` or `failed`, `stopAfter` items have
   * arrived ('items'), or nothing arrives for `timeout` virtual ms or nothing more can
   * ever arrive ('quiet').
   */
  async pump(timeout: number, stopAfter = Infinity): Promise<PumpResult> {
    for (;;) {
      if (this.end) return 'end';
      if (this.failed) return 'failed';
      if (this.received.length >= stopAfter) return 'items';
      const m = await this.s.receive<Downstream | Upstream>(undefined, { timeout });
      if (m === undefined) return 'quiet';
      await this.handle(m);
    }
  }

  /** Runs the system until it is idle (or a limit), taking in whatever else arrives without answering. */
  async settle(maxTime = 60_000): Promise<{ stoppedBy: string; pendingTimers: number; now: number }> {
    const report = await this.s.runUntilIdle({ maxTime, maxSteps: 500_000 });
    this.draining = true;
    try {
      for (
        let m = await this.s.receive<Downstream | Upstream>(undefined, { timeout: 0 });
        m !== undefined;
        m = await this.s.receive<Downstream | Upstream>(undefined, { timeout: 0 })
      ) {
        await this.handle(m);
      }
    } finally {
      this.draining = false;
    }
    return report;
  }

  private async handle(m: Downstream | Upstream): Promise<void> {
    switch (m.type) {
      case 'demand':
        this.demanded += m.n;
        this.sourceCredit += m.n;
        this.maxAhead = Math.max(this.maxAhead, this.demanded - this.received.length);
        if (!this.draining) await this.feed();
        return;
      case 'cancel':
        this.cancel ??= m;
        return;
      case 'item':
        if (this.end || this.failed) {
          this.late.push(m);
          return;
        }
        this.received.push({ seq: m.seq, bytes: new Uint8Array(m.payload) });
        if (this.received.length > this.granted && this.overSink === undefined) {
          this.overSink = `the sink had granted ${this.granted} items of credit but received item ${m.seq} as its item number ${this.received.length}`;
        }
        if (this.sink.regrant && !this.draining) {
          if (this.sink.perItem > 0) await this.s.advance(this.sink.perItem);
          await this.grant(1);
        }
        return;
      case 'end':
      case 'failed':
        if (this.end || this.failed) this.late.push(m);
        else if (m.type === 'end') this.end = m;
        else this.failed = m;
        return;
    }
  }

  /** Where things stand, in words: for messages about a pipeline that went quiet. */
  async situation(): Promise<string> {
    const parts = [
      `the source was granted ${this.demanded} items of credit and sent ${this.sent} of ${this.count} items${this.endSent ? ' and end' : ''}`,
      `the sink granted ${this.granted} and received ${this.received.length} items`,
    ];
    parts.push(...(await endedStages(this.s, this.w.stages)));
    return parts.join('; ');
  }
}

/** Why a run stopped other than as expected, in words, with a hint for the most common mistakes. */
export async function explainStop(d: PipelineDriver, result: PumpResult, expected: string): Promise<string> {
  if (result === 'end') {
    const got = `the sink got end (count ${d.end!.count}) after ${d.received.length} items, but expected ${expected}`;
    return expected === 'failed'
      ? `${got}: a poison-on stage must throw on its item, and the stage must catch that and send failed downstream (stages: ${describeStages(d.w.stages)})`
      : `${got} (stages: ${describeStages(d.w.stages)})`;
  }
  if (result === 'failed') {
    const f = d.failed!;
    return `the sink got failed (item ${f.seq}, stage ${f.stage}, reason "${f.reason}") after ${d.received.length} items, but no stage should fail here (stages: ${describeStages(d.w.stages)})`;
  }
  let hint = '';
  if (d.count === 0) hint = ' Hint: with no items, the source sends end at once; each stage passes end on (the last one to config.sink) and stops.';
  else if (d.demanded === 0)
    hint = ' Hint: the first stage must start by granting its upstream `window` items (send { type: "demand", n: window } to config.source).';
  else if (d.sent > 0 && d.received.length === 0 && d.granted > 0)
    hint =
      ' Hint: items went in but none came out; each stage transforms an item and passes it on (the last stage to config.sink) while it has credit from its downstream.';
  else if (d.sent === d.demanded && d.sent < d.count && d.received.length === d.sent)
    hint =
      ' Hint: every item the source was asked for came out, and then nobody asked for more: a stage grants its upstream one more item each time it passes one on.';
  else if (d.endSent && d.received.length === d.count && expected === 'end')
    hint = ' Hint: every item came out but end did not; pass end on once every item before it has been passed on.';
  return `the pipeline went quiet before the sink got ${expected}: ${await d.situation()}.${hint}`;
}

// ---- the reference model ------------------------------------------------------------------

/** What the stages do to one item, one after another (or the index of the stage that throws). */
export function reference(stages: readonly StageSpec[], seq: number, input: Uint8Array): { bytes: Uint8Array } | { failsAt: number } {
  const bytes = input.slice();
  for (let i = 0; i < stages.length; i++) {
    const spec = stages[i]!;
    switch (spec.op) {
      case 'xor':
        for (let j = 0; j < bytes.length; j++) bytes[j] ^= spec.key;
        break;
      case 'add':
        for (let j = 0; j < bytes.length; j++) bytes[j] = (bytes[j]! + spec.n) & 255;
        break;
      case 'reverse':
        bytes.reverse();
        break;
      case 'poison-on':
        if (seq === spec.seq) return { failsAt: i };
        break;
    }
  }
  return { bytes };
}

/**
 * Checks that the sink's items are items 0, 1, 2, … in order, each transformed as the
 * reference says; `all`: and that every item arrived.
 */
export function checkItems(ctx: PropertyContext, w: Workload, received: readonly Received[], all: boolean): void {
  for (let i = 0; i < received.length; i++) {
    const got = received[i]!;
    if (got.seq !== i) {
      const earlier = received.slice(0, i).some((r) => r.seq === got.seq);
      ctx.fail(
        earlier
          ? `item ${got.seq} reached the sink twice (again as its item number ${i + 1}); every item must arrive exactly once`
          : `the sink's item number ${i + 1} was item ${got.seq}; expected item ${i}: items must leave the pipeline in the order they entered it (0, 1, 2, …). Order so far: ${seqList(received.slice(0, i + 1))}. Stages: ${describeStages(w.stages)}`,
      );
    }
    const want = reference(w.stages, got.seq, w.inputs[got.seq]!);
    if (!('bytes' in want)) ctx.fail(`item ${got.seq} reached the sink although stage ${want.failsAt} (poison-on ${got.seq}) must fail on it`);
    ctx.check(
      sameBytes(got.bytes, want.bytes),
      `item ${got.seq} reached the sink as ${hex(got.bytes)}; the stages ${describeStages(w.stages)} turn its input ${hex(w.inputs[got.seq]!)} into ${hex(want.bytes)}`,
    );
  }
  if (all) {
    ctx.check(
      received.length === w.inputs.length,
      `the sink received ${received.length} of ${w.inputs.length} items before end${received.length > 0 ? ` (the last was item ${received[received.length - 1]!.seq})` : ''}: ` +
        'every item must come out, and a stage passes end on only after every item it holds',
    );
  }
}

// ---- the trace ------------------------------------------------------------------------------

/**
 * Stage processes that crashed, or ended without passing anything on that ends a stream
 * (end, failed or cancel), in words: why a pipeline went quiet.
 */
export async function endedStages(s: Session, stages: readonly StageSpec[]): Promise<string[]> {
  const trace = await s.trace();
  const closing = new Set<number>();
  for (const e of trace.events) {
    const type = (e.msg as { type?: string } | undefined)?.type;
    if (e.kind === 'send' && (type === 'end' || type === 'failed' || type === 'cancel')) closing.add(e.from as number);
  }
  const out: string[] = [];
  for (const e of trace.events) {
    if (e.kind !== 'exit') continue;
    const name = trace.names[String(e.pid)] ?? `process <${String(e.pid)}>`;
    if (name === 'main' || name === 'test') continue;
    const reason = e.reason as { error?: { name: string; message: string } } | string;
    if (typeof reason === 'object' && reason !== null && reason.error) {
      out.push(`${name} crashed at t=${e.t} ms with ${reason.error.name}: ${reason.error.message} (stages: ${describeStages(stages)})`);
    } else if (!closing.has(e.pid as number)) {
      out.push(`${name} ended at t=${e.t} ms without passing on end, failed or cancel, so the stages next to it wait for ever`);
    }
  }
  return out;
}

/** True if `pid` (a stage) sent `end` on: it had finished, so no cancel can be expected from it. */
export function sentEnd(trace: { events: TraceRecord[] }, pid: number): boolean {
  return trace.events.some((e) => e.kind === 'send' && e.from === pid && (e.msg as { type?: string }).type === 'end');
}

// ---- words ---------------------------------------------------------------------------------

export function describeSpec(spec: StageSpec): string {
  switch (spec.op) {
    case 'xor':
      return `xor ${spec.key}`;
    case 'add':
      return `add ${spec.n}`;
    case 'reverse':
      return 'reverse';
    case 'poison-on':
      return `poison-on ${spec.seq}`;
  }
}

export function describeStages(stages: readonly StageSpec[]): string {
  return `[${stages.map((s, i) => `${i}: ${describeSpec(s)}${s.delay ? ` (${s.delay} ms)` : ''}`).join(', ')}]`;
}

export function hex(bytes: Uint8Array, max = 8): string {
  const shown = [...bytes.subarray(0, max)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return `[${shown}${bytes.length > max ? ` … (${bytes.length} bytes)` : ''}]`;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function seqList(items: readonly Received[]): string {
  const seqs = items.map((r) => r.seq);
  return seqs.length > 12 ? `${seqs.slice(0, 5).join(', ')}, …, ${seqs.slice(-5).join(', ')}` : seqs.join(', ');
}

export function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

/** Random payloads for `count` items, 1 to `maxLength` bytes each. */
export function randomInputs(random: { int(n: number): number }, count: number, maxLength = 24): Uint8Array[] {
  return Array.from({ length: count }, () => {
    const bytes = new Uint8Array(1 + random.int(maxLength));
    for (let i = 0; i < bytes.length; i++) bytes[i] = random.int(256);
    return bytes;
  });
}
