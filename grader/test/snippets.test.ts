// Every TypeScript code block a student reads — the handouts, the runtime's guide, the kit's
// README, the pack's own texts — type-checks as the grader checks a student's file, against
// the real runtime and protocols: a snippet copied into a solution compiles. A block is a
// fragment of a longer story, so each doc has a prelude declaring what its text has
// introduced (`self`, `office`, a protocol's types); a block gets only the declarations of
// names it does not declare itself (snippets.ts). A block may opt out with ```ts nocheck only
// when it is deliberately not code; the opt-outs are listed below, and there are none.
// The lecturer's docs (AUTHORING.md, the kit's READMEs) are checked too, as files of the kit;
// every Markdown file of the kit with a TypeScript block must be in one list or the other.
import { readFileSync, readdirSync } from 'node:fs';
import { relative } from 'node:path';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kitRoot } from '../kit.ts';
import { REFLECTION_MD, studentReadme } from '../pack/texts.ts';
import { checkBlocks, checkKitBlocks, formatProblem, tsBlocks, type Block } from './snippets.ts';

const exercises = readdirSync(join(kitRoot, 'exercises'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

/** The docs a student reads, by the name a reader knows them. */
function studentDocs(): Record<string, string> {
  const docs: Record<string, string> = {};
  for (const doc of ['README.md', 'runtime/README.md', 'grader/pack/README.md', ...exercises.map((id) => `exercises/${id}/README.md`)]) {
    docs[doc] = readFileSync(join(kitRoot, doc), 'utf8');
  }
  // The pack's README and REFLECTION.md, as the pack builder writes them.
  const points = { public: 4, total: 16, manual: 0 };
  docs['pack: README.md'] = studentReadme(
    exercises.map((id) => ({ id, title: id, files: [`${id}/${id}.ts`], points, starter: {}, handout: `exercises/${id}/README.md` })),
    'test',
  );
  docs['pack: REFLECTION.md'] = REFLECTION_MD;
  return docs;
}

/** What the text around each doc's blocks has introduced. */
const preludes: Record<string, string> = {
  'runtime/README.md': `
    import { createSystem, behavior, stop, supervisor, stateMachine, nextState, keepState, postpone, formatReason, type Behavior, type Context, type Ref, type System, type ExitMessage, type DownMessage } from '#runtime';
    import { z } from 'zod';
    declare const system: System;
    type Msg =
      | { type: 'reply'; id: number }
      | { type: 'deposit'; amount: number }
      | { type: 'withdraw'; amount: number }
      | { type: 'retry' } | { type: 'tick' } | { type: 'idle' };
    declare const self: Context<Msg>;
    declare const MoneySchema: z.ZodType<{ type: 'deposit'; amount: number }>;
    type CounterMsg = { type: 'inc' } | { type: 'get'; replyTo: Ref<number> };
    declare const counter: Ref<CounterMsg>;
    type AccountMsg = { type: 'deposit'; amount: number } | { type: 'balance'; replyTo: Ref<number> } | { type: 'close' };
    declare const config: { url: string };
    declare function fetcher(config: { url: string }): Behavior<{ type: 'fetch' }>;
    declare let balance: number;
    declare function withdraw(m: { amount: number }): number;
    type Job = { type: 'job'; n: number };
    type Conn = { id: number };
    type Db = { type: 'connected'; conn: Conn } | { type: 'query'; sql: string };
    declare function ready(conn: Conn): Behavior<Db>;
    declare const log: Ref<string>;
    type DoorMsg = { type: 'button'; digit: string };
    declare const code: string;
  `,
  'exercises/ring/README.md': `
    import type { Context, Ref } from '#runtime';
    import type { DeskReply, Lookup, Question } from '#exercises/ring/protocol';
    declare const self: Context<Question>;
    declare const client: Ref<DeskReply>;
    declare const office: Ref<Lookup>;
    declare const text: string;
    declare const timeout: number;
  `,
  'exercises/crawler/README.md': `
    import type { Behavior, Context, Ref } from '#runtime';
    import type { CrawlerConfig, FrontierMessage, Job } from '#exercises/crawler/protocol';
    declare function frontier(config: CrawlerConfig): Behavior<FrontierMessage>;
    declare const self: Context<Job>;
    declare const config: CrawlerConfig;
    declare const url: string;
  `,
  'exercises/pipeline/README.md': `
    import type { Context, Ref } from '#runtime';
    import type { Downstream, StartPipeline, Upstream } from '#exercises/pipeline/protocol';
    declare const self: Context<never>;
    declare const next: Ref<Downstream>;
    declare const seq: number;
    declare const payload: ArrayBuffer;
    declare const startPipeline: StartPipeline;
    declare const source: Ref<Upstream>;
    declare const sink: Ref<Downstream>;
  `,
};

/** Blocks that are deliberately not code (```ts nocheck), as `doc#index`. */
const OPT_OUTS: string[] = [];

const docs = studentDocs();
const blocks: Block[] = Object.entries(docs).flatMap(([doc, text]) => tsBlocks(doc, text));

describe('the TypeScript blocks of the docs', () => {
  it("type-check as a student's file, against the real runtime and protocols", () => {
    // There is something to check: the runtime guide's examples, the handouts' asks.
    expect(blocks.filter((b) => b.doc === 'runtime/README.md').length).toBeGreaterThan(8);
    for (const doc of ['exercises/ring/README.md', 'exercises/crawler/README.md']) {
      expect(
        blocks.some((b) => b.doc === doc && /self\.ask\(/.test(b.code)),
        doc,
      ).toBe(true);
    }
    const problems = checkBlocks(blocks, preludes, kitRoot).map(formatProblem);
    expect(problems).toEqual([]);
  }, 180_000); // a compiler run: slow on a loaded machine

  it('opt out only where listed', () => {
    expect(blocks.filter((b) => b.flags.includes('nocheck')).map((b) => `${b.doc}#${b.index}`)).toEqual(OPT_OUTS);
  });

  it('are found in indented fences, and not inside other fences', () => {
    const text = 'a\n```ts\nconst a = 1;\n```\n\n- item\n\n  ```typescript nocheck\n  let b\n  ```\n\n````md\n```ts\nnot a block\n```\n````\n';
    expect(tsBlocks('x.md', text)).toEqual([
      { doc: 'x.md', index: 1, line: 3, flags: [], code: 'const a = 1;' },
      { doc: 'x.md', index: 2, line: 9, flags: ['nocheck'], code: 'let b' },
    ]);
  });

  it("fail the check when wrong: a problem names the doc, its line and the compiler's message", () => {
    const wrong = tsBlocks(
      'exercises/ring/README.md',
      "\n```ts\nconst found = await self.ask(office, (replyTo) => ({ type: 'lokup', text, replyTo }));\n```\n",
    );
    const problems = checkBlocks(wrong, preludes, kitRoot).map(formatProblem);
    expect(problems).toEqual([
      expect.stringMatching(/^exercises\/ring\/README\.md:3:\d+ \(block 1\) {2}type error: Type '"lokup"' is not assignable to type '"lookup"'/),
    ]);
  }, 180_000);
});

/** Every Markdown file of the kit (not installed packages, outputs or the demo class's files). */
function kitMarkdown(dir = kitRoot): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.') || ['node_modules', 'reports', 'check'].includes(e.name)) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...kitMarkdown(path));
    else if (e.name.endsWith('.md')) out.push(relative(kitRoot, path).split('\\').join('/'));
  }
  return out.sort();
}

/**
 * The lecturer's docs, checked as files of the kit (its tsconfig: the harness, the grader):
 * where each block sits (its relative imports resolve from there), what its text introduced,
 * and files an example needs that the kit does not have (AUTHORING's "tally" is the exercise
 * `npx grader new tally` makes: its protocol comes from the scaffold's template).
 */
const kitDocs: Record<string, { place?: string; prelude?: string }> = {
  'exercises/AUTHORING.md': {
    place: 'exercises/tally/tests/public',
    prelude: `import type { Session } from '#harness';
      declare const s: Session;
      declare const fetches: { url: string; at: number; answeredAt: number | undefined }[];`,
  },
  'grader/intake/README.md': {},
  'kernels/process/README.md': {
    place: 'kernels/process',
    prelude: `import { leaseUid } from './uids.ts';
      import { spawnSandboxed } from './sandbox.ts';
      declare const script: string;
      declare const submissionDir: string;
      declare const msg: { type: string };
      declare function onMessage(m: unknown): void;`,
  },
};

describe("the TypeScript blocks of the lecturer's docs", () => {
  it("are all checked: every Markdown file of the kit with a TypeScript block is a student's doc or a lecturer's doc here", () => {
    const withBlocks = kitMarkdown().filter((f) => tsBlocks(f, readFileSync(join(kitRoot, f), 'utf8')).length > 0);
    expect(withBlocks.filter((f) => !(f in docs) && !(f in kitDocs))).toEqual([]);
  });

  it('type-check as files of the kit', () => {
    const kitBlocks = Object.keys(kitDocs).flatMap((doc) => tsBlocks(doc, readFileSync(join(kitRoot, doc), 'utf8')));
    expect(kitBlocks.length).toBeGreaterThanOrEqual(4);
    const tally = readFileSync(join(kitRoot, 'grader', 'scaffold', 'template', 'exercises', '__id__', 'protocol.ts.tmpl'), 'utf8').replaceAll(
      '__id__',
      'tally',
    );
    const problems = checkKitBlocks(
      kitBlocks,
      Object.fromEntries(Object.entries(kitDocs).map(([d, k]) => [d, k.prelude ?? ''])),
      kitRoot,
      Object.fromEntries(Object.entries(kitDocs).map(([d, k]) => [d, k.place ?? '.'])),
      { 'exercises/tally/protocol.ts': tally },
    );
    expect(problems.map(formatProblem)).toEqual([]);
  }, 180_000);
});

describe('ask infers the reply from the protocol', () => {
  // The calls a student writes, checked with the grader's options; each line that must not
  // compile is marked `// error: <part of the message>`.
  const code = `
    import type { Context, Ref, System } from '#runtime';
    import type { DeskConfig, Found, Lookup } from '#exercises/ring/protocol';
    import type { Fetch, WebReply } from '#exercises/crawler/protocol';
    type Req = { type: 'a'; replyTo: Ref<{ type: 'ra'; n: number }> } | { type: 'b'; k: string; from: Ref<{ type: 'rb' }> } | { type: 'c' };
    declare const self: Context<never>;
    declare const system: System;
    declare const config: DeskConfig;
    declare const web: Ref<Fetch>;
    declare const req: Ref<Req>;
    declare const text: string;
    const found = await self.ask(config.office, (replyTo) => ({ type: 'lookup', text, replyTo }), { timeout: 5 });
    const t: string = found.text;
    const page = await self.ask(web, (replyTo) => ({ type: 'fetch', url: text, replyTo }));
    const w: WebReply = page;
    const ra = await self.ask(req, (replyTo) => ({ type: 'a', replyTo }));
    const n: number = ra.n;
    const rb = await self.ask(req, (from) => ({ type: 'b', k: 'x', from }));
    const rbType: 'rb' = rb.type;
    const outside = await system.ask(config.office, (replyTo) => ({ type: 'lookup', text, replyTo }));
    const o: Found = outside;
    const named: unknown = await self.ask('office', (replyTo) => ({ type: 'lookup', text, replyTo }));
    const explicit: Found = await self.ask<Found>(config.office, (replyTo) => ({ type: 'lookup', text, replyTo }));
    const both: Found = await self.ask<Found, Lookup>(config.office, (replyTo) => ({ type: 'lookup', text, replyTo }));
    declare function lookup(text: string, replyTo: Ref<Found>): Lookup;
    const viaHelper = await self.ask(config.office, (replyTo) => lookup(text, replyTo));
    const h: string = viaHelper.text;
    declare function anyRequest(replyTo: Ref<never>): Req;
    type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends (<X>() => X extends B ? 1 : 2) ? true : false;
    const vague = await self.ask(req, (replyTo) => anyRequest(replyTo));
    const vagueIsUnknown: Equal<typeof vague, unknown> = true;
    const byName = await self.ask('office', (replyTo) => ({ type: 'lookup', text, replyTo }));
    const byNameIsUnknown: Equal<typeof byName, unknown> = true;
    await self.ask(config.office, (replyTo) => ({ type: 'lokup', text, replyTo })); // error: '"lokup"' is not assignable to type '"lookup"'
    await self.ask(config.office, (replyTo) => ({ type: 'lookup', txt: text, replyTo })); // error: Property 'text' is missing
    const wrong: number = (await self.ask(config.office, (replyTo) => ({ type: 'lookup', text, replyTo }))).text; // error: 'string' is not assignable to type 'number'
    const nothing = (await self.ask(req, (replyTo) => ({ type: 'a', replyTo }))).m; // error: Property 'm' does not exist
    export { t, w, n, rbType, o, named, explicit, both, h, vagueIsUnknown, byNameIsUnknown, wrong, nothing };
  `;

  it('for the natural call, and keeps ask<R>(…) and ask<R, T>(…) working', () => {
    const lines = code.split('\n');
    const block: Block = { doc: 'ask.ts', index: 1, line: 1, flags: [], code };
    const problems = checkBlocks([block], {}, kitRoot);
    const expected = lines.flatMap((l, i) => {
      const m = /\/\/ error: (.*)$/.exec(l);
      return m ? [{ line: i + 1, part: m[1]! }] : [];
    });
    expect(expected.length).toBe(4);
    expect(problems.map((p) => p.line)).toEqual(expected.map((e) => e.line));
    for (const [i, e] of expected.entries()) expect(problems[i]!.message).toContain(e.part);
  }, 180_000);
});
