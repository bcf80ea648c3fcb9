// The kit's npm packages, carried in the bundle so that `npm ci` on the grading host can run
// offline. npm finds a package tarball in its cache by content (the lock's `integrity`) when
// the lock also names where it came from (`resolved`): the bundle carries those tarballs in
// the layout of npm's cache (`_cacache/content-v2/<algo>/<hex…>`) and a lock with `resolved`
// filled in (the kit's own lock may leave it out: npm's omit-lockfile-registry-resolved).
// The tarballs are copied from the lecturer's npm cache, each checked against its integrity.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The part of a package-lock.json (v2/v3) this module reads. */
export interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

export interface Lock {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
  [key: string]: unknown;
}

/** Where the grading runs: Gradescope's and the image's machines are x86-64 Linux with glibc. */
export interface Platform {
  readonly os: string;
  readonly cpu: string;
  readonly libc: string;
}
export const GRADING_PLATFORM: Platform = { os: 'linux', cpu: 'x64', libc: 'glibc' };

export const REGISTRY = 'https://registry.npmjs.org';

/** A package's name from its lock path: `node_modules/a/node_modules/@s/b` → `@s/b`. */
export function packageName(path: string): string {
  return path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

/** npm's own rule for `os`, `cpu` and `libc` lists: `!x` excludes x; any plain entry means "only these". */
function allowed(list: readonly string[] | undefined, value: string): boolean {
  if (!list || list.length === 0) return true;
  if (list.includes(`!${value}`)) return false;
  const plain = list.filter((x) => !x.startsWith('!'));
  return plain.length === 0 || plain.includes(value);
}

export function fitsPlatform(e: LockEntry, p: Platform): boolean {
  return allowed(e.os, p.os) && allowed(e.cpu, p.cpu) && allowed(e.libc, p.libc);
}

/**
 * The lock paths `npm ci --omit=dev` installs on `platform`: everything reachable from the
 * root's dependencies (optional and peer ones too; grading needs no dev dependency), resolved as node
 * does (the nearest `node_modules/<name>` up the tree), skipping packages for other platforms
 * and what only they need.
 */
export function installedOn(lock: Lock, platform: Platform = GRADING_PLATFORM): string[] {
  const found = new Set<string>();
  const resolveFrom = (from: string, name: string): string | undefined => {
    let base = from;
    for (;;) {
      const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
      if (lock.packages[candidate]) return candidate;
      if (base === '') return undefined;
      const cut = base.lastIndexOf('/node_modules/');
      base = cut < 0 ? '' : base.slice(0, cut);
    }
  };
  const visit = (path: string) => {
    const e = lock.packages[path];
    if (!e) return;
    const deps = { ...e.dependencies, ...e.optionalDependencies, ...e.peerDependencies };
    for (const name of Object.keys(deps)) {
      const at = resolveFrom(path, name);
      if (at === undefined || found.has(at)) continue;
      const entry = lock.packages[at]!;
      if (entry.link || !fitsPlatform(entry, platform)) continue;
      found.add(at);
      visit(at);
    }
  };
  visit('');
  return [...found].sort();
}

/** The registry URL of a package's tarball, as npm writes it in `resolved`. */
export function tarballUrl(name: string, version: string): string {
  const base = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
  return `${REGISTRY}/${name}/-/${base}-${version}.tgz`;
}

/** The lock with `resolved` filled in for every registry package (what `npm ci --offline` needs to use the cache). */
export function withResolved(lock: Lock): Lock {
  const packages: Record<string, LockEntry> = {};
  for (const [path, e] of Object.entries(lock.packages)) {
    packages[path] = path === '' || e.link || e.resolved || !e.version || !e.integrity ? e : { ...e, resolved: tarballUrl(packageName(path), e.version) };
  }
  return { ...lock, packages };
}

/** Where npm's cache keeps the content whose integrity is `integrity` (the strongest hash it names). */
export function cachePath(integrity: string): string {
  const hashes = integrity
    .trim()
    .split(/\s+/)
    .map((h) => h.split('-'));
  const [algo, b64] = hashes.find(([a]) => a === 'sha512') ?? hashes[0]!;
  const hex = Buffer.from(b64!, 'base64').toString('hex');
  return join('content-v2', algo!, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
}

/** Whether `data` has the integrity the lock names (every hash given must match). */
export function matchesIntegrity(data: Buffer, integrity: string): boolean {
  return integrity
    .trim()
    .split(/\s+/)
    .every((h) => {
      const dash = h.indexOf('-');
      const algo = h.slice(0, dash);
      if (!['sha512', 'sha384', 'sha256', 'sha1'].includes(algo)) return false;
      return createHash(algo).update(data).digest('base64') === h.slice(dash + 1);
    });
}

/** The lecturer's npm cache folder (`npm config get cache`), with its `_cacache`. */
export function localCache(): string {
  try {
    const dir = execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (dir) return join(dir, '_cacache');
  } catch {
    /* npm not on PATH: its default */
  }
  return join(homedir(), '.npm', '_cacache');
}

export interface CarriedPackage {
  /** Path inside the bundle's cache folder (`_cacache/content-v2/…`). */
  readonly path: string;
  readonly data: Buffer;
}

export interface CacheContent {
  readonly files: CarriedPackage[];
  /** `name@version` of packages npm will install there that the lecturer's cache lacks. */
  readonly missing: string[];
}

/**
 * The tarballs of every package npm installs on the grading platform, read from the local npm
 * cache (and, with `fetch`, added to it first by `npm cache add` when missing), each checked
 * against the lock's integrity.
 */
export function carryPackages(lock: Lock, options: { cache?: string; fetch?: boolean; platform?: Platform } = {}): CacheContent {
  const cache = options.cache ?? localCache();
  const files: CarriedPackage[] = [];
  const missing: string[] = [];
  for (const path of installedOn(lock, options.platform)) {
    const e = lock.packages[path]!;
    const spec = `${packageName(path)}@${e.version}`;
    if (!e.integrity || !e.version) {
      missing.push(spec);
      continue;
    }
    const rel = cachePath(e.integrity);
    let data = read(join(cache, rel), e.integrity);
    if (!data && options.fetch) {
      try {
        execFileSync('npm', ['cache', 'add', spec, '--cache', join(cache, '..')], { stdio: 'ignore', timeout: 120_000 });
      } catch {
        /* no network: it stays missing, and setup.sh downloads it */
      }
      data = read(join(cache, rel), e.integrity);
    }
    if (data) files.push({ path: `_cacache/${rel.split('\\').join('/')}`, data });
    else missing.push(spec);
  }
  return { files, missing };
}

function read(file: string, integrity: string): Buffer | undefined {
  if (!existsSync(file)) return undefined;
  const data = readFileSync(file);
  return matchesIntegrity(data, integrity) ? data : undefined;
}
