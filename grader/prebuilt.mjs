// The grader runs pre-built: its TypeScript (and the kit modules it imports) bundled by
// esbuild into JavaScript files: the command (cli.mjs), a prepare worker (prepare-worker.cjs:
// CommonJS, because Node loads the TypeScript compiler through require() in half the time an
// ES import takes), a grading slot (slot.mjs, which drives vitest) and the test harness as
// grading runs use it (harness.mjs).
// Node starts them in a fraction of what a TypeScript loader needs on every start; the report
// templates come precompiled in the command.
//
// The build lives in <kit>/node_modules/.cache/mp-grader/ (made by `npm ci`, through the
// package's `prepare` script, or on first use). It never runs stale: every start hashes each
// source file the build was made from (the list esbuild reported) and rebuilds when one of
// them, the build recipe, esbuild or the kit's location changed. Where node_modules cannot be
// written (a shared, read-only install), the grader runs from source through tsx instead.
//
// `node grader/prebuilt.mjs` builds (or checks) and prints where the build is.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const kitRoot = fileURLToPath(new URL('..', import.meta.url));
const cacheDir = join(kitRoot, 'node_modules', '.cache', 'mp-grader');
const CURRENT = join(cacheDir, 'current.json');
/** Bump when the options below change: a build made with other options is stale. */
const RECIPE = 5;

/** What is built: name, source (relative to the kit) and module format. */
const ENTRIES = [
  { name: 'cli.mjs', source: 'grader/cli.ts', format: 'esm' },
  { name: 'prepare-worker.cjs', source: 'grader/prepare/worker.ts', format: 'cjs' },
  { name: 'slot.mjs', source: 'grader/run/slot.ts', format: 'esm' },
  // The test harness as grading runs load it (run/vitest.grading.config.ts): one module Node
  // loads natively instead of forty vite transforms and evaluates in every test run; the
  // TypeScript compiler, which only local runs of the harness use, left out.
  { name: 'harness.mjs', source: 'kernels/harness/index.ts', format: 'esm', alias: { typescript: './grader/run/no-typescript.ts' } },
];

const sha = (data) => createHash('sha256').update(data).digest('hex');

function esbuildVersion() {
  return createRequire(import.meta.url)('esbuild/package.json').version;
}

/** The build recorded in current.json, if every input it was made from is unchanged. */
function freshBuild() {
  let current;
  try {
    current = JSON.parse(readFileSync(CURRENT, 'utf8'));
  } catch {
    return undefined;
  }
  if (current.recipe !== RECIPE || current.kitRoot !== kitRoot || current.esbuild !== esbuildVersion()) return undefined;
  for (const [file, hash] of Object.entries(current.inputs ?? {})) {
    let text;
    try {
      text = readFileSync(join(kitRoot, file));
    } catch {
      return undefined;
    }
    if (sha(text) !== hash) return undefined;
  }
  const dir = join(cacheDir, current.dir);
  for (const e of ENTRIES) {
    try {
      if (!statSync(join(dir, e.name)).isFile()) return undefined;
    } catch {
      return undefined;
    }
  }
  return dir;
}

/**
 * Each source's `import.meta.url` becomes that source's own URL (so `new URL('./templates/',
 * import.meta.url)` still finds the templates beside it); string literals and comments are
 * left alone.
 */
function pinMetaUrl() {
  const token = /('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`|\/\/[^\n]*|\/\*[\s\S]*?\*\/|import\.meta\.url)/g;
  return {
    name: 'pin-import-meta-url',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?ts$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const url = JSON.stringify(pathToFileURL(args.path).href);
        return { contents: text.replace(token, (m) => (m === 'import.meta.url' ? url : m)), loader: 'ts' };
      });
    },
  };
}

const TEMPLATES = 'grader/report/templates';

/**
 * The report templates precompiled, as the banner of the command's bundle: each template
 * file becomes an input of the build (a changed template rebuilds it).
 */
async function precompiledTemplates(inputs) {
  const { default: Handlebars } = await import('handlebars');
  const dir = join(kitRoot, TEMPLATES);
  const specs = [];
  for (const name of readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.hbs'))
    .sort()) {
    const rel = name.split(sep).join('/');
    const text = readFileSync(join(dir, name), 'utf8');
    inputs[`${TEMPLATES}/${rel}`] = sha(text);
    specs.push(`${JSON.stringify(rel)}: ${Handlebars.precompile(text, { strict: true })}`);
  }
  return `const __MP_TEMPLATES__ = {\n${specs.join(',\n')}\n};`;
}

async function build() {
  const { build: esbuild } = await import('esbuild');
  mkdirSync(cacheDir, { recursive: true });
  const dir = mkdtempSync(join(cacheDir, 'build-'));
  const inputs = {};
  const templates = await precompiledTemplates(inputs);
  for (const entry of ENTRIES) {
    // __MP_BUILD__: the folder this file runs from (grader/build-info.ts), to find its siblings.
    const banner =
      (entry.format === 'esm'
        ? "const __MP_BUILD__ = new URL('.', import.meta.url).href;"
        : "const __MP_BUILD__ = require('node:url').pathToFileURL(__dirname + '/').href;") + (entry.name === 'cli.mjs' ? `\n${templates}` : '');
    const result = await esbuild({
      absWorkingDir: kitRoot,
      entryPoints: [entry.source],
      outfile: join(dir, entry.name),
      bundle: true,
      format: entry.format,
      platform: 'node',
      target: 'node20',
      packages: 'external',
      sourcemap: 'inline',
      sourcesContent: false,
      metafile: true,
      logLevel: 'silent',
      banner: { js: banner },
      ...(entry.alias ? { alias: entry.alias } : {}),
      plugins: [pinMetaUrl()],
    });
    for (const input of Object.keys(result.metafile.inputs)) {
      const file = input.split('/').join(sep);
      inputs[input] = sha(readFileSync(join(kitRoot, file)));
    }
  }
  const record = { recipe: RECIPE, kitRoot, esbuild: esbuildVersion(), dir: relative(cacheDir, dir), builtAt: new Date().toISOString(), inputs };
  const tmp = `${CURRENT}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record, null, 1)}\n`);
  renameSync(tmp, CURRENT);
  prune(dir);
  return dir;
}

/** Older builds go once nobody can still be starting from them (an hour old). */
function prune(keep) {
  for (const name of readdirSync(cacheDir)) {
    const full = join(cacheDir, name);
    if (!name.startsWith('build-') || full === keep) continue;
    try {
      if (Date.now() - statSync(full).mtimeMs > 3_600_000) rmSync(full, { recursive: true, force: true });
    } catch {
      /* another grader pruned it */
    }
  }
}

let ensured;

/**
 * The folder of an up-to-date build (built now if needed), or undefined where none can be made
 * (node_modules not writable): then the caller runs the sources through tsx.
 */
export function ensureBuilt() {
  ensured ??= (async () => {
    const fresh = freshBuild();
    if (fresh) return fresh;
    try {
      return await build();
    } catch (err) {
      if (['EACCES', 'EPERM', 'EROFS'].includes(err?.code)) return undefined;
      throw err;
    }
  })();
  return ensured;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const dir = await ensureBuilt();
    console.log(
      dir
        ? `grader: pre-built in ${relative(process.cwd(), dir) || dir}`
        : 'grader: node_modules is not writable; the grader will run from source (slower start)',
    );
  } catch (err) {
    // Never fail an install over it: the grader builds on first use, or runs from source.
    console.warn(`grader: could not pre-build (${err?.message ?? err}); it will build on first use`);
  }
}
