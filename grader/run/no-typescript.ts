// What `import ts from 'typescript'` gives in a grading run (vitest.grading.config.ts): the
// harness can bundle a student's folder itself (local runs), which needs the TypeScript
// parser; a grading run is given ready bundles and never does. Loading the compiler anyway
// costs each run about a second of CPU time; asking this stand-in for anything fails loudly.
// The harness's own use (kernels/loader/bundle.ts) goes through kernels/loader/typescript.ts,
// which `require`s the compiler on first use and so is not seen by this alias; it refuses just
// as loudly when MP_RUN is set. The alias stands in for any `import` of it.
export default new Proxy(
  {},
  {
    get(_target, name) {
      throw new Error(`the TypeScript compiler is not loaded in a grading run (asked for ts.${String(name)})`);
    },
  },
);
