// One kernel's replica of the table: plain local state, owned by that kernel's monitor and
// never shared (each kernel loads its own copy of this module, so a module-level variable
// would be one more replica, not a shared table). Updates arrive numbered by the
// sequencer, in two phases: `prepare` (the page is about to change: stop serving it) and
// `commit` (apply it now). See the handout, "The replica's rules".
import type { Update } from '#exercises/multikernel/protocol';

export class Replica {
  private readonly table = new Map<number, number>();
  /** Updates 1..applied are in the table, in order. */
  private applied = 0;
  /** The update that is prepared but not yet committed (at most one: the sequencer runs one at a time). */
  private pending: { seq: number; update: Update } | undefined;

  /**
   * Phase 1. Returns true when the prepare must be acknowledged (with `prepared`).
   * TODO:
   *  - seq <= applied: an old one (you applied it long ago): acknowledge, change nothing;
   *  - seq === applied + 1: the next one: hold it in `pending`, acknowledge;
   *  - anything newer is from the future: no answer, the sequencer will send it again.
   */
  prepare(seq: number, update: Update): boolean {
    void seq;
    void update;
    return false;
  }

  /**
   * Phase 2. Returns true when the commit must be acknowledged (with `committed`).
   * TODO:
   *  - seq <= applied: old: acknowledge, but do NOT apply it again;
   *  - seq === applied + 1 and it is the pending update: apply it to the table, move `applied` on;
   *  - otherwise: not for now, no answer.
   */
  commit(seq: number): boolean {
    void seq;
    return false;
  }

  /** The frame of `page`, or null; 'wait' while an update of that page is prepared but not committed. */
  read(page: number): number | null | 'wait' {
    // TODO: return 'wait' while `pending` is an update of this page.
    return this.table.get(page) ?? null;
  }

  get lastApplied(): number {
    return this.applied;
  }
}
