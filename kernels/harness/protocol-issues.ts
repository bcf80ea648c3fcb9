// Why a message does not follow the protocol, in the student's words: which message type,
// which field, what was expected and what came — not zod's "Invalid input". A protocol is a
// union of message types told apart by `type`: the message's own type picks the branch whose
// complaints matter; a type the protocol does not have is said as such, with the ones it has.

/** A zod issue, as much of it as is read here (zod 4). */
export interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code?: string;
  readonly expected?: string;
  readonly values?: readonly unknown[];
  /** invalid_union: the issues of each branch. */
  readonly errors?: readonly (readonly Issue[])[];
  /** invalid_union of a discriminated union whose discriminator matched no option. */
  readonly discriminator?: string;
  readonly options?: readonly unknown[];
  readonly note?: string;
}

/** At most this many complaints are listed. */
const MAX = 3;

/** One plain sentence per problem, most telling first: `field "id": expected a number, got "7" (a string)`. */
export function describeIssues(issues: readonly Issue[], msg: unknown): string[] {
  return issues.flatMap((i) => describe(i, msg, [])).slice(0, MAX);
}

/** The message type a value announces (its `type` field), if any. */
export function messageType(msg: unknown): string | undefined {
  const t = typeof msg === 'object' && msg !== null ? (msg as { type?: unknown }).type : undefined;
  return typeof t === 'string' ? t : undefined;
}

function describe(issue: Issue, msg: unknown, prefix: readonly PropertyKey[]): string[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.discriminator !== undefined && (issue.errors ?? []).every((b) => b.length === 0)) {
    // zod puts the discriminator on the path: the message is its parent.
    const owner = path[path.length - 1] === issue.discriminator ? path.slice(0, -1) : path;
    return [unknownType(owner, msg, (issue.options ?? []).map(String))];
  }
  if (issue.code === 'invalid_union' && issue.errors && issue.errors.length > 0) {
    // The branches that agree with the message on its type are the ones it meant to be.
    const meant = issue.errors.filter((branch) => !branch.some(isTypeMismatch));
    if (meant.length > 0) {
      // The branch with the fewest complaints says best what is wrong.
      const best = [...meant].sort((a, b) => a.length - b.length)[0]!;
      return best.flatMap((i) => describe(i, msg, path));
    }
    const types = issue.errors.flatMap((branch) => branch.flatMap((i) => typeValues(i)));
    if (types.length > 0 && at(msg, path) !== null && typeof at(msg, path) === 'object') return [unknownType(path, msg, types)];
  }
  return [leaf(issue, msg, path)];
}

/** An issue saying the branch is for another message type. */
function isTypeMismatch(issue: Issue): boolean {
  return typeValues(issue).length > 0;
}

function typeValues(issue: Issue): string[] {
  if (issue.path.length !== 1 || issue.path[0] !== 'type') return [];
  if (issue.code === 'invalid_value') return (issue.values ?? []).map(String);
  if (issue.code === 'invalid_union' && issue.discriminator !== undefined) return (issue.options ?? []).map(String);
  return [];
}

function unknownType(path: readonly PropertyKey[], msg: unknown, types: readonly string[]): string {
  const where = path.length > 0 ? `field "${path.map(String).join('.')}": ` : '';
  const value = at(msg, path);
  const t = messageType(value);
  const expected = [...new Set(types)].map((x) => `"${x}"`).join(', ');
  if (t === undefined) return `${where}no "type" field saying which message it is (expected one of ${expected})`;
  return `${where}"${t}" is not a message type here (expected one of ${expected})`;
}

function leaf(issue: Issue, msg: unknown, path: readonly PropertyKey[]): string {
  const where = path.length > 0 ? `field "${path.map(String).join('.')}"` : 'the message';
  const value = at(msg, path);
  const parent = path.length > 0 ? at(msg, path.slice(0, -1)) : undefined;
  const missing = path.length > 0 && (typeof parent !== 'object' || parent === null || !(path[path.length - 1]! in parent));
  let expected: string;
  if (issue.code === 'invalid_type' && issue.expected) expected = article(issue.expected);
  else if (issue.code === 'invalid_value' && issue.values) expected = issue.values.map((v) => JSON.stringify(v)).join(' or ');
  else expected = issue.message.replace(/^Invalid input:?\s*/i, '').replace(/^expected\s+/i, '') || 'something else';
  if (missing) return `${where} is missing (expected ${expected})`;
  if (issue.code === 'invalid_type' || issue.code === 'invalid_value') return `${where}: expected ${expected}, got ${shown(value)}`;
  // Range, length, format…: zod's own words say what was expected.
  return `${where}: ${issue.message.replace(/^Invalid input:?\s*/i, '')}, got ${shown(value)}`;
}

function article(type: string): string {
  if (type === 'undefined' || type === 'null' || type === 'never') return type;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function at(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const k of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** A value as the student would write it, with its kind when that helps. */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (value instanceof ArrayBuffer) return `an ArrayBuffer of ${value.byteLength} bytes`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return `${JSON.stringify(value.length > 40 ? `${value.slice(0, 39)}…` : value)} (a string)`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${String(value)} (a ${typeof value})`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}
