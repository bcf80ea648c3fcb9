#!/usr/bin/env node
// The `grader` command. It runs pre-built (see prebuilt.mjs: built by `npm ci`, or now if the
// sources changed since); where no build can be made, from source through tsx.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureBuilt } from './prebuilt.mjs';

const dir = await ensureBuilt();
if (dir) {
  await import(pathToFileURL(join(dir, 'cli.mjs')).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./cli.ts');
}
