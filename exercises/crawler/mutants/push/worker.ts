// MUTANT: push instead of pull: the worker says hello once, then fetches every job it is sent, all at once
import { supervisor, type Context } from '#runtime';
import type { CrawlerConfig, Done, Fetch, Job, Want, WebReply } from '#exercises/crawler/protocol';
import { parseLinks } from '#exercises/crawler/parse';

export function worker(config: CrawlerConfig) {
  return async (self: Context<Job>) => {
    self.send<Want>('frontier', { type: 'want', worker: self.ref }); // "hello, I exist"
    for (;;) {
      const job = await self.receive({ type: 'job' });
      // One linked helper per job: as many fetches in flight as jobs pushed to us.
      self.spawnLink(async (helper: Context<never>) => {
        const reply = await helper.ask<WebReply, Fetch>(config.web, (replyTo) => ({ type: 'fetch', url: job.url, replyTo }), { timeout: config.fetchTimeout });
        const links = reply.type === 'page' ? parseLinks(reply) : reply.type === 'redirect' ? [reply.location] : [];
        helper.send<Done>('frontier', { type: 'done', url: job.url, outcome: reply.type, links });
      }, { name: `fetch ${job.url}` });
    }
  };
}

/** The pool: a one_for_one supervisor restarting each worker that crashes, within the configured intensity. */
export function pool(config: CrawlerConfig) {
  return supervisor({
    strategy: 'one_for_one',
    intensity: config.intensity,
    period: config.period,
    children: Array.from({ length: config.workers }, (_, i) => ({ id: `worker-${i + 1}`, start: () => worker(config) })),
  });
}
