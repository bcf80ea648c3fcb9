// Shared mutable objects whose reads and writes are logged (see memory.ts), so that a lost
// update can be named: which task read a field, which task wrote it meanwhile, and which
// write then overwrote that change. Only fields holding a number, string, boolean or null
// are logged; the object behaves as the plain object it wraps.
import { runningTask } from './memory.ts';

type Plain = number | string | boolean | null;

function plain(v: unknown): v is Plain {
  return v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
}

/**
 * Wraps `object` so that the running task's reads and writes of its fields are logged under
 * `name` ("acc-1"). Use the returned object everywhere instead of the original.
 */
export function shared<T extends object>(name: string, object: T): T {
  return new Proxy(object, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      const t = runningTask();
      if (t && typeof key === 'string' && plain(value) && Object.hasOwn(target, key)) {
        t.memory.record(t, { op: 'read', target: name, field: key, value });
      }
      return value;
    },
    set(target, key, value, receiver) {
      const ok = Reflect.set(target, key, value, receiver);
      const t = runningTask();
      if (t && typeof key === 'string' && plain(value)) t.memory.record(t, { op: 'write', target: name, field: key, value });
      return ok;
    },
  });
}
