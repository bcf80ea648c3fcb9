// Mutants are patches against the reference solution (grader/mutants.ts): every shipped patch
// applies strictly and changes only the exercise's files; a patch that no longer applies is an
// error naming the mutant, the file and the hunk (and a failing selftest row), never a silent
// misapplication; a patch made from an edited copy of the solution gives back that copy.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exerciseDir, listExercises, loadManifest } from '../../kernels/harness/manifest.ts';
import { kitRoot } from '../kit.ts';
import { applyMutantPatch, makeMutantPatch, MutantPatchError, mutantFiles, patchHeader, patchesIn, solutionDir, writeMutant } from '../mutants.ts';
import { containmentRows } from '../selftest.ts';

const work = mkdtempSync(join(tmpdir(), 'mp-mutants-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of the kit's ring exercise and solution under a fresh root (to break things in). */
function ringCopy(name: string): { root: string; dir: string } {
  const root = join(work, name);
  cpSync(exerciseDir('ring'), join(root, 'exercises', 'ring'), { recursive: true });
  cpSync(solutionDir('ring'), join(root, 'solutions', 'ring'), { recursive: true });
  return { root, dir: join(root, 'exercises', 'ring') };
}

describe('the shipped mutants', () => {
  it.each(listExercises())('%s: every mutant is one patch that applies, changes only files of the exercise, and has a header', (id) => {
    const m = loadManifest(exerciseDir(id));
    expect(patchesIn(exerciseDir(id))).toEqual({ ids: m.mutants.map((mu) => mu.id).sort(), stray: [] });
    for (const mu of m.mutants) {
      const files = mutantFiles(id, mu.id);
      expect(files.size, mu.id).toBeGreaterThan(0);
      for (const [file, text] of files) {
        expect(m.files, mu.id).toContain(file);
        expect(text, `${mu.id}: ${file} is changed`).not.toBe(readFileSync(join(solutionDir(id), file), 'utf8'));
      }
      expect(patchHeader(readFileSync(join(exerciseDir(id), 'mutants', `${mu.id}.patch`), 'utf8')), mu.id).toMatch(new RegExp(`^${mu.id}: `));
    }
  });

  it('writes a whole submission: the solution with the patch applied', async () => {
    const target = join(work, 'sequential');
    expect(await writeMutant('ring', 'sequential', target)).toEqual(['ring/ring.ts']);
    expect(readFileSync(join(target, 'ring/ring.ts'), 'utf8')).toBe(mutantFiles('ring', 'sequential').get('ring/ring.ts'));
    // A mutant of one file of several: the others are the solution's.
    const mk = join(work, 'early-ack');
    expect(await writeMutant('multikernel', 'early-ack', mk)).toEqual(['multikernel/monitor.ts']);
    expect(readFileSync(join(mk, 'multikernel/replica.ts'), 'utf8')).toBe(readFileSync(join(solutionDir('multikernel'), 'multikernel/replica.ts'), 'utf8'));
  });
});

describe('a patch that no longer applies', () => {
  const solution = readFileSync(join(solutionDir('ring'), 'ring/ring.ts'), 'utf8');
  const patch = readFileSync(join(exerciseDir('ring'), 'mutants', 'late-timeout.patch'), 'utf8');
  const read = (text: string) => (f: string) => (f === 'ring/ring.ts' ? text : undefined);

  it('applies when the solution gained lines elsewhere (the hunk moves, as with git apply)', () => {
    const moved = solution.replace('\nexport function', '\n// a new comment line\n// and another\nexport function');
    expect(moved.indexOf('// a new comment line')).toBeLessThan(moved.indexOf('const found = await worker.ask'));
    const applied = applyMutantPatch(patch, read(moved), 'mutant ring/late-timeout').get('ring/ring.ts')!;
    expect(applied).toContain('Math.round((config.timeout * 4) / 3)');
    expect(applied).toContain('// a new comment line');
  });

  it('is an error naming the mutant, the file and the hunk when the solution changed under it', () => {
    const changed = solution.replace('const found = await worker.ask<Found, Lookup>(', 'const answer = await worker.ask<Found, Lookup>(');
    expect(changed).not.toBe(solution);
    expect(() => applyMutantPatch(patch, read(changed), 'mutant ring/late-timeout (ring/mutants/late-timeout.patch)')).toThrow(
      /^mutant ring\/late-timeout \(ring\/mutants\/late-timeout\.patch\) no longer applies to ring\/ring\.ts: hunk 2 \(@@ -33,7 \+33,9 @@\) expects "const found = await worker\.ask/,
    );
  });

  it('is an error, not a guess, when a hunk fits two places', () => {
    const twice = `${solution}\n${solution}`;
    expect(() => applyMutantPatch(patch, read(twice), 'mutant ring/late-timeout')).toThrow(
      /no longer applies to ring\/ring\.ts: hunk 1 \(@@ -1,4 \+1,4 @@\) fits 2 places/,
    );
  });

  it('is an error when it names a file the solution does not have, or adds or deletes one', () => {
    expect(() => applyMutantPatch(patch.replaceAll('ring/ring.ts', 'ring/other.ts'), read(solution), 'm')).toThrow(
      /changes ring\/other\.ts, which the solution does not have/,
    );
    expect(() => applyMutantPatch(patch.replace('--- a/ring/ring.ts', '--- /dev/null'), read(solution), 'm')).toThrow(MutantPatchError);
    expect(() => applyMutantPatch('just words\n', read(solution), 'm')).toThrow(/m changes no file/);
  });

  it('makes selftest fail, naming the mutant, the patch and the file', () => {
    const { root, dir } = ringCopy('broken');
    const file = join(dir, 'mutants', 'late-timeout.patch');
    // Deliberately broken: a context line the solution does not have.
    writeFileSync(file, readFileSync(file, 'utf8').replace(' import { behavior, type Context, type Ref }', ' import { behaviour, type Context, type Ref }'));
    const m = loadManifest(dir);
    const rows = containmentRows(m, dir, root);
    const broken = rows.filter((r) => !r.ok);
    expect(broken).toEqual([expect.objectContaining({ submission: 'mutant late-timeout', expect: 'patch applies, self-contained' })]);
    expect(broken[0]!.got).toMatch(
      /^mutant ring\/late-timeout \(exercises\/ring\/mutants\/late-timeout\.patch\) no longer applies to ring\/ring\.ts: hunk 1 \(@@ -1,4 \+1,4 @@\) expects "import \{ behaviour/,
    );
    // The others still apply.
    expect(rows.filter((r) => r.ok).length).toBe(m.mutants.length - 1);
  });

  it('selftest also flags a patch of no listed mutant and a leftover copy in mutants/', () => {
    const { root, dir } = ringCopy('stray');
    writeFileSync(join(dir, 'mutants', 'forgotten.patch'), readFileSync(join(dir, 'mutants', 'polling.patch')));
    mkdirSync(join(dir, 'mutants', 'polling'));
    writeFileSync(join(dir, 'mutants', 'polling', 'ring.ts'), 'old copy');
    const rows = containmentRows(loadManifest(dir), dir, root).filter((r) => !r.ok);
    expect(rows).toEqual([expect.objectContaining({ submission: 'mutants/', got: 'also mutants/polling/ring.ts, mutants/forgotten.patch' })]);
  });

  it('selftest flags a mutant that imports what a student may not', () => {
    const { root, dir } = ringCopy('imports');
    const edited = join(work, 'imports-edit');
    cpSync(solutionDir('ring'), edited, { recursive: true });
    const f = join(edited, 'ring/ring.ts');
    writeFileSync(f, `import { readFileSync } from 'node:fs';\n${readFileSync(f, 'utf8')}`);
    const m = loadManifest(dir);
    writeFileSync(join(dir, 'mutants', 'polling.patch'), makeMutantPatch(m, edited, 'polling: reads a file', root));
    const rows = containmentRows(m, dir, root).filter((r) => !r.ok);
    expect(rows).toEqual([expect.objectContaining({ submission: 'mutant polling', got: 'its ring/ring.ts imports "node:fs"' })]);
  });
});

describe('making a patch', () => {
  it('from an edited copy of the solution gives back exactly that copy, with the header first', async () => {
    const m = loadManifest(exerciseDir('multikernel'));
    const edited = join(work, 'edited');
    await writeMutant('multikernel', 'early-ack', edited);
    const f = join(edited, 'multikernel/replica.ts');
    writeFileSync(f, readFileSync(f, 'utf8').replace(/\n$/, '\n// one more line\n'));
    const patch = makeMutantPatch(m, edited, 'early-ack: made again');
    expect(patch).toMatch(/^early-ack: made again\n\n--- a\/multikernel\/monitor\.ts\n\+\+\+ b\/multikernel\/monitor\.ts\n@@ /);
    expect(patch).toContain('--- a/multikernel/replica.ts\n+++ b/multikernel/replica.ts\n');
    const files = applyMutantPatch(patch, (p) => readFileSync(join(solutionDir('multikernel'), p), 'utf8'), 'again');
    for (const file of m.files) expect(files.get(file), file).toBe(readFileSync(join(edited, file), 'utf8'));
  });

  it('widens the context until every hunk fits one place only', () => {
    const before = `${'a\nb\nc\nd\n'.repeat(5)}x\n`;
    const after = `${'a\nb\nc\nd\n'.repeat(2)}a\nb\nCHANGED\nd\n${'a\nb\nc\nd\n'.repeat(2)}x\n`;
    const dir = join(work, 'widen');
    mkdirSync(join(dir, 'solutions', 'w', 'w'), { recursive: true });
    writeFileSync(join(dir, 'solutions', 'w', 'w', 'w.ts'), before);
    mkdirSync(join(dir, 'edit', 'w'), { recursive: true });
    writeFileSync(join(dir, 'edit', 'w', 'w.ts'), after);
    const patch = makeMutantPatch({ id: 'w', files: ['w/w.ts'] }, join(dir, 'edit'), '', dir);
    expect(applyMutantPatch(patch, () => before, 'w').get('w/w.ts')).toBe(after);
    // With git's 3 lines of context the hunk would fit twice; it was widened.
    expect(patch.split('\n').filter((l) => l.startsWith(' ')).length).toBeGreaterThan(6);
  });

  it('shipped patches carry nothing a kit path would leak', () => {
    for (const id of listExercises()) {
      for (const f of patchesIn(exerciseDir(id)).ids) {
        expect(readFileSync(join(exerciseDir(id), 'mutants', `${f}.patch`), 'utf8'), `${id}/${f}`).not.toContain(kitRoot);
      }
    }
  });
});
