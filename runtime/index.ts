// The runtime students program against. Import it as '#runtime'.
export { createSystem, type System, type SystemOptions } from './system.ts';
export { behavior, setup, stop, type Behavior, type BehaviorOptions, type Next, type Stop } from './behavior.ts';
export type {
  Body,
  Context,
  SpawnOptions,
  StartOptions,
  ReceiveOptions,
  AskOptions,
  TimerRef,
  TimeoutMessage,
  SystemMessage,
  Clause,
  Timers,
} from './context.ts';
export { refOf, RefSchema, isRef, sameProcess, formatRef, type Ref } from './ref.ts';
export type { ReplyRef, ReplyOf, AskReply } from './reply.ts';
export {
  isNormalExit,
  formatReason,
  type ExitReason,
  type ExitMessage,
  type DownMessage,
  type MonitorRef,
  type ErrorInfo,
} from './exit.ts';
export {
  MessageError,
  NoSuchNameError,
  NoProcError,
  AskTimeoutError,
  AskTargetExitedError,
  StartError,
  RegistryError,
  StashOverflowError,
  ProcessEndedError,
} from './errors.ts';
export type { SendOptions } from './message.ts';
export type { Pattern, Matched, SchemaLike } from './pattern.ts';
export { Trace, chartLines, describeMessage, isElided, type TraceEvent, type ChartEntry, type ElidedMessage } from './trace.ts';
export type { RunReport, RunOptions, Mode } from './scheduler.ts';
export type { DeadLetter, ProcessInfo } from './kernel.ts';
export {
  supervisor,
  whichChildren,
  countChildren,
  startChild,
  terminateChild,
  restartChild,
  deleteChild,
  type ChildSpec,
  type ChildType,
  type ChildCounts,
  type SupervisorOptions,
  type Strategy,
  type Restart,
  type ChildInfo,
  type SupervisorReport,
  type SupervisorMessage,
} from './supervisor.ts';
export {
  stateMachine,
  nextState,
  keepState,
  postpone,
  type StateMachineSpec,
  type StateSpec,
  type StateTimeout,
  type Transition,
  type Actions,
  type NextState,
  type KeepState,
  type Postpone,
} from './statem.ts';
export * from './shared/index.ts';
