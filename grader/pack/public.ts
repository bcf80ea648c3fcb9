// The manifest the pack ships, which names only the public tests.
import type { Manifest } from '../../kernels/harness/manifest.ts';

/**
 * The manifest as the pack ships it: rubric groups cut down to their public tests (groups
 * without one are left out), no mutants. Seeds, budgets, files and manual items stay: the
 * local run needs them and they give nothing away.
 */
export function packManifest(m: Manifest, publicIds: readonly string[]): Manifest {
  const keep = new Set(publicIds);
  const groups = m.groups
    .map((g) => ({ ...g, tests: Object.fromEntries(Object.entries(g.tests).filter(([id]) => keep.has(id))) }))
    .filter((g) => Object.keys(g.tests).length > 0);
  return { ...m, groups, mutants: [] };
}
