// Reference solution for the crawler exercise: the frontier.
//
// One process owns the crawl's state: which URLs have been seen (de-duplication), which are
// waiting, which worker holds which URL, how often each URL crashed a worker. Workers pull
// jobs (`want`), so at most one job per worker is ever in flight. The frontier monitors every
// worker that asks for work: a DOWN for a worker that held a URL means the URL was not done,
// so it goes back in the queue (or into quarantine after `maxCrashes` crashes).
//
// URLs are handed out level by level (breadth first): every URL of depth d is finished before
// any of depth d+1 is handed out. So each URL gets its shortest distance from a root, and the
// set of URLs within maxDepth does not depend on which worker happened to be faster.
import type { Context, DownMessage, ExitMessage, Ref } from '#runtime';
import type { Aborted, CrawlerConfig, FrontierMessage, Job, Report } from '#exercises/crawler/protocol';
import { pool } from './worker.ts';

type Inbox = FrontierMessage | DownMessage | ExitMessage;

export function frontier(config: CrawlerConfig) {
  return async (self: Context<Inbox>) => {
    self.register('frontier');
    self.trapExit(true); // the pool's end arrives as an EXIT message instead of killing us
    self.spawnLink(pool(config), { name: 'pool' });

    let level = 0;
    let queue: string[] = []; // URLs of the current level, waiting for a worker
    let next: string[] = []; // URLs of the next level, found so far
    const depth = new Map<string, number>(); // every URL ever seen, with its depth
    const holding = new Map<number, string>(); // worker pid → the URL it is working on
    const crashes = new Map<string, number>();
    const watched = new Set<number>(); // workers we monitor
    let idle: Ref<Job>[] = []; // workers waiting for a job
    const indexed: string[] = [],
      redirects: string[] = [],
      missing: string[] = [],
      quarantined: string[] = [];
    let restarts = 0;

    const discover = (url: string, d: number): void => {
      if (d > config.maxDepth || depth.has(url)) return;
      depth.set(url, d);
      (d === level ? queue : next).push(url);
    };
    for (const root of config.roots) discover(root, 0);

    for (;;) {
      // Hand out work to workers that asked for it.
      while (idle.length > 0 && queue.length > 0) {
        const w = idle.shift()!;
        const url = queue.shift()!;
        holding.set(w.pid, url);
        self.send<Job>(w, { type: 'job', url, depth: depth.get(url)! });
      }
      if (queue.length === 0 && holding.size === 0 && next.length > 0) {
        // This level is finished: every URL of the next one now has its shortest depth.
        level++;
        queue = next;
        next = [];
        continue;
      }
      // Quiescence: nothing queued, nothing in flight, and every worker waiting for work (so
      // every worker that crashed has been replaced, and the pool is calm).
      if (queue.length === 0 && holding.size === 0 && next.length === 0 && idle.length === config.workers) {
        self.send<Report>(config.reportTo, { type: 'report', indexed, redirects, missing, quarantined, restarts });
        return; // the pool is linked to us: it stops too
      }

      const msg = await self.receive();
      switch (msg.type) {
        case 'want':
          if (!watched.has(msg.worker.pid)) {
            watched.add(msg.worker.pid);
            self.monitor(msg.worker);
          }
          idle.push(msg.worker);
          break;
        case 'done': {
          const holder = [...holding].find(([, url]) => url === msg.url);
          if (holder === undefined) break; // not in flight (a stale report): ignore it
          holding.delete(holder[0]);
          const d = depth.get(msg.url)!;
          (msg.outcome === 'page' ? indexed : msg.outcome === 'redirect' ? redirects : missing).push(msg.url);
          for (const link of msg.links) discover(link, d + 1);
          break;
        }
        case 'DOWN': {
          const pid = msg.ref.pid;
          watched.delete(pid);
          idle = idle.filter((w) => w.pid !== pid);
          if (msg.reason === 'shutdown') break; // stopped by the pool, not a crash
          restarts++;
          const url = holding.get(pid);
          if (url === undefined) break;
          holding.delete(pid);
          const n = (crashes.get(url) ?? 0) + 1;
          crashes.set(url, n);
          if (n >= config.maxCrashes) quarantined.push(url);
          else queue.unshift(url); // reassign it: first in line
          break;
        }
        case 'EXIT':
          // The pool gave up (too many crashes too fast): the crawl cannot go on.
          self.send<Aborted>(config.reportTo, { type: 'aborted', reason: `the pool supervisor gave up after too many worker crashes` });
          return;
      }
    }
  };
}
