// Reference solution for the crawler exercise: the entry point.
//
//   main ──spawn──▶ frontier (registered "frontier", traps exits)
//                      └──spawnLink──▶ pool (supervisor, one_for_one)
//                                         ├── worker-1
//                                         ├── …
//                                         └── worker-N
import type { Context, Ref } from '#runtime';
import type { CrawlerConfig, FrontierMessage } from '#exercises/crawler/protocol';
import { frontier } from './frontier.ts';

export function startCrawler(self: Context<never>, config: CrawlerConfig): Ref<FrontierMessage> {
  return self.spawn(frontier(config), { name: 'frontier' });
}
