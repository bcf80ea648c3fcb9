// The crawler exercise: the frontier.
//
// One process owns the crawl's state. Workers pull jobs from it ("want" → "job"), and report
// each page ("done"). It monitors every worker that asks for work: a DOWN message for a worker
// that held a URL means the URL was not done. See the handout (exercises/crawler/README.md).
import type { Context, DownMessage, ExitMessage, Ref } from '#runtime';
import type { Aborted, CrawlerConfig, FrontierMessage, Job, Report } from '#exercises/crawler/protocol';
import { pool } from './worker.ts';

/** What the frontier receives: workers' messages, DOWN from its monitors, EXIT from the pool. */
type Inbox = FrontierMessage | DownMessage | ExitMessage;

export function frontier(config: CrawlerConfig) {
  return async (self: Context<Inbox>) => {
    self.register('frontier'); // workers find the frontier by this name
    self.trapExit(true); // the pool's end arrives as an EXIT message instead of killing us
    self.spawnLink(pool(config), { name: 'pool' });

    // TODO: the crawl's state. You will need, for example:
    //  - every URL seen so far, with its depth (to de-duplicate; roots have depth 0);
    //  - the URLs waiting for a worker (hand them out breadth first: depth 0, then 1, …);
    //  - which worker (pid) holds which URL;
    //  - how many times each URL has crashed a worker;
    //  - the workers waiting for a job (their "want" arrived, no job sent yet);
    //  - the report's lists, and the number of crashes seen.
    const waiting: Ref<Job>[] = [];

    for (;;) {
      // TODO: hand out jobs: one URL to each waiting worker, as long as there are URLs.

      // TODO: is the crawl over? (nothing queued, nothing in flight, and all config.workers
      // workers waiting for work). Then send the Report to config.reportTo, and return.

      const msg = await self.receive();
      switch (msg.type) {
        case 'want':
          // TODO: monitor this worker (once), and remember that it is waiting.
          waiting.push(msg.worker);
          break;
        case 'done':
          // TODO: the URL is no longer in flight; record the outcome; discover the links.
          break;
        case 'DOWN':
          // TODO: a worker ended. Forget it (it may have been waiting). Unless the reason is
          // 'shutdown', it crashed: count it, and put the URL it held back in the queue, or
          // quarantine the URL if it has now crashed config.maxCrashes workers.
          break;
        case 'EXIT':
          // TODO: the pool supervisor gave up: send Aborted to config.reportTo, and return.
          break;
      }
    }
  };
}
