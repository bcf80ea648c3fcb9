import { quote } from './paths.ts';

/** Most "Skipped …" notes kept per submission; the rest are counted in one closing note. */
export const MAX_SKIP_NOTES = 20;

/** Collects the plain-English notes of one submission, capping the per-entry ones. */
export class Notes {
  private readonly lines: string[] = [];
  private skips = 0;

  /** `Skipped "name": reason` — reason is a sentence ending with a period. */
  skip(name: string, reason: string): void {
    this.skips += 1;
    if (this.skips <= MAX_SKIP_NOTES) this.lines.push(`Skipped ${quote(name)}: ${reason}`);
  }

  /** A note that is not about one skipped entry. */
  add(text: string): void {
    this.lines.push(text);
  }

  list(): string[] {
    const hidden = this.skips - MAX_SKIP_NOTES;
    if (hidden <= 0) return [...this.lines];
    return [...this.lines, `…and ${hidden} more entr${hidden === 1 ? 'y was' : 'ies were'} skipped for the reasons above.`];
  }
}

/** `"a", "b", "c" and 4 more` */
export function listNames(names: string[], shown = 5): string {
  const head = names.slice(0, shown).map(quote);
  const rest = names.length - head.length;
  if (rest > 0) return `${head.join(', ')} and ${rest} more`;
  if (head.length <= 1) return head.join('');
  return `${head.slice(0, -1).join(', ')} and ${head[head.length - 1]}`;
}
