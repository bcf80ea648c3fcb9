// The prepare pool: bundles and type checks run in worker processes, each job bounded, so a
// type-check bomb costs its author its own budget and delays nobody else; bundles (what the
// tests wait for) go before type checks (what only the report needs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kitRoot } from '../kit.ts';
import { PreparePool, PRIORITY } from '../prepare/pool.ts';

const solution = readFileSync(join(kitRoot, 'solutions/ring/ring/ring.ts'), 'utf8');
/** A few hundred bytes of types that take the type checker minutes and gigabytes. */
const bomb = `type D = 'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g' | 'h' | 'i' | 'j';
type A = \`\${D}\${D}\${D}\${D}\`;
type Pairs<T extends string> = { [K in T]: { [J in T]: \`\${K}\${J}\` } };
export type Big = Pairs<A>;
export const z: Big[A][A] = 'aaaaaaaa' as never;
${solution}`;
const job = (text: string, kind: 'bundle' | 'typecheck' = 'typecheck') => ({
  kind,
  entry: 'ring/ring.ts',
  files: ['ring/ring.ts'],
  texts: { 'ring/ring.ts': text },
});

const pools: PreparePool[] = [];
afterAll(async () => {
  for (const p of pools) await p.close();
});

describe('prepare pool', () => {
  it('a bomb hits its CPU budget while the neighbour queued behind it gets a worker of its own; the next job gets a fresh worker', async () => {
    const pool = new PreparePool({ workers: 2, cpuMs: 6000, memoryMB: 2048, slowMs: 1000 });
    pools.push(pool);
    const finished: string[] = [];
    const bombed = pool.prepare(job(bomb)).then((o) => (finished.push('bomb'), o));
    const honest = pool.prepare(job(solution, 'bundle')).then((o) => (finished.push('honest'), o));
    const [b, h] = await Promise.all([bombed, honest]);
    expect(finished).toEqual(['honest', 'bomb']);
    expect(h.kind).toBe('done');
    if (h.kind === 'done') {
      expect(h.errors).toBeUndefined();
      expect(h.code).toContain('startRing');
    }
    expect(b).toMatchObject({ kind: 'limit', note: 'type checking this code exceeded 6 s of CPU time' });
    const after = await pool.prepare(job(solution));
    expect(after.kind).toBe('done');
  }, 120_000);

  it('a bomb that fills the heap first is stopped by the memory limit, with the limit in the note', async () => {
    const pool = new PreparePool({ workers: 1, cpuMs: 120_000, memoryMB: 200 });
    pools.push(pool);
    const b = await pool.prepare(job(bomb));
    expect(b).toMatchObject({ kind: 'limit', note: 'type checking this code exceeded 200 MB of memory' });
  }, 180_000);

  it('type errors and syntax errors come back as diagnostics and bundle errors, not as limits', async () => {
    const pool = new PreparePool({ workers: 1 });
    pools.push(pool);
    const typed = await pool.prepare(job(`${solution}\nexport const wrong: number = 'text';`));
    expect(typed.kind).toBe('done');
    if (typed.kind === 'done') expect(typed.diagnostics.map((d) => d.message)).toEqual([expect.stringMatching(/not assignable to type 'number'/)]);
    const broken = await pool.prepare(job('export function (', 'bundle'));
    expect(broken.kind).toBe('done');
    if (broken.kind === 'done') expect(broken.errors?.[0]).toMatchObject({ file: 'ring/ring.ts', line: 1 });
  }, 300_000); // a backstop for a hang only: child processes on a loaded machine take long

  it('takes bundles before type checks, and the most urgent first, whatever the order they came in', async () => {
    const pool = new PreparePool({ workers: 1 });
    pools.push(pool);
    await pool.prepare(job(solution, 'bundle')); // the worker is up: the rest queue behind one job
    const order: string[] = [];
    const busy = pool.prepare(job(solution, 'bundle')).then(() => order.push('first'));
    const jobs = [
      pool.prepare(job(solution, 'typecheck')).then(() => order.push('typecheck')),
      pool.prepare(job(solution, 'bundle')).then(() => order.push('bundle')),
      pool.prepare(job(solution, 'bundle'), PRIORITY.canaryBundle).then(() => order.push('canary')),
    ];
    await Promise.all([busy, ...jobs]);
    expect(order.filter((o) => o !== 'first')).toEqual(['canary', 'bundle', 'typecheck']);
    expect(order.indexOf('first')).toBeLessThan(order.indexOf('bundle'));
  }, 300_000); // a backstop for a hang only: child processes on a loaded machine take long
});
