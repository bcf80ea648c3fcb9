// Folders the grader writes to or runs from are its own: made by mkdtemp, checked, never at a
// predictable path, and removed when the process ends, even by SIGKILL.
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { kernelChildScript } from '../process/build.ts';
import { assertPrivate, privateDir, removePrivateDir } from '../process/private-dir.ts';

const here = dirname(fileURLToPath(import.meta.url));
const tsx = join(here, '..', '..', 'node_modules', 'tsx', 'dist', 'loader.mjs');
const privateDirModule = join(here, '..', 'process', 'private-dir.ts');

describe('private folders', () => {
  it("are ours, closed to others, and refuse a link or someone else's folder in their place", () => {
    const dir = privateDir('mp-test-private-');
    const st = lstatSync(dir);
    expect(st.isDirectory()).toBe(true);
    expect(st.uid).toBe(process.getuid!());
    expect(st.mode & 0o777).toBe(0o700);
    const open = privateDir('mp-test-private-', 0o711);
    expect(lstatSync(open).mode & 0o777).toBe(0o711);
    const link = join(mkdtempSync(join(tmpdir(), 'mp-test-link-')), 'planted');
    symlinkSync(dir, link);
    expect(() => assertPrivate(link)).toThrow(/not a private folder/);
    removePrivateDir(dir);
    removePrivateDir(open);
    expect(existsSync(dir)).toBe(false);
    rmSync(dirname(link), { recursive: true, force: true });
  });

  it('the kernel program is built into one, at a path no one could have guessed or made first', async () => {
    const script = await kernelChildScript();
    const dir = dirname(script);
    expect(() => assertPrivate(dir)).not.toThrow();
    expect(dir).toMatch(/mp-kit-[A-Za-z0-9]{6}$/);
  });

  it('a process killed by SIGKILL still has its folders removed (by its janitor)', async () => {
    const code = `import { privateDir } from ${JSON.stringify(privateDirModule)}; console.log(privateDir('mp-test-crash-')); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    const dir = await new Promise<string>((resolve) => child.stdout!.once('data', (d) => resolve(String(d).trim())));
    expect(existsSync(dir)).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // No deadline but the test's: on a loaded machine the janitor may run late, never not at all.
    while (existsSync(dir)) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(dir)).toBe(false);
  }, 120_000);
});
