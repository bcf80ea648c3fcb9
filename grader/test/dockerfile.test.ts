// The Dockerfile cannot be built here (no container engine on the machine that runs these
// tests), so what can be checked without building it is checked: it pins the Node the kit
// pins, on Debian, installs the sandbox's tools, keeps the kit out of /usr, installs with
// npm ci from the lock, runs `grader`; its documented `docker run` is the README's; and its
// .dockerignore leaves out nothing that grading reads, so the image's kit version (the hash
// stamped on every result) is this checkout's.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listExercises } from '../../kernels/harness/manifest.ts';
import { kitFilesFor } from '../gradescope/bundle.ts';
import { NODE } from '../gradescope/pins.ts';
import { kitRoot } from '../kit.ts';

const dockerfile = readFileSync(join(kitRoot, 'Dockerfile'), 'utf8');
const instructions = dockerfile
  .split('\n')
  .filter((l) => l.trim() && !l.trim().startsWith('#'))
  .join('\n')
  .replace(/\\\n\s*/g, ' ');
const readme = readFileSync(join(kitRoot, 'README.md'), 'utf8');

/** .dockerignore's patterns: `name`, `dir/name`, `*` within a segment, `**` for any depth. */
function ignored(path: string): boolean {
  const patterns = readFileSync(join(kitRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  return patterns.some((p) => {
    const re = new RegExp(
      `^${p
        .split('/')
        .map((seg) => (seg === '**' ? '(?:.*/)?' : `${seg.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}/`))
        .join('')
        .replace(/\/$/, '')}(?:/.*)?$`,
    );
    return re.test(path);
  });
}

/** What kitVersion() hashes (grader/kit.ts): these must all be in the image. */
function hashedFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(ts|json|hbs|md)$/.test(name) && !/\/test\//.test(full)) out.push(relative(kitRoot, full));
    }
  };
  for (const d of ['runtime', 'kernels', 'exercises', 'grader', 'solutions']) walk(join(kitRoot, d));
  return out;
}

/** The `docker run` command of a text, as its flags (the lines of a shell command joined). */
function dockerRunFlags(text: string): string[] {
  const joined = text.replace(/\\\n[#\s]*/g, ' ');
  const run = /docker run ([^\n]*)/.exec(joined)?.[1] ?? '';
  return run.match(/--security-opt \S+/g) ?? [];
}

describe('the Dockerfile (not built here: no container engine)', () => {
  it('is Debian with the Node version the kit pins', () => {
    expect(instructions).toMatch(new RegExp(`^FROM node:${NODE.version.replace(/\./g, '\\.')}-bookworm-slim$`, 'm'));
  });

  it('installs bubblewrap and util-linux, keeps the kit outside /usr, installs from the lock with npm ci, and runs grader', () => {
    expect(instructions).toMatch(/apt-get install -y --no-install-recommends bubblewrap util-linux/);
    const workdirs = [...instructions.matchAll(/^WORKDIR (\S+)$/gm)].map((m) => m[1]!);
    expect(workdirs[0]).toBe('/kit');
    for (const w of workdirs) expect(w.startsWith('/usr')).toBe(false);
    expect(instructions.indexOf('COPY package.json package-lock.json ./')).toBeLessThan(instructions.indexOf('RUN npm ci'));
    expect(instructions).toMatch(/RUN npm ci --omit=dev/);
    expect(instructions).toMatch(/ln -s \/kit\/grader\/bin\.mjs \/usr\/local\/bin\/grader/);
    expect(instructions).toMatch(/^ENTRYPOINT \["grader"\]$/m);
    expect(readFileSync(join(kitRoot, 'grader', 'bin.mjs'), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    expect(statSync(join(kitRoot, 'grader', 'bin.mjs')).mode & 0o111).not.toBe(0);
  });

  it('closes the paths it names to their owner, and they exist', () => {
    const chmod = /chmod -R go-rwx ([^&]+)&&/.exec(instructions)![1]!.trim().split(/\s+/);
    expect(chmod).toEqual(['solutions', 'exercises/*/tests/hidden', 'exercises/*/mutants']);
    for (const id of listExercises()) expect(statSync(join(kitRoot, 'exercises', id, 'tests', 'hidden')).isDirectory()).toBe(true);
  });

  it('documents the same docker run flags as the README', () => {
    const flags = dockerRunFlags(dockerfile);
    expect(flags).toEqual(['--security-opt seccomp=unconfined', '--security-opt apparmor=unconfined', '--security-opt systempaths=unconfined']);
    const section = readme.slice(readme.indexOf('## Grading at scale'));
    expect(dockerRunFlags(section)).toEqual(flags);
    expect(section).toMatch(/not built/i);
  });

  it(".dockerignore leaves in everything grading reads, so the image stamps this checkout's kit version", () => {
    const needed = [...kitFilesFor(listExercises()), 'package-lock.json', ...hashedFiles()];
    expect(needed.filter(ignored)).toEqual([]);
    for (const out of ['node_modules', 'node_modules/vitest/package.json', '.git', 'reports', 'grader/test/grade.test.ts', 'kernels/test/sandbox.test.ts'])
      expect(ignored(out), out).toBe(true);
  });
});
