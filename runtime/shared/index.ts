// Shared-memory concurrency on the deterministic scheduler: tasks, locks, conditions, atomic
// counters and logged shared objects, for lock-based exercises (exercises/bank-locks) and for
// comparing them with message passing. See runtime/README.md ("Shared memory and locks").
export {
  SharedMemory,
  SharedTask,
  type Task,
  LockError,
  runningTask,
  type SharedEvent,
  type SharedOp,
  type MemorySnapshot,
  type TaskContext,
  type TaskState,
  type Waiting,
  type Holdable,
} from './memory.ts';
export { Mutex } from './mutex.ts';
export { RwLock } from './rwlock.ts';
export { Condition } from './condition.ts';
export { AtomicCounter } from './atomic.ts';
export { shared } from './shared-object.ts';
export {
  findDeadlock,
  findLostUpdates,
  waitsForGraph,
  describeEvent,
  formatDeadlock,
  formatLostUpdate,
  type Deadlock,
  type DeadlockStep,
  type LostUpdate,
} from './analysis.ts';
