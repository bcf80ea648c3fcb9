/** The whole submission can't be used; `message` is plain English for the student's report. */
export class IntakeFatal extends Error {
  override readonly name = 'IntakeFatal';
}

/** One entry can't be used; `message` is the reason, phrased to follow "Skipped "x": ". */
export class EntryError extends Error {
  override readonly name = 'EntryError';
}
