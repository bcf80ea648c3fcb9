// The kit grading itself through the real pipeline: for every exercise, the reference
// solution gets full marks, every mutant loses exactly the groups its manifest names and
// fails the test written for it under every manifest seed, the starter scores nothing, and
// the handout's marking table matches the manifest. Then selftest's own judgement on made-up
// outcomes (so that each flag is seen to fire), and a tiny --explore run.
import { describe, expect, it } from 'vitest';
import { exerciseDir, listExercises, loadManifest, type Manifest } from '../../kernels/harness/manifest.ts';
import { allowedImport, handoutProblems, importsOf, judge, markingTable, type Outcomes, type TestRun } from '../selftest.ts';
import { selftestCached } from './selftest-cache.ts';

describe('selftest', () => {
  it.each(listExercises())(
    '%s: solution full marks, mutants lose exactly their groups on their own test, starter scores nothing',
    async (id) => {
      // Remembered when every input file is as in an earlier full pass (selftest-cache.ts).
      const { report, cached } = await selftestCached({ exercises: [id], jobs: 2 });
      if (cached) console.log(`selftest ${id}: the kit is as in an earlier full pass; its verdict is reused (MP_SELFTEST_CACHE=off runs it again)`);
      expect(
        report.rows.filter((r) => !r.ok),
        `\n${report.table}`,
      ).toEqual([]);
    },
    900_000,
  );
});

describe('selftest flags', () => {
  const m: Manifest = loadManifest(exerciseDir('ring'));
  const tests = m.groups.flatMap((g) => Object.keys(g.tests));
  const seeds = m.seeds;
  /** Every test passes, except `failing` (test → the seeds it fails on). */
  const runs = (failing: Record<string, number[]> = {}): { tests: Map<string, TestRun> } => ({
    tests: new Map(tests.map((t) => [t, { run: seeds, failed: failing[t] ?? [] }])),
  });
  const allFail = Object.fromEntries(tests.map((t) => [t, seeds]));
  const subs = new Map([['solution', ''], ['starter', ''], ...m.mutants.map((mu) => [`mutant-${mu.id}`, ''] as [string, string])]);
  /** A run in which every mutant fails exactly its own test on every seed, and a public test. */
  const healthy = (): Outcomes =>
    new Map([
      ['solution', runs()],
      ['starter', runs(allFail)],
      ...m.mutants.map((mu) => [`mutant-${mu.id}`, runs({ [mu.test]: seeds, 'ring.ring-small': mu.loses.includes('ring') ? seeds : [] })] as const),
    ]);
  const publicIds = new Set(['ring.ring-small', 'ring.desk-answers']);
  const bad = (o: Outcomes) => judge(m, o, subs, publicIds).filter((r) => !r.ok);

  it('passes a healthy run', () => {
    expect(bad(healthy())).toEqual([]);
  });

  it('fails a mutant whose own test misses a manifest seed, naming the seed', () => {
    const o = healthy();
    const mu = m.mutants.find((x) => x.id === 'timeout-restarts')!;
    o.set('mutant-timeout-restarts', runs({ [mu.test]: seeds.slice(1) }));
    expect(bad(o)).toEqual([expect.objectContaining({ submission: 'mutant timeout-restarts', got: `passed on seed ${seeds[0]}` })]);
  });

  it('fails a mutant that loses a group its manifest entry does not name, naming the test', () => {
    const o = healthy();
    o.set('mutant-polling', runs({ 'ring.idle': seeds, 'ring.desk-reordered': [seeds[1]!] }));
    expect(bad(o)).toEqual([expect.objectContaining({ submission: 'mutant polling', got: expect.stringContaining('also in desk: ring.desk-reordered') })]);
  });

  it('fails a starter that scores points, and a solution that fails any seed', () => {
    const o = healthy();
    o.set('starter', runs({ ...allFail, 'ring.idle': [] }));
    o.set('solution', runs({ 'ring.two-rings': [seeds[2]!] }));
    expect(bad(o).map((r) => [r.submission, r.got])).toEqual([
      ['solution', `failed: ring.two-rings (seeds ${seeds[2]})`],
      ['starter', 'scores in ring.idle'],
    ]);
  });

  it('flags, without failing, a mutant that passes every public test', () => {
    const rows = judge(m, healthy(), subs, publicIds);
    const flagged = rows.filter((r) => r.warn).map((r) => r.submission);
    expect(flagged).toContain('mutant polling');
    expect(flagged).not.toContain('mutant one-lap-short'); // it fails ring.ring-small
    expect(rows.filter((r) => r.warn).every((r) => r.ok)).toBe(true);
  });

  it("reads a handout's marking table and names each disagreement with the manifest", () => {
    const table = (rows: string, total = 16) =>
      `# Ring\n\n## How it is marked (${total} points)\n\n| group | points | what |\n| --- | ---: | --- |\n${rows}\n\n## Next\n`;
    const good = '| The token ring | 5 | … |\n| Request and reply | 5 | … |\n| **Timeouts** (name only) | 4 | … |\n| No busy waiting | 2 | … |';
    expect(markingTable(table(good))).toEqual({
      total: 16,
      rows: [
        { name: 'The token ring', points: 5 },
        { name: 'Request and reply', points: 5 },
        { name: 'Timeouts', points: 4 },
        { name: 'No busy waiting', points: 2 },
      ],
    });
    expect(handoutProblems(m, table(good))).toEqual([]);
    expect(handoutProblems(m, table(good.replace('| 4 |', '| 3 |'), 15))).toEqual([
      'the heading says 15 points, the manifest 16',
      '"Timeouts" has 3 points in the table, 4 in the manifest',
    ]);
    expect(handoutProblems(m, 'no marking here')).toEqual(['no "How it is marked" section']);
  });

  it("finds what a file imports, and allows only what a student's file may import", () => {
    const text = `import { z } from 'zod';\nimport type { A } from '#exercises/ring/protocol';\nexport * from './other.ts';\n// import x from 'commented-out';\nconst y = await import(name);\nimport('#runtime');`;
    expect(importsOf(text)).toEqual(['zod', '#exercises/ring/protocol', './other.ts', null, '#runtime']);
    const kit = new Set(['protocol', 'manifest']);
    const two = { ...m, files: ['ring/ring.ts', 'ring/other.ts'] };
    expect(allowedImport('#runtime', 'ring/ring.ts', m, kit)).toBe(true);
    expect(allowedImport('#exercises/ring/protocol', 'ring/ring.ts', m, kit)).toBe(true);
    expect(allowedImport('#exercises/bank/protocol', 'ring/ring.ts', m, kit)).toBe(false);
    expect(allowedImport('#runtime/prng', 'ring/ring.ts', m, kit)).toBe(false);
    expect(allowedImport('./other.ts', 'ring/ring.ts', two, kit)).toBe(true);
    expect(allowedImport('../../../../solutions/ring/ring/ring.ts', 'ring/ring.ts', m, kit)).toBe(false);
    expect(allowedImport('node:fs', 'ring/ring.ts', m, kit)).toBe(false);
  });
});

describe('selftest --explore', () => {
  it("runs every submission under the manifest seeds and N more, and reports each test's kill rate", async () => {
    const m = loadManifest(exerciseDir('ring'));
    const { report } = await selftestCached({ exercises: ['ring'], explore: 1, jobs: 2 });
    expect(
      report.rows.filter((r) => !r.ok),
      `\n${report.table}`,
    ).toEqual([]);
    const e = report.explored[0]!;
    expect(e.extraSeeds).toEqual([2]);
    expect(e.solutionFailures).toEqual([]);
    for (const mu of e.mutants) {
      expect(mu.kills[mu.test], mu.id).toEqual(expect.arrayContaining([...m.seeds, 2]));
      expect(mu.everyManifestSeed).toContain(mu.test);
    }
    expect(e.markdown).toMatch(/\| timeout-restarts \| ring\.timeout-each \| 4\/4 \|/);
  }, 300_000);
});
