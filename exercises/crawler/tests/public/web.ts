// The simulated web of the crawler exercise, played by the tests themselves: your workers send
// `fetch` requests to `config.web`, which is the test's own process. The test answers from a
// site graph it made from a seed, after a delay in virtual time, and counts every fetch. So
// what it reports ("fetched twice", "5 fetches in flight with 4 workers") is exactly what
// your system did.
//
// What the web does (also in the handout):
//  - an ordinary page, redirect or missing page answers after a short delay (1-20 ms);
//  - a *slow* page answers its first fetch(es) after 2.5 × fetchTimeout: too late;
//  - a *black hole* never answers;
//  - a *poison* page answers at once, but its HTML makes `parseLinks` throw.
import type { Ref } from '#runtime';
import { crashed, exits, maxOverlap, messagesOf, nameOf, reasonText, restarts, type PropertyContext, type Session, type TraceJson } from '#harness';
import type { Random } from '#runtime/prng';
import { parseLinks } from '../../parse.ts';
import type { Aborted, CrawlerConfig, CrawlResult, Fetch, Report, WebReply } from '../../protocol.ts';

export type Kind = 'page' | 'redirect' | 'missing' | 'poison' | 'slow' | 'blackhole';

export interface WebPage {
  readonly url: string;
  readonly kind: Exclude<Kind, 'missing'>;
  /** page, slow, poison: the links in its HTML (absolute); redirect: [location]. */
  readonly links: readonly string[];
  /** slow: how many first fetches answer too late. */
  readonly slowTimes?: number;
}

/** A site graph. Any URL it does not hold is missing. */
export class Web {
  readonly pages = new Map<string, WebPage>();
  constructor(readonly roots: readonly string[]) {}

  add(page: WebPage): this {
    this.pages.set(page.url, page);
    return this;
  }

  kind(url: string): Kind {
    return this.pages.get(url)?.kind ?? 'missing';
  }

  /** The web's answer to the `n`th fetch of `url` (n from 1), and when it comes. */
  answer(url: string, n: number): { reply: WebReply; when: 'soon' | 'late' | 'never'; poison: boolean } {
    const page = this.pages.get(url);
    if (page === undefined) return { reply: { type: 'missing', url }, when: 'soon', poison: false };
    switch (page.kind) {
      case 'redirect':
        return { reply: { type: 'redirect', url, location: page.links[0]! }, when: 'soon', poison: false };
      case 'blackhole':
        return { reply: { type: 'page', url, body: render(url, page.links, 0) }, when: 'never', poison: false };
      case 'poison':
        return { reply: { type: 'page', url, body: renderPoison(url, page.links, n) }, when: 'soon', poison: true };
      case 'slow':
        return { reply: { type: 'page', url, body: render(url, page.links, n) }, when: n <= (page.slowTimes ?? 1) ? 'late' : 'soon', poison: false };
      case 'page':
        return { reply: { type: 'page', url, body: render(url, page.links, n) }, when: 'soon', poison: false };
    }
  }

  /** Number of URLs the web knows (pages and redirects). */
  get size(): number {
    return this.pages.size;
  }
}

// ---- HTML ----------------------------------------------------------------------------------

const originOf = (url: string): string => /^(https?:\/\/[^/]+)/.exec(url)?.[1] ?? '';

function href(from: string, to: string, i: number): string {
  const same = originOf(from) === originOf(to);
  const path = same ? to.slice(originOf(to).length) : to;
  return i % 4 === 3 ? `${path}#part-${i}` : path;
}

function render(url: string, links: readonly string[], variant: number): string {
  const lines = [`<html>`, `<title>${url}</title>`, `<p>Welcome to ${url}, version ${variant}.</p>`];
  links.forEach((to, i) => lines.push(`<p>See <a href="${href(url, to, i)}">link ${i + 1}</a> for more.</p>`));
  lines.push(`</html>`);
  return lines.join('\n');
}

/** Valid-looking HTML with one broken link (which one varies, so no two poison pages look alike). */
function renderPoison(url: string, links: readonly string[], n: number): string {
  const good = render(url, links.slice(0, 2), n).split('\n');
  const broken = [
    `<p>Broken <a href="/p/unterminated>here</a></p>`,
    `<p>Broken <a name="anchor">here</a></p>`,
    `<p>Broken <a href="/p/%%%">here</a></p>`,
    `<p>Broken <a href="/p/open"here</a></p>`,
  ][(url.length + n) % 4]!;
  good.splice(good.length - 1, 0, broken);
  return good.join('\n');
}

/** Checks that `parseLinks` reads back exactly the links a page was made with (a self-check of the kit). */
export function checkRoundTrip(web: Web): void {
  for (const page of web.pages.values()) {
    if (page.kind !== 'page' && page.kind !== 'slow') continue;
    const got = parseLinks({ url: page.url, body: render(page.url, page.links, 1) });
    if (JSON.stringify(got) !== JSON.stringify(page.links))
      throw new Error(`kit bug: parseLinks(${page.url}) = ${JSON.stringify(got)}, made with ${JSON.stringify(page.links)}`);
  }
}

// ---- Making webs ----------------------------------------------------------------------------

export const pageUrl = (i: number): string => `https://${i % 3 === 2 ? 'b' : 'a'}.test/p/${i}`;

export interface Shape {
  /** Ordinary pages (page 0 is the root). */
  readonly pages: number;
  /** Links per page, at least and at most. */
  readonly links: readonly [number, number];
  /** Extra URLs that redirect to a page. */
  readonly redirects?: number;
  /** Links to pages that do not exist. */
  readonly missing?: number;
  /** Pages (other than the root) that are poison, slow, or black holes. */
  readonly poison?: number;
  readonly slow?: number;
  /** How many first fetches of a slow page are too late (default 1). */
  readonly slowTimes?: number;
  readonly blackholes?: number;
  /** Chance that a link goes anywhere (back, across) rather than a little further on. */
  readonly jump?: number;
}

/** A random site with cycles, pages reached by several paths, redirects and missing pages. */
export function randomWeb(random: Random, shape: Shape): Web {
  const n = shape.pages;
  const links: string[][] = Array.from({ length: n }, () => []);
  const jump = shape.jump ?? 0.3;
  for (let i = 0; i < n; i++) {
    const count = shape.links[0] + random.int(shape.links[1] - shape.links[0] + 1);
    for (let l = 0; l < count; l++) {
      const j = random.next() < jump ? random.int(n) : Math.min(n - 1, i + 1 + random.int(4));
      links[i]!.push(pageUrl(j));
    }
    if (count > 1 && random.next() < 0.15) links[i]!.push(links[i]![0]!); // the same link twice
  }
  const somePage = (): string[] => links[random.int(n)]!;
  const redirects: WebPage[] = [];
  for (let r = 0; r < (shape.redirects ?? 0); r++) {
    const url = `https://a.test/old/${r}`;
    redirects.push({ url, kind: 'redirect', links: [random.next() < 0.2 && r > 0 ? `https://a.test/old/${r - 1}` : pageUrl(1 + random.int(n - 1))] });
    somePage().push(url);
  }
  for (let m = 0; m < (shape.missing ?? 0); m++) somePage().push(`https://${m % 2 ? 'a' : 'b'}.test/gone/${m}`);

  const special = new Map<number, Exclude<Kind, 'missing'>>();
  const mark = (count: number | undefined, kind: Exclude<Kind, 'missing'>) => {
    for (let c = 0; c < (count ?? 0) && special.size < n - 1; c++) {
      let i: number;
      do i = 1 + random.int(n - 1);
      while (special.has(i));
      special.set(i, kind);
    }
  };
  mark(shape.poison, 'poison');
  mark(shape.slow, 'slow');
  mark(shape.blackholes, 'blackhole');

  const web = new Web([pageUrl(0)]);
  for (let i = 0; i < n; i++) {
    const kind = special.get(i) ?? 'page';
    web.add({ url: pageUrl(i), kind, links: links[i]!, slowTimes: kind === 'slow' ? (shape.slowTimes ?? 1) : undefined });
  }
  for (const r of redirects) web.add(r);
  checkRoundTrip(web);
  return web;
}

/** A random web whose expected crawl passes `wanted` (e.g. "at least two poison pages within reach"). */
export function randomWebWhere(random: Random, shape: Shape, maxDepth: number, maxCrashes: number, wanted: (e: Expected, web: Web) => boolean): Web {
  for (let attempt = 0; attempt < 50; attempt++) {
    const web = randomWeb(random.fork(`attempt-${attempt}`), shape);
    if (wanted(expected(web, maxDepth, maxCrashes), web)) return web;
  }
  throw new Error('kit bug: no random web with the wanted properties in 50 attempts');
}

/** A root linking to `n` pages, each linking back to the root (and maybe a neighbour). */
export function wideWeb(n: number, kinds: Record<number, Exclude<Kind, 'missing'>> = {}): Web {
  const root = pageUrl(0);
  const web = new Web([root]);
  web.add({ url: root, kind: 'page', links: Array.from({ length: n }, (_, i) => pageUrl(i + 1)) });
  for (let i = 1; i <= n; i++) web.add({ url: pageUrl(i), kind: kinds[i] ?? 'page', links: [root, pageUrl(1 + (i % n))] });
  checkRoundTrip(web);
  return web;
}

/** p0 → p1 → … → p(n-1): one URL to do at a time. */
export function chainWeb(n: number): Web {
  const web = new Web([pageUrl(0)]);
  for (let i = 0; i < n; i++) web.add({ url: pageUrl(i), kind: 'page', links: i + 1 < n ? [pageUrl(i + 1), pageUrl(0)] : [pageUrl(0)] });
  checkRoundTrip(web);
  return web;
}

// ---- The reference model -------------------------------------------------------------------

export interface Expected {
  readonly depth: ReadonlyMap<string, number>;
  readonly indexed: ReadonlySet<string>;
  readonly redirects: ReadonlySet<string>;
  readonly missing: ReadonlySet<string>;
  readonly quarantined: ReadonlySet<string>;
}

/** Breadth first from the roots: what a correct crawler reports for this web. */
export function expected(web: Web, maxDepth: number, maxCrashes: number): Expected {
  const depth = new Map<string, number>();
  const indexed = new Set<string>(),
    redirects = new Set<string>(),
    missing = new Set<string>(),
    quarantined = new Set<string>();
  let level = [...new Set(web.roots)];
  level.forEach((u) => depth.set(u, 0));
  for (let d = 0; d <= maxDepth && level.length > 0; d++) {
    const next: string[] = [];
    for (const url of level) {
      const page = web.pages.get(url);
      let follow: readonly string[] = [];
      if (page === undefined) missing.add(url);
      else if (page.kind === 'redirect') {
        redirects.add(url);
        follow = page.links;
      } else if (page.kind === 'page' || (page.kind === 'slow' && (page.slowTimes ?? 1) < maxCrashes)) {
        indexed.add(url);
        follow = page.links;
      } else quarantined.add(url);
      if (d === maxDepth) continue;
      for (const link of follow) {
        if (depth.has(link)) continue;
        depth.set(link, d + 1);
        next.push(link);
      }
    }
    level = next;
  }
  return { depth, indexed, redirects, missing, quarantined };
}

// ---- Driving a crawl -----------------------------------------------------------------------

/** One fetch the web received. */
export interface FetchSeen {
  readonly url: string;
  /** This was the n-th fetch of the URL (from 1). */
  readonly n: number;
  /** Virtual ms when it arrived. */
  readonly at: number;
  /** The worker that sent it (its process, without the reply alias). */
  readonly worker: Ref;
  readonly replyTo: Ref;
  readonly reply: WebReply;
  /** When the web answers: soon (within the timeout), late (after it), never. */
  readonly when: 'soon' | 'late' | 'never';
  readonly poison: boolean;
  /** Virtual ms the web answers (undefined: never). */
  readonly due: number | undefined;
  answeredAt?: number;
  /** The test killed the worker while it waited for this page. */
  killed?: number;
}

export interface CrawlOptions {
  readonly web: Web;
  readonly maxDepth: number;
  readonly workers: number;
  readonly maxCrashes: number;
  readonly fetchTimeout?: number;
  readonly intensity?: number;
  readonly period?: number;
  /** Virtual ms for an ordinary answer (default 1-20 ms from `random`; at most fetchTimeout / 2). */
  readonly latency?: (url: string) => number;
  /** Decide, when a fetch arrives, to kill the worker that sent it while it waits. */
  readonly killHolder?: (fetch: FetchSeen, run: CrawlRun) => boolean;
  /** Called whenever the system is quiet at an instant; return true after changing something (it runs again). */
  readonly onQuiet?: (run: CrawlRun) => Promise<boolean>;
  /** Give up after this much virtual time (default 60 s) or this many fetches (default 4 per URL + 40: a correct crawl needs far fewer). */
  readonly maxTime?: number;
  readonly maxFetches?: number;
  /** Crawl in this session (a second crawler in a system that already ran one) instead of a fresh one. */
  readonly session?: Session;
}

export interface CrawlRun {
  readonly s: Session;
  readonly config: CrawlerConfig;
  readonly options: CrawlOptions;
  /** What startCrawler returned. */
  frontier: Ref;
  /** The first Report or Aborted, and when it came. */
  result?: CrawlResult;
  resultAt?: number;
  /** Any further Report/Aborted messages (there must be none). */
  readonly extraResults: CrawlResult[];
  readonly fetches: FetchSeen[];
  /** Fetches that arrived after the result. */
  readonly lateFetches: FetchSeen[];
  /** The most fetches in flight at one instant (a fetch stops being in flight when answered, or when its worker timed out or was killed). */
  maxInFlight: number;
  /** The instant of the worst crowding, and the URLs in flight then. */
  crowded?: { at: number; urls: string[] };
  readonly kills: { at: number; worker: Ref; url?: string }[];
  /** How the drive ended. */
  end: 'result' | 'idle' | 'time' | 'fetches';
  now: number;
  /** After the result: did the system go idle (no timers, nothing running)? */
  idleAfter?: boolean;
  /** Virtual time the crawler was started. */
  startedAt: number;
  /** Every job the frontier sent, in order (from the trace): which URL, at which depth, when. */
  jobs: { t: number; url: string; depth: number }[];
  fetchCount(url: string): number;
}

export const FETCH_TIMEOUT = 100;

/** Starts the student's crawler on `options.web` and plays the web until the crawl ends (or clearly will not). */
export async function crawl(ctx: PropertyContext, options: CrawlOptions): Promise<CrawlRun> {
  const fetchTimeout = options.fetchTimeout ?? FETCH_TIMEOUT;
  const random = ctx.random.fork('latency');
  const latency = options.latency ?? (() => 1 + random.int(20));
  const maxFetches = options.maxFetches ?? 4 * options.web.size + 40;
  const s = options.session ?? (await ctx.open());
  const config: CrawlerConfig = {
    web: s.self,
    roots: [...options.web.roots],
    maxDepth: options.maxDepth,
    workers: options.workers,
    fetchTimeout,
    maxCrashes: options.maxCrashes,
    intensity: options.intensity ?? 1000,
    period: options.period ?? 1000,
    reportTo: s.self,
  };
  const counts = new Map<string, number>();
  const run: CrawlRun = {
    s,
    config,
    options,
    frontier: undefined as unknown as Ref,
    extraResults: [],
    fetches: [],
    lateFetches: [],
    kills: [],
    jobs: [],
    startedAt: 0,
    maxInFlight: 0,
    end: 'idle',
    now: 0,
    fetchCount: (url) => counts.get(url) ?? 0,
  };
  run.frontier = await s.start<Ref>('startCrawler', config);
  run.now = (await s.advance(0)).now;
  const maxTime = run.now + (options.maxTime ?? 60_000);
  const startedAt = run.now;
  run.startedAt = startedAt;

  const toKill: FetchSeen[] = [];
  const take = (m: unknown): void => {
    const msg = m as Fetch | Report | Aborted;
    if (msg.type === 'report' || msg.type === 'aborted') {
      if (run.result === undefined) {
        run.result = msg;
        run.resultAt = run.now;
      } else run.extraResults.push(msg);
      return;
    }
    const n = (counts.get(msg.url) ?? 0) + 1;
    counts.set(msg.url, n);
    const a = options.web.answer(msg.url, n);
    const due =
      a.when === 'never' ? undefined : run.now + (a.when === 'late' ? Math.ceil(fetchTimeout * 2.5) : Math.min(latency(msg.url), Math.floor(fetchTimeout / 2)));
    const seen: FetchSeen = {
      url: msg.url,
      n,
      at: run.now,
      worker: { kernel: msg.replyTo.kernel, pid: msg.replyTo.pid } as Ref,
      replyTo: msg.replyTo,
      reply: a.reply,
      when: a.when,
      poison: a.poison,
      due,
    };
    (run.result === undefined ? run.fetches : run.lateFetches).push(seen);
    if (run.result === undefined && options.killHolder?.(seen, run)) toKill.push(seen);
  };

  for (;;) {
    // Everything that happens at this instant.
    for (;;) {
      const m = await s.receive(undefined, { timeout: 0 });
      if (m === undefined) break;
      take(m);
    }
    if (toKill.length > 0) {
      for (const f of toKill.splice(0)) {
        await s.exit(f.worker, 'kill');
        f.killed = run.now;
        run.kills.push({ at: run.now, worker: f.worker, url: f.url });
      }
      continue; // the crawler reacts at once
    }
    if (run.result !== undefined) break;
    if (run.fetches.length > maxFetches) {
      run.end = 'fetches';
      break;
    }
    if (options.onQuiet && (await options.onQuiet(run))) continue;

    // The next instant something is due: an answer, or a worker's timeout.
    let wake = Infinity;
    for (const f of run.fetches) {
      if (f.answeredAt === undefined && f.due !== undefined) wake = Math.min(wake, f.due);
      if (f.answeredAt === undefined && f.killed === undefined && f.at + fetchTimeout > run.now) wake = Math.min(wake, f.at + fetchTimeout);
    }
    if (wake > maxTime) {
      // Nothing due from the web: let the system run on its own until it sends something.
      const m = await s.receive(undefined, { timeout: Math.max(0, maxTime - run.now) });
      const r = await s.advance(0);
      run.now = r.now;
      if (m === undefined) {
        run.end = r.idle ? 'idle' : 'time';
        break;
      }
      take(m);
      continue;
    }
    run.now = (await s.advance(wake - run.now)).now;
    for (const f of run.fetches) {
      if (f.answeredAt === undefined && f.due !== undefined && f.due <= run.now) {
        f.answeredAt = run.now;
        await s.send(f.replyTo, f.reply);
      }
    }
  }

  // Fetches in flight: from the fetch until the answer, the worker's timeout, or its death.
  const busiest = maxOverlap(
    run.fetches.map((f) => ({ start: f.at, end: Math.min(f.answeredAt ?? Infinity, f.killed ?? Infinity, f.at + fetchTimeout), item: f.url })),
  );
  run.maxInFlight = busiest.count;
  if (busiest.at !== undefined) run.crowded = { at: busiest.at, urls: busiest.items };
  run.jobs = messagesOf(await s.trace(), 'job')
    .filter((e) => e.t >= startedAt)
    .map((e) => ({ t: e.t, url: String((e.msg as { url: string }).url), depth: Number((e.msg as { depth: number }).depth) }));
  if (run.result !== undefined) {
    run.end = 'result';
    // Let the system wind down, and see whether anything still happens.
    const after = await s.runUntilIdle({ maxTime: 10_000, maxSteps: 100_000 });
    run.idleAfter = after.stoppedBy === 'idle';
    for (;;) {
      const m = await s.receive(undefined, { timeout: 0 });
      if (m === undefined) break;
      take(m);
    }
  }
  return run;
}

// ---- Checks shared by the tests ------------------------------------------------------------

/** A short list of URLs for a message: "a, b, c, d and 5 more". */
export const listUrls = (urls: Iterable<string>, max = 4): string => {
  const all = [...urls];
  return all.length <= max ? all.join(', ') : `${all.slice(0, max).join(', ')} and ${all.length - max} more`;
};

/** Fails unless the crawl ended with a Report; says what the web saw when it did not. */
export async function mustReport(ctx: PropertyContext, run: CrawlRun): Promise<Report> {
  const r = run.result;
  if (r?.type === 'report') return r;
  if (r?.type === 'aborted') {
    const crashes = injectedCrashes(run);
    ctx.fail(
      `the crawl was aborted at t=${run.resultAt} ("${r.reason}") after ${run.fetches.length} fetches; expected a report. ` +
        `The pool may restart ${run.config.intensity} workers in ${run.config.period} ms (config.intensity, config.period), and the web had made workers crash ${crashes} time${crashes === 1 ? '' : 's'}: ` +
        'does the pool supervisor get config.intensity and config.period, and do workers crash only when the web makes them?',
    );
  }
  const open = run.fetches.filter((f) => f.answeredAt === undefined && f.killed === undefined && f.when !== 'never');
  const unanswered = run.fetches.filter((f) => f.when === 'never');
  const what =
    run.end === 'fetches'
      ? `the web was asked ${run.fetches.length} times without the crawl ending (${listUrls(mostFetched(run))} were fetched most; ${whyRefetched(run)})`
      : run.end === 'time'
        ? `after ${run.now} ms of virtual time the crawl had not ended`
        : `the system went quiet at t=${run.now} ms without sending a report`;
  const detail =
    run.fetches.length === 0
      ? 'The web never received a fetch: workers must ask the frontier for work ("want"), and fetch the URL of each job from config.web.'
      : `The web had received ${run.fetches.length} fetches of ${new Set(run.fetches.map((f) => f.url)).size} URLs` +
        (open.length > 0 ? `; ${open.length} ${open.length === 1 ? 'was' : 'were'} still waiting for an answer` : '') +
        (unanswered.length > 0
          ? `; ${listUrls(new Set(unanswered.map((f) => f.url)))} never answers (a worker must time out after fetchTimeout = ${run.config.fetchTimeout} ms)`
          : '') +
        '. The report is due once nothing is queued, nothing is in flight and every worker is waiting for work (a lost URL, or a job sent to a worker that is gone, keeps a crawl from ending).';
  return ctx.fail(`no report arrived: ${what}. ${detail}${await stoppedHolding(run)}`);
}

/** What each worker was holding: the URL of its last job if it sent no done for it (from the trace). */
export function holdings(trace: TraceJson): Map<number, string> {
  const held = new Map<number, string>();
  for (const e of trace.events) {
    if (e.kind !== 'send') continue;
    const msg = e.msg as { type?: string; url?: string };
    if (msg?.type === 'job') held.set(e.to as number, String(msg.url));
    else if (msg?.type === 'done' && held.get(e.from as number) === msg.url) held.delete(e.from as number);
  }
  return held;
}

/**
 * Workers that were stopped (not crashed: reason 'shutdown') while holding a URL, before any
 * result: a supervisor that stops the siblings of a crashed worker loses their work.
 */
async function stoppedHolding(run: CrawlRun): Promise<string> {
  const trace = await run.s.trace();
  const ended = exits(trace);
  const stopped: string[] = [];
  const held = new Map<number, string>();
  for (const e of trace.events) {
    if (e.kind === 'send') {
      const msg = e.msg as { type?: string; url?: string };
      if (msg?.type === 'job') held.set(e.to as number, String(msg.url));
      else if (msg?.type === 'done') held.delete(e.from as number);
    } else if (e.kind === 'exit' && e.reason === 'shutdown' && held.has(e.pid as number) && e.pid !== run.frontier.pid) {
      const crash = [...ended].find(([pid, x]) => x.t === e.t && crashed(x.reason) && pid !== e.pid);
      stopped.push(
        `${nameOf(trace, e.pid as number)} (holding ${held.get(e.pid as number)}) at t=${e.t}${crash ? `, when ${nameOf(trace, crash[0])} crashed` : ''}`,
      );
    }
  }
  if (stopped.length === 0) return '';
  return (
    ` Workers were stopped by their supervisor (reason "shutdown") while they held a URL: ${stopped.slice(0, 4).join('; ')}${stopped.length > 4 ? `; and ${stopped.length - 4} more` : ''}. ` +
    'The frontier does not count a shutdown as a crash, so those URLs were never handed out again: the pool should restart only the worker that crashed (one_for_one), not its siblings'
  );
}

/** Why the most-fetched URL keeps coming back: not de-duplicated, or retried for ever. */
function whyRefetched(run: CrawlRun): string {
  const counts = new Map<string, number>();
  for (const f of run.fetches) counts.set(f.url, (counts.get(f.url) ?? 0) + 1);
  const [url] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
  const fine = run.fetches.filter((f) => f.url === url && f.when === 'soon' && !f.poison && f.killed === undefined).length;
  return fine > 1
    ? `${url} answered fine ${fine} times: the frontier must remember every URL it has seen and queue each only once`
    : `${url} crashed its worker every time: is it ever quarantined?`;
}

function mostFetched(run: CrawlRun): string[] {
  const counts = new Map<string, number>();
  for (const f of run.fetches) counts.set(f.url, (counts.get(f.url) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([u, c]) => `${u} (${c}×)`);
}

/** The report's lists must match the model, each URL once. */
export function checkReport(ctx: PropertyContext, run: CrawlRun, report: Report, want: Expected, what = ''): void {
  const lists: [keyof Pick<Report, 'indexed' | 'redirects' | 'missing' | 'quarantined'>, ReadonlySet<string>, string][] = [
    ['indexed', want.indexed, 'pages'],
    ['redirects', want.redirects, 'redirects'],
    ['missing', want.missing, 'missing pages'],
    ['quarantined', want.quarantined, 'quarantined URLs'],
  ];
  for (const [field, expect, words] of lists) {
    const got = report[field];
    const dup = got.filter((u, i) => got.indexOf(u) !== i);
    ctx.check(
      dup.length === 0,
      `${what}the report's "${field}" lists these URLs twice or more: ${listUrls(new Set(dup))}. Each URL must be reported exactly once`,
    );
    const extra = got.filter((u) => !expect.has(u));
    const lost = [...expect].filter((u) => !got.includes(u));
    ctx.check(
      lost.length === 0,
      () =>
        `${what}the report's "${field}" misses ${listUrls(lost)} (${lost.length} of ${expect.size} ${words} within depth ${run.config.maxDepth})` +
        whyLost(run, report, lost[0]!, want),
    );
    ctx.check(extra.length === 0, () => `${what}the report's "${field}" has ${listUrls(extra)}, which should not be there` + whyExtra(run, extra[0]!, want));
  }
}

function whyLost(run: CrawlRun, report: Report, url: string, want: Expected): string {
  const n = run.fetchCount(url);
  const d = want.depth.get(url);
  if (n === 0) return `: ${url} (depth ${d}) was never fetched${neverFetched(run, url, want)}`;
  const killed = run.fetches.filter((f) => f.url === url && f.killed !== undefined).length;
  if (report.quarantined.includes(url) && !want.quarantined.has(url)) {
    return `: ${url} was quarantined after it was fetched ${n}× (its worker was killed ${killed}×), but maxCrashes is ${run.config.maxCrashes}: quarantine a URL only at its maxCrashes-th crash`;
  }
  if (killed > 0) return `: ${url} was fetched ${n}× and its worker was killed ${killed}× while fetching it; a URL whose worker dies must be handed out again`;
  return `: ${url} (depth ${d}) was fetched ${n}×`;
}

function whyExtra(run: CrawlRun, url: string, want: Expected): string {
  const d = want.depth.get(url);
  const kind = run.options.web.kind(url);
  if (d === undefined) return ` (it is more than maxDepth = ${run.config.maxDepth} hops from the roots)`;
  if (kind === 'poison') return ` (${url} is a poison page: parseLinks throws on it, so it can never be indexed)`;
  return ` (it is a ${kind === 'missing' ? 'missing page' : kind} at depth ${d})`;
}

/**
 * Every URL the model quarantines (poison, black hole, too often slow) was fetched exactly k
 * times and is in the report's quarantine; says which mistake explains it when not.
 */
export async function checkQuarantine(ctx: PropertyContext, run: CrawlRun, report: Report, want: Expected, what = ''): Promise<void> {
  const k = run.config.maxCrashes;
  const restarts = (await restartEvents(run)).count;
  for (const url of want.quarantined) {
    const n = run.fetchCount(url);
    const kind = run.options.web.kind(url);
    const why =
      kind === 'poison' ? 'a poison page (parseLinks throws on it)' : kind === 'blackhole' ? 'a page that never answers' : 'a page too slow every time';
    const crashWord = kind === 'poison' ? "the parser's error" : "the ask's timeout error";
    if (report.indexed.includes(url) || (n > 0 && restarts === 0)) {
      ctx.fail(
        `${what}${url} is ${why}, yet ${report.indexed.includes(url) ? 'the report lists it as indexed' : 'no worker was ever restarted'}: ` +
          `the worker must not catch ${crashWord}. Let it crash: the supervisor restarts it, and the frontier (which monitors workers) counts the crash against the URL`,
      );
    }
    if (n === 0) ctx.fail(`${what}${url} (${why}, depth ${want.depth.get(url)}) was never fetched${neverFetched(run, url, want)}`);
    const quarantined = report.quarantined.includes(url);
    if (n < k && quarantined) {
      ctx.fail(
        `${what}${url} is ${why}; it was quarantined after ${n} crash${n === 1 ? '' : 'es'}, expected exactly maxCrashes = ${k}: hand it out again until it has crashed a worker k times`,
      );
    }
    if (n < k) {
      ctx.fail(
        `${what}${url} is ${why}; it crashed its worker ${n}× and was then neither handed out again nor quarantined (expected ${k} fetches, then quarantine). ` +
          `When a worker holding a URL dies (a DOWN message from your monitor), put the URL back in the queue, or quarantine it at the k-th crash`,
      );
    }
    if (n > k) {
      ctx.fail(
        `${what}${url} is ${why}; it was fetched ${n}×, expected exactly maxCrashes = ${k}: after its k-th crash, quarantine it and never hand it out again`,
      );
    }
    ctx.check(quarantined, `${what}${url} is ${why}; it was fetched ${k}× but the report does not list it in "quarantined"`);
  }
}

/**
 * Why a URL within reach was never fetched, from the order things happened: the page that
 * links to it on its shortest path was handed out as deeper than it is, or the report came
 * first. Empty when the trace shows neither.
 */
function neverFetched(run: CrawlRun, url: string, want: Expected): string {
  const d = want.depth.get(url);
  if (d === undefined || d === 0) return '';
  // The shortest path from a root, by the model's depths.
  const path = [url];
  for (let at = url, depth = d; depth > 0; depth--) {
    const parent = [...run.options.web.pages.values()].find((p) => want.depth.get(p.url) === depth - 1 && p.links.includes(at))?.url;
    if (parent === undefined) break;
    path.unshift(parent);
    at = parent;
  }
  const parent = path.length > 1 ? path[path.length - 2]! : undefined;
  return ` (its shortest path from a root: ${path.join(' → ')})` + (parent ? orderHint(run, parent, want) : '');
}

function orderHint(run: CrawlRun, parent: string, want: Expected): string {
  const jobs = run.jobs.filter((j) => j.url === parent);
  const wantDepth = want.depth.get(parent)!;
  const deeper = jobs.find((j) => j.depth > wantDepth);
  if (deeper) {
    return `; the frontier handed out ${parent} at t=${deeper.t} as depth ${deeper.depth}, but it is ${wantDepth} hops from a root: it was found first by a longer path and kept that depth, so its links looked too deep`;
  }
  if (jobs.length === 0 && run.resultAt !== undefined) return `; ${parent} itself was never handed out before the report (t=${run.resultAt})`;
  const lost = run.fetches.filter((f) => f.url === parent);
  if (lost.length > 0 && lost.every((f) => f.killed !== undefined || f.when !== 'soon' || f.poison)) {
    return `; ${parent}, which links to it, was fetched ${lost.length}× and each time its worker ${lost.every((f) => f.killed !== undefined) ? 'was killed' : 'crashed'} before it was done, and it was never handed out again`;
  }
  return '';
}

/** No fetch beyond maxDepth; with no faults, nothing fetched twice. */
export function checkFetches(ctx: PropertyContext, run: CrawlRun, want: Expected, options: { once: boolean }): void {
  const deep = [...new Set(run.fetches.map((f) => f.url))].filter((u) => !want.depth.has(u));
  ctx.check(
    deep.length === 0,
    `${listUrls(deep)} ${deep.length === 1 ? 'was' : 'were'} fetched, but ${deep.length === 1 ? 'it is' : 'they are'} more than maxDepth = ${run.config.maxDepth} hops from the roots (links on pages at maxDepth are not followed)`,
  );
  if (options.once) {
    const twice = [...new Set(run.fetches.map((f) => f.url))].filter((u) => run.fetchCount(u) > 1);
    ctx.check(
      twice.length === 0,
      () =>
        `${listUrls(twice.map((u) => `${u} (${run.fetchCount(u)}×)`))} ${twice.length === 1 ? 'was' : 'were'} fetched more than once although no worker crashed: ` +
        `a URL reached by two paths (or twice from one page) must be fetched once; the frontier must remember every URL it has seen`,
    );
  }
  ctx.check(
    run.lateFetches.length === 0,
    () =>
      `${listUrls(run.lateFetches.map((f) => f.url))} ${run.lateFetches.length === 1 ? 'was' : 'were'} fetched after the report was sent: the report must come only when nothing is queued or in flight`,
  );
  ctx.check(run.extraResults.length === 0, `${run.extraResults.length + 1} reports arrived; expected exactly one`);
}

/** Crashes the web and the test caused: poison answers and timeouts of live workers, and kills. */
export function injectedCrashes(run: CrawlRun): number {
  let n = run.kills.length;
  for (const f of run.fetches) {
    if (f.killed !== undefined) continue;
    if (f.when !== 'soon')
      n++; // the worker timed out
    else if (f.poison) n++; // parseLinks threw
  }
  return n;
}

/**
 * Why processes crashed for reasons the web did not cause, read from the trace: a hint to add
 * to a message about too many restarts (empty when there is nothing unusual).
 */
export async function unexpectedCrashes(run: CrawlRun): Promise<string> {
  const trace = await run.s.trace();
  const odd = new Map<string, { who: string; frontierGone: boolean }>();
  let frontierGone = false;
  for (const e of trace.events) {
    if (e.kind !== 'exit') continue;
    if (e.pid === run.frontier.pid) frontierGone = true;
    const error = (e.reason as { error?: { name?: string; message?: string } })?.error;
    if (!error || error.name === 'ParseError' || error.name === 'AskTimeoutError') continue;
    const key = `${error.name}: ${error.message}`;
    if (!odd.has(key)) odd.set(key, { who: trace.names[String(e.pid)] ?? `<${String(e.pid)}>`, frontierGone });
  }
  if (odd.size === 0) return '';
  const [[what, { who, frontierGone: after }]] = [...odd];
  if (what.startsWith('NoSuchNameError') && what.includes('"frontier"')) {
    return after
      ? ` ${who} crashed with "${what}": the frontier had already stopped while the pool was still restarting a crashed worker. ` +
          'Send the report only when every worker (config.workers of them) is waiting for work: then every crashed worker has been replaced'
      : ` ${who} crashed with "${what}": it started before the frontier had registered its name. ` +
          'Let the frontier register itself first and then start the pool (spawnLink), as the handout describes';
  }
  return ` ${who} crashed with "${what}", which the web did not cause`;
}

/**
 * Why fewer restarts than crashes, in words, from the trace: crashes the web caused that never
 * ended a worker (caught), or workers that ended and were never replaced (the crawl stopped
 * first). Empty when neither shows.
 */
export async function missingRestarts(run: CrawlRun): Promise<string> {
  const trace = await run.s.trace();
  const ended = exits(trace);
  const timeout = run.config.fetchTimeout;
  // Each crash the web caused, and what became of the worker that should have crashed.
  for (const f of run.fetches) {
    if (f.killed !== undefined || (f.when === 'soon' && !f.poison) || f.at + timeout > run.now) continue;
    const end = ended.get(f.worker.pid);
    if (end !== undefined && crashed(end.reason)) continue;
    const after =
      end === undefined ? 'it was still running at the end' : `it ended at t=${end.t} with reason "${typeof end.reason === 'string' ? end.reason : 'error'}"`;
    if (f.poison) {
      return (
        ` ${nameOf(trace, f.worker.pid)} fetched the poison page ${f.url} at t=${f.at} and did not crash (${after}): the parser's error was caught. ` +
        'Do not catch errors in the worker: a try/catch around the parser hides the crash from the supervisor'
      );
    }
    if (f.due !== undefined && end?.t !== f.at + timeout) {
      return (
        ` ${nameOf(trace, f.worker.pid)} fetched ${f.url} at t=${f.at}, which answered only at t=${f.due}, and did not crash at its timeout, t=${f.at + timeout} (${after}): ` +
        "it waited longer than fetchTimeout, or caught the ask's timeout error"
      );
    }
    return ` ${nameOf(trace, f.worker.pid)} fetched ${f.url} at t=${f.at}, which never answers, and did not crash (${after}): its ask's timeout error was caught, or it has no timeout`;
  }
  const replaced = new Set(restarts(trace).map((r) => r.old));
  const lost = [...ended].filter(
    ([pid, x]) => x.t >= run.startedAt && pid !== run.frontier.pid && (crashed(x.reason) || x.reason === 'killed') && !replaced.has(pid),
  );
  if (lost.length === 0) return '';
  const [pid, x] = lost[lost.length - 1]!;
  const report = run.resultAt !== undefined ? ` The report was sent at t=${run.resultAt}` : '';
  return (
    ` ${nameOf(trace, pid)} ended at t=${x.t} (${crashed(x.reason) ? 'crashed' : 'killed'}) and was never restarted${lost.length > 1 ? `, and ${lost.length - 1} more like it` : ''}.${report}` +
    (run.resultAt !== undefined && run.resultAt >= x.t
      ? ': the frontier reported (and stopped, and the pool with it) before the pool had replaced that worker. The report is due only once every worker (config.workers of them) is waiting for work'
      : '')
  );
}

/** How the worker that sent each fetch ended (from the trace), or undefined if it did not. */
export async function workerEnds(run: CrawlRun, fetches: readonly FetchSeen[]): Promise<({ t: number; reason: string } | undefined)[]> {
  const trace = await run.s.trace();
  const ends = new Map<number, { t: number; reason: string }>();
  for (const e of trace.events) {
    if (e.kind !== 'exit') continue;
    const r = e.reason as string | { error?: { name?: string } };
    ends.set(e.pid as number, { t: e.t, reason: typeof r === 'string' ? r : (r?.error?.name ?? JSON.stringify(r)) });
  }
  return fetches.map((f) => ends.get(f.worker.pid));
}

/** Fails unless every worker that waited for a page that came too late (or never) crashed exactly fetchTimeout after its fetch. */
export async function checkGaveUp(ctx: PropertyContext, run: CrawlRun, url: string): Promise<void> {
  const timeout = run.config.fetchTimeout;
  // Only waits whose timeout had run out before the crawl stopped say anything.
  const waits = run.fetches.filter((f) => f.url === url && f.when !== 'soon' && f.killed === undefined && f.at + timeout <= run.now);
  const ends = await workerEnds(run, waits);
  waits.forEach((f, i) => {
    const end = ends[i];
    const answered = f.due === undefined ? 'never answers' : `answers only ${f.due - f.at} ms after a fetch`;
    const crashed = end !== undefined && end.reason !== 'normal' && end.reason !== 'shutdown';
    ctx.check(
      crashed,
      () =>
        `${url} ${answered}; the worker that fetched it at t=${f.at} did not crash on it` +
        (end === undefined ? ' (it was still running at the end)' : ` (it ended at t=${end.t} with reason "${end.reason}", when the crawler stopped)`) +
        ': fetch with self.ask(..., { timeout: config.fetchTimeout }) and do not catch the AskTimeoutError — let it crash the worker',
    );
    ctx.check(
      end!.t - f.at === timeout,
      `${url} ${answered}; the worker that fetched it at t=${f.at} crashed at t=${end!.t}, ${end!.t - f.at} ms later: it must give up exactly fetchTimeout = ${timeout} ms after the fetch`,
    );
  });
}

/**
 * The restarts the supervisors made, in words, for a message about how many there were: which
 * worker ended when, why, on which URL, and when its successor started (at most 6 listed).
 */
export async function restartCauses(run: CrawlRun): Promise<string> {
  const trace = await run.s.trace();
  const ended = exits(trace);
  const list = restarts(trace)
    .filter((r) => r.t >= run.startedAt)
    .map((r) => {
      const end = ended.get(r.old);
      const last = run.fetches.filter((f) => f.worker.pid === r.old).at(-1);
      const on = last ? ` after fetching ${last.url} at t=${last.at}` : '';
      return `${nameOf(trace, r.old)} ended at t=${end?.t ?? r.t} (${reasonText(end?.reason)})${on}, restarted at t=${r.t}`;
    });
  if (list.length === 0) return ' The supervisors restarted no worker.';
  const shown = list.slice(0, 6);
  return ` The restarts: ${shown.join('; ')}${list.length > shown.length ? `; and ${list.length - shown.length} more` : ''}.`;
}

/** Restart events the supervisors recorded in the trace. */
export async function restartEvents(run: CrawlRun): Promise<{ count: number }> {
  return { count: restarts(await run.s.trace()).filter((r) => r.t >= run.startedAt).length };
}
