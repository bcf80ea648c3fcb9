// The ease-of-use log (progress.jsonl): how a run is added (merged with an identical previous
// run, else appended, never past the size cap), how a log is read back (bad lines counted and
// skipped), what a failure report's words say, and where the grader keeps each student's log.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendRun, formatLine, fullPass, hazardsOf, MAX_LOG_BYTES, parseLog, type ProgressLine } from '../progress-log/log.ts';
import { classProgress, copyProgressLogs, progressLogPath, readProgressLogs, saveProgressLog } from '../progress-log/store.ts';

const run = (over: Partial<ProgressLine> = {}): ProgressLine => ({
  v: 1,
  at: '2026-03-02T14:05:11.000Z',
  exercise: 'ring',
  passed: 1,
  failed: 1,
  skipped: 0,
  failedTests: ['ring.desk-answers'],
  firstFailed: 'ring.desk-answers',
  runs: 1,
  ...over,
});

const tmp = mkdtempSync(join(tmpdir(), 'progress-log-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('appendRun', () => {
  it('merges a run with the same outcome into the last line: runs add up, last is the latest time', () => {
    const one = appendRun('', run())!;
    const two = appendRun(one, run({ at: '2026-03-02T15:00:00.000Z' }))!;
    const three = appendRun(two, run({ at: '2026-03-02T16:00:00.000Z', runs: 2, last: '2026-03-02T16:30:00.000Z' }))!;
    const { lines, bad } = parseLog(three);
    expect(bad).toBe(0);
    expect(lines).toEqual([run({ runs: 4, last: '2026-03-02T16:30:00.000Z' })]);
  });

  it('appends a run with another outcome (a different failure, edited flag or hazard), adding a missing final newline', () => {
    let log = formatLine(run()); // no trailing newline
    for (const other of [
      run({ failedTests: ['ring.idle'], firstFailed: 'ring.idle' }),
      run({ edited: false }),
      run({ hazards: ['deadlock'] }),
      run({ exercise: 'bank' }),
    ]) {
      log = appendRun(log, other)!;
    }
    expect(log.endsWith('\n')).toBe(true);
    expect(parseLog(log).lines).toHaveLength(5);
  });

  it('appends after a last line that is not JSON, and stops adding lines once the log is full (merging still works)', () => {
    expect(parseLog(appendRun('garbage line\n', run())!)).toEqual({ lines: [run()], bad: 1 });
    const filler = `${formatLine(run({ failedTests: [], firstFailed: null, passed: 3, failed: 0 }))}\n`;
    const full = filler.repeat(Math.floor(MAX_LOG_BYTES / filler.length));
    expect(appendRun(full, run())).toBeUndefined();
    const merged = appendRun(full, run({ failedTests: [], firstFailed: null, passed: 3, failed: 0 }));
    expect(merged).toBeDefined();
    expect(parseLog(merged!).lines.at(-1)!.runs).toBe(2);
  });
});

describe('parseLog and the line format', () => {
  it('counts lines that are not JSON or break the schema, drops unknown fields, and defaults runs to 1', () => {
    const text = [
      JSON.stringify({ ...run(), runs: undefined, secret: 'code' }),
      '{"v":2}',
      '{not json',
      '',
      JSON.stringify(run({ exercise: 'Bad Name' })),
    ].join('\n');
    const { lines, bad } = parseLog(text);
    expect(bad).toBe(3);
    expect(lines).toEqual([run()]);
    expect('secret' in lines[0]!).toBe(false);
  });

  it('a full pass is something run, nothing failed, nothing filtered out', () => {
    expect(fullPass(run({ passed: 3, failed: 0, failedTests: [], firstFailed: null }))).toBe(true);
    expect(fullPass(run())).toBe(false);
    expect(fullPass(run({ passed: 3, failed: 0, skipped: 1 }))).toBe(false);
    expect(fullPass(run({ passed: 0, failed: 0 }))).toBe(false);
  });

  it("reads the kinds of failure off a report's words", () => {
    expect(hazardsOf('Deadlock: acc-1 and acc-2 wait for each other')).toEqual(['deadlock']);
    expect(hazardsOf('three tellers are waiting in a cycle')).toEqual(['deadlock']);
    expect(hazardsOf('lost update on acc-3: 20 expected, 10 found')).toEqual(['lost-update']);
    expect(hazardsOf('money was created: 1010 in total, expected 1000')).toEqual(['conservation']);
    expect(hazardsOf('Money appeared out of nowhere; not conserved')).toEqual(['conservation']);
    expect(hazardsOf('the reply came late')).toEqual([]);
  });
});

describe("the grader's copy of each log", () => {
  it('saves a log next to the report, removes a stale one, reads back only those present', async () => {
    const out = join(tmp, 'out');
    await saveProgressLog(out, 'alice', `${formatLine(run())}\n`);
    await saveProgressLog(out, 'bob', `${formatLine(run({ exercise: 'bank' }))}\n`);
    expect(readFileSync(progressLogPath(out, 'alice'), 'utf8')).toBe(`${formatLine(run())}\n`);
    await saveProgressLog(out, 'bob', '  \n');
    expect(existsSync(progressLogPath(out, 'bob'))).toBe(false);
    await saveProgressLog(out, 'carol', undefined);
    expect((await readProgressLogs(out, ['alice', 'bob', 'carol'])).map((l) => l.student)).toEqual(['alice']);
  });

  it('gives the dashboard evidence only when some student sent a log', async () => {
    const out = join(tmp, 'dash');
    expect(await classProgress(out, ['alice'])).toBeUndefined();
    await saveProgressLog(
      out,
      'alice',
      `${formatLine(run())}\n${formatLine(run({ passed: 2, failed: 0, failedTests: [], firstFailed: null, at: '2026-03-02T15:05:11.000Z' }))}\n`,
    );
    const evidence = await classProgress(out, ['alice']);
    expect(evidence).toBeDefined();
    expect(Object.keys(evidence!)).toEqual(['ring']);
  });

  it("after a merge, takes each student's log from the first shard that has it", async () => {
    const a = join(tmp, 'shard-a');
    const b = join(tmp, 'shard-b');
    const merged = join(tmp, 'merged');
    await saveProgressLog(b, 'alice', 'from b\n');
    await saveProgressLog(a, 'bob', 'from a\n');
    await saveProgressLog(b, 'bob', 'also from b\n');
    await copyProgressLogs([a, b], merged, ['alice', 'bob', 'nobody']);
    expect(readFileSync(progressLogPath(merged, 'alice'), 'utf8')).toBe('from b\n');
    expect(readFileSync(progressLogPath(merged, 'bob'), 'utf8')).toBe('from a\n');
    expect(existsSync(progressLogPath(merged, 'nobody'))).toBe(false);
  });
});
