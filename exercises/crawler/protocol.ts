// The crawler exercise's protocol: every message, in both directions, as a zod schema (checked
// at run time by the tests) and as a TypeScript type (checked at compile time in your code).
//
//            want / done                          fetch
//   worker ─────────────────▶ frontier   worker ──────────▶ web (the test)
//   worker ◀───────────────── frontier   worker ◀────────── web
//                 job                            page / redirect / missing
//
//   frontier ──▶ reportTo: report (the crawl is over) or aborted (the pool gave up)
import { z } from 'zod';
import { refOf, type Context, type Ref } from '#runtime';

/** A URL, absolute: "https://a.test/p/3". */
const Url = z.string().min(1);

// ---- The simulated web (played by the tests) -------------------------------------------------

/** A worker asks the web for a page (use `self.ask`, which makes `replyTo` for you). */
export const Fetch = z.object({ type: z.literal('fetch'), url: Url, replyTo: refOf<WebReply>() });
export type Fetch = z.infer<typeof Fetch>;

/** The page exists: give it to `parseLinks` (from '#exercises/crawler/parse'). */
export const Page = z.object({ type: z.literal('page'), url: Url, body: z.string() });
export type Page = z.infer<typeof Page>;

/** The page has moved to `location` (an absolute URL). A redirect counts as a link: one hop. */
export const Redirect = z.object({ type: z.literal('redirect'), url: Url, location: Url });
export type Redirect = z.infer<typeof Redirect>;

/** There is no page at this URL (HTTP 404). */
export const Missing = z.object({ type: z.literal('missing'), url: Url });
export type Missing = z.infer<typeof Missing>;

/** Everything the web can answer. A slow page may answer after your timeout, or never. */
export const WebReply = z.discriminatedUnion('type', [Page, Redirect, Missing]);
export type WebReply = z.infer<typeof WebReply>;

// ---- Workers and the frontier -----------------------------------------------------------------

/** A job: one URL for one worker, found `depth` hops from a root. */
export const Job = z.object({ type: z.literal('job'), url: Url, depth: z.number().int().nonnegative() });
export type Job = z.infer<typeof Job>;

/** A worker asks the frontier (registered as "frontier") for its next job. Pull, never push. */
export const Want = z.object({ type: z.literal('want'), worker: refOf<Job>() });
export type Want = z.infer<typeof Want>;

/**
 * A worker tells the frontier how its job went. `links`: for a page, what `parseLinks`
 * returned; for a redirect, `[location]`; for a missing page, `[]`.
 */
export const Done = z.object({
  type: z.literal('done'),
  url: Url,
  outcome: z.enum(['page', 'redirect', 'missing']),
  links: z.array(Url),
});
export type Done = z.infer<typeof Done>;

// ---- The end of the crawl ----------------------------------------------------------------------

/** Sent once to `reportTo` when nothing is queued and nothing is in flight (quiescence). */
export const Report = z.object({
  type: z.literal('report'),
  /** Pages fetched and parsed (outcome 'page'), each once. */
  indexed: z.array(Url),
  /** URLs that answered with a redirect. */
  redirects: z.array(Url),
  /** URLs that answered 'missing'. */
  missing: z.array(Url),
  /** URLs given up after `maxCrashes` crashes of workers that held them. */
  quarantined: z.array(Url),
  /** How many times a worker crashed (and so was restarted by the pool supervisor). */
  restarts: z.number().int().nonnegative(),
});
export type Report = z.infer<typeof Report>;

/** Sent once to `reportTo` instead of a report when the pool supervisor gave up (too many crashes). */
export const Aborted = z.object({ type: z.literal('aborted'), reason: z.string() });
export type Aborted = z.infer<typeof Aborted>;

export type CrawlResult = Report | Aborted;

// ---- Configuration and the entry point ---------------------------------------------------------

export const CrawlerConfig = z.object({
  /** The simulated web: send it Fetch requests. */
  web: refOf<Fetch>(),
  /** Where the crawl starts (depth 0). */
  roots: z.array(Url).min(1),
  /** Fetch URLs up to this many hops from a root (links found on pages at maxDepth are not followed). */
  maxDepth: z.number().int().nonnegative(),
  /** Number of fetcher workers in the pool (the most fetches in flight at once). */
  workers: z.number().int().min(1),
  /** Ms a worker waits for the web before giving up (its ask times out, and it crashes). */
  fetchTimeout: z.number().int().positive(),
  /** A URL that crashes a worker this many times (k) is quarantined: never handed out again. */
  maxCrashes: z.number().int().min(1),
  /** The pool supervisor's restart intensity: more than `intensity` restarts within `period` ms... */
  intensity: z.number().int().nonnegative(),
  /** ...and the pool gives up (the crawl is aborted). */
  period: z.number().int().positive(),
  /** Who gets the Report (or Aborted). */
  reportTo: refOf<CrawlResult>(),
});
export type CrawlerConfig = z.infer<typeof CrawlerConfig>;

/** Everything the frontier can receive from workers (plus DOWN and EXIT, see the handout). */
export type FrontierMessage = Want | Done;

/**
 * Entry point: start the crawler and return the frontier's Ref. The frontier registers itself
 * as "frontier", then starts the pool supervisor (linked) with `workers` workers. Workers pull
 * jobs, fetch, parse, and report; the frontier de-duplicates URLs, reassigns the URL of a worker
 * that crashed, quarantines a URL after `maxCrashes` crashes, and at quiescence sends the Report.
 */
export type StartCrawler = (self: Context<never>, config: CrawlerConfig) => Ref<FrontierMessage> | Promise<Ref<FrontierMessage>>;

/** What the tests check every message against. */
export const protocol = {
  toSystem: WebReply,
  fromSystem: z.union([Fetch, Report, Aborted]),
};
