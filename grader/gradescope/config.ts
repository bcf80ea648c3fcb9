// bundle.json, read where the bundle is unpacked: next to its kit/ folder.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { kitRoot } from '../kit.ts';
import { HiddenVisibility } from './results.ts';

export const BundleConfigSchema = z.object({
  format: z.literal(1),
  exercises: z.array(z.string()).min(1),
  allowWeakSandbox: z.boolean(),
  hiddenVisibility: z.enum(HiddenVisibility),
  builtFrom: z.string(),
  node: z.string(),
});

/** The bundle.json of the bundle this kit was unpacked from (`<source>/bundle.json`, beside `<source>/kit`). */
export function readBundleConfig(file = join(kitRoot, '..', 'bundle.json')) {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UserError(`this kit is not an unpacked Gradescope bundle (${file}: ${(err as Error).message}); build one with "npx grader gradescope"`);
  }
  return BundleConfigSchema.parse(raw);
}
