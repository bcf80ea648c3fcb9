// A wrong restart count says why: which worker crashed when, with the reason, on which URL.
// Runs the public test against the reference solution with one change (its report counts one
// restart too many), the way a student's run would, and reads the failure.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kitRoot } from '../../../grader/kit.ts';

const work = mkdtempSync(join(tmpdir(), 'mp-crawler-restarts-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(submission: string, env: Record<string, string>): Promise<string> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VITEST|TEST$|MP_|NODE_ENV$)/.test(k)));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(kitRoot, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', 'exercises/vitest.config.ts', 'exercises/crawler/tests/public'],
      {
        cwd: kitRoot,
        env: { ...clean, ...env, MP_SUBMISSION: submission, NO_COLOR: '1' },
        maxBuffer: 16 * 1024 * 1024,
      },
      (_err, stdout, stderr) => resolve(`${stdout}${stderr}`),
    );
  });
}

describe('crawler: a wrong restart count', () => {
  it('lists each restart: the worker, when it ended and why, the URL it had fetched, when it was replaced', async () => {
    const sub = join(work, 'miscounts');
    cpSync(join(kitRoot, 'solutions', 'crawler'), sub, { recursive: true });
    const frontier = join(sub, 'crawler', 'frontier.ts');
    const text = readFileSync(frontier, 'utf8');
    expect(text).toContain('quarantined, restarts });');
    writeFileSync(frontier, text.replace('quarantined, restarts });', 'quarantined, restarts: restarts + 1 });'));
    const out = await run(sub, { SEED: '1', TEST_ID: 'crawler.poison-quarantined' });
    expect(out).toMatch(
      /the report says 3 restarts; expected 2 \(the pool supervisor restarted a worker twice\)\. The restarts: (worker-\d+(#\d+)? ended at t=\d+ \(ParseError: cannot parse https:\/\/a\.test\/p\/3: [^)]*\) after fetching https:\/\/a\.test\/p\/3 at t=\d+, restarted at t=\d+(; |\.)){2}/,
    );
  }, 120_000);
});
