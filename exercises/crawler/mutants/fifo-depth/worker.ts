// Reference solution for the crawler exercise: a fetcher worker.
//
// It pulls one job at a time from the frontier, fetches the page, parses its links and
// reports back. It catches nothing: a poison page makes parseLinks throw, a slow page makes
// the ask time out, and either way the worker crashes. Its supervisor starts a fresh one, and
// the frontier (which monitors workers) hands the URL out again.
import { supervisor, type Context } from '#runtime';
import type { CrawlerConfig, Done, Fetch, Job, Want, WebReply } from '#exercises/crawler/protocol';
import { parseLinks } from '#exercises/crawler/parse';

export function worker(config: CrawlerConfig) {
  return async (self: Context<Job>) => {
    for (;;) {
      self.send<Want>('frontier', { type: 'want', worker: self.ref });
      const job = await self.receive({ type: 'job' });
      const reply = await self.ask<WebReply, Fetch>(config.web, (replyTo) => ({ type: 'fetch', url: job.url, replyTo }), { timeout: config.fetchTimeout });
      let done: Done;
      switch (reply.type) {
        case 'page':
          done = { type: 'done', url: job.url, outcome: 'page', links: parseLinks(reply) };
          break;
        case 'redirect':
          done = { type: 'done', url: job.url, outcome: 'redirect', links: [reply.location] };
          break;
        case 'missing':
          done = { type: 'done', url: job.url, outcome: 'missing', links: [] };
          break;
      }
      self.send<Done>('frontier', done);
    }
  };
}

/** The pool: a one_for_one supervisor restarting each worker that crashes, within the configured intensity. */
export function pool(config: CrawlerConfig) {
  return supervisor({
    strategy: 'one_for_one',
    intensity: config.intensity,
    period: config.period,
    children: Array.from({ length: config.workers }, (_, i) => ({
      id: `worker-${i + 1}`,
      // A fresh body for every (re)start: a restarted worker starts from scratch.
      start: () => worker(config),
    })),
  });
}
