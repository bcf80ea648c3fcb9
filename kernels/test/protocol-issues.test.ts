// A message that breaks the protocol is described in the student's words: its type, the
// field, what was expected and what came (protocol-issues.ts), not zod's "Invalid input".
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeIssues, type Issue } from '../harness/protocol-issues.ts';
import { protocol as ring } from '../../exercises/ring/protocol.ts';
import { protocol as pipeline } from '../../exercises/pipeline/protocol.ts';

const why = (schema: z.ZodType, msg: unknown) => {
  const r = schema.safeParse(msg);
  expect(r.success).toBe(false);
  return describeIssues(r.error!.issues as unknown as Issue[], msg);
};

describe('why a message does not follow the protocol', () => {
  it('names the field of the message type it claims to be, what was expected and what came', () => {
    expect(why(ring.fromSystem, { type: 'answer', id: '7', text: 'open' })).toEqual(['field "id": expected a number, got "7" (a string)']);
    expect(why(ring.fromSystem, { type: 'answer', text: 'open' })).toEqual(['field "id" is missing (expected a number)']);
    expect(why(ring.fromSystem, { type: 'unavailable', id: 1, reason: 'slow' })).toEqual(['field "reason": expected "timeout", got "slow" (a string)']);
    expect(why(ring.fromSystem, { type: 'lookup', text: 'x', replyTo: 5 })).toEqual(['field "replyTo": expected an object, got 5 (a number)']);
    expect(why(ring.fromSystem, { type: 'done', hops: -1 })).toEqual(['field "hops": Too small: expected number to be >=0, got -1 (a number)']);
    expect(why(pipeline.fromSystem, { type: 'item', seq: 0, payload: 'bytes' })).toEqual(['field "payload": expected an ArrayBuffer, got "bytes" (a string)']);
  });

  it("says when the type is not one of the protocol's, and which ones it has", () => {
    expect(why(ring.fromSystem, { type: 'reply', id: 1 })).toEqual([
      '"reply" is not a message type here (expected one of "done", "answer", "unavailable", "lookup")',
    ]);
    expect(why(ring.fromSystem, { id: 1 })).toEqual(['no "type" field saying which message it is (expected one of "done", "answer", "unavailable", "lookup")']);
    expect(why(ring.fromSystem, 7)).toEqual(['the message: expected an object, got 7 (a number)']);
  });

  it('finds the field inside a nested message', () => {
    const schema = z.object({
      type: z.literal('batch'),
      reply: z.discriminatedUnion('type', [z.object({ type: z.literal('ok'), n: z.number() }), z.object({ type: z.literal('no') })]),
    });
    expect(why(schema, { type: 'batch', reply: { type: 'ok', n: 'x' } })).toEqual(['field "reply.n": expected a number, got "x" (a string)']);
    expect(why(schema, { type: 'batch', reply: { type: 'maybe' } })).toEqual([
      'field "reply": "maybe" is not a message type here (expected one of "ok", "no")',
    ]);
  });
});
