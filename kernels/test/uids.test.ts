// Uids for sandboxed jobs: no two jobs on this machine hold the same uid, whichever process
// (or grader run) leased it, and a uid whose holder died is taken over.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { canSwitchUids, leaseUid, takeUid, UID_RANGE, type UidLease } from '../process/uids.ts';

const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, 'fixtures', 'uids', 'lease.ts');
const tsx = join(here, '..', '..', 'node_modules', 'tsx', 'dist', 'loader.mjs');

const children: ChildProcess[] = [];
const held: UidLease[] = [];

function leaseIn(n: number): { child: ChildProcess; uids: Promise<number[]> } {
  const child = spawn(process.execPath, ['--import', tsx, script, String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const uids = new Promise<number[]>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      if (out.includes('\n')) resolve(JSON.parse(out) as number[]);
    });
    child.once('exit', (code) => reject(new Error(`lease helper exited (${code}) before printing`)));
  });
  return { child, uids };
}

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const l of held.splice(0)) l.release();
});

describe.skipIf(!canSwitchUids())('uid leases', () => {
  it('two processes leasing at once never share a uid, and stay in the range', async () => {
    const a = leaseIn(25);
    const b = leaseIn(25);
    const mine = Array.from({ length: 10 }, () => leaseUid()!).filter(Boolean);
    held.push(...mine);
    const [ua, ub] = await Promise.all([a.uids, b.uids]);
    const all = [...ua, ...ub, ...mine.map((l) => l.uid)];
    expect(ua).toHaveLength(25);
    expect(ub).toHaveLength(25);
    expect(new Set(all).size).toBe(all.length);
    for (const u of all) {
      expect(u).toBeGreaterThanOrEqual(UID_RANGE.first);
      expect(u).toBeLessThanOrEqual(UID_RANGE.last);
    }
  }, 300_000); // a backstop for a hang only: child processes on a loaded machine take long

  it('a uid whose holder was killed is taken over; one whose holder lives is not; a released one is free again', async () => {
    const a = leaseIn(5);
    const theirs = await a.uids;
    expect(theirs).toHaveLength(5);
    for (const u of theirs) expect(takeUid(u)).toBeUndefined(); // held by a live process
    a.child.kill('SIGKILL');
    await new Promise((r) => a.child.once('exit', r));
    for (const u of theirs) {
      const lease = takeUid(u);
      expect(lease?.uid).toBe(u);
      held.push(lease!);
    }
    const first = held.pop()!;
    first.release();
    const again = takeUid(first.uid);
    expect(again?.uid).toBe(first.uid);
    held.push(again!);
  }, 300_000); // a backstop for a hang only: child processes on a loaded machine take long
});
