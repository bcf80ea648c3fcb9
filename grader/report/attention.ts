/**
 * "Who needs help?": the students a lecturer should look at first, and why, most urgent
 * first. The same list heads the dashboard (index.html), summary.json and the terminal.
 *
 * - `grading-error`: the machinery failed; marks withheld until graded again.
 * - `suspected-attack`: the code did something no honest submission does (tampered with the
 *   kernel's channel, an oversized reply, imports refused for leaving the submission or being
 *   computed at run time, a prepare job over its budget, an archive bomb, path traversal, links).
 * - `unreadable`: the submission could not be read (a corrupt archive).
 * - `does-not-compile`: an exercise did not compile.
 * - `zero`: 0 marks (after everything above: a student with no submission at all is here).
 * - `far-below-median`: a total under half the class median (counted students only).
 * - `type-errors`: code with type errors that still ran (the mark stands; the student may not know).
 */
import { isWithheld, type Result } from '../result.ts';

export const ATTENTION_KINDS = ['grading-error', 'suspected-attack', 'unreadable', 'does-not-compile', 'zero', 'far-below-median', 'type-errors'] as const;
export type AttentionKind = (typeof ATTENTION_KINDS)[number];

export const ATTENTION_LABEL: Record<AttentionKind, string> = {
  'grading-error': 'grading error',
  'suspected-attack': 'suspected attack',
  unreadable: 'could not read',
  'does-not-compile': 'does not compile',
  zero: '0 marks',
  'far-below-median': 'far below the median',
  'type-errors': 'type errors',
};

export interface AttentionReason {
  readonly kind: AttentionKind;
  /** One line for the lecturer. */
  readonly text: string;
}

/** What an honest submission never makes the grader say (matched in warnings, reasons and notes). */
const ATTACK_SIGNS: readonly [RegExp, string][] = [
  [/tampered with the channel/, 'tampered with the channel between its kernel and the tests'],
  [/over the limit of \d+ MiB/, 'sent a reply larger than the channel allows'],
  [/computed at run time/, 'an import computed at run time (which would make the bundler scan the disk)'],
  [/leaves your submission|cannot import/, 'imports from outside its submission'],
  [/(type checking|bundling) this code exceeded/, 'code that exhausted the type checker or bundler'],
  [/archive bomb|bombs look/, 'an archive bomb'],
  [/leaves the submission folder|names a drive|path is absolute/, 'paths that leave the submission (path traversal)'],
  [/symbolic link|hard link/, 'links in the submission'],
  [
    /Cannot find name '(process|require|Deno|Bun)'|getBuiltinModule|child_process|node:(fs|net|child_process|worker_threads)/,
    "code that reaches for Node's process or modules, which a kernel does not give",
  ],
];

function attackSign(r: Result): string | undefined {
  const texts = [
    ...r.warnings,
    ...r.notes,
    ...r.exercises.flatMap((e) => [
      e.reason ?? '',
      ...e.diagnostics.map((d) => d.message),
      ...e.tests.flatMap((t) => [t.message ?? '', t.failure?.observed ?? '']),
    ]),
  ];
  for (const [sign, said] of ATTACK_SIGNS) if (texts.some((t) => sign.test(t))) return said;
  return undefined;
}

/** Why `r` needs attention (empty: it does not), most urgent first. `median`: of the counted totals. */
export function attentionFor(r: Result, median: number): AttentionReason[] {
  const out: AttentionReason[] = [];
  const withheld = isWithheld(r);
  if (withheld) {
    const e = r.exercises.find((x) => x.status === 'error')!;
    out.push({ kind: 'grading-error', text: `${e.id}: ${e.reason ?? 'the grading machinery failed'}` });
  }
  const attack = attackSign(r);
  if (attack) out.push({ kind: 'suspected-attack', text: attack });
  const unreadable = r.exercises.find((e) => e.status === 'unreadable');
  if (unreadable) out.push({ kind: 'unreadable', text: unreadable.reason ?? 'the submission could not be read' });
  const broken = r.exercises.filter((e) => e.status === 'compile-error');
  if (broken.length > 0) out.push({ kind: 'does-not-compile', text: broken.map((e) => `${e.id}: ${firstLine(e.reason ?? 'does not compile')}`).join('; ') });
  if (!withheld) {
    if (r.total.score === 0) {
      const missing = r.exercises.every((e) => e.status === 'missing');
      out.push({ kind: 'zero', text: missing ? 'nothing submitted for any exercise' : `0 of ${r.total.max - r.total.awaiting} points` });
    } else if (median > 0 && r.total.score < median / 2) {
      out.push({ kind: 'far-below-median', text: `${Math.round(r.total.score * 100) / 100} points, under half the class median (${median})` });
    }
  }
  const typed = r.exercises.filter((e) => e.status === 'graded' && (e.typeErrors ?? 0) > 0);
  if (typed.length > 0)
    out.push({ kind: 'type-errors', text: typed.map((e) => `${e.id}: ${e.typeErrors} type error${e.typeErrors === 1 ? '' : 's'}`).join('; ') });
  return out;
}

function firstLine(s: string): string {
  const line = s.split('\n')[0]!;
  return line.length > 160 ? `${line.slice(0, 159)}…` : line;
}

/** Sort key: the most urgent reason first, then the student id. */
export function attentionRank(reasons: readonly { readonly kind: string }[]): number {
  return reasons.length === 0 ? ATTENTION_KINDS.length : Math.min(...reasons.map((x) => ATTENTION_KINDS.indexOf(x.kind as AttentionKind)));
}
