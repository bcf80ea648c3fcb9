// MUTANT: serves a read from the table even while an update of that page is prepared but not committed
// One kernel's replica of the table: plain local state, owned by that kernel's monitor and
// never shared. Updates arrive numbered by the sequencer and in two phases: `prepare` (the
// page is about to change: stop serving it) and `commit` (apply it now).
import type { Update } from '#exercises/multikernel/protocol';

export class Replica {
  private readonly table = new Map<number, number>();
  /** Updates 1..applied are in the table, in order. */
  private applied = 0;
  /** The update that is prepared but not yet committed: at most one, the sequencer runs one at a time. */
  private pending: { seq: number; update: Update } | undefined;

  /**
   * Phase 1. Returns true when the prepare must be acknowledged: it is the next update
   * (now held), or an old one (applied long ago: acknowledge again, change nothing).
   * A prepare from the future is not for now: no answer, the sequencer will resend it.
   */
  prepare(seq: number, update: Update): boolean {
    if (seq <= this.applied) return true;
    if (seq !== this.applied + 1) return false;
    this.pending = { seq, update };
    return true;
  }

  /**
   * Phase 2. Returns true when the commit must be acknowledged: it was the next update
   * and is now applied, or it is an old one (already applied: do not apply it again).
   */
  commit(seq: number): boolean {
    if (seq <= this.applied) return true;
    if (seq !== this.applied + 1 || this.pending?.seq !== seq) return false;
    const { update } = this.pending;
    if (update.op === 'map') this.table.set(update.page, update.frame);
    else this.table.delete(update.page);
    this.applied = seq;
    this.pending = undefined;
    return true;
  }

  /** The frame of `page`, or 'wait' while an update of that page is prepared but not committed. */
  read(page: number): number | null | 'wait' {
    return this.table.get(page) ?? null; // MUTANT: the pending update is not in the table yet, so the table is right
  }

  get lastApplied(): number {
    return this.applied;
  }
}
