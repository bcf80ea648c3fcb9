// The kernel host freezes every module of the runtime before student code loads: a module
// added to the runtime and forgotten in the list would be a class student code could patch.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const runtime = join(here, '..', '..', 'runtime');
const lockdown = readFileSync(join(here, '..', 'host', 'lockdown.ts'), 'utf8');

describe('lockdown', () => {
  it('freezes every module of the runtime', () => {
    const modules = readdirSync(runtime, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.ts') && !f.startsWith('test') && f !== 'demo.ts')
      .map((f) => relative(runtime, join(runtime, f)).split('\\').join('/'));
    expect(modules.length).toBeGreaterThan(10);
    for (const m of modules) expect(lockdown, m).toContain(`from '../../runtime/${m}'`);
  });
});
