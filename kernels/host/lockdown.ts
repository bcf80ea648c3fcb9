// What the kernel host does before the first line of student code loads, so that student
// code can neither forge what the tests read from the kernel nor reach outside its realm:
//  - the runtime's classes, prototypes and exported functions are frozen (the host builds
//    its replies with them: a patched Trace.prototype.toJSON would report events that never
//    happened). The JavaScript built-ins are frozen by node's --frozen-intrinsics, which the
//    kernel process is started with, and Buffer here;
//  - the routes from `process` to node's internals go: the module loader for built-ins
//    (getBuiltinModule, binding, dlopen) and the list of open handles (which holds the kernel
//    channel's socket). Code generation from strings is off (--disallow-code-generation-from-
//    strings), so `import()` cannot be written at run time, and the bundler refuses imports
//    of node's modules and non-literal imports (kernels/loader/bundle.ts).
// The channel's key lives in a closure of kernels/process/channel.ts, made before this runs.
import * as behaviorModule from '../../runtime/behavior.ts';
import * as contextModule from '../../runtime/context.ts';
import * as deliveryModule from '../../runtime/core/delivery.ts';
import * as engineModule from '../../runtime/core/engine.ts';
import * as envelopeModule from '../../runtime/core/envelope.ts';
import * as executionModule from '../../runtime/core/execution.ts';
import * as procModule from '../../runtime/core/proc.ts';
import * as processTimersModule from '../../runtime/core/process-timers.ts';
import * as registryModule from '../../runtime/core/registry.ts';
import * as signalsModule from '../../runtime/core/signals.ts';
import * as stashModule from '../../runtime/core/stash.ts';
import * as waitsModule from '../../runtime/core/waits.ts';
import * as errorsModule from '../../runtime/errors.ts';
import * as exitModule from '../../runtime/exit.ts';
import * as runtimeModule from '../../runtime/index.ts';
import * as kernelModule from '../../runtime/kernel.ts';
import * as messageModule from '../../runtime/message.ts';
import * as patternModule from '../../runtime/pattern.ts';
import * as prngModule from '../../runtime/prng.ts';
import * as processModule from '../../runtime/process.ts';
import * as queueModule from '../../runtime/queue.ts';
import * as refModule from '../../runtime/ref.ts';
import * as replyModule from '../../runtime/reply.ts';
import * as schedulerModule from '../../runtime/scheduler.ts';
import * as sequenceChartModule from '../../runtime/sequence-chart.ts';
import * as sharedAnalysisModule from '../../runtime/shared/analysis.ts';
import * as sharedAtomicModule from '../../runtime/shared/atomic.ts';
import * as sharedConditionModule from '../../runtime/shared/condition.ts';
import * as sharedIndexModule from '../../runtime/shared/index.ts';
import * as sharedMemoryModule from '../../runtime/shared/memory.ts';
import * as sharedMutexModule from '../../runtime/shared/mutex.ts';
import * as sharedRwlockModule from '../../runtime/shared/rwlock.ts';
import * as sharedObjectModule from '../../runtime/shared/shared-object.ts';
import * as statemModule from '../../runtime/statem.ts';
import * as supervisorModule from '../../runtime/supervisor.ts';
import * as systemModule from '../../runtime/system.ts';
import * as timersModule from '../../runtime/timers.ts';
import * as traceModule from '../../runtime/trace.ts';

/** Every module of the runtime: their exports, classes and prototypes are frozen. */
const RUNTIME_MODULES: readonly object[] = [
  behaviorModule,
  contextModule,
  deliveryModule,
  engineModule,
  envelopeModule,
  executionModule,
  procModule,
  processTimersModule,
  registryModule,
  signalsModule,
  stashModule,
  waitsModule,
  errorsModule,
  exitModule,
  runtimeModule,
  kernelModule,
  messageModule,
  patternModule,
  prngModule,
  queueModule,
  refModule,
  schedulerModule,
  sequenceChartModule,
  statemModule,
  supervisorModule,
  systemModule,
  timersModule,
  traceModule,
  replyModule,
  sharedAnalysisModule,
  sharedAtomicModule,
  sharedConditionModule,
  sharedIndexModule,
  sharedMemoryModule,
  sharedMutexModule,
  sharedRwlockModule,
  sharedObjectModule,
  processModule,
];

/** Properties of `process` that lead to node's internals or to the kernel's own channel. */
const PROCESS_ROUTES = [
  'getBuiltinModule',
  'binding',
  '_linkedBinding',
  'dlopen',
  '_getActiveHandles',
  '_getActiveRequests',
  'channel',
  '_channel',
  'send',
  '_send',
  'disconnect',
  'connected',
  'openStdin',
  'setUncaughtExceptionCaptureCallback',
] as const;

/** Freezes `value`, and, for functions, their prototype, the prototype chain and static members. */
function freezeDeep(value: unknown, seen: Set<unknown>): void {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) return;
  seen.add(value);
  // Never walk into the built-ins (--frozen-intrinsics owns them), nor into zod schemas the runtime
  // exports (zod defines their members lazily; they only check the student's own messages).
  if (value === Object.prototype || value === Function.prototype || Object.hasOwn(value, '_zod')) return;
  Object.freeze(value);
  for (const key of Reflect.ownKeys(value)) {
    const d = Object.getOwnPropertyDescriptor(value, key);
    if (d && 'value' in d) freezeDeep(d.value, seen);
    if (d?.get) freezeDeep(d.get, seen);
    if (d?.set) freezeDeep(d.set, seen);
  }
  freezeDeep(Object.getPrototypeOf(value), seen);
}

let done = false;

/** Idempotent: the first call locks the realm down. */
export function lockdown(): void {
  if (done) return;
  done = true;
  const seen = new Set<unknown>();
  for (const mod of RUNTIME_MODULES) {
    for (const key of Reflect.ownKeys(mod)) freezeDeep((mod as Record<PropertyKey, unknown>)[key], seen);
  }
  freezeDeep(Buffer, seen);
  const proc = process as unknown as Record<string, unknown>;
  for (const name of PROCESS_ROUTES) {
    try {
      Object.defineProperty(proc, name, { value: undefined, writable: false, configurable: false, enumerable: false });
    } catch {
      /* not there, or already fixed by node */
    }
  }
}
