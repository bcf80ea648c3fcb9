// A mistake the person running the grader can fix (a wrong path, an unknown exercise): the
// CLI prints its message on one line and exits 2, without a stack trace.
export class UserError extends Error {
  override name = 'UserError';
}
