// Student-visible text never contains hidden test source, nor the trusted side's stack
// traces: any line of a hidden test file that shows up in a message is replaced, and stack
// frames are cut.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export class Redactor {
  private readonly lines = new Set<string>();

  /** Learns every meaningful line of the hidden tests under `dir`. */
  addHiddenTests(dir: string): void {
    let files: string[];
    try {
      files = readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.ts'));
    } catch {
      return;
    }
    for (const f of files) {
      for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
        const t = line.trim();
        // Short or purely structural lines ("});", "}") say nothing about the test.
        if (t.length >= 16 && /[A-Za-z]{3}/.test(t)) this.lines.add(t);
      }
    }
  }

  text(value: string): string;
  text(value: string | undefined): string | undefined;
  text(value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    const out: string[] = [];
    for (const line of value.split('\n')) {
      if (/^\s*at\s+\S+.*(\(|:\d+:\d+)/.test(line) || /^\s*at\s+(async\s+)?file:\/\//.test(line)) continue;
      const t = line.trim();
      if (t.length > 0 && [...this.lines].some((h) => t.includes(h))) out.push('[redacted: hidden test source]');
      else out.push(line);
    }
    return out.join('\n');
  }
}
