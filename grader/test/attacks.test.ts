// Attacks on every stage that touches student input (intake names, bundling, type checking,
// the kernel host and its channel, the network), each written as a submission and graded in
// one chunk beside honest neighbours, at both sandbox levels. For every attack: the attacker
// earns no more than its own behaviour earns (the starter's marks, or the mutant it is built
// on), the honest neighbours keep full marks, nothing hidden reaches any output, the run ends
// without a grading error, and no workspace or process of the run remains.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectSandbox } from '../../kernels/process/sandbox.ts';
import { gradeClass, type GradeSummary } from '../grade.ts';
import { kitRoot } from '../kit.ts';
import { studentDir } from '../class-folder.ts';
import { mutantFile } from '../mutants.ts';
import type { Result } from '../result.ts';
import { makeZip } from './archives.ts';

const detection = await detectSandbox();
const bwrapAbsent = detection.level === 'fallback' && /not installed|needs Linux|KERNEL_SANDBOX/.test(detection.reason);
const requireBwrap = process.env.KERNEL_SANDBOX_REQUIRE_BWRAP === '1';

const solution = readFileSync(join(kitRoot, 'solutions/ring/ring/ring.ts'), 'utf8');
const starter = readFileSync(join(kitRoot, 'starter/ring/ring/ring.ts'), 'utf8');
const polling = mutantFile('ring', 'polling', 'ring/ring.ts');
const hiddenSource = readFileSync(join(kitRoot, 'exercises/ring/tests/hidden/ring.test.ts'), 'utf8');
/** Lines of the hidden tests distinctive enough that finding one in an output means a leak. */
const hiddenLines = hiddenSource
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l.length > 40 && !l.startsWith('//') && !l.startsWith('*'));

/** Code put before a mutant or a starter: the module still loads after each attempt fails. */
const attacks: Record<string, (port: number) => string> = {
  // 14.1: esbuild expands a computed import() by scanning the disk: the reference solution, the
  // hidden tests, a classmate's files.
  'computed-import': () => `
const parts = ['solutions', 'ring', 'ring', 'ring.ts'];
export const steal = () => import(\`../../../\${parts.join('/')}\`);
export const peek = (x: string) => import(\`../../exercises/ring/tests/hidden/\${x}\`);
${starter}`,
  // 14.1: a plain import that leaves the submission: a classmate, the hidden tests, the kit.
  'escaping-import': () => `
import * as classmate from '../../aa-honest/ring/ring.ts';
import * as hidden from '../../../exercises/ring/tests/hidden/ring.test.ts';
import * as kitHidden from '#exercises/ring/tests/hidden/ring.test';
export const all = [classmate, hidden, kitHidden];
${starter}`,
  // 14.1 / type checking: the compiler is asked to read the hidden tests.
  'type-level-reach': () => `/// <reference path="../../../exercises/ring/tests/hidden/ring.test.ts" />
export type Hidden = typeof import('../../../exercises/ring/tests/hidden/ring.test.ts');
export const hiddenValue: Hidden = 1 as never;
${starter}`,
  // 14.2: patch the runtime the host builds its replies with, and reach for Node's channel
  // internals, to make a polling desk look idle.
  'forge-runtime': () => `
import * as rt from '#runtime';
const tries: string[] = [];
const attempt = (what: string, f: () => void) => { try { f(); tries.push(what + ': done'); } catch (e) { tries.push(what + ': ' + (e as Error).message); } };
attempt('trace toJSON', () => { (rt.Trace.prototype as any).toJSON = () => ({ events: [] }); });
attempt('chartLines', () => { (rt as any).chartLines = () => []; });
attempt('Array push', () => { (Array.prototype as any).push = function () { return 0; }; });
attempt('JSON', () => { (JSON as any).stringify = () => '{}'; });
attempt('process._send', () => { (process as any)._send({ id: 'x', reply: { ok: true, value: { pendingTimers: 0 } } }); });
attempt('getBuiltinModule', () => { (process as any).getBuiltinModule('node:fs').readFileSync('/etc/passwd'); });
attempt('handles', () => { (process as any)._getActiveHandles().forEach((h: any) => h.write?.('forged')); });
attempt('eval', () => { new Function('return import("node:fs")')(); });
${polling.replace(/^\/\/ MUTANT.*$/m, '')}`,
  // 14.2 / 15.1: write forged replies straight onto the kernel's channel (fd 3).
  'forge-channel': () => `
const open = () => new ((process.stdout as any).constructor)({ fd: 3, readable: false, writable: true });
export function forge(): void {
  try {
    const fake = new Uint8Array([60, 0, 0, 0, ...new Array(60).fill(7)]);
    open().write(fake);
  } catch { /* no socket class: nothing to forge with */ }
}
${polling.replace(/^\/\/ MUTANT.*$/m, '').replace('export function startDesk(self: Context<never>, config: DeskConfig): Ref<Question> {', 'export function startDesk(self: Context<never>, config: DeskConfig): Ref<Question> {\n  forge();')}`,
  // 15.1: a reply header claiming 2 GiB, then a stream of bytes, to exhaust the trusted side.
  'oversize-reply': () => `
export function flood(): void {
  try {
    const s = new ((process.stdout as any).constructor)({ fd: 3, readable: false, writable: true });
    s.write(new Uint8Array([0xf0, 0xff, 0xff, 0x7f]));
    const chunk = new Uint8Array(1 << 20);
    for (let i = 0; i < 64; i++) s.write(chunk);
  } catch { /* nothing to flood with */ }
}
${starter.replace('export function startRing(self: Context<never>, config: RingConfig): Ref<Token> {', 'export function startRing(self: Context<never>, config: RingConfig): Ref<Token> {\n  flood();')}`,
  // 14.3: spawn processes up to the limit, to starve the neighbours' kernels (same uid before).
  'process-flood': () => `
const tries: unknown[] = [];
for (const name of ['node:child_process', 'child_process', 'node:worker_threads']) {
  try { tries.push((process as any).getBuiltinModule(name)); } catch (e) { tries.push(e); }
}
try { (globalThis as any).Worker && new (globalThis as any).Worker('data:,for(;;);', { eval: true }); } catch { /* none */ }
${starter}`,
  // 14.6: reach the grader's machine over the network.
  network: (port) => `
export function call(): void {
  try { void fetch('http://127.0.0.1:${port}/').catch(() => {}); } catch { /* no fetch */ }
}
${starter.replace('export function startRing(self: Context<never>, config: RingConfig): Ref<Token> {', 'export function startRing(self: Context<never>, config: RingConfig): Ref<Token> {\n  call();')}`,
  // 14.4 / 15.6: a few hundred bytes of types that take the type checker minutes and gigabytes.
  'typecheck-bomb': () => `
type D = 'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g' | 'h' | 'i' | 'j';
type A = \`\${D}\${D}\${D}\${D}\`;
type Pairs<T extends string> = { [K in T]: { [J in T]: \`\${K}\${J}\` } };
export type Big = Pairs<A>;
export const z: Big[A][A] = 'aaaaaaaa' as never;
${solution}`,
};

interface Level {
  readonly name: string;
  readonly prefer: 'auto' | 'fallback';
  readonly skip: boolean;
}

const levels: Level[] = [
  { name: 'bubblewrap', prefer: 'auto', skip: bwrapAbsent && !requireBwrap },
  { name: 'fallback', prefer: 'fallback', skip: false },
];

let server: Server;
let port = 0;
let connections = 0;

beforeAll(async () => {
  server = createServer((socket) => {
    connections++;
    socket.on('error', () => {});
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe.each(levels)('attacks graded beside honest neighbours: $name', ({ prefer, skip }) => {
  let work: string;
  let out: string;
  let run: GradeSummary;
  /** Unique in this run: no process or folder of it may remain once grading is over. */
  const tag = `zz${randomUUID().slice(0, 8)}`;
  const attacker = (name: string) => `${tag}-${name}`;
  const by = (id: string): Result => run.results.find((r) => r.student === id)!;
  const ring = (r: Result) => r.exercises.find((e) => e.id === 'ring')!;
  let connectionsBefore = 0;

  beforeAll(async () => {
    if (skip) return;
    work = mkdtempSync(join(tmpdir(), 'mp-attacks-'));
    out = join(work, 'out');
    const cls = join(work, 'class');
    const put = async (student: string, text: string) => {
      await mkdir(join(cls, student, 'ring'), { recursive: true });
      await writeFile(join(cls, student, 'ring', 'ring.ts'), text);
    };
    // Honest neighbours on both sides of the attackers (the order decides chunks and workers).
    await put('aa-honest', solution);
    await put('zzzz-honest', solution);
    await put('starter', starter);
    await put('mutant-polling', polling);
    for (const [name, code] of Object.entries(attacks)) await put(attacker(name), code(port));
    // 14.5: ids that meet class outputs; each is an honest solution.
    await writeFile(join(cls, 'index.html.zip'), makeZip([{ name: 'ring/ring.ts', data: solution }]));
    await cp(join(cls, 'aa-honest'), join(cls, 'grades.csv'), { recursive: true });
    await cp(join(cls, 'aa-honest'), join(cls, 'summary.json'), { recursive: true });
    connectionsBefore = connections;
    run = await gradeClass({
      paths: [cls],
      out,
      exercises: ['ring'],
      jobs: 2,
      chunk: 100, // one chunk: every attacker shares a test run with the honest students
      prefer,
      canary: false,
      prepare: { cpuMs: 8000, memoryMB: 512 },
    });
  }, 600_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  describe.skipIf(skip)(`level ${prefer}`, () => {
    it('grades everyone, honest neighbours with full marks, and reports no grading error', () => {
      expect(run.gradingErrors).toEqual([]);
      for (const id of ['aa-honest', 'zzzz-honest', 'index.html', 'grades.csv', 'summary.json']) {
        expect(ring(by(id)), id).toMatchObject({ status: 'graded', score: 16, max: 16 });
      }
      expect(run.results).toHaveLength(4 + Object.keys(attacks).length + 3);
    });

    it('class outputs stand beside students named after them (index.html, grades.csv, summary.json)', () => {
      expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('<svg');
      expect(readFileSync(join(out, 'grades.csv'), 'utf8').split('\r\n')[0]).toBe('student,ring,manual,total,status');
      expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).studentCount).toBe(run.results.length);
      expect(existsSync(join(out, 'students', 'index.html', 'report.html'))).toBe(true);
    });

    it("refuses computed and escaping imports at bundling: compile error, the starter's marks", () => {
      const starterScore = ring(by('starter')).score;
      for (const name of ['computed-import', 'escaping-import']) {
        const e = ring(by(attacker(name)));
        expect(e.status, name).toBe('compile-error');
        expect(e.score).toBeLessThanOrEqual(starterScore);
      }
      expect(ring(by(attacker('computed-import'))).reason).toMatch(/computed at run time/);
      expect(ring(by(attacker('escaping-import'))).reason).toMatch(/leaves your submission|cannot import/);
    });

    it('the type checker finds nothing outside the submission', () => {
      const e = ring(by(attacker('type-level-reach')));
      expect(e.score).toBeLessThanOrEqual(ring(by('starter')).score);
      expect(e.diagnostics.map((d) => d.message).join('\n')).toMatch(/not found|Cannot find module/);
    });

    it('cannot forge what the tests read: a polling desk stays a polling desk', () => {
      const mutant = ring(by('mutant-polling'));
      expect(mutant.groups.find((g) => g.id === 'idle')!.score).toBe(0);
      for (const name of ['forge-runtime', 'forge-channel']) {
        const e = ring(by(attacker(name)));
        expect(e.groups.find((g) => g.id === 'idle')!.score, name).toBe(0);
        expect(e.score, name).toBeLessThanOrEqual(mutant.score);
      }
      const channel = by(attacker('forge-channel'));
      expect([...channel.warnings, ...ring(channel).tests.map((t) => t.failure?.observed ?? t.message ?? '')].join('\n')).toMatch(/tampered with the channel/);
    });

    it('a 2 GiB reply header is refused from its header, and the report names the limit', () => {
      const r = by(attacker('oversize-reply'));
      expect(ring(r).score).toBeLessThanOrEqual(ring(by('starter')).score);
      const said = [...r.warnings, ...ring(r).tests.map((t) => t.failure?.observed ?? t.message ?? '')].join('\n');
      expect(said).toMatch(/over the limit of 64 MiB/);
    });

    it('reaches neither processes nor the network', () => {
      expect(ring(by(attacker('process-flood'))).score).toBeLessThanOrEqual(ring(by('starter')).score);
      expect(ring(by(attacker('network'))).score).toBeLessThanOrEqual(ring(by('starter')).score);
      expect(connections - connectionsBefore).toBe(0);
    });

    it('a type-check bomb costs its author a bounded time and its own marks only', () => {
      const e = ring(by(attacker('typecheck-bomb')));
      expect(e.status).toBe('compile-error');
      expect(e.score).toBe(0);
      expect(e.reason).toMatch(/(type checking|bundling|type checking and bundling) this code exceeded (\d+(\.\d+)? s of CPU time|\d+ MB of memory)/);
    });

    it('nothing of the hidden tests appears in any output', () => {
      const texts: string[] = [];
      const walk = (dir: string) => {
        for (const e of readdirSync(dir, { withFileTypes: true })) {
          if (e.isDirectory()) walk(join(dir, e.name));
          else texts.push(readFileSync(join(dir, e.name), 'utf8'));
        }
      };
      walk(out);
      const all = texts.join('\n');
      for (const line of hiddenLines) expect(all.includes(line), line).toBe(false);
    });

    it('leaves no workspace and no process of the run behind', () => {
      const dirs = readdirSync(tmpdir()).filter((d) => d.startsWith('mp-grade-'));
      for (const d of dirs) {
        let inside: string[] = [];
        try {
          inside = readdirSync(join(tmpdir(), d));
        } catch {
          continue; // another run's private folder
        }
        expect(inside.filter((s) => s.startsWith(studentDir(tag)))).toEqual([]);
      }
      const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.includes(tag) && !l.includes('ps -eo'));
      expect(ps).toEqual([]);
    });
  });
});
