/**
 * Sandbox launcher for process kernels: child Node processes that run untrusted student code.
 *
 * Two levels, always reported, never silently weaker (see kernels/process/README.md):
 *
 *  - 'bwrap'    setpriv (distinct uid) → prlimit (resource limits) → bwrap (all namespaces, no
 *               network, read-only binds of /usr + the allowed paths, private size-capped /tmp,
 *               PID namespace) → node.
 *  - 'fallback' [setpriv] → [prlimit] → node with the permission model (fs reads limited to the
 *               allowed paths, no fs writes, no child processes, no workers, no addons), in its own
 *               process group; an in-process guard stops it from signalling other processes.
 *               The network is NOT blocked.
 *
 * The child gets Node's IPC channel (fd 3, `serialization: 'advanced'`: ArrayBuffers, Maps, …
 * cross) and separate stdout/stderr pipes of which at most `outputLimitBytes` are kept; the
 * rest is drained and dropped so a flood neither grows the parent's memory nor blocks the child.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, sep } from 'node:path';
import { constants as osConstants } from 'node:os';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { dataOverheadMB, libsOutsideUsr, nodeFor, permissionFlag, reachableBy } from './node-binary.ts';
import { jobProcesses, readStat, type ProcInfo } from './proc-table.ts';

const execFileAsync = promisify(execFile);

export type SandboxLevel = 'bwrap' | 'fallback';

export interface SandboxLimits {
  /** RLIMIT_DATA in MiB (heap + anonymous mmaps; NOT RLIMIT_AS, which breaks V8). Also V8's --max-old-space-size. */
  memoryMB: number;
  /** RLIMIT_CPU in seconds of CPU time (all threads). SIGXCPU at the limit, SIGKILL one second later. */
  cpuSeconds: number;
  /** RLIMIT_NPROC: processes + threads of the job's uid, machine-wide. Only enforced when the job runs under its own uid. */
  processes: number;
  /** RLIMIT_NOFILE: open file descriptors. */
  openFiles: number;
  /** RLIMIT_FSIZE in MiB: largest file the child may write (bwrap: also sizes /tmp at 4×). */
  fileSizeMB: number;
}

export const defaultLimits: SandboxLimits = Object.freeze({
  memoryMB: 1024,
  cpuSeconds: 15,
  processes: 64,
  openFiles: 256,
  fileSizeMB: 16,
});

export interface SandboxOptions {
  /** Absolute path of the JS entry the child runs with node (made readable automatically). */
  script: string;
  /** The node binary to run (default: the running one, staged where the job's uid can reach it; see node-binary.ts). */
  node?: string;
  /** Extra node flags, placed before the script. Loader hooks (`--import tsx`) need a worker thread: bwrap only. */
  nodeArgs?: string[];
  /** Arguments after the script (visible in the host's process table: handy as a marker). */
  args?: string[];
  /** Absolute paths the child may read (same absolute paths inside); everything else is invisible (bwrap) or unreadable (fallback). Must be readable by `uid`. */
  readOnly: string[];
  limits?: Partial<SandboxLimits>;
  /** Unprivileged uid (and gid) for this job; distinct per concurrent job. Default 65534. Ignored (and said so) when not root. */
  uid?: number;
  /** The ONLY environment the child sees. */
  env?: Record<string, string>;
  /** 'fallback' forces the weaker path (tests, hosts where bwrap misbehaves). Env KERNEL_SANDBOX=fallback does the same. */
  prefer?: 'auto' | 'fallback';
  /** Bytes of stdout and of stderr kept (each); the rest is drained and dropped. Default 64 KiB. */
  outputLimitBytes?: number;
  /**
   * What fd 3 of the child is: Node's IPC channel (`child.send`, `process.send`), or a plain
   * socket pair (`child.stdio[3]`) for a protocol of the caller's own, such as the kernel's
   * framed and authenticated one (kernels/process/channel.ts). Default 'node-ipc'.
   */
  channel?: 'node-ipc' | 'pipe';
}

/** Bounded capture of one output stream of the child. */
export interface CapturedOutput {
  /** The first `limit` bytes, decoded as UTF-8. */
  text(): string;
  /** All bytes seen so far, kept or dropped. */
  readonly totalBytes: number;
  /** True once anything had to be dropped. */
  readonly truncated: boolean;
}

export interface SandboxExit {
  /** Exit code of the sandboxed node, or null when it died from a signal. */
  code: number | null;
  /** Signal that ended it. Under bwrap this is decoded from bwrap's exit status 128+n (a student `process.exit(137)` reads as SIGKILL). */
  signal: NodeJS.Signals | null;
}

export interface SandboxedChild {
  /**
   * The spawned process (a plain `node:child_process` ChildProcess, not an execa promise): use
   * `child.send(msg)` / `child.on('message', …)` for the IPC channel. Its pid is the outermost
   * wrapper (bwrap, or node itself in the fallback), not the student's node. Do not read
   * `child.stdout`/`child.stderr` yourself; use `stdout`/`stderr` below.
   */
  child: ChildProcess;
  level: SandboxLevel;
  /** False only at the fallback level where no network namespace could be made. */
  networkClosed: boolean;
  /** One human-readable line: the level and exactly what it does and does not guarantee. */
  description: string;
  stdout: CapturedOutput;
  stderr: CapturedOutput;
  /** Resolves when the child has exited and its output is drained (never rejects). */
  exited: Promise<SandboxExit>;
  /** Kills the whole process tree; resolves when no process of the job remains (rejects if one survives 5 s). */
  kill(): Promise<void>;
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Host detection
// ─────────────────────────────────────────────────────────────────────────────────────────────

interface Tools {
  bwrap: string | null;
  setpriv: string | null;
  prlimit: string | null;
  unshare: string | null;
}

function which(name: string): string | null {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const d of [...dirs, '/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin']) {
    const p = join(d, name);
    try {
      accessSync(p, fsConstants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

let toolsCache: Tools | undefined;
function tools(): Tools {
  if (process.platform !== 'linux') return (toolsCache ??= { bwrap: null, setpriv: null, prlimit: null, unshare: null });
  return (toolsCache ??= { bwrap: which('bwrap'), setpriv: which('setpriv'), prlimit: which('prlimit'), unshare: which('unshare') });
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

let detection: Promise<{ level: SandboxLevel; reason: string }> | undefined;

/**
 * Which level `spawnSandboxed` gives with `prefer: 'auto'` on this host, and why. Cached.
 * bwrap counts only if a probe (node under the full wrapper chain, uid 65534) actually runs.
 */
export function detectSandbox(): Promise<{ level: SandboxLevel; reason: string }> {
  return (detection ??= probe());
}

async function probe(): Promise<{ level: SandboxLevel; reason: string }> {
  const t = tools();
  if (process.platform !== 'linux') return { level: 'fallback', reason: `bwrap needs Linux (platform is ${process.platform})` };
  if (process.env.KERNEL_SANDBOX === 'fallback') return { level: 'fallback', reason: 'forced by KERNEL_SANDBOX=fallback' };
  if (!t.bwrap) return { level: 'fallback', reason: 'bwrap not installed' };
  let version = 'bwrap';
  try {
    version = (await execFileAsync(t.bwrap, ['--version'], { encoding: 'utf8', timeout: 5000 })).stdout.trim() || version;
  } catch {
    /* keep the generic name */
  }
  // Run a trivial node under exactly the chain a job gets, so "works" means "works for jobs".
  try {
    const plan = planBwrap({ script: '', readOnly: [], uid: 65534 }, resolveLimits(undefined, await dataOverheadMB(t.prlimit)), t, ['-e', 'process.exit(0)']);
    await execFileAsync(plan.file, plan.args, { encoding: 'utf8', timeout: 10_000, env: {}, cwd: '/' });
    return { level: 'bwrap', reason: `${version} works (probe ran node inside it)` };
  } catch (e) {
    // Say what failed in a few words: the first line bwrap (or a wrapper) printed, else how it ended.
    const err = e as { stderr?: string; code?: number | string; signal?: string; killed?: boolean };
    const said = String(err.stderr ?? '')
      .trim()
      .split('\n')[0];
    const how = err.killed ? 'it did not finish within 10 s' : err.signal ? `it ended with ${err.signal}` : `it exited with code ${err.code}`;
    return { level: 'fallback', reason: `${version} installed but unusable here: a probe of node inside it failed (${said || how})` };
  }
}

let netnsDetection: Promise<string[] | null> | undefined;

/**
 * The prefix that gives a fallback job a network namespace of its own (no interfaces but a
 * loopback that is down), or null where none can be made: `unshare --net` as root, with a user
 * namespace otherwise. Probed once: "works" means a node started under it.
 */
export function fallbackNetworkPrefix(): Promise<string[] | null> {
  return (netnsDetection ??= (async () => {
    const t = tools();
    if (!t.unshare || process.env.KERNEL_SANDBOX_NETWORK === 'open') return null;
    const prefix = isRoot() ? [t.unshare, '--net', '--'] : [t.unshare, '--user', '--map-current-user', '--net', '--'];
    try {
      await execFileAsync(prefix[0]!, [...prefix.slice(1), process.execPath, '-e', '0'], { timeout: 10_000, env: {} });
      return prefix;
    } catch {
      return null;
    }
  })());
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Command construction
// ─────────────────────────────────────────────────────────────────────────────────────────────

/** The limits plus what node itself needs before it runs a line (see dataOverheadMB). */
interface ResolvedLimits extends SandboxLimits {
  readonly dataOverheadMB: number;
}

function resolveLimits(partial: Partial<SandboxLimits> | undefined, dataOverhead = 0): ResolvedLimits {
  const l = { ...defaultLimits, ...partial };
  for (const [k, v] of Object.entries(l)) {
    if (!Number.isFinite(v) || v <= 0) throw new Error(`sandbox: limit ${k} must be a positive number, got ${v}`);
  }
  return { ...l, dataOverheadMB: dataOverhead };
}

const MiB = 1024 * 1024;

interface Identity {
  /** setpriv prefix (may be empty). */
  prefix: string[];
  /** uid the child runs as. */
  uid: number;
  /** True when the child has a uid of its own (so RLIMIT_NPROC is meaningful and signals to the grader are impossible). */
  ownUid: boolean;
  note: string;
}

function identity(requested: number, t: Tools, pdeathsig: boolean): Identity {
  if (!Number.isInteger(requested) || requested < 0 || requested > 0xfffffffe) throw new Error(`sandbox: bad uid ${requested}`);
  const me = typeof process.getuid === 'function' ? process.getuid() : -1;
  const death = pdeathsig && t.setpriv ? ['--pdeathsig', 'SIGKILL'] : [];
  if (requested === me) {
    return { prefix: death.length ? [t.setpriv!, ...death] : [], uid: me, ownUid: false, note: `same uid as grader (${me})` };
  }
  if (isRoot() && t.setpriv) {
    return {
      prefix: [t.setpriv, `--reuid=${requested}`, `--regid=${requested}`, '--clear-groups', ...death],
      uid: requested,
      ownUid: true,
      note: 'a uid of its own',
    };
  }
  const why = isRoot() ? 'setpriv missing' : 'grader is not root';
  return {
    prefix: death.length ? [t.setpriv!, ...death] : [],
    uid: me,
    ownUid: false,
    note: `same uid as grader (${me}; uid ${requested} not applied: ${why})`,
  };
}

/**
 * prlimit prefix. CPU: the fallback gets SIGXCPU at the limit (SIGKILL one second later); under
 * bwrap node is PID 1 of its namespace, which ignores SIGXCPU, so soft = hard: SIGKILL at the limit.
 */
function prlimitArgs(l: ResolvedLimits, t: Tools, withNproc: boolean, xcpu: boolean): string[] {
  if (!t.prlimit) return [];
  const cpu = Math.ceil(l.cpuSeconds);
  return [
    t.prlimit,
    `--data=${Math.floor((l.memoryMB + l.dataOverheadMB) * MiB)}`,
    `--cpu=${cpu}:${xcpu ? cpu + 1 : cpu}`,
    `--nofile=${Math.floor(l.openFiles)}`,
    `--fsize=${Math.floor(l.fileSizeMB * MiB)}`,
    '--core=0',
    ...(withNproc ? [`--nproc=${Math.floor(l.processes)}`] : []),
    '--',
  ];
}

function limitsText(l: SandboxLimits, t: Tools, nproc: boolean): string {
  if (!t.prlimit) return `NO OS resource limits (prlimit missing; V8 heap capped at ${l.memoryMB} MB, CPU only by kill())`;
  return (
    `limits: ${l.memoryMB} MB, ${l.cpuSeconds} s CPU, ` +
    (nproc ? `${l.processes} processes` : 'processes NOT limited (no own uid)') +
    `, ${l.openFiles} files, ${l.fileSizeMB} MB files`
  );
}

function checkAbsolute(p: string, what: string): void {
  if (!isAbsolute(p)) throw new Error(`sandbox: ${what} must be an absolute path: ${p}`);
  if (p.includes('\0') || p.includes(',')) throw new Error(`sandbox: ${what} may not contain NUL or ',': ${p}`);
}

/** Paths to expose (given and real, deduplicated), parents before children. */
function exposedPaths(readOnly: string[], script: string): string[] {
  const out = new Set<string>();
  for (const p of [...readOnly, ...(script ? [script] : [])]) {
    checkAbsolute(p, 'readOnly path');
    if (!existsSync(p)) throw new Error(`sandbox: readOnly path does not exist: ${p}`);
    out.add(p.length > 1 && p.endsWith(sep) ? p.slice(0, -1) : p);
    out.add(realpathSync(p));
  }
  const kept: string[] = [];
  for (const p of [...out].sort((a, b) => a.length - b.length)) if (!covered(p, kept)) kept.push(p);
  return kept;
}

/**
 * Fail early, with a clear message, when the job's uid could not read an allowed path (mkdtemp makes
 * 0700 folders; the child would otherwise die with a bare EACCES). Checks the path and its ancestors,
 * not the contents of folders.
 */
function assertReadableBy(uid: number, paths: string[]): void {
  for (const p of paths) {
    if (!reachableBy(uid, p)) {
      throw new Error(
        `sandbox: uid ${uid} cannot read ${p} (or enter a folder above it), needed as a readOnly path; ` +
          `give that uid access (a folder of its own, or world-readable: mkdtemp creates 0700 folders)`,
      );
    }
  }
}

/** The nearest package.json above each path that is not already exposed. */
function packageScopes(paths: string[]): string[] {
  const found = new Set<string>();
  for (const p of paths) {
    for (let dir = dirname(p); ; dir = dirname(dir)) {
      const candidate = join(dir, 'package.json');
      if (existsSync(candidate)) {
        if (!covered(candidate, paths)) found.add(candidate);
        break;
      }
      if (dir === dirname(dir)) break;
    }
  }
  return [...found];
}

const covered = (p: string, roots: string[]): boolean => roots.some((r) => p === r || p.startsWith(r.endsWith('/') ? r : r + '/'));

interface Plan {
  file: string;
  args: string[];
  describe: string;
}

function nodeFlags(l: SandboxLimits): string[] {
  return [`--max-old-space-size=${Math.max(16, Math.floor(l.memoryMB))}`];
}

function planBwrap(
  o: { script: string; readOnly: string[]; uid: number; env?: Record<string, string>; nodeArgs?: string[]; channel?: 'node-ipc' | 'pipe'; node?: string },
  l: ResolvedLimits,
  t: Tools,
  tail: string[],
): Plan {
  const id = identity(o.uid, t, false); // bwrap --die-with-parent does the parent-death part
  const node = o.node ?? nodeFor(id.uid);
  const paths = exposedPaths(o.readOnly, o.script);
  if (id.ownUid) assertReadableBy(id.uid, paths);
  const a: string[] = [
    '--unshare-all',
    '--unshare-user',
    '--disable-userns',
    // node is PID 1 of the namespace and bwrap's direct child: bwrap reaps it only after the kernel
    // has killed and reaped everything else in the namespace, so "bwrap exited" means "all gone".
    // (With bwrap's own init, bwrap exits as soon as init reports, while init is still dying.)
    '--as-pid-1',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--hostname',
    'kernel',
    '--clearenv',
    ...(o.channel === 'pipe' ? [] : ['--setenv', 'NODE_CHANNEL_FD', '3', '--setenv', 'NODE_CHANNEL_SERIALIZATION_MODE', 'advanced']),
  ];
  for (const [k, v] of Object.entries(o.env ?? {})) {
    if (!k || k.includes('=') || k.includes('\0') || v.includes('\0')) throw new Error(`sandbox: bad env entry ${k}`);
    if (k.startsWith('NODE_CHANNEL_')) continue;
    a.push('--setenv', k, v);
  }
  a.push('--ro-bind', '/usr', '/usr');
  // Merged-/usr hosts have /lib → usr/lib etc.; others need the directories themselves.
  for (const top of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    let st;
    try {
      st = lstatSync(top);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) a.push('--symlink', readlinkSync(top), top);
    else if (st.isDirectory()) a.push('--ro-bind', top, top);
  }
  // The dynamic loader finds libraries faster with its cache; nothing else from /etc is needed.
  if (existsSync('/etc/ld.so.cache')) a.push('--ro-bind', '/etc/ld.so.cache', '/etc/ld.so.cache');
  // node decides whether a .js file is ESM from the nearest package.json, which often sits above the
  // allowed folders (the fallback's permission model lets node read it anyway): bind those files too.
  const scopes = packageScopes(paths);
  // /tmp first, so allowed paths under /tmp are bound on top of it, not hidden by it.
  a.push('--size', String(Math.floor(4 * l.fileSizeMB * MiB)), '--perms', '1777', '--tmpfs', '/tmp');
  // A node outside /usr (nvm, fnm, volta: staged where the uid can reach it) and the libraries it
  // loaded from outside /usr are bound read-only at the same paths.
  if (!covered(node, ['/usr', '/bin', '/sbin', '/lib', '/lib64'])) a.push('--ro-bind', node, node);
  for (const lib of libsOutsideUsr()) if (reachableBy(id.uid, lib)) a.push('--ro-bind', lib, lib);
  for (const p of paths) a.push('--ro-bind', p, p);
  for (const p of scopes) a.push('--ro-bind', p, p);
  a.push('--proc', '/proc', '--dev', '/dev');
  // The root and /dev are bwrap tmpfs owned by the sandbox user: make them read-only so they cannot
  // be filled (tmpfs is RAM); /tmp is the only writable place, and it is size-capped.
  a.push('--remount-ro', '/dev', '--remount-ro', '/');
  a.push('--chdir', o.script ? dirname(o.script) : '/');
  const withNproc = id.ownUid;
  const chain = [...id.prefix, ...prlimitArgs(l, t, withNproc, false), t.bwrap!, ...a, '--', node, ...nodeFlags(l), ...(o.nodeArgs ?? []), ...tail];
  const rootNote = id.ownUid ? '' : isRoot() ? ' (root outside the user namespace!)' : '';
  return {
    file: chain[0]!,
    args: chain.slice(1),
    describe:
      `bwrap: ${id.note}${rootNote}, no network, read-only /usr + ${paths.length} allowed path(s), ` +
      `private /tmp (${4 * l.fileSizeMB} MB), PID namespace, no capabilities, ${limitsText(l, t, withNproc)}`,
  };
}

/**
 * Preloaded in the fallback (as a data: URL, so it needs no file): process.kill may only signal the
 * process itself. process.kill calls process._kill; we replace that with a bound wrapper that cannot
 * be redefined. process.binding is blocked by the permission model, so the raw binding is out of reach.
 * (No 'disconnect' listener here: it would ref the IPC channel and keep every child alive.)
 */
const GUARD_SOURCE =
  'const k=process._kill.bind(process),me=process.pid;' +
  "Object.defineProperty(process,'_kill',{value:function _kill(p,s){return p===me?k(p,s):-1}," +
  'writable:false,configurable:false,enumerable:false});';
const GUARD_URL = 'data:text/javascript,' + encodeURIComponent(GUARD_SOURCE);

function planFallback(
  o: { script: string; readOnly: string[]; uid: number; nodeArgs?: string[]; node?: string },
  l: ResolvedLimits,
  t: Tools,
  tail: string[],
  reason: string,
  netns: string[] | null,
): Plan {
  const id = identity(o.uid, t, true);
  const node = o.node ?? nodeFor(id.uid);
  const paths = exposedPaths(o.readOnly, o.script);
  if (id.ownUid) assertReadableBy(id.uid, paths);
  const withNproc = id.ownUid; // irrelevant for spawning (child_process is off) but caps threads
  const flags = [
    permissionFlag(),
    '--disable-warning=ExperimentalWarning',
    ...paths.map((p) => `--allow-fs-read=${p}`),
    '--import',
    GUARD_URL,
    ...nodeFlags(l),
  ];
  const chain = [...(netns ?? []), ...id.prefix, ...prlimitArgs(l, t, withNproc, true), node, ...flags, ...(o.nodeArgs ?? []), ...tail];
  const signals = id.ownUid ? 'cannot signal grader processes (own uid + in-process guard)' : 'signals to other processes blocked in-process only';
  const network = netns ? 'no network (own network namespace)' : 'network NOT blocked';
  return {
    file: chain[0]!,
    args: chain.slice(1),
    describe:
      `fallback (${reason}): ${network}, no other namespaces (host filesystem, PIDs and IPC visible), ` +
      `${id.note}, ${signals}, node permission model: fs reads limited to ${paths.length} path(s), ` +
      `no fs writes, no child processes, no workers, no addons; own process group killed as a whole, ` +
      `${limitsText(l, t, withNproc)}`,
  };
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Output capture
// ─────────────────────────────────────────────────────────────────────────────────────────────

class BoundedCapture implements CapturedOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  totalBytes = 0;
  constructor(
    stream: Readable | null,
    private readonly limit: number,
  ) {
    // Flowing mode forever: the child never blocks on a full pipe, and we keep at most `limit` bytes.
    stream?.on('data', (b: Buffer) => {
      this.totalBytes += b.length;
      if (this.kept < this.limit) {
        const take = Math.min(b.length, this.limit - this.kept);
        this.chunks.push(Buffer.from(b.subarray(0, take))); // copy: never pin a large pooled chunk
        this.kept += take;
      }
    });
    stream?.on('error', () => {});
  }
  get truncated(): boolean {
    return this.totalBytes > this.kept;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Process table (Linux /proc) for kill(): find everything the job started
// ─────────────────────────────────────────────────────────────────────────────────────────────

const stillThere = (p: ProcInfo): boolean => {
  const now = readStat(p.pid);
  return now !== null && now.start === p.start;
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function signalQuietly(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone already */
  }
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// spawnSandboxed
// ─────────────────────────────────────────────────────────────────────────────────────────────

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(Object.entries(osConstants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

export async function spawnSandboxed(opts: SandboxOptions): Promise<SandboxedChild> {
  checkAbsolute(opts.script, 'script');
  if (!existsSync(opts.script)) throw new Error(`sandbox: script does not exist: ${opts.script}`);
  const t = tools();
  const limits = resolveLimits(opts.limits, await dataOverheadMB(t.prlimit));
  const detected = await detectSandbox();
  const forced = opts.prefer === 'fallback';
  const level: SandboxLevel = forced ? 'fallback' : detected.level;
  const uid = opts.uid ?? 65534;
  const tail = [opts.script, ...(opts.args ?? [])];
  const netns = level === 'fallback' ? await fallbackNetworkPrefix() : null;
  const plan =
    level === 'bwrap'
      ? planBwrap(
          { script: opts.script, readOnly: opts.readOnly, uid, env: opts.env, nodeArgs: opts.nodeArgs, channel: opts.channel, node: opts.node },
          limits,
          t,
          tail,
        )
      : planFallback(
          { script: opts.script, readOnly: opts.readOnly, uid, nodeArgs: opts.nodeArgs, node: opts.node },
          limits,
          t,
          tail,
          forced ? "forced by prefer: 'fallback'" : detected.reason,
          netns,
        );

  const child = spawn(plan.file, plan.args, {
    // fd 3 is the channel: Node's IPC (bwrap re-creates NODE_CHANNEL_FD=3 after --clearenv) or a
    // plain socket pair for the caller's own protocol.
    stdio: ['ignore', 'pipe', 'pipe', opts.channel === 'pipe' ? 'pipe' : 'ipc'],
    serialization: 'advanced',
    // bwrap: the wrappers see nothing (bwrap --clearenv, then --setenv). fallback: exactly opts.env
    // (node adds NODE_CHANNEL_FD / NODE_CHANNEL_SERIALIZATION_MODE and the child removes them).
    env: level === 'bwrap' ? {} : { ...(opts.env ?? {}) },
    cwd: dirname(opts.script),
    // Own process group (and session): kill(-pid) reaches the whole fallback job; a terminal's ^C
    // does not reach the sandbox behind the grader's back.
    detached: true,
  });

  // Resolve on 'close' (stdio drained, so stdout/stderr captures are complete), but no later than
  // one second after 'exit' in case something still held a pipe open.
  const exited = new Promise<SandboxExit>((resolve) => {
    let info: SandboxExit | undefined;
    const done = (): void => resolve(info ?? { code: child.exitCode, signal: child.signalCode });
    child.once('exit', (code, signal) => {
      if (level === 'bwrap' && signal === null && code !== null && code > 128 && SIGNAL_NAMES.has(code - 128)) {
        info = { code: null, signal: SIGNAL_NAMES.get(code - 128)! };
      } else info = { code, signal };
      setTimeout(done, 1000).unref();
    });
    child.once('close', done);
    child.once('error', () => resolve({ code: null, signal: null }));
  });

  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (e) => reject(new Error(`sandbox: could not start ${plan.file}: ${e.message}`)));
  });

  const outputLimit = opts.outputLimitBytes ?? 64 * 1024;
  const stdout = new BoundedCapture(child.stdout, outputLimit);
  const stderr = new BoundedCapture(child.stderr, outputLimit);
  // A dead child must never crash the grader through an EPIPE on the IPC channel.
  child.on('error', () => {});

  const rootPid = child.pid!;
  let killing: Promise<void> | undefined;
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;

  const kill = (): Promise<void> =>
    (killing ??= (async () => {
      // Once our child has exited and been reaped its pid may be reused: do not signal by pid then.
      // (bwrap exits only after its PID namespace is gone; the fallback cannot start processes.)
      if (hasExited()) return;
      const pgrp = level === 'fallback' ? rootPid : null;
      // Until our child is reaped its pid cannot be reused, so rescanning its tree is safe. Repeat
      // for a moment: a kill() right after spawn may come before bwrap has forked node.
      const seen = new Map<number, ProcInfo>();
      const snapshot = (): void => {
        for (const p of jobProcesses(rootPid, pgrp)) if (!seen.has(p.pid)) seen.set(p.pid, p);
      };
      const softDeadline = Date.now() + 1000;
      while (!hasExited() && Date.now() < softDeadline) {
        snapshot();
        if (level === 'bwrap') {
          // SIGKILL node, PID 1 of the namespace: the kernel kills and reaps everything else in it,
          // then bwrap reaps node and exits. Nothing is orphaned, nothing is left as a zombie.
          for (const p of seen.values()) if (p.ppid === rootPid) signalQuietly(p.pid, 'SIGKILL');
        } else {
          signalQuietly(-rootPid, 'SIGKILL'); // the fallback's process group: node and anything in it
        }
        await Promise.race([exited, sleep(25)]);
      }
      if (!hasExited()) {
        snapshot();
        signalQuietly(-rootPid, 'SIGKILL');
        signalQuietly(rootPid, 'SIGKILL');
      }
      await Promise.race([exited, sleep(5000)]);
      const before = [...seen.values()];
      // Verify: every process seen above is gone (same pid AND start time; zombies hold nothing).
      // Only the snapshot is used from here on: after our child is reaped its pid may be reused.
      const deadline = Date.now() + 5000;
      for (;;) {
        const alive = before.filter((p) => stillThere(p) && readStat(p.pid)?.state !== 'Z');
        if (alive.length === 0 && hasExited()) return;
        if (Date.now() > deadline) {
          throw new Error(`sandbox: processes survived kill(): ${alive.map((p) => p.pid).join(', ') || `child ${rootPid} not reaped`}`);
        }
        for (const p of alive) signalQuietly(p.pid, 'SIGKILL');
        await sleep(20);
      }
    })());

  return { child, level, networkClosed: level === 'bwrap' || netns !== null, description: plan.describe, stdout, stderr, exited, kill };
}
