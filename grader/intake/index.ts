/**
 * Submission intake for the grader: find the submissions, read only the wanted
 * files from a folder, .zip or .tar.gz, refuse anything unsafe with a plain-English note, and
 * never let one bad submission stop a batch. See README.md for the rules.
 */
export type { IntakeLimits, IntakeResult, SubmissionKind, SubmissionSource, WantedFiles } from './types.ts';
export { defaultIntakeLimits } from './limits.ts';
export { discover, discoverDetailed, studentId, type DiscoverResult } from './discover.ts';
export { intake } from './intake.ts';
export { hashFiles } from './hash.ts';
export { writeWorkspace } from './workspace.ts';
