// A benchmark suite: one module under bench/suites/, run by bench/index.ts (all suites, or
// the ones named on the command line: `npm run bench -- runtime`).

export interface SuiteOptions {
  /** Smaller sizes and fewer runs (a quick look, not numbers to quote). */
  readonly quick: boolean;
  /** Output (the printed report). */
  readonly log: (line?: string) => void;
}

export interface SuiteResult {
  /** False when a run was wrong (a failed check): its numbers are not reported. Missed goals do not count. */
  readonly ok: boolean;
}

export interface Suite {
  readonly name: string;
  readonly description: string;
  run(options: SuiteOptions): Promise<SuiteResult>;
}
