// The node a sandboxed job runs: the grader's own, wherever it was installed. A system node
// lives under /usr; nvm, fnm and volta put it under a home folder, which a sandbox's uid often
// cannot enter (0700 or 0750 homes) and which bubblewrap does not bind. Then the binary is
// staged (hard-linked, or copied) into a private folder the job's uid can reach.
import { copyFileSync, linkSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { privateDir } from './private-dir.ts';

/** The real path of the running node (process.execPath may be a link, e.g. nvm's `current`). */
export function runningNode(): string {
  return realpathSync(process.execPath);
}

/** Whether `uid` can reach `path` (x on every ancestor) and read it (and run it, with `exec`). */
export function reachableBy(uid: number, path: string, exec = false): boolean {
  const parts = path.split('/').filter(Boolean);
  let cur = '';
  for (let i = 0; i <= parts.length; i++) {
    cur = i === 0 ? '/' : `${cur === '/' ? '' : cur}/${parts[i - 1]}`;
    let st;
    try {
      st = statSync(cur);
    } catch {
      return false;
    }
    const bits = uid === 0 ? 7 : st.uid === uid ? (st.mode >> 6) & 7 : st.mode & 7;
    const last = i === parts.length;
    const need = !last ? 1 : st.isDirectory() ? 5 : exec ? 5 : 4;
    if ((bits & need) !== need) return false;
  }
  return true;
}

let staged: string | undefined;

/** A node binary `uid` can run: the running one if it can reach it, else a private copy. */
export function nodeFor(uid: number): string {
  const node = runningNode();
  if (reachableBy(uid, node, true)) return node;
  if (staged === undefined) {
    const dir = privateDir('mp-node-', 0o711);
    const copy = join(dir, 'node');
    try {
      linkSync(node, copy); // same file system: instant, no space
    } catch {
      copyFileSync(node, copy);
    }
    staged = copy;
  }
  return staged;
}

/**
 * Shared libraries the running node has loaded from outside /usr (and /lib, /lib64, which
 * are /usr on merged systems): a node built against its own libraries needs them bound.
 */
export function libsOutsideUsr(): string[] {
  let maps = '';
  try {
    maps = readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return [];
  }
  const libs = new Set<string>();
  for (const line of maps.split('\n')) {
    const path = line.slice(line.indexOf('/'));
    if (!line.includes('/') || !/\.so(\.|$)/.test(path)) continue;
    let real;
    try {
      real = realpathSync(path);
    } catch {
      continue;
    }
    if (!/^\/(usr|lib|lib32|lib64|libx32)\//.test(real)) libs.add(real);
  }
  return [...libs];
}

/**
 * Node's permission-model flag in this version: `--permission` from Node 22.13 / 23.5 on;
 * before that (Node 20) `--experimental-permission`, which Node 24 rejects.
 */
export function permissionFlag(): string {
  return process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission';
}

let overhead: Promise<number> | undefined;

/**
 * Address space node reserves before running any code, as RLIMIT_DATA counts it: under 128 MiB
 * on Node 20, about 580 MiB on Node 24 and 26 (V8's code range). A job's data limit is its
 * memory budget plus this, or node could not even start. Probed once with `prlimit`.
 */
export function dataOverheadMB(prlimit: string | null): Promise<number> {
  return (overhead ??= (async () => {
    if (prlimit === null) return 0;
    const { execFile } = await import('node:child_process');
    const tries = [128, 256, 512, 768, 1024, 1536];
    for (const mb of tries) {
      const ok = await new Promise<boolean>((resolve) => {
        execFile(prlimit, [`--data=${mb * 1024 * 1024}`, '--', process.execPath, '-e', '0'], { timeout: 10_000, env: {} }, (err) => resolve(err === null));
      });
      if (ok) return mb;
    }
    return tries.at(-1)!;
  })());
}
