// Registered names (erlang:register/2): one name per process, released when it ends.
import { ProcessEndedError, RegistryError } from '../errors.ts';
import type { Ref } from '../ref.ts';
import type { Engine } from './engine.ts';
import type { Proc } from './proc.ts';

export function register(k: Engine, proc: Proc, name: string): void {
  if (typeof name !== 'string' || name === '') throw new RegistryError('a registered name must be a non-empty string');
  if (proc.exited) throw new ProcessEndedError();
  const holder = k.registry.get(name);
  if (holder !== undefined && holder !== proc.pid) {
    throw new RegistryError(`the name "${name}" is already registered by ${k.label(k.procs.get(holder)!.ref)}`);
  }
  if (proc.nameTable !== undefined && proc.nameTable.size > 0 && !proc.nameTable.has(name)) {
    throw new RegistryError(`this process is already registered as "${[...proc.names][0]}" (one name per process)`);
  }
  k.registry.set(name, proc.pid);
  proc.names.add(name);
  if (!k.trace?.names.has(proc.pid)) k.trace?.label(proc.pid, name);
}

export function unregister(k: Engine, name: string): void {
  const pid = k.registry.get(name);
  if (pid === undefined) return;
  k.registry.delete(name);
  k.procs.get(pid)?.nameTable?.delete(name);
}

export function whereis(k: Engine, name: string): Ref | undefined {
  const pid = k.registry.get(name);
  return pid === undefined ? undefined : k.procs.get(pid)!.ref;
}

/** Releases every name of a process that ends. */
export function releaseNames(k: Engine, proc: Proc): void {
  if (proc.nameTable === undefined) return;
  for (const name of proc.nameTable) k.registry.delete(name);
  proc.nameTable = undefined;
}
