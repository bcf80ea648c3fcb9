// The test harness: import it as '#harness' in public and hidden tests.
export { Session, HarnessError, ProtocolError, NoReplyError, type Protocol, type SessionOptions, type TraceRecord } from './session.ts';
export { InProcessTransport, ProcessTransport, ThreadTransport, KernelFailure, type Transport, type SandboxInfo } from './transport.ts';
export { prepareBundle, type Prepared } from './bundle-file.ts';
export type { Fault, Delivered } from '../host/host.ts';
export { replayCommand, replayPowerShell } from './replay.ts';
export {
  exerciseTests,
  PropertyFailure,
  type PropertyContext,
  type PropertyOutcome,
  type RunPlan,
  type PlannedSubmission,
  type ExerciseTests,
} from './property.ts';
export {
  nameOf,
  testPids,
  isHarness,
  typeOf,
  sends,
  messagesOf,
  systemMessages,
  exits,
  reasonText,
  crashed,
  stillRunning,
  restarts,
  lastSeq,
  maxOverlap,
  overlaps,
  waitsFor,
  waitCycle,
  type TraceJson,
  type SendRecord,
  type Interval,
  type Wait,
} from './trace.ts';
