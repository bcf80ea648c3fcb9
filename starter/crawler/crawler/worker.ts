// The crawler exercise: a fetcher worker, and the pool that supervises the workers.
//
// A worker pulls one job at a time from the frontier, fetches the page from config.web,
// parses its links and reports back. It catches nothing: a poison page makes parseLinks
// throw, a slow page makes the ask time out, and either way the worker crashes. That is the
// point: its supervisor starts a fresh one, and the frontier hands the URL out again.
import { supervisor, type Context } from '#runtime';
import type { CrawlerConfig, Done, Fetch, Job, Want, WebReply } from '#exercises/crawler/protocol';
import { parseLinks } from '#exercises/crawler/parse';

export function worker(config: CrawlerConfig) {
  return async (self: Context<Job>) => {
    // TODO: for ever:
    //  1. ask the frontier for work: send a Want to 'frontier' (by name) with self.ref;
    //  2. wait for the Job;
    //  3. fetch job.url from config.web with self.ask, with { timeout: config.fetchTimeout };
    //  4. page → parseLinks(reply); redirect → [reply.location]; missing → [];
    //  5. send a Done to 'frontier'.
    await self.receive(); // (placeholder: waits for ever)
  };
}

/** The pool: a one_for_one supervisor that restarts each worker that crashes. */
export function pool(config: CrawlerConfig) {
  return supervisor({
    strategy: 'one_for_one',
    // TODO: the restart intensity and period come from config.
    children: Array.from({ length: config.workers }, (_, i) => ({
      id: `worker-${i + 1}`,
      start: () => worker(config), // a fresh body for every (re)start
    })),
  });
}
