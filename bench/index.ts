// `npm run bench` runs every suite; `npm run bench -- runtime` runs the named ones.
// Options: --quick (small sizes, few runs: a quick look, not numbers to quote), --list.
// A suite is a module under bench/suites/ exporting `suite` (see lib/suite.ts), listed in
// the table below; a new suite goes there too.
// Profiling one workload: see bench/profile.ts and bench/profile-summary.ts.
import type { Suite } from './lib/suite.ts';

const suites: Readonly<Record<string, () => Promise<Suite>>> = {
  runtime: async () => (await import('./suites/runtime.ts')).suite,
  scale: async () => (await import('./suites/scale.ts')).suite,
  kernels: async () => (await import('./suites/kernels.ts')).suite,
  multikernel: async () => (await import('./suites/multikernel.ts')).suite,
  grader: async () => (await import('./suites/grader.ts')).suite,
};

async function main(argv: readonly string[]): Promise<number> {
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  const names = argv.filter((a) => !a.startsWith('--'));
  const known = Object.keys(suites);
  for (const flag of flags) {
    if (!['--quick', '--list', '--help'].includes(flag)) {
      console.error(`unknown option ${flag} (options: --quick, --list)`);
      return 2;
    }
  }
  if (flags.has('--list') || flags.has('--help')) {
    console.log('usage: npm run bench [-- [--quick] [suite...]]');
    for (const name of known) console.log(`  ${name.padEnd(10)} ${(await suites[name]!()).description}`);
    return 0;
  }
  const unknown = names.filter((n) => !(n in suites));
  if (unknown.length > 0) {
    console.error(`unknown suite ${unknown.join(', ')} (suites: ${known.join(', ')})`);
    return 2;
  }
  const chosen = names.length > 0 ? names : known;
  const quick = flags.has('--quick');
  const log = (line = '') => console.log(line);
  log(`Node ${process.version} · ${process.platform}-${process.arch}${quick ? ' · QUICK mode (not numbers to quote)' : ''}`);
  let ok = true;
  for (const name of chosen) {
    const suite = await suites[name]!();
    log('');
    log(`=== ${suite.name}: ${suite.description}`);
    const result = await suite.run({ quick, log });
    ok &&= result.ok;
  }
  return ok ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
