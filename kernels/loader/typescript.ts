// The TypeScript compiler, loaded with `require`, not `import`. Node (20.19+) imports a
// CommonJS package from an ES module by parsing it twice more than `require` does: once to
// detect its module format (typescript has no "type" field) and once with cjs-module-lexer for
// its named exports. For typescript.js (9 MB) that is about 0.4 s of CPU time in every process
// that loads it: `import` 0.9 CPU-s, `require` 0.45 CPU-s, measured on the kit's machine. The
// student pack's `npm test` loads it twice (the reporter's type check, the test worker's
// bundle), `npm run check` and each prepare worker of the grader once.
//
// Loaded on first use. A grading run's test process (MP_RUN names its plan) is given ready
// bundles and must never ask: if it did, it would be bundling student files itself, outside
// the prepare stage that type checks them, and a second per-run compiler load would hide it.
// So it fails loudly there instead (the `import` alias grader/run/no-typescript.ts cannot see
// a `require`).
import { createRequire } from 'node:module';
import type * as TS from 'typescript';

export type { TS };

let loaded: typeof TS | undefined;

export function typescript(): typeof TS {
  if (loaded === undefined && process.env.MP_RUN) {
    throw new Error('the TypeScript compiler is not loaded in a grading run: its bundles are built and type checked before it starts');
  }
  loaded ??= createRequire(import.meta.url)('typescript') as typeof TS;
  return loaded;
}
