import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultIntakeLimits, discover, discoverDetailed, intake, writeWorkspace } from '../intake/index.ts';
import type { IntakeResult, SubmissionSource, WantedFiles } from '../intake/index.ts';

import { makeTar, makeTarGz, makeZip, type TarItem, type ZipItem } from './archives.ts';

// ---------------------------------------------------------------------------------------------

const wanted: WantedFiles = { files: ['ring/ring.ts', 'REFLECTION.md'], optional: ['progress.jsonl'] };
const RING = 'export function ring(n: number): number {\n  return n;\n}\n';
const REFLECTION = '# Reflection\n\nMessages, not locks. Ünïcödé ✓\n';
const PROGRESS = '{"step":1}\n{"step":2}\n';
const SECRET = 'TOP SECRET: outside the submission\n';
const MiB = 1024 * 1024;

let tmp: string;
let classDir: string;
let outside: string;

async function write(file: string, data: Buffer | string): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, data);
  return file;
}

/** Writes `data` to a standalone file (outside the class folder) and intakes it. */
async function intakeFile(name: string, data: Buffer | string, kind: SubmissionSource['kind'], limits?: Parameters<typeof intake>[2]): Promise<IntakeResult> {
  const file = await write(path.join(tmp, 'single', name), data);
  return intake({ student: name, path: file, kind }, wanted, limits);
}

function hasCommand(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-test-'));
  classDir = path.join(tmp, 'class');
  outside = await write(path.join(tmp, 'outside', 'secret.ts'), SECRET);

  // alice: a plain folder, with OS junk and an extra file.
  await write(path.join(classDir, 'alice', 'ring', 'ring.ts'), RING);
  await write(path.join(classDir, 'alice', 'REFLECTION.md'), REFLECTION);
  await write(path.join(classDir, 'alice', 'progress.jsonl'), PROGRESS);
  await write(path.join(classDir, 'alice', '.DS_Store'), Buffer.from([0, 0, 0, 1, 0xff]));
  await write(path.join(classDir, 'alice', 'notes.txt'), 'my notes\n');

  // bob: a zip with a wrapper folder and macOS junk, entries in another order.
  await write(
    path.join(classDir, 'bob.zip'),
    makeZip([
      { name: 'exercise3/' },
      { name: 'exercise3/REFLECTION.md', data: REFLECTION },
      { name: '__MACOSX/exercise3/._REFLECTION.md', data: Buffer.from([0, 5, 22, 7, 0xff]) },
      { name: 'exercise3/.DS_Store', data: Buffer.from([0xff, 0]) },
      { name: 'exercise3/progress.jsonl', data: PROGRESS },
      { name: 'exercise3/ring/', mode: 0o40755 },
      { name: 'exercise3/ring/ring.ts', data: RING, store: true },
    ]),
  );

  // carol: a tar.gz with "./" names.
  await write(
    path.join(classDir, 'carol.tar.gz'),
    makeTarGz([
      { name: './', type: '5' },
      { name: './ring/ring.ts', data: RING },
      { name: './REFLECTION.md', data: REFLECTION },
      { name: './progress.jsonl', data: PROGRESS },
    ]),
  );

  // dave: a zip with traversal entries next to good ones (Windows separators are fine).
  await write(
    path.join(classDir, 'dave.zip'),
    makeZip([
      { name: '../../etc/passwd', data: 'root:x:0:0\n' },
      { name: '/etc/shadow', data: 'x' },
      { name: 'C:\\Windows\\evil.ts', data: 'x' },
      { name: 'ring\\..\\..\\escape.ts', data: 'x' },
      { name: 'ring\\ring.ts', data: RING },
      { name: 'REFLECTION.md', data: REFLECTION },
    ]),
  );

  // erin: a zip whose ring.ts is a symlink entry.
  await write(
    path.join(classDir, 'erin.zip'),
    makeZip([
      { name: 'ring/ring.ts', data: '/etc/passwd', mode: 0o120777 },
      { name: 'REFLECTION.md', data: REFLECTION },
    ]),
  );

  // frank: a folder whose ring.ts links to a file outside, with a hard link and a linked folder.
  await write(path.join(classDir, 'frank', 'REFLECTION.md'), REFLECTION);
  await fs.mkdir(path.join(classDir, 'frank', 'ring'), { recursive: true });
  await fs.symlink(outside, path.join(classDir, 'frank', 'ring', 'ring.ts'));
  await fs.symlink(path.dirname(outside), path.join(classDir, 'frank', 'linked-dir'));
  await fs.link(outside, path.join(classDir, 'frank', 'progress.jsonl'));

  // gina: a zip bomb, 50 MB of zeros as the wanted file.
  await write(path.join(classDir, 'gina.zip'), makeZip([{ name: 'ring/ring.ts', data: Buffer.alloc(50 * MiB) }]));

  // hank: a zip with too many entries.
  await write(
    path.join(classDir, 'hank.zip'),
    makeZip(Array.from({ length: defaultIntakeLimits.maxEntries + 50 }, (_, i) => ({ name: `spam/${i}.txt`, data: 'x', store: true }))),
  );

  // ivan: a truncated zip.
  const good = makeZip([
    { name: 'ring/ring.ts', data: RING },
    { name: 'REFLECTION.md', data: REFLECTION },
  ]);
  await write(path.join(classDir, 'ivan.zip'), good.subarray(0, Math.floor(good.length / 2)));

  // judy: a .tar.gz that is not gzip at all.
  await write(path.join(classDir, 'judy.tar.gz'), 'this is just a text file with a misleading name\n');

  // kate: an LMS-style folder holding only her zip.
  await write(path.join(classDir, 'kate', 'kate_submission.zip'), makeZip([{ name: 'ring/ring.ts', data: RING }]));

  // Loose files in the class folder are not students.
  await write(path.join(classDir, 'grades.csv'), 'id,grade\n');
  await write(path.join(classDir, '.DS_Store'), 'junk');
});

afterAll(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

const source = (student: string, kind: SubmissionSource['kind'], name = student): SubmissionSource => ({
  student,
  path: path.join(classDir, name),
  kind,
});

describe('intake: good submissions', () => {
  it('reads a folder, ignoring OS junk silently and noting extra files', async () => {
    const r = await intake(source('alice', 'folder'), wanted);
    expect(r.fatal).toBeUndefined();
    expect(r.files).toEqual({ 'ring/ring.ts': RING, 'REFLECTION.md': REFLECTION, 'progress.jsonl': PROGRESS });
    expect(r.missing).toEqual([]);
    expect(r.notes).toEqual(['Ignored 1 file the exercise does not ask for: "notes.txt".']);
    expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('strips one wrapper folder from a zip and drops __MACOSX / .DS_Store silently', async () => {
    const r = await intake(source('bob', 'zip', 'bob.zip'), wanted);
    expect(r.fatal).toBeUndefined();
    expect(r.files).toEqual({ 'ring/ring.ts': RING, 'REFLECTION.md': REFLECTION, 'progress.jsonl': PROGRESS });
    expect(r.missing).toEqual([]);
    expect(r.notes).toEqual([]);
  });

  it('reads a tar.gz', async () => {
    const r = await intake(source('carol', 'tar.gz', 'carol.tar.gz'), wanted);
    expect(r.fatal).toBeUndefined();
    expect(r.files).toEqual({ 'ring/ring.ts': RING, 'REFLECTION.md': REFLECTION, 'progress.jsonl': PROGRESS });
    expect(r.notes).toEqual([]);
  });

  it('gives the same hash for the same content whatever the packing or order, another for other content', async () => {
    const [a, b, c] = await Promise.all([
      intake(source('alice', 'folder'), wanted),
      intake(source('bob', 'zip', 'bob.zip'), wanted),
      intake(source('carol', 'tar.gz', 'carol.tar.gz'), wanted),
    ]);
    expect(b.hash).toBe(a.hash);
    expect(c.hash).toBe(a.hash);
    const reversed = await intakeFile(
      'reversed.zip',
      makeZip([
        { name: 'progress.jsonl', data: PROGRESS },
        { name: 'REFLECTION.md', data: REFLECTION },
        { name: 'ring/ring.ts', data: RING },
      ]),
      'zip',
    );
    expect(reversed.hash).toBe(a.hash);
    const changed = await intakeFile(
      'changed.zip',
      makeZip([
        { name: 'ring/ring.ts', data: `${RING} ` },
        { name: 'REFLECTION.md', data: REFLECTION },
        { name: 'progress.jsonl', data: PROGRESS },
      ]),
      'zip',
    );
    expect(changed.hash).not.toBe(a.hash);
  });

  it('lists required files that are absent, not optional ones, with a hint for a misplaced file', async () => {
    const r = await intakeFile('case.zip', makeZip([{ name: 'Ring/ring.ts', data: RING }]), 'zip');
    expect(r.fatal).toBeUndefined();
    expect(r.files).toEqual({});
    expect(r.missing).toEqual(['ring/ring.ts', 'REFLECTION.md']);
    expect(r.notes).toContain(
      'Missing "ring/ring.ts": found "Ring/ring.ts" instead, not at that path. Names must match exactly, including upper and lower case.',
    );
  });

  it('picks the wrapper folder holding the most wanted files; deeper nesting gets a hint, not a guess', async () => {
    const two = await intakeFile(
      'two-wrappers.zip',
      makeZip([
        { name: 'old/REFLECTION.md', data: 'old\n' },
        { name: 'new/REFLECTION.md', data: REFLECTION },
        { name: 'new/ring/ring.ts', data: RING },
      ]),
      'zip',
    );
    expect(two.files).toEqual({ 'ring/ring.ts': RING, 'REFLECTION.md': REFLECTION });
    expect(two.notes).toEqual(['Ignored 1 file the exercise does not ask for: "old/REFLECTION.md".']);

    const tie = await intakeFile(
      'tie.zip',
      makeZip([
        { name: 'b/REFLECTION.md', data: 'b\n' },
        { name: 'a/REFLECTION.md', data: 'a\n' },
      ]),
      'zip',
    );
    expect(tie.files).toEqual({ 'REFLECTION.md': 'a\n' });
    expect(tie.notes[0]).toBe('The exercise files appear in several top-level folders ("a" and "b"); the files in "a" were used.');

    const deep = await intakeFile('deep.zip', makeZip([{ name: 'alice/exercise3/ring/ring.ts', data: RING }]), 'zip');
    expect(deep.missing).toEqual(['ring/ring.ts', 'REFLECTION.md']);
    expect(deep.notes[0]).toBe(
      'Missing "ring/ring.ts": found "alice/exercise3/ring/ring.ts" instead, not at that path. Names must match exactly, including upper and lower case.',
    );
  });

  it('takes a wanted file lying loose at the top instead of in its folder, when that is unambiguous, with a note', async () => {
    const loose = await intakeFile(
      'loose.zip',
      makeZip([
        { name: 'ring.ts', data: RING },
        { name: 'REFLECTION.md', data: REFLECTION },
      ]),
      'zip',
    );
    expect(loose.files).toEqual({ 'ring/ring.ts': RING, 'REFLECTION.md': REFLECTION });
    expect(loose.notes).toEqual(['Took "ring.ts" as "ring/ring.ts": the exercise expects it in the folder "ring/".']);
    const wrapped = await intakeFile('wrapped-loose.zip', makeZip([{ name: 'alice/ring.ts', data: RING }]), 'zip');
    expect(wrapped.files).toEqual({ 'ring/ring.ts': RING });
    expect(wrapped.notes[0]).toBe('Took "alice/ring.ts" as "ring/ring.ts": the exercise expects it in the folder "ring/".');
    // Two files of that name: which one is meant is a guess, so neither is taken.
    const two = await intakeFile(
      'two-rings.zip',
      makeZip([
        { name: 'ring.ts', data: RING },
        { name: 'old/ring.ts', data: 'old' },
      ]),
      'zip',
    );
    expect(two.files).toEqual({});
    expect(two.missing).toContain('ring/ring.ts');
  });

  it('reads a plain .tar, and keeps the first of two entries with the same name', async () => {
    const tar = await intakeFile(
      'plain.tar',
      makeTar([
        { name: 'ring/ring.ts', data: RING },
        { name: 'ring/ring.ts', data: 'second\n' },
      ]),
      'tar.gz',
    );
    expect(tar.fatal).toBeUndefined();
    expect(tar.files).toEqual({ 'ring/ring.ts': RING });
    expect(tar.notes).toEqual(['Skipped "ring/ring.ts": the archive holds this name twice; the first copy was used.']);
  });

  it('reads an archive by its content when its name lies, with a note', async () => {
    const r = await intakeFile(
      'really-a-zip.tar.gz',
      makeZip([
        { name: 'ring/ring.ts', data: RING },
        { name: 'REFLECTION.md', data: REFLECTION },
      ]),
      'tar.gz',
    );
    expect(r.fatal).toBeUndefined();
    expect(r.files['ring/ring.ts']).toBe(RING);
    expect(r.notes[0]).toMatch(/named like a \.tar\.gz archive but is a zip archive/);
  });
});

describe('intake: refused entries', () => {
  it('skips path traversal, absolute paths and drive letters, with plain notes', async () => {
    const r = await intake(source('dave', 'zip', 'dave.zip'), wanted);
    expect(r.fatal).toBeUndefined();
    expect(r.files).toEqual({ 'ring/ring.ts': RING, 'REFLECTION.md': REFLECTION });
    expect(r.missing).toEqual([]);
    expect(r.notes).toContain('Skipped "../../etc/passwd": the path leaves the submission folder.');
    expect(r.notes).toContain('Skipped "/etc/shadow": the path is absolute, so it leaves the submission folder.');
    expect(r.notes).toContain('Skipped "C:\\Windows\\evil.ts": the path names a drive (like C:), so it leaves the submission folder.');
    expect(r.notes).toContain('Skipped "ring\\..\\..\\escape.ts": the path leaves the submission folder.');
  });

  it('never follows a symlink entry in a zip', async () => {
    const r = await intake(source('erin', 'zip', 'erin.zip'), wanted);
    expect(r.fatal).toBeUndefined();
    expect(r.files).toEqual({ 'REFLECTION.md': REFLECTION });
    expect(r.missing).toEqual(['ring/ring.ts']);
    expect(r.notes).toEqual(['Skipped "ring/ring.ts": it is a symbolic link; links are never followed.']);
  });

  it('never follows a symlink (or a hard link) in a student folder', async () => {
    const r = await intake(source('frank', 'folder'), wanted);
    expect(r.fatal).toBeUndefined();
    expect(r.files).toEqual({ 'REFLECTION.md': REFLECTION });
    expect(JSON.stringify(r.files)).not.toContain('TOP SECRET');
    expect(r.missing).toEqual(['ring/ring.ts']);
    expect(r.notes).toContain('Skipped "ring/ring.ts": it is a symbolic link; links are never followed.');
    expect(r.notes).toContain('Skipped "linked-dir": it is a symbolic link; links are never followed.');
    expect(r.notes).toContain('Skipped "progress.jsonl": it is a hard link to another file; links are not accepted.');
  });

  it('skips symlinks and hard links in a tar.gz', async () => {
    const r = await intakeFile(
      'links.tar.gz',
      makeTarGz([
        { name: 'ring/ring.ts', type: '2', linkName: '/etc/passwd' },
        { name: 'REFLECTION.md', type: '1', linkName: 'progress.jsonl' },
        { name: 'progress.jsonl', data: PROGRESS },
      ]),
      'tar.gz',
    );
    expect(r.fatal).toBeUndefined();
    expect(r.files).toEqual({ 'progress.jsonl': PROGRESS });
    expect(r.missing).toEqual(['ring/ring.ts', 'REFLECTION.md']);
    expect(r.notes).toEqual([
      'Skipped "ring/ring.ts": it is a symbolic link; links are never followed.',
      'Skipped "REFLECTION.md": it is a hard link to another file; links are not accepted.',
    ]);
  });

  it('skips a file over the size limit, and non-UTF-8 or binary text', async () => {
    const big = 'x'.repeat(defaultIntakeLimits.maxFileBytes + 1);
    const r = await intakeFile(
      'bad-files.zip',
      makeZip([
        { name: 'ring/ring.ts', data: big },
        { name: 'REFLECTION.md', data: Buffer.from([0x23, 0x20, 0xe9, 0x74, 0xe9, 0x0a]) }, // latin-1 "# été"
        { name: 'progress.jsonl', data: Buffer.from([0x7b, 0x00, 0x7d]) },
      ]),
      'zip',
    );
    expect(r.fatal).toBeUndefined();
    expect(r.files).toEqual({});
    expect(r.missing).toEqual(['ring/ring.ts', 'REFLECTION.md']);
    expect(r.notes).toEqual([
      'Skipped "ring/ring.ts": it is 256 KiB, over the 256 KiB limit for one file.',
      'Skipped "REFLECTION.md": it is not UTF-8 text. Save it with UTF-8 encoding and submit it again.',
      'Skipped "progress.jsonl": it is a binary file, not text.',
    ]);
  });

  it('applies the size limit to folders and tar.gz too, and honours custom limits', async () => {
    const tgz = await intakeFile(
      'big.tar.gz',
      makeTarGz([
        { name: 'ring/ring.ts', data: 'y'.repeat(2000) },
        { name: 'REFLECTION.md', data: REFLECTION },
      ]),
      'tar.gz',
      { maxFileBytes: 1000 },
    );
    expect(tgz.files).toEqual({ 'REFLECTION.md': REFLECTION });
    expect(tgz.notes).toEqual(['Skipped "ring/ring.ts": it is 2.0 KiB, over the 1000 bytes limit for one file.']);
    const dir = path.join(tmp, 'big-folder');
    await write(path.join(dir, 'ring', 'ring.ts'), 'y'.repeat(2000));
    const folder = await intake({ student: 'big', path: dir, kind: 'folder' }, wanted, { maxFileBytes: 1000 });
    expect(folder.missing).toEqual(['ring/ring.ts', 'REFLECTION.md']);
    expect(folder.notes).toEqual(['Skipped "ring/ring.ts": it is 2.0 KiB, over the 1000 bytes limit for one file.']);
  });

  it('stops walking a huge folder at maxEntries with a note, and throws only for caller bugs', async () => {
    const r = await intake(source('alice', 'folder'), wanted, { maxEntries: 2 });
    expect(r.fatal).toBeUndefined();
    expect(r.notes).toContain('Stopped looking through the folder after 2 entries; files past that point were not read.');
    await expect(intake(source('alice', 'folder'), { files: ['../x'] })).rejects.toThrow(TypeError);
    await expect(intake(source('alice', 'folder'), wanted, { maxFileBytes: -1 })).rejects.toThrow(RangeError);
  });

  it('notes a zip entry whose checksum does not match', async () => {
    const r = await intakeFile(
      'crc.zip',
      makeZip([
        { name: 'ring/ring.ts', data: RING, crc: 12345 },
        { name: 'REFLECTION.md', data: REFLECTION },
      ]),
      'zip',
    );
    expect(r.fatal).toBeUndefined();
    expect(r.files).toEqual({ 'REFLECTION.md': REFLECTION });
    expect(r.notes).toEqual(['Skipped "ring/ring.ts": it is damaged: its checksum does not match.']);
  });

  it('caps per-entry notes', async () => {
    const r = await intakeFile('many-bad.zip', makeZip(Array.from({ length: 30 }, (_, i) => ({ name: `../x${i}`, data: 'x' }))), 'zip');
    expect(r.notes.filter((n) => n.startsWith('Skipped'))).toHaveLength(20);
    expect(r.notes).toContain('…and 10 more entries were skipped for the reasons above.');
  });
});

describe('intake: fatal submissions', () => {
  // Refused without inflating: bounded by the CPU time this process spends (threads included),
  // which a loaded machine does not stretch as it stretches the wall clock.
  const fast = 3000;
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };

  it('refuses a zip bomb from its declared sizes, without inflating it', async () => {
    const t0 = cpuMs();
    const r = await intake(source('gina', 'zip', 'gina.zip'), wanted);
    expect(cpuMs() - t0).toBeLessThan(fast);
    expect(r.fatal).toBe(
      'The archive unpacks to more than 2 MiB (the limit for a whole submission), so it was not read. Submit only the files the exercise asks for.',
    );
    expect(r.files).toEqual({});
    expect(r.missing).toEqual(['ring/ring.ts', 'REFLECTION.md']);
  });

  it('refuses a zip whose entry inflates past its declared size', async () => {
    const file = await write(path.join(tmp, 'single', 'liar.zip'), makeZip([{ name: 'ring/ring.ts', data: Buffer.alloc(50 * MiB), declaredSize: 100 }]));
    const t0 = cpuMs();
    const r = await intake({ student: 'liar', path: file, kind: 'zip' }, wanted);
    expect(cpuMs() - t0).toBeLessThan(fast);
    expect(r.fatal).toMatch(/more data than the archive says/);
  });

  it('refuses an archive over the compression ratio', async () => {
    const r = await intakeFile('ratio.zip', makeZip([{ name: 'ring/ring.ts', data: Buffer.alloc(5 * MiB) }]), 'zip', {
      maxTotalBytes: 100 * MiB,
      maxFileBytes: 100 * MiB,
    });
    expect(r.fatal).toBe('The archive unpacks to more than 100 times its own size, which is how archive bombs look, so it was not read.');
  });

  it('refuses a zip with too many entries', async () => {
    const r = await intake(source('hank', 'zip', 'hank.zip'), wanted);
    expect(r.fatal).toBe('The archive holds 2050 entries, more than the limit of 2000, so it was not read.');
  });

  it('refuses tar.gz bombs: a huge entry, and too many entries, stopping early', async () => {
    const huge = await intakeFile('huge.tar.gz', makeTarGz([{ name: 'ring/ring.ts', data: Buffer.alloc(50 * MiB) }]), 'tar.gz');
    expect(huge.fatal).toMatch(/unpacks to more than 2 MiB/);
    const many = await intakeFile('many.tar.gz', makeTarGz(Array.from({ length: 2100 }, (_, i) => ({ name: `f${i}`, data: 'x' }))), 'tar.gz');
    expect(many.fatal).toBe('The archive holds more than 2000 entries (the limit), so it was not read.');
    // Many small files adding up past the total.
    const sum = await intakeFile('sum.tar.gz', makeTarGz(Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, data: randomBytes(200 * 1024) }))), 'tar.gz');
    expect(sum.fatal).toMatch(/unpacks to more than 2 MiB/);
  });

  it('refuses a truncated zip', async () => {
    const r = await intake(source('ivan', 'zip', 'ivan.zip'), wanted);
    expect(r.fatal).toBe('The file is not a zip archive, or it is cut short: its table of contents is missing.');
    expect(r.hash).toBe((await intakeFile('empty-dir.zip', makeZip([]), 'zip')).hash);
  });

  it('refuses a .tar.gz that is not gzip, a truncated one, and a gzip that is not tar', async () => {
    const notGzip = await intake(source('judy', 'tar.gz', 'judy.tar.gz'), wanted);
    expect(notGzip.fatal).toBe('The file is not a .tar.gz archive: it is not gzip-compressed.');
    const full = makeTarGz([
      { name: 'ring/ring.ts', data: RING.repeat(200) },
      { name: 'REFLECTION.md', data: REFLECTION },
    ]);
    const cut = await intakeFile('cut.tar.gz', full.subarray(0, Math.floor(full.length / 2)), 'tar.gz');
    expect(cut.fatal).toBe('The archive is cut short; it may not have finished uploading.');
    const notTar = await intakeFile('not-tar.tar.gz', gzipSync(Buffer.from('hello '.repeat(200))), 'tar.gz');
    expect(notTar.fatal).toBe('The file is not a tar archive.');
  });

  it('names other formats and empty files', async () => {
    expect((await intakeFile('x.zip', Buffer.from('Rar!\x1a\x07\x00rest', 'latin1'), 'zip')).fatal).toBe(
      'The file is a RAR archive, not a .zip archive. Submit a .zip or .tar.gz archive.',
    );
    expect((await intakeFile('empty.zip', '', 'zip')).fatal).toBe('The submitted file is empty.');
    expect((await intake({ student: 'nobody', path: path.join(tmp, 'nope.zip'), kind: 'zip' }, wanted)).fatal).toBe(
      'The submitted file could not be found or read.',
    );
  });
});

describe('discover', () => {
  it('finds one source per student in a class folder, skipping loose files', async () => {
    const { sources, skipped } = await discoverDetailed([classDir], wanted);
    expect(sources.map((s) => [s.student, s.kind, path.relative(classDir, s.path)])).toEqual([
      ['alice', 'folder', 'alice'],
      ['bob', 'zip', 'bob.zip'],
      ['carol', 'tar.gz', 'carol.tar.gz'],
      ['dave', 'zip', 'dave.zip'],
      ['erin', 'zip', 'erin.zip'],
      ['frank', 'folder', 'frank'],
      ['gina', 'zip', 'gina.zip'],
      ['hank', 'zip', 'hank.zip'],
      ['ivan', 'zip', 'ivan.zip'],
      ['judy', 'tar.gz', 'judy.tar.gz'],
      ['kate', 'zip', path.join('kate', 'kate_submission.zip')],
    ]);
    expect(skipped.map((s) => path.basename(s.path))).toEqual(['grades.csv']);
  });

  it('takes a path that is itself a submission as one source', async () => {
    expect(await discover([path.join(classDir, 'alice'), path.join(classDir, 'bob.zip')], wanted)).toEqual([
      { student: 'alice', path: path.join(await fs.realpath(classDir), 'alice'), kind: 'folder' },
      { student: 'bob', path: path.join(await fs.realpath(classDir), 'bob.zip'), kind: 'zip' },
    ]);
    // A folder with only loose, unwanted files is one (incomplete) submission, not a class.
    const loose = path.join(tmp, 'loose');
    await write(path.join(loose, 'ring.ts'), RING);
    expect(await discover([loose], wanted)).toEqual([{ student: 'loose', path: await fs.realpath(loose), kind: 'folder' }]);
    // An expected sub-folder alone marks a submission.
    const partial = path.join(tmp, 'partial');
    await fs.mkdir(path.join(partial, 'ring'), { recursive: true });
    expect((await discover([partial], wanted)).map((s) => s.kind)).toEqual(['folder']);
  });

  it('keeps a symlinked student entry as a source that intake refuses', async () => {
    const cls = path.join(tmp, 'linked-class');
    await write(path.join(cls, 'real', 'REFLECTION.md'), REFLECTION);
    await fs.symlink(path.join(tmp, 'outside'), path.join(cls, 'sneaky'));
    const sources = await discover([cls], wanted);
    expect(sources.map((s) => s.student)).toEqual(['real', 'sneaky']);
    const r = await intake(sources[1] as SubmissionSource, wanted);
    expect(r.fatal).toBe('The submission is a symbolic link; links are never followed.');
  });

  it('normalises look-alike ids, shows invisible characters, and reports ids equal but for case', async () => {
    const cls = path.join(tmp, 'lookalike-class');
    await write(path.join(cls, 'jos\u00e9', 'ring', 'ring.ts'), RING); // é as one code point (NFC)
    await write(path.join(cls, 'jose\u0301', 'ring', 'ring.ts'), RING); // e + combining accent (NFD)
    await write(path.join(cls, 'evil\u202Egnp.exe', 'ring', 'ring.ts'), RING); // a right-to-left override
    await write(path.join(cls, 'Alice.zip'), 'PK');
    await write(path.join(cls, 'alice', 'ring', 'ring.ts'), RING);
    const { sources, skipped } = await discoverDetailed([cls], wanted);
    expect(sources.map((s) => s.student)).toEqual(['Alice', 'evil\\u{202E}gnp.exe', 'jos\u00e9']);
    for (const s of sources) expect(s.student).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200B-\u200F]/);
    expect(skipped.map((s) => s.reason)).toEqual([
      expect.stringMatching(/"alice", the same id as "Alice" apart from letter case was not graded/),
      expect.stringMatching(/the same student id "jos\u00e9" was not graded/),
    ]);
    // The student who was graded is told, in their report's notes.
    expect(sources.find((s) => s.student === 'Alice')!.duplicates).toEqual([expect.stringMatching(/apart from letter case/)]);
  });

  it('throws for a path that does not exist (an operator mistake)', async () => {
    await expect(discover([path.join(tmp, 'no-such-class')], wanted)).rejects.toThrow(/does not exist/);
  });

  it('runs a whole class: one result per student, the batch never stops', async () => {
    const sources = await discover([classDir], wanted);
    const results = await Promise.all(sources.map((s) => intake(s, wanted)));
    expect(results.map((r) => r.student)).toEqual(sources.map((s) => s.student));
    const fatal = Object.fromEntries(results.map((r) => [r.student, r.fatal !== undefined]));
    expect(fatal).toEqual({
      alice: false,
      bob: false,
      carol: false,
      dave: false,
      erin: false,
      frank: false,
      gina: true,
      hank: true,
      ivan: true,
      judy: true,
      kate: false,
    });
    const kate = results.find((r) => r.student === 'kate') as IntakeResult;
    expect(kate.files).toEqual({ 'ring/ring.ts': RING });
    expect(kate.missing).toEqual(['REFLECTION.md']);
  });
});

describe('writeWorkspace', () => {
  it('writes the accepted files under a folder', async () => {
    const r = await intake(source('bob', 'zip', 'bob.zip'), wanted);
    const dir = path.join(tmp, 'ws', 'bob');
    await writeWorkspace(r, dir);
    expect(await fs.readFile(path.join(dir, 'ring', 'ring.ts'), 'utf8')).toBe(RING);
    expect(await fs.readFile(path.join(dir, 'REFLECTION.md'), 'utf8')).toBe(REFLECTION);
    expect((await fs.readdir(dir)).sort()).toEqual(['REFLECTION.md', 'progress.jsonl', 'ring']);
  });

  it('refuses an unsafe path in a hand-built result', async () => {
    const bad: IntakeResult = { student: 'x', files: { '../escape.ts': 'x' }, missing: [], notes: [], hash: '' };
    await expect(writeWorkspace(bad, path.join(tmp, 'ws', 'x'))).rejects.toThrow(TypeError);
    await expect(fs.stat(path.join(tmp, 'ws', 'escape.ts'))).rejects.toThrow();
  });
});

describe('archives made by real tools', () => {
  it.skipIf(!hasCommand('tar'))('reads GNU tar output with long names, pax headers and a symlink', async () => {
    const src = path.join(tmp, 'tool-src', 'wrapper');
    const longDir = 'd'.repeat(60);
    await write(path.join(src, 'ring', 'ring.ts'), RING);
    await write(path.join(src, 'REFLECTION.md'), REFLECTION);
    await write(path.join(src, longDir, longDir, 'deep.txt'), 'deep\n');
    await fs.symlink(outside, path.join(src, 'progress.jsonl'));
    for (const format of ['gnu', 'pax']) {
      const out = path.join(tmp, 'single', `tool-${format}.tar.gz`);
      execFileSync('tar', [`--format=${format}`, '-czf', out, '-C', path.dirname(src), 'wrapper']);
      const r = await intake({ student: format, path: out, kind: 'tar.gz' }, wanted);
      expect(r.fatal).toBeUndefined();
      expect(r.files).toEqual({ 'ring/ring.ts': RING, 'REFLECTION.md': REFLECTION });
      expect(r.notes).toContain('Skipped "wrapper/progress.jsonl": it is a symbolic link; links are never followed.');
      // The long path (over 100 bytes) needs GNU long-name or pax headers.
      const deep = await intake({ student: format, path: out, kind: 'tar.gz' }, { files: [`${longDir}/${longDir}/deep.txt`] });
      expect(deep.files).toEqual({ [`${longDir}/${longDir}/deep.txt`]: 'deep\n' });
    }
  });

  it.skipIf(!hasCommand('zip'))('reads Info-ZIP output and sees its stored symlinks', async () => {
    const src = path.join(tmp, 'tool-zip', 'wrapper');
    await write(path.join(src, 'ring', 'ring.ts'), RING);
    await write(path.join(src, 'REFLECTION.md'), REFLECTION);
    await fs.symlink(outside, path.join(src, 'progress.jsonl'));
    const out = path.join(tmp, 'single', 'tool.zip');
    execFileSync('zip', ['-q', '-r', '-y', out, 'wrapper'], { cwd: path.dirname(src) });
    const r = await intake({ student: 'tool', path: out, kind: 'zip' }, wanted);
    expect(r.fatal).toBeUndefined();
    expect(r.files).toEqual({ 'ring/ring.ts': RING, 'REFLECTION.md': REFLECTION });
    expect(r.notes).toEqual(['Skipped "wrapper/progress.jsonl": it is a symbolic link; links are never followed.']);
  });
});
