// Hidden tests for the crawler exercise (never in the student pack).
import { PropertyFailure, exerciseTests, messagesOf, nameOf, type PropertyContext } from '#harness';
import { createRandom } from '#runtime/prng';
import { protocol } from '../../protocol.ts';
import {
  type Web,
  chainWeb,
  checkFetches,
  checkRoundTrip,
  checkQuarantine,
  checkReport,
  crawl,
  expected,
  injectedCrashes,
  listUrls,
  missingRestarts,
  mustReport,
  unexpectedCrashes,
  pageUrl,
  randomWeb,
  randomWebWhere,
  restartCauses,
  restartEvents,
  wideWeb,
  checkGaveUp,
  type CrawlRun,
  type Expected,
} from '../public/web.ts';

const t = exerciseTests(import.meta.url, protocol);

// ---- index ----------------------------------------------------------------------------------

t.property(
  'crawler.exactly-once',
  'random sites with cycles, shared pages, redirects and missing pages: every URL within the depth is reported once and fetched once',
  async (ctx: PropertyContext) => {
    for (let round = 0; round < 3; round++) {
      const web = randomWeb(ctx.random.fork(`web-${round}`), { pages: 24 + ctx.random.int(16), links: [1, 4], redirects: 3, missing: 3 });
      const maxDepth = 2 + ctx.random.int(3),
        workers = 2 + ctx.random.int(4);
      const run = await crawl(ctx, { web, maxDepth, workers, maxCrashes: 2 });
      const what = `[site ${round + 1}: ${web.size} URLs, maxDepth ${maxDepth}, ${workers} workers] `;
      const report = await mustReport(ctx, run);
      const want = expected(web, maxDepth, 2);
      checkReport(ctx, run, report, want, what);
      checkFetches(ctx, run, want, { once: true });
      ctx.check(report.restarts === 0, `${what}the report says ${report.restarts} restarts, but no worker crashed`);
      ctx.check(
        run.idleAfter === true,
        `${what}after the report the system did not go idle: once the crawl is over the frontier should stop (and the pool, linked to it, with it) — nothing should keep running or keep a timer`,
      );
    }
  },
);

t.property('crawler.second-crawl', 'a second crawl in the same system, after the first has ended, indexes everything again', async (ctx: PropertyContext) => {
  const maxDepth = 2 + ctx.random.int(2);
  const web = randomWebWhere(ctx.random.fork('web'), { pages: 24, links: [1, 4], redirects: 2, missing: 2 }, maxDepth, 2, (e) => e.indexed.size >= 8);
  const want = expected(web, maxDepth, 2);
  const first = await crawl(ctx, { web, maxDepth, workers: 3, maxCrashes: 2 });
  const firstReport = await mustReport(ctx, first);
  checkReport(ctx, first, firstReport, want, '[the first crawl] ');
  // The same site again, in the same system: the frontier and the pool are new processes,
  // but anything kept at module level is still there.
  const second = await crawl(ctx, { web, maxDepth, workers: 2 + ctx.random.int(3), maxCrashes: 2, session: first.s });
  const what = `[a second crawl of the same site, in the system where the first crawl (${first.fetches.length} fetches) had ended] `;
  const report = await mustReport(ctx, second).catch((err: Error) => {
    throw Object.assign(err, { message: `${what}${err.message}` });
  });
  const skipped = [...want.indexed].filter((u) => second.fetchCount(u) === 0);
  ctx.check(
    skipped.length === 0,
    `${what}${listUrls(skipped)} ${skipped.length === 1 ? 'was' : 'were'} never fetched, although the first crawl fetched ${skipped.length === 1 ? 'it' : 'them'}: ` +
      'a new crawler starts from nothing; what the first one saw (kept at module level?) must not carry over',
  );
  checkReport(ctx, second, report, want, what);
  ctx.check(report.restarts === 0, `${what}the report says ${report.restarts} restarts, but no worker crashed in this crawl (nor in the first)`);
});

// ---- quarantine -----------------------------------------------------------------------------

t.property(
  'crawler.poison-k',
  'every reachable poison page is fetched exactly k times and quarantined; pages only reachable through it are not crawled',
  async (ctx: PropertyContext) => {
    for (const k of [2, 3]) {
      const maxDepth = 4,
        workers = 3;
      const web = randomWebWhere(
        ctx.random.fork(`web-${k}`),
        { pages: 26, links: [1, 3], poison: 4, missing: 2 },
        maxDepth,
        k,
        (e) => e.quarantined.size >= 2 && e.indexed.size >= 8,
      );
      const run = await crawl(ctx, { web, maxDepth, workers, maxCrashes: k });
      const what = `[maxCrashes k = ${k}] `;
      const want = expected(web, maxDepth, k);
      const report = await mustReport(ctx, run);
      await checkQuarantine(ctx, run, report, want, what);
      // Pages behind a poison page are not crawled: its links are never read. (Whether every
      // other page got its right depth is the index and determinism tests' business.)
      const poisonLinks = withinReach(web, maxDepth);
      const behind = [...new Set(run.fetches.map((f) => f.url))].filter((u) => poisonLinks.has(u) && !want.depth.has(u));
      ctx.check(
        behind.length === 0,
        `${what}${listUrls(behind)} ${behind.length === 1 ? 'was' : 'were'} fetched, but can only be reached through a poison page, whose links are never read`,
      );
      const twice = [...want.indexed, ...want.redirects, ...want.missing].filter((u) => run.fetchCount(u) > 1);
      ctx.check(
        twice.length === 0,
        `${what}${listUrls(twice)} (not poison) ${twice.length === 1 ? 'was' : 'were'} fetched more than once: only the URL a crashed worker held is handed out again`,
      );
    }
  },
);

/** URLs within `maxDepth` hops of a root if every page's links were followed, poison pages' too. */
function withinReach(web: Web, maxDepth: number): Set<string> {
  const seen = new Set(web.roots);
  let level = [...web.roots];
  for (let d = 0; d < maxDepth; d++) {
    const next: string[] = [];
    for (const url of level)
      for (const link of web.pages.get(url)?.links ?? [])
        if (!seen.has(link)) {
          seen.add(link);
          next.push(link);
        }
    level = next;
  }
  return seen;
}

// ---- timeouts -------------------------------------------------------------------------------

t.property(
  'crawler.black-hole',
  'a page that never answers is quarantined after k timeouts, each after fetchTimeout; a page slow twice is still indexed',
  async (ctx: PropertyContext) => {
    const k = 3;
    const web = wideWeb(7, { 2: 'blackhole', 4: 'slow', 6: 'slow' });
    const twiceSlow = pageUrl(6);
    web.add({ ...web.pages.get(twiceSlow)!, slowTimes: 2 });
    const hole = pageUrl(2);
    const run = await crawl(ctx, { web, maxDepth: 1, workers: 3, maxCrashes: k });
    if (run.fetches.length === 0) await mustReport(ctx, run); // says why nothing happened
    ctx.check(run.fetchCount(hole) >= 1, `${hole} was never fetched`);
    await checkGaveUp(ctx, run, hole);
    await checkGaveUp(ctx, run, twiceSlow);
    const report = await mustReport(ctx, run);
    await checkQuarantine(ctx, run, report, expected(web, 1, k));
    checkReport(ctx, run, report, expected(web, 1, k));
    ctx.check(run.fetchCount(twiceSlow) === 3, `${twiceSlow} answers too late twice, then in time: it was fetched ${run.fetchCount(twiceSlow)}×, expected 3`);
    if (report.restarts !== k + 1 + 2)
      ctx.fail(
        `the report says ${report.restarts} restarts; expected ${k + 3} (${k} timeouts on ${hole}, 1 on ${pageUrl(4)}, 2 on ${twiceSlow}).` +
          (await restartCauses(run)),
      );
  },
);

// ---- reassign -------------------------------------------------------------------------------

t.property(
  'crawler.kill-reassigned',
  'a worker killed while it fetches: its URL is handed out again, fetched again and indexed once',
  async (ctx: PropertyContext) => {
    for (let round = 0; round < 2; round++) {
      const web = randomWeb(ctx.random.fork(`web-${round}`), { pages: 30, links: [1, 4], redirects: 2, missing: 2 });
      const k = 3,
        maxDepth = 3,
        workers = 4;
      const pick = ctx.random.fork(`kills-${round}`);
      const killed = new Map<string, number>();
      const run = await crawl(ctx, {
        web,
        maxDepth,
        workers,
        maxCrashes: k,
        killHolder: (f, r) => {
          const before = killed.get(f.url) ?? 0;
          // Kill the holder of the second fetch for sure, then about one in four; never k times the same URL.
          if (before >= k - 1 || !(r.fetches.length === 2 || pick.next() < 0.25)) return false;
          killed.set(f.url, before + 1);
          return true;
        },
      });
      const what = `[site ${round + 1}, ${run.kills.length} worker${run.kills.length === 1 ? '' : 's'} killed] `;
      const report = await mustReport(ctx, run);
      const want = expected(web, maxDepth, k);
      // Each URL whose worker was killed: fetched once more, then in the report once, in its list.
      for (const [url, n] of killed) {
        const fetched = run.fetchCount(url);
        ctx.check(
          fetched === n + 1,
          fetched <= n
            ? `${what}the worker fetching ${url} was killed ${n}× and the URL was fetched only ${fetched}×: a URL held by a worker that died must be handed out again (monitor the workers; on DOWN, put its URL back)`
            : `${what}the worker fetching ${url} was killed ${n}×; the URL was fetched ${fetched}×, expected ${n + 1}`,
        );
        const list = want.indexed.has(url) ? 'indexed' : want.redirects.has(url) ? 'redirects' : 'missing';
        const times = report[list].filter((u) => u === url).length;
        ctx.check(
          times === 1,
          `${what}the worker fetching ${url} was killed ${n}× and the URL was fetched again; the report's "${list}" lists it ${times}×, expected once`,
        );
      }
      ctx.check(
        report.restarts === run.kills.length,
        `${what}the report says ${report.restarts} restarts; expected ${run.kills.length} (the workers the test killed)`,
      );
    }
  },
);

t.property(
  'crawler.kill-idle',
  'a worker killed while it waits for work is forgotten by the frontier: no job is lost with it',
  async (ctx: PropertyContext) => {
    const web = chainWeb(10);
    let kills = 0;
    const victims: string[] = [];
    const run = await crawl(ctx, {
      web,
      maxDepth: 9,
      workers: 4,
      maxCrashes: 2,
      onQuiet: async (r) => {
        // On a chain only one URL is available at a time: the other workers wait for work.
        if (kills >= 3 || r.fetches.length < 2 + 2 * kills) return false;
        const idle = await idleWorkers(r);
        if (idle.length === 0) return false;
        const victim = idle[ctx.random.int(idle.length)]!;
        await r.s.exit({ kernel: 0, pid: victim }, 'kill');
        r.kills.push({ at: r.now, worker: { kernel: 0, pid: victim } });
        victims.push((await r.s.trace()).names[victim] ?? `<${victim}>`);
        kills++;
        return true;
      },
    });
    if (run.fetches.length === 0) await mustReport(ctx, run); // says why nothing happened
    ctx.check(
      kills > 0,
      'no worker was ever waiting for work, although only one URL at a time was available to a pool of 4: workers must ask the frontier for a job ("want") and wait for it',
    );
    const report = await mustReport(ctx, run).catch((err: Error) => {
      throw Object.assign(err, {
        message: `${err.message} (The test killed ${victims.join(', ')} while ${victims.length === 1 ? 'it was' : 'they were'} waiting for a job: the frontier must drop a dead worker from its list of waiting workers, or a job sent to it is lost.)`,
      });
    });
    checkReport(ctx, run, report, expected(web, 9, 2));
    ctx.check(
      report.restarts === kills,
      `the report says ${report.restarts} restarts; expected ${kills} (the waiting workers the test killed: ${victims.join(', ')})`,
    );
  },
);

/** Live workers (processes that sent "want") that are not waiting for a page right now. */
async function idleWorkers(run: CrawlRun): Promise<number[]> {
  const trace = await run.s.trace();
  const senders = new Set<number>();
  for (const e of trace.events) if (e.kind === 'send' && (e.msg as { type?: string })?.type === 'want') senders.add(e.from as number);
  const busy = new Set(
    run.fetches.filter((f) => f.answeredAt === undefined && f.killed === undefined && run.now - f.at < run.config.fetchTimeout).map((f) => f.worker.pid),
  );
  const idle: number[] = [];
  for (const pid of senders) {
    if (busy.has(pid)) continue;
    const info = await run.s.info({ kernel: 0, pid });
    if (info?.alive) idle.push(pid);
  }
  return idle.sort((a, b) => a - b);
}

// ---- bounded --------------------------------------------------------------------------------

t.property(
  'crawler.pull-bounded',
  'with plenty of work, exactly pool-size fetches are in flight, and a worker gets a job only when it asked for one',
  async (ctx: PropertyContext) => {
    for (const workers of [3, 5]) {
      const web = wideWeb(40);
      const run = await crawl(ctx, { web, maxDepth: 2, workers, maxCrashes: 2 });
      const what = `[${workers} workers, 40 pages] `;
      ctx.check(
        run.maxInFlight <= workers,
        () =>
          `${what}at t=${run.crowded!.at} the web had ${run.maxInFlight} fetches in flight with a pool of ${workers} workers ` +
          `(${listUrls(run.crowded!.urls)}): each worker must pull one job at a time ("want", then wait for "job"); the frontier must not push work`,
      );
      const v = await protocolTrace(run);
      ctx.check(v.unasked.length === 0, () => `${what}${v.unasked[0]}: the frontier must send a job only in answer to a "want" (pull), one job per want`);
      await mustReport(ctx, run);
      ctx.check(
        run.maxInFlight === workers,
        `${what}at most ${run.maxInFlight} fetches were ever in flight at once, although ${workers} workers had 40 pages to do: every worker should be fetching while work is queued`,
      );
    }
  },
);

/** Reads the trace: jobs sent without a "want", and fetches that do not follow a job. */
async function protocolTrace(run: CrawlRun): Promise<{ unasked: string[]; unjobbed: string[] }> {
  const trace = await run.s.trace();
  const name = (pid: number) => trace.names[pid] ?? `process <${pid}>`;
  const wants = new Map<number, number>(),
    jobs = new Map<number, number>();
  const current = new Map<number, { url: string; fetched: boolean }>();
  const tester = run.s.self.pid;
  const unasked: string[] = [],
    unjobbed: string[] = [];
  for (const e of trace.events) {
    if (e.kind !== 'send') continue;
    const msg = e.msg as { type?: string; url?: string };
    const from = e.from as number,
      to = e.to as number;
    if (msg?.type === 'want') wants.set(from, (wants.get(from) ?? 0) + 1);
    else if (msg?.type === 'job') {
      const n = (jobs.get(to) ?? 0) + 1;
      jobs.set(to, n);
      if (n > (wants.get(to) ?? 0))
        unasked.push(
          `at t=${e.t} the frontier sent ${name(to)} a job for ${msg.url}, but ${name(to)} had asked for ${wants.get(to) ?? 0} job(s) and had already been given ${n - 1}`,
        );
      current.set(to, { url: String(msg.url), fetched: false });
    } else if (msg?.type === 'fetch' && to === tester) {
      const job = current.get(from);
      if (job === undefined) unjobbed.push(`at t=${e.t} ${name(from)} fetched ${msg.url} without ever being given a job`);
      else if (job.url !== msg.url) unjobbed.push(`at t=${e.t} ${name(from)} fetched ${msg.url}, but its job was ${job.url}`);
      else if (job.fetched) unjobbed.push(`at t=${e.t} ${name(from)} fetched ${msg.url} a second time for the same job`);
      else job.fetched = true;
    }
  }
  return { unasked, unjobbed };
}

// ---- restarts -------------------------------------------------------------------------------

t.property(
  'crawler.restart-count',
  'the supervisor restarts exactly as many workers as the web and the test made crash: no error is swallowed',
  async (ctx: PropertyContext) => {
    for (let round = 0; round < 2; round++) {
      const web = randomWebWhere(
        ctx.random.fork(`web-${round}`),
        { pages: 28, links: [1, 4], poison: 2, slow: 2, blackholes: 1, missing: 2, redirects: 2 },
        3,
        2,
        (e, w) => [...e.quarantined].some((u) => w.kind(u) === 'poison') && [...e.indexed].some((u) => w.kind(u) === 'slow') && e.indexed.size >= 8,
      );
      const pick = ctx.random.fork(`kills-${round}`);
      const killed = new Set<string>();
      const run = await crawl(ctx, {
        web,
        maxDepth: 3,
        workers: 4,
        maxCrashes: 2,
        killHolder: (f) => {
          if (!['page', 'redirect', 'missing'].includes(web.kind(f.url)) || killed.has(f.url) || pick.next() > 0.15) return false;
          killed.add(f.url);
          return true;
        },
      });
      const report = await mustReport(ctx, run);
      const crashes = injectedCrashes(run);
      const poison = run.fetches.filter((f) => f.poison && f.killed === undefined).length;
      const timeouts = run.fetches.filter((f) => f.when !== 'soon' && f.killed === undefined).length;
      const { count } = await restartEvents(run);
      const what = `[site ${round + 1}: ${poison} poison answers, ${timeouts} timeouts, ${run.kills.length} kills = ${crashes} crashes] `;
      if (count < crashes) ctx.fail(`${what}the supervisor restarted workers only ${count} times, for ${crashes} crashes.` + (await missingRestarts(run)));
      if (count !== crashes)
        ctx.fail(
          `${what}the supervisor restarted workers ${count} times, more than the ${crashes} crashes the web caused.` +
            ((await unexpectedCrashes(run)) || ' Does a restarted worker redo stale work?') +
            (await restartCauses(run)),
        );
      if (report.restarts !== crashes) ctx.fail(`${what}the report says ${report.restarts} restarts; expected ${crashes}.` + (await restartCauses(run)));
    }
  },
);

t.property(
  'crawler.report-last',
  'the report comes only once every worker is waiting for work: after the last crash has been replaced',
  async (ctx: PropertyContext) => {
    for (const k of [1, 2, 3]) {
      // A chain whose last page is poison: the crawl's last events are crashes of workers.
      const n = 3 + ctx.random.int(4);
      const web = chainWeb(n);
      const last = pageUrl(n);
      web.add({ ...web.pages.get(pageUrl(n - 1))!, links: [last, pageUrl(0)] });
      web.add({ url: last, kind: 'poison', links: [pageUrl(0)] });
      const workers = 2 + ctx.random.int(3);
      const run = await crawl(ctx, { web, maxDepth: n, workers, maxCrashes: k });
      const what = `[a chain of ${n} pages ending in a poison page, maxCrashes ${k}, ${workers} workers] `;
      const report = await mustReport(ctx, run);
      const trace = await run.s.trace();
      const at = messagesOf(trace, 'report')[0]!;
      // The workers: processes started by the supervisor that started the first worker to ask for work.
      const firstWant = messagesOf(trace, 'want')[0];
      const sup = firstWant ? trace.events.find((e) => e.kind === 'spawn' && e.pid === firstWant.from)?.parent : undefined;
      const alive = new Map<number, { want: number; job: number; t: number }>();
      for (const e of trace.events) {
        if (e.seq > at.seq) break;
        if (e.kind === 'spawn' && e.parent === sup && sup !== undefined) alive.set(e.pid as number, { want: -1, job: -1, t: e.t });
        else if (e.kind === 'exit') alive.delete(e.pid as number);
        else if (e.kind === 'send' && (e.msg as { type?: string }).type === 'want' && alive.has(e.from as number)) alive.get(e.from as number)!.want = e.seq;
        else if (e.kind === 'send' && (e.msg as { type?: string }).type === 'job' && alive.has(e.to as number)) alive.get(e.to as number)!.job = e.seq;
      }
      const waiting = [...alive].filter(([, w]) => w.want > w.job);
      const notYet = [...alive].filter(([, w]) => w.want <= w.job);
      ctx.check(
        waiting.length === workers,
        () =>
          `${what}the report was sent at t=${at.t}, when ${waiting.length} of the ${workers} workers were waiting for work` +
          (notYet.length > 0
            ? ` (${notYet.map(([pid, w]) => `${nameOf(trace, pid)}, started at t=${w.t}, ${w.want < 0 ? 'had not asked for work yet' : 'was working'}`).join('; ')})`
            : '') +
          `: ${last} had just crashed a worker for the ${k === 1 ? 'first and only' : `${k}th`} time. The report is due once nothing is queued or in flight and every worker (config.workers of them) is waiting for work: then every crash has been dealt with`,
      );
      void report;
    }
  },
);

t.property(
  'crawler.flood-escalates',
  'a flood of poison pages exceeds the restart intensity: the pool gives up after exactly `intensity` restarts and the crawl is aborted',
  async (ctx: PropertyContext) => {
    const kinds: Record<number, 'poison'> = {};
    for (let i = 1; i <= 30; i++) kinds[i] = 'poison';
    const flood = await crawl(ctx, { web: wideWeb(30, kinds), maxDepth: 1, workers: 4, maxCrashes: 3, intensity: 5, period: 1000 });
    if (flood.fetches.length === 0) await mustReport(ctx, flood); // says why nothing happened
    const r = flood.result;
    ctx.check(
      r !== undefined,
      'the web served 30 poison pages to 4 workers (intensity: 5 restarts in 1000 ms) and no report or "aborted" arrived: when the pool supervisor gives up, the frontier (linked to it, trapping exits) must send "aborted" to reportTo',
    );
    ctx.check(
      r.type === 'aborted',
      `a flood of poison pages (more than 5 crashes within 1000 ms) ended with a ${r.type}, expected "aborted": give the pool supervisor config.intensity and config.period, so that it gives up, and let the frontier report it`,
    );
    const { count } = await restartEvents(flood);
    ctx.check(
      count === 5,
      `the pool restarted workers ${count} time${count === 1 ? '' : 's'} before giving up; with intensity 5 it should restart exactly 5 (the 6th crash within the period makes it give up)`,
    );
    ctx.check(
      flood.lateFetches.length === 0,
      `${listUrls(flood.lateFetches.map((f) => f.url))} ${flood.lateFetches.length === 1 ? 'was' : 'were'} fetched after "aborted" was sent: the crawl must stop`,
    );
    ctx.check(
      (await flood.s.whereis('frontier')) === null,
      'after "aborted", a process is still registered as "frontier": the frontier should stop once the pool has given up',
    );
    ctx.check(flood.extraResults.length === 0, `after "aborted", ${flood.extraResults.length} more result message(s) arrived`);

    // The same kind of web, but fewer crashes than the intensity allows: no escalation.
    const calm: Record<number, 'poison'> = {};
    for (let i = 1; i <= 10; i++) calm[i] = 'poison';
    const ok = await crawl(ctx, { web: wideWeb(12, calm), maxDepth: 1, workers: 4, maxCrashes: 2, intensity: 25, period: 1000 });
    ctx.check(
      ok.result?.type === 'report',
      `10 poison pages × maxCrashes 2 = 20 crashes, with intensity 25 in 1000 ms, ended with ${ok.result ? `"${ok.result.type}"` : 'no result'}; expected a report: use config.intensity and config.period for the pool supervisor`,
    );
  },
);

// ---- fresh ----------------------------------------------------------------------------------

t.property(
  'crawler.fresh-restart',
  'a restarted worker starts from fresh state: it asks for work and fetches only the URL of its new job; late answers to a dead worker change nothing',
  async (ctx: PropertyContext) => {
    for (let round = 0; round < 2; round++) {
      const k = 3;
      const web = randomWebWhere(
        ctx.random.fork(`web-${round}`),
        { pages: 24, links: [1, 4], poison: 3, slow: 1, missing: 1 },
        3,
        k,
        (e) => e.quarantined.size >= 1 && e.indexed.size >= 8,
      );
      const pick = ctx.random.fork(`kills-${round}`);
      const killed = new Set<string>();
      const run = await crawl(ctx, {
        web,
        maxDepth: 3,
        workers: 3,
        maxCrashes: k,
        intensity: 60,
        killHolder: (f) => {
          // Killed while the web holds its page: the answer still comes, to a worker that is gone.
          if (!['page', 'redirect', 'missing'].includes(web.kind(f.url)) || killed.has(f.url) || pick.next() > 0.2) return false;
          killed.add(f.url);
          return true;
        },
      });
      const what = `[site ${round + 1}] `;
      const v = await protocolTrace(run);
      ctx.check(
        v.unjobbed.length === 0,
        () =>
          `${what}${v.unjobbed[0]}. A worker fetches only the URL of the job it was just given; a restarted worker is a new process that must start from scratch (ask for work), not resume what its crashed predecessor was doing`,
      );
      // (Whether the crawl then ends, and with the right index, the other tests check.)
      if ((await restartEvents(run)).count === 0)
        await mustReport(ctx, run).then(() =>
          ctx.fail(
            `${what}no worker was ever restarted, although the test killed ${run.kills.length} and the web crashed others: there was no restarted worker to watch`,
          ),
        );
    }
  },
);

// ---- determinism ----------------------------------------------------------------------------

t.property(
  'crawler.same-index',
  'the same site gives the same index under every schedule (each URL at its shortest distance from the roots)',
  async (ctx: PropertyContext) => {
    // One fixed site for every seed; only the timing of answers changes.
    const web = withShortcuts(randomWeb(createRandom(20_130_226), { pages: 48, links: [2, 3], jump: 0.55, redirects: 3, missing: 2 }), 3);
    checkRoundTrip(web);
    const maxDepth = 3;
    const want = expected(web, maxDepth, 2);
    const hash = (url: string) => [...url].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
    for (let round = 0; round < 3; round++) {
      const timing = ctx.random.fork(`timing-${round}`);
      // Round 1: random timing. Rounds 2 and 3: the short paths answer slowly while the long
      // ones answer fast, so the long paths are found first.
      const latency =
        round === 0
          ? () => 1 + timing.int(45)
          : (url: string) => (url.includes('/short/') || (round === 2 && (want.depth.get(url) ?? 9) === 2 && hash(url) % 3 === 0) ? 45 : 1 + timing.int(3));
      const run = await crawl(ctx, { web, maxDepth, workers: 6, maxCrashes: 2, latency });
      const report = await mustReport(ctx, run);
      try {
        sameAsModel(ctx, run, want);
        checkReport(ctx, run, report, want, `[the same site, schedule ${round + 1}] `);
      } catch (err) {
        if (err instanceof PropertyFailure && /misses|should not be there|hops from the roots/.test(err.message)) {
          err.message +=
            '. With several workers, a URL can be found first by a longer path while a shorter one is still being fetched: ' +
            'its depth is the length of the shortest path, whatever the order answers come in (hand out URLs level by level, or lower a depth found again by a shorter path and follow its links again)';
        }
        throw err;
      }
    }
  },
);

t.property(
  'crawler.shortest-depth',
  'a URL found first by a longer path still gets its shortest depth, and its links are followed',
  async (ctx: PropertyContext) => {
    for (let round = 0; round < 2; round++) {
      // Pairs of paths from the root to x: a slow short one (root → s → x) and a fast long one
      // (root → f → v → x); x links to y, which only the short path brings within maxDepth 3.
      const pairs = 1 + ctx.random.int(3);
      const base = randomWeb(ctx.random.fork(`web-${round}`), { pages: 6 + ctx.random.int(6), links: [1, 3] });
      const web = withPairs(base, pairs);
      const maxDepth = 3,
        workers = 2 + pairs + ctx.random.int(3);
      const timing = ctx.random.fork(`timing-${round}`);
      const run = await crawl(ctx, { web, maxDepth, workers, maxCrashes: 2, latency: (url) => (url.includes('/slow/') ? 45 : 1 + timing.int(3)) });
      const want = expected(web, maxDepth, 2);
      const what = `[${pairs} pair${pairs === 1 ? '' : 's'} of paths root → slow/i → x/i (45 ms) and root → fast/i → via/i → x/i (1-3 ms), maxDepth ${maxDepth}, ${workers} workers] `;
      checkReport(ctx, run, await mustReport(ctx, run), want, what);
    }
  },
);

/** Adds `n` pairs of paths root → slow/i → x/i and root → fast/i → via/i → x/i, with x/i → y/i. */
function withPairs(web: Web, n: number): Web {
  const root = web.pages.get(web.roots[0]!)!;
  const extra: string[] = [];
  for (let i = 0; i < n; i++) {
    const d = (p: string) => `https://d.test/${p}/${i}`;
    extra.push(d('slow'), d('fast'));
    web.add({ url: d('slow'), kind: 'page', links: [d('x')] });
    web.add({ url: d('fast'), kind: 'page', links: [d('via')] });
    web.add({ url: d('via'), kind: 'page', links: [d('x')] });
    web.add({ url: d('x'), kind: 'page', links: [d('y')] });
    web.add({ url: d('y'), kind: 'page', links: [root.url] });
  }
  web.add({ ...root, links: [...root.links, ...extra] });
  checkRoundTrip(web);
  return web;
}

/**
 * Adds `n` pairs of paths from the root to a page X: root → short/i → X (2 hops) and
 * root → long/i → via/i → X (3 hops); X links on to Y. With maxDepth 3, Y is within reach
 * only through the short path, so a crawler that keeps the depth of the first path found
 * (the long one, when short/i is slow) misses Y.
 */
function withShortcuts(web: Web, n: number): Web {
  const root = web.pages.get(web.roots[0]!)!;
  const extra: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = (p: string) => `https://c.test/${p}/${i}`;
    extra.push(c('short'), c('long'));
    web.add({ url: c('short'), kind: 'page', links: [c('x')] });
    web.add({ url: c('long'), kind: 'page', links: [c('via')] });
    web.add({ url: c('via'), kind: 'page', links: [c('x')] });
    web.add({ url: c('x'), kind: 'page', links: [c('y')] });
    web.add({ url: c('y'), kind: 'page', links: [root.url] });
  }
  web.add({ ...root, links: [...root.links, ...extra] });
  return web;
}

/** Explains a difference from the model by depth: the usual cause is keeping the depth of the first path found. */
function sameAsModel(ctx: PropertyContext, run: CrawlRun, want: Expected): void {
  const deep = [...new Set(run.fetches.map((f) => f.url))].filter((u) => !want.depth.has(u));
  ctx.check(
    deep.length === 0,
    `${listUrls(deep)} ${deep.length === 1 ? 'was' : 'were'} fetched although more than maxDepth = ${run.config.maxDepth} hops from the roots by the shortest path`,
  );
}
