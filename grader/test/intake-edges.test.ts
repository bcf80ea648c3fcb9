// Intake at its edges: zips a tool wrote oddly or an attacker crafted (encrypted entries, other
// compression methods, entries shorter than stated, split archives), and a folder that changes
// between being listed and being read (a file swapped for a link, a pipe or a hard link, or
// grown past the limit): what is read is re-checked when it is opened, never trusted from the
// listing.
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFolder } from '../intake/folder.ts';
import { defaultIntakeLimits, intake } from '../intake/index.ts';
import type { IntakeResult, WantedFiles } from '../intake/index.ts';
import type { ListedEntry } from '../intake/types.ts';
import { makeZip } from './archives.ts';

const wanted: WantedFiles = { files: ['ring/ring.ts', 'REFLECTION.md'] };
const RING = 'export const ring = 1;\n';
const REFLECTION = '# Reflection\n';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-edges-test-'));
});
afterAll(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

let count = 0;
async function intakeZip(data: Buffer): Promise<IntakeResult> {
  const file = path.join(tmp, `z${++count}.zip`);
  await fs.writeFile(file, data);
  return intake({ student: `z${count}`, path: file, kind: 'zip' }, wanted);
}

describe('zip entries that cannot be read, one by one', () => {
  it('notes a password-protected entry and one packed with an unsupported method, and reads the rest', async () => {
    const r = await intakeZip(
      makeZip([
        { name: 'ring/ring.ts', data: RING, flags: 0x1 },
        { name: 'REFLECTION.md', data: REFLECTION, store: true, method: 12 },
        { name: 'progress.jsonl', data: '{}\n' },
      ]),
    );
    expect(r.fatal).toBeUndefined();
    expect(r.files).toEqual({});
    expect(r.missing).toEqual(['ring/ring.ts', 'REFLECTION.md']);
    expect(r.notes).toContain('Skipped "ring/ring.ts": it is password-protected; submit it without a password.');
    expect(r.notes).toContain('Skipped "REFLECTION.md": it is packed with a compression method the grader can\'t read (method 12); use a plain .zip.');
  });

  it('notes an entry holding less data than its header says', async () => {
    const r = await intakeZip(
      makeZip([
        { name: 'ring/ring.ts', data: RING, declaredSize: RING.length + 50 },
        { name: 'REFLECTION.md', data: REFLECTION },
      ]),
    );
    expect(r.fatal).toBeUndefined();
    expect(r.files).toEqual({ 'REFLECTION.md': REFLECTION });
    expect(r.notes).toEqual(['Skipped "ring/ring.ts": it is damaged: it holds less data than the archive says.']);
  });

  it('notes an entry whose compressed data is not deflate data', async () => {
    const r = await intakeZip(
      makeZip([
        { name: 'ring/ring.ts', data: 'not deflate at all, just text', store: true, method: 8 },
        { name: 'REFLECTION.md', data: REFLECTION },
      ]),
    );
    expect(r.files).toEqual({ 'REFLECTION.md': REFLECTION });
    expect(r.notes).toEqual(['Skipped "ring/ring.ts": it is damaged and could not be unpacked.']);
  });
});

describe('zips refused whole', () => {
  it('refuses a zip split over several disks', async () => {
    const r = await intakeZip(makeZip([{ name: 'ring/ring.ts', data: RING }], { disk: 1 }));
    expect(r.fatal).toBe('The zip file is split into several parts; submit a single .zip file.');
    expect(r.files).toEqual({});
  });

  it('refuses a zip whose table of contents points past its end', async () => {
    const zip = makeZip([
      { name: 'ring/ring.ts', data: RING },
      { name: 'REFLECTION.md', data: REFLECTION },
    ]);
    const broken = Buffer.from(zip);
    broken.writeUInt32LE(zip.length + 1000, zip.length - 6); // the central directory's offset
    const r = await intakeZip(broken);
    expect(r.fatal).toMatch(/^The zip file is (cut short|damaged)/);
    expect(r.missing).toEqual(wanted.files);
  });
});

describe('a submission folder that changes between listing and reading', () => {
  async function listed(name: string): Promise<{ dir: string; entry: (p: string) => ListedEntry }> {
    const dir = path.join(tmp, name);
    await fs.mkdir(path.join(dir, 'ring'), { recursive: true });
    await fs.writeFile(path.join(dir, 'ring', 'ring.ts'), RING);
    await fs.writeFile(path.join(dir, 'REFLECTION.md'), REFLECTION);
    const listing = await listFolder(dir, defaultIntakeLimits);
    return { dir, entry: (p) => listing.entries.find((e) => e.name === p)! };
  }

  it('a file swapped for a symbolic link after listing is refused when read, the link never followed', async () => {
    const { dir, entry } = await listed('swap-link');
    const secret = path.join(tmp, 'secret.txt');
    await fs.writeFile(secret, 'TOP SECRET\n');
    await fs.rm(path.join(dir, 'ring', 'ring.ts'));
    await fs.symlink(secret, path.join(dir, 'ring', 'ring.ts'));
    await expect(entry('ring/ring.ts').read(1000)).rejects.toThrow('it is a symbolic link; links are never followed.');
  });

  it('a file given a second hard link after listing is refused when read', async () => {
    const { dir, entry } = await listed('swap-hardlink');
    await fs.link(path.join(dir, 'REFLECTION.md'), path.join(tmp, 'elsewhere.md'));
    await expect(entry('REFLECTION.md').read(1000)).rejects.toThrow('it is a hard link to another file; links are not accepted.');
  });

  it('a file grown past the limit after listing is refused when read; one removed cannot be opened', async () => {
    const { dir, entry } = await listed('grow');
    await fs.writeFile(path.join(dir, 'ring', 'ring.ts'), 'x'.repeat(5000));
    await expect(entry('ring/ring.ts').read(1000)).rejects.toThrow('it is 4.9 KiB, over the 1000 bytes limit.');
    await fs.rm(path.join(dir, 'REFLECTION.md'));
    await expect(entry('REFLECTION.md').read(1000)).rejects.toThrow('it could not be opened.');
  });

  it.skipIf(process.platform === 'win32')('a file swapped for a named pipe after listing is refused when read, without blocking', async () => {
    const { dir, entry } = await listed('swap-fifo');
    await fs.rm(path.join(dir, 'REFLECTION.md'));
    execFileSync('mkfifo', [path.join(dir, 'REFLECTION.md')]);
    await expect(entry('REFLECTION.md').read(1000)).rejects.toThrow('it is not a regular file.');
  });

  it.skipIf(process.platform === 'win32')('a named pipe in a folder is listed as a special file and never read', async () => {
    const dir = path.join(tmp, 'with-fifo');
    await fs.mkdir(path.join(dir, 'ring'), { recursive: true });
    await fs.writeFile(path.join(dir, 'REFLECTION.md'), REFLECTION);
    execFileSync('mkfifo', [path.join(dir, 'ring', 'ring.ts')]);
    const r = await intake({ student: 'fifo', path: dir, kind: 'folder' }, wanted);
    expect(r.files).toEqual({ 'REFLECTION.md': REFLECTION });
    expect(r.notes).toEqual(['Skipped "ring/ring.ts": it is not a regular file (a device, a pipe or similar).']);
  });

  it('a submission path that is a file, or is missing, is refused whole', async () => {
    const file = path.join(tmp, 'plain-file.txt');
    await fs.writeFile(file, 'x');
    expect((await intake({ student: 'f', path: file, kind: 'folder' }, wanted)).fatal).toBe('The submission is not a folder.');
    expect((await intake({ student: 'm', path: path.join(tmp, 'missing-dir'), kind: 'folder' }, wanted)).fatal).toBe(
      'The submission folder could not be read.',
    );
  });
});
