// The TypeScript compiler, loaded with `require`, not `import`. Node (20.19+) imports a
// CommonJS package from an ES module by parsing it twice more than `require` does: once to
// detect its module format (typescript has no "type" field) and once with cjs-module-lexer for
// its named exports. For typescript.js (9 MB) that is about 0.4 s of CPU time in every process
// that loads it: `import` 0.9 CPU-s, `require` 0.45 CPU-s, measured on the kit's machine. The
// student pack's `npm test` loads it twice (the reporter's type check, the test worker's
// bundle), `npm run check` and each prepare worker of the grader once.
//
// Loaded on first use: a grading run's test process is given ready bundles and never asks
// (kernels/loader/bundle.ts parses student files only when it bundles them itself).
import { createRequire } from 'node:module';
import type * as TS from 'typescript';

export type { TS };

let loaded: typeof TS | undefined;

export function typescript(): typeof TS {
  loaded ??= createRequire(import.meta.url)('typescript') as typeof TS;
  return loaded;
}
