// MUTANT: push instead of pull: every queued URL is sent at once to the workers, round robin
import type { Context, DownMessage, ExitMessage, Ref } from '#runtime';
import type { Aborted, CrawlerConfig, FrontierMessage, Job, Report } from '#exercises/crawler/protocol';
import { pool } from './worker.ts';

type Inbox = FrontierMessage | DownMessage | ExitMessage;

export function frontier(config: CrawlerConfig) {
  return async (self: Context<Inbox>) => {
    self.register('frontier');
    self.trapExit(true);
    self.spawnLink(pool(config), { name: 'pool' });

    let level = 0;
    let queue: string[] = [];
    let next: string[] = [];
    const depth = new Map<string, number>();
    const holding = new Map<number, Set<string>>(); // worker pid → the URLs pushed to it
    const crashes = new Map<string, number>();
    let workers: Ref<Job>[] = [];
    let turn = 0;
    const indexed: string[] = [], redirects: string[] = [], missing: string[] = [], quarantined: string[] = [];
    let restarts = 0;
    const inFlight = () => [...holding.values()].reduce((n, s) => n + s.size, 0);

    const discover = (url: string, d: number): void => {
      if (d > config.maxDepth || depth.has(url)) return;
      depth.set(url, d);
      (d === level ? queue : next).push(url);
    };
    for (const root of config.roots) discover(root, 0);

    for (;;) {
      while (workers.length > 0 && queue.length > 0) {
        const w = workers[turn++ % workers.length]!;
        const url = queue.shift()!;
        holding.get(w.pid)!.add(url);
        self.send<Job>(w, { type: 'job', url, depth: depth.get(url)! });
      }
      if (queue.length === 0 && inFlight() === 0 && next.length > 0) {
        level++;
        queue = next;
        next = [];
        continue;
      }
      if (queue.length === 0 && inFlight() === 0 && next.length === 0 && workers.length === config.workers) {
        self.send<Report>(config.reportTo, { type: 'report', indexed, redirects, missing, quarantined, restarts });
        return;
      }
      const msg = await self.receive();
      switch (msg.type) {
        case 'want':
          if (!holding.has(msg.worker.pid)) {
            holding.set(msg.worker.pid, new Set());
            self.monitor(msg.worker);
            workers.push(msg.worker);
          }
          break;
        case 'done': {
          const holder = [...holding.values()].find((s) => s.has(msg.url));
          if (holder === undefined) break;
          holder.delete(msg.url);
          const d = depth.get(msg.url)!;
          (msg.outcome === 'page' ? indexed : msg.outcome === 'redirect' ? redirects : missing).push(msg.url);
          for (const link of msg.links) discover(link, d + 1);
          break;
        }
        case 'DOWN': {
          const pid = msg.ref.pid;
          workers = workers.filter((w) => w.pid !== pid);
          const held = holding.get(pid) ?? new Set<string>();
          holding.delete(pid);
          if (msg.reason === 'shutdown') break;
          restarts++;
          for (const url of held) {
            const n = (crashes.get(url) ?? 0) + 1;
            crashes.set(url, n);
            if (n >= config.maxCrashes) quarantined.push(url);
            else queue.unshift(url);
          }
          break;
        }
        case 'EXIT':
          self.send<Aborted>(config.reportTo, { type: 'aborted', reason: 'the pool supervisor gave up after too many worker crashes' });
          return;
      }
    }
  };
}
