// The client-visible history of a run, for the linearizability checker (hidden tests).
import type { Operation, TableInput, TableOutput } from './linearizability.ts';
import { sends, testPids, type ClientOp, type Trace } from './support.ts';

/** One operation of the history, with the client op it stands for and its virtual times. */
export type HistoryOp = Operation<TableInput, TableOutput> & { readonly source: ClientOp; readonly callT: number; readonly retT?: number };

/**
 * The client-visible history of `ops`, for the linearizability checker: an operation is
 * called when the test's request is sent and returns when the monitor sends the reply
 * (trace positions: a total order). Updates without a reply, or that failed, have an
 * unknown outcome; reads without a reply are left out (they changed nothing).
 */
export function historyOf(trace: Trace, ops: readonly ClientOp[]): HistoryOp[] {
  const tests = testPids(trace);
  const calls = new Map<number, number>();
  const rets = new Map<number, number>();
  const times = new Map<number, number>();
  for (const e of sends(trace)) {
    const m = e.msg;
    if (typeof m?.id !== 'number') continue;
    if (tests.has(e.from) && (m.type === 'read' || m.type === 'map' || m.type === 'unmap')) {
      if (!calls.has(m.id)) calls.set(m.id, e.seq);
      times.set(e.seq, e.t);
    } else if (tests.has(e.to) && (m.type === 'value' || m.type === 'done' || m.type === 'failed')) {
      if (!rets.has(m.id)) rets.set(m.id, e.seq);
      times.set(e.seq, e.t);
    }
  }
  const out: HistoryOp[] = [];
  for (const op of ops) {
    const call = calls.get(op.id);
    if (call === undefined) continue;
    const ret = rets.get(op.id);
    const input: TableInput =
      op.kind === 'read'
        ? { kind: 'read', page: op.page }
        : op.kind === 'map'
          ? { kind: 'map', page: op.page, frame: op.frame! }
          : { kind: 'unmap', page: op.page };
    if (op.kind === 'read') {
      if (ret === undefined || op.reply?.type !== 'value') continue;
      out.push({ call, ret, input, output: { frame: op.reply.frame }, source: op, callT: times.get(call)!, retT: times.get(ret) });
    } else if (ret !== undefined && op.reply?.type === 'done') {
      out.push({ call, ret, input, output: { done: true }, source: op, callT: times.get(call)!, retT: times.get(ret) });
    } else {
      out.push({ call, ret: Infinity, input, source: op, callT: times.get(call)! });
    }
  }
  return out;
}
