// The pack's package-lock.json, cut from the kit's: the pack's packages at exactly the kit's
// versions, and everything they need, at the places the kit's lock puts them. No registry is
// asked, so building a pack works offline and `npm ci` installs what the kit was tested with.
// Every platform's optional binaries (esbuild, rolldown) stay, so the lock works on any OS.

export interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  [field: string]: unknown;
}

export interface Lockfile {
  name: string;
  version: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockEntry>;
}

export interface RootPackage {
  readonly name: string;
  readonly version: string;
  readonly devDependencies: Readonly<Record<string, string>>;
  readonly engines?: Readonly<Record<string, string>>;
}

/** Where npm would find `name` when required from the package at `from` ('' for the root). */
function locate(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (base === '') return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}

export class LockError extends Error {
  override name = 'LockError';
}

export function pruneLock(kit: Lockfile, root: RootPackage): Lockfile {
  if (kit.lockfileVersion < 2) throw new LockError(`the kit's package-lock.json is version ${kit.lockfileVersion}; version 2 or 3 is needed`);
  const all = kit.packages;
  const kept = new Map<string, { required: boolean }>();
  type Edge = { from: string; name: string; required: boolean };
  const queue: Edge[] = Object.keys(root.devDependencies).map((name) => ({ from: '', name, required: true }));
  while (queue.length > 0) {
    const edge = queue.shift()!;
    const at = locate(all, edge.from, edge.name);
    if (at === undefined) {
      if (edge.required && edge.from === '') throw new LockError(`"${edge.name}" is not in the kit's package-lock.json`);
      continue; // an optional or peer dependency npm did not install for the kit either
    }
    const seen = kept.get(at);
    if (seen && (seen.required || !edge.required)) continue;
    kept.set(at, { required: edge.required || (seen?.required ?? false) });
    const entry = all[at]!;
    for (const name of Object.keys(entry.dependencies ?? {})) queue.push({ from: at, name, required: edge.required });
    for (const name of Object.keys(entry.optionalDependencies ?? {})) queue.push({ from: at, name, required: false });
    for (const name of Object.keys(entry.peerDependencies ?? {})) {
      if (entry.peerDependenciesMeta?.[name]?.optional) continue;
      queue.push({ from: at, name, required: edge.required });
    }
  }
  const packages: Record<string, LockEntry> = {
    '': {
      name: root.name,
      version: root.version,
      devDependencies: { ...root.devDependencies },
      ...(root.engines ? { engines: { ...root.engines } } : {}),
    },
  };
  for (const at of [...kept.keys()].sort()) {
    const { dev: _dev, optional: _optional, devOptional: _devOptional, peer: _peer, ...rest } = all[at]!;
    packages[at] = withFlags(rest, { dev: true, ...(kept.get(at)!.required ? {} : { optional: true }) });
  }
  return { name: root.name, version: root.version, lockfileVersion: kit.lockfileVersion, requires: true, packages };
}

const HEAD = ['version', 'resolved', 'integrity', 'link'];
const TAIL = new Set(['dependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'engines', 'funding', 'bundleDependencies']);

/**
 * The entry with its flags placed where npm writes them (after version/resolved/integrity, in
 * alphabetical order among the short fields such as cpu, license, os), so that `npm install`
 * in the pack leaves package-lock.json byte for byte as it is.
 */
function withFlags(entry: Record<string, unknown>, flags: Record<string, boolean>): LockEntry {
  const keys = Object.keys(entry);
  const head = keys.filter((k) => HEAD.includes(k));
  const rest = keys.filter((k) => !HEAD.includes(k));
  let cut = 0;
  while (cut < rest.length && !TAIL.has(rest[cut]!) && (cut === 0 || rest[cut - 1]! < rest[cut]!)) cut++;
  const short = [...rest.slice(0, cut), ...Object.keys(flags)].sort();
  const out: Record<string, unknown> = {};
  for (const k of [...head, ...short, ...rest.slice(cut)]) out[k] = k in flags ? flags[k] : entry[k];
  return out as LockEntry;
}
