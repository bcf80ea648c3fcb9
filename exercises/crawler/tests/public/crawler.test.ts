// Public tests for the crawler exercise: run them with `npm test -- crawler`.
// The test plays the web (see web.ts): it answers your workers' fetches and counts them.
import { exerciseTests, type PropertyContext } from '#harness';
import { protocol } from '../../protocol.ts';
import {
  Web,
  checkFetches,
  checkQuarantine,
  checkReport,
  crawl,
  expected,
  listUrls,
  missingRestarts,
  mustReport,
  pageUrl,
  restartCauses,
  restartEvents,
  unexpectedCrashes,
  wideWeb,
  checkGaveUp,
  FETCH_TIMEOUT,
} from './web.ts';

const t = exerciseTests(import.meta.url, protocol);

/** A small site: a cycle, two paths to one page, a redirect, a missing page, and pages beyond the depth limit. */
function smallSite(): Web {
  const p = pageUrl;
  return new Web([p(0)])
    .add({ url: p(0), kind: 'page', links: [p(1), p(2), 'https://a.test/old/1', 'https://b.test/gone/1'] })
    .add({ url: p(1), kind: 'page', links: [p(2), p(0), p(3)] })
    .add({ url: p(2), kind: 'page', links: [p(3), p(5)] })
    .add({ url: 'https://a.test/old/1', kind: 'redirect', links: [p(4)] })
    .add({ url: p(3), kind: 'page', links: [p(6), p(1)] })
    .add({ url: p(4), kind: 'page', links: [p(7)] })
    .add({ url: p(5), kind: 'page', links: [p(8), p(6)] })
    .add({ url: p(6), kind: 'page', links: [p(9)] })
    .add({ url: p(7), kind: 'page', links: [] })
    .add({ url: p(8), kind: 'page', links: [] })
    .add({ url: p(9), kind: 'page', links: [] });
}

t.property(
  'crawler.small-site',
  'a small site with a cycle, a redirect and a missing page is crawled to depth 2, each page fetched once',
  async (ctx: PropertyContext) => {
    const web = smallSite();
    let registered: unknown = 'not checked';
    const run = await crawl(ctx, {
      web,
      maxDepth: 2,
      workers: 3,
      maxCrashes: 2,
      onQuiet: async (r) => {
        if (registered === 'not checked') registered = await r.s.whereis('frontier');
        return false;
      },
    });
    ctx.check(
      registered !== null && registered !== 'not checked' && (registered as { pid: number }).pid === run.frontier.pid,
      registered === null
        ? 'no process is registered as "frontier" once the crawler has started: the frontier must register itself (self.register("frontier")) so that workers can find it by name'
        : 'the process registered as "frontier" is not the one startCrawler returned: return the frontier\'s Ref',
    );
    const report = await mustReport(ctx, run);
    const want = expected(web, 2, 2);
    checkReport(ctx, run, report, want);
    checkFetches(ctx, run, want, { once: true });
    ctx.check(report.restarts === 0, `the report says ${report.restarts} restarts, but no worker crashed (no poison, slow or never-answering pages here)`);
  },
);

t.property(
  'crawler.poison-quarantined',
  'a poison page crashes its worker k = 2 times, is quarantined, and the crawl still ends',
  async (ctx: PropertyContext) => {
    const web = wideWeb(6, { 3: 'poison' });
    const poison = pageUrl(3);
    const run = await crawl(ctx, { web, maxDepth: 1, workers: 3, maxCrashes: 2 });
    const report = await mustReport(ctx, run);
    await checkQuarantine(ctx, run, report, expected(web, 1, 2));
    checkReport(ctx, run, report, expected(web, 1, 2));
    const restarts = await restartEvents(run);
    ctx.check(
      restarts.count === 2,
      restarts.count === 0
        ? `no worker was restarted, but ${poison} made parseLinks throw twice: do not catch the parser's error — let the worker crash and its supervisor restart it`
        : `the supervisor restarted workers ${restarts.count} times; expected 2 (one per crash on ${poison}).` +
            (restarts.count < 2 ? await missingRestarts(run) : (await unexpectedCrashes(run)) + (await restartCauses(run))),
    );
    if (report.restarts !== 2)
      ctx.fail(`the report says ${report.restarts} restarts; expected 2 (the pool supervisor restarted a worker twice).` + (await restartCauses(run)));
  },
);

t.property(
  'crawler.slow-retried',
  'a slow page times out after fetchTimeout, its worker crashes, and the page is fetched again and indexed',
  async (ctx: PropertyContext) => {
    const web = wideWeb(5, { 2: 'slow' });
    const slow = pageUrl(2);
    const run = await crawl(ctx, { web, maxDepth: 1, workers: 3, maxCrashes: 2 });
    if (run.fetches.length === 0) await mustReport(ctx, run); // says why nothing happened
    const first = run.fetches.find((f) => f.url === slow);
    ctx.check(first !== undefined, `${slow} was never fetched`);
    // First: did the worker give up on it, exactly at its timeout, by crashing?
    await checkGaveUp(ctx, run, slow);
    const again = run.fetches.find((f) => f.url === slow && f.n === 2);
    if (again === undefined) {
      const report = run.result?.type === 'report' ? run.result : undefined;
      ctx.fail(
        `${slow} answered ${Math.ceil(FETCH_TIMEOUT * 2.5)} ms after the fetch; its worker crashed at the timeout (${FETCH_TIMEOUT} ms), as it should, but ${slow} was never fetched again` +
          (report?.quarantined.includes(slow)
            ? ': the report lists it as quarantined after one crash, but maxCrashes is 2'
            : ': a URL whose worker crashed must be handed out again (the frontier monitors the workers; on DOWN, put the URL back at the front of the queue)'),
      );
    }
    ctx.check(
      again.at - first.at <= FETCH_TIMEOUT + 50,
      `${slow} was fetched again only ${again.at - first.at} ms after the first fetch (its worker gave up after ${FETCH_TIMEOUT} ms): ` +
        'a URL whose worker crashed must be handed out again at once (put it back at the front of the queue)',
    );
    const report = await mustReport(ctx, run);
    checkReport(ctx, run, report, expected(web, 1, 2));
    if (report.restarts !== 1)
      ctx.fail(`the report says ${report.restarts} restarts; expected 1 (the worker that timed out on ${slow}).` + (await restartCauses(run)));
    ctx.check(
      run.fetchCount(slow) === 2,
      `${slow} was fetched ${run.fetchCount(slow)}×; expected 2 (one timeout, then success): ${listUrls([slow])} must not be fetched again once indexed`,
    );
  },
);
