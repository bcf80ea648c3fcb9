// `npx grader gradescope …`: build the bundle (the lecturer), and the two steps its scripts
// run on Gradescope: `verify` (setup.sh, once per image) and `run` (run_autograder, once per
// submission). A mistake on the command line is a UserError: one line, exit 2.
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UserError } from '../errors.ts';
import { buildGradescopeBundle } from './bundle.ts';
import { readBundleConfig } from './config.ts';
import { HiddenVisibility } from './results.ts';
import { runSubmission } from './run.ts';
import { verifyHost } from './verify.ts';

function parse(args: string[], options: NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UserError((err as Error).message);
  }
}

export async function gradescope(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'run') {
    const { values } = parse(rest, { root: { type: 'string', default: process.env.AUTOGRADER_ROOT || '/autograder' } });
    const outcome = await runSubmission(resolve(values.root as string), readBundleConfig());
    if (outcome.resultsFile) console.log(`results: ${outcome.resultsFile}`);
    return outcome.code;
  }
  if (sub === 'verify') {
    parse(rest, {});
    return (await verifyHost(readBundleConfig())) ? 0 : 1;
  }
  const { values, positionals } = parse(args, {
    out: { type: 'string', default: 'autograder.zip' },
    exercise: { type: 'string', multiple: true },
    'allow-weak-sandbox': { type: 'boolean', default: false },
    'hidden-visibility': { type: 'string', default: 'hidden' },
    'no-npm-cache': { type: 'boolean', default: false },
  });
  if (positionals.length > 0) throw new UserError(`gradescope takes no paths (got "${positionals[0]}"); use --out FILE`);
  const hidden = values['hidden-visibility'] as string;
  if (!(HiddenVisibility as readonly string[]).includes(hidden))
    throw new UserError(`--hidden-visibility must be one of ${HiddenVisibility.join(', ')}, got "${hidden}"`);
  const built = await buildGradescopeBundle({
    out: values.out as string,
    exercises: values.exercise as string[] | undefined,
    allowWeakSandbox: values['allow-weak-sandbox'] as boolean,
    hiddenVisibility: hidden as HiddenVisibility,
    npmCache: !values['no-npm-cache'],
  });
  const mb = (built.bytes / 1024 / 1024).toFixed(1);
  console.log(`Gradescope autograder: ${relative(process.cwd(), built.zip) || built.zip} (${mb} MB; exercises: ${built.config.exercises.join(', ')})`);
  console.log(
    built.missing.length === 0
      ? `npm packages: ${built.packages} carried, setup.sh installs them offline`
      : `npm packages: ${built.packages} carried; not in your npm cache, so setup.sh downloads them: ${built.missing.join(', ')}`,
  );
  if (built.config.allowWeakSandbox)
    console.log("warning: --allow-weak-sandbox: where Gradescope's container cannot close the network, student code will reach it (every report says so)");
  console.log(
    "Upload it on Gradescope: Configure Autograder → Zip file upload (Ubuntu base image, 2 GB memory, 10 min timeout); the settings are in the zip's README.md.",
  );
  return 0;
}
