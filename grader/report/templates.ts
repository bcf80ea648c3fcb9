/**
 * Loads the Handlebars templates kept as files next to this module (`templates/*.hbs`,
 * partials in `templates/partials/`, registered by file name without `.hbs`) into a private
 * Handlebars environment. Default HTML escaping stays on everywhere: a value is printed raw
 * only when code wraps it in a SafeString after escaping it itself (the SVG charts, Markdown).
 *
 * The pre-built grader (grader/prebuilt.mjs) carries the templates precompiled, made from the
 * same files (and rebuilt when one changes): compiling them at every start cost a third of a
 * second. From source they are compiled on first use.
 */
import { readdirSync, readFileSync } from 'node:fs';
import Handlebars from 'handlebars';

const DIR = new URL('./templates/', import.meta.url);

/** Precompiled templates by path under templates/ ("report.html.hbs", "partials/test-html.hbs"), when pre-built. */
declare const __MP_TEMPLATES__: Record<string, Parameters<typeof Handlebars.template>[0]> | undefined;
const precompiled = typeof __MP_TEMPLATES__ === 'object' ? __MP_TEMPLATES__ : undefined;

/** The options every template is compiled with (here and by the pre-build). */
export const COMPILE_OPTIONS = { strict: true } as const;

type Env = typeof Handlebars;
let env: Env | undefined;
const cache = new Map<string, Handlebars.TemplateDelegate>();

function environment(): Env {
  if (env) return env;
  const hb = Handlebars.create();
  const partials = new URL('./partials/', DIR);
  for (const file of readdirSync(partials)) {
    if (!file.endsWith('.hbs')) continue;
    const spec = precompiled?.[`partials/${file}`];
    hb.registerPartial(file.slice(0, -4), spec ? hb.template(spec) : readFileSync(new URL(file, partials), 'utf8'));
  }
  env = hb;
  return hb;
}

/** A compiled template by file name, e.g. `report.html.hbs`. Strict: a missing field throws. */
export function template(name: string): Handlebars.TemplateDelegate {
  let t = cache.get(name);
  if (!t) {
    const spec = precompiled?.[name];
    t = spec ? environment().template(spec) : environment().compile(readFileSync(new URL(name, DIR), 'utf8'), COMPILE_OPTIONS);
    cache.set(name, t);
  }
  return t;
}

/** Mark text that the caller has already escaped for its target format. */
export function safe(s: string): Handlebars.SafeString {
  return new (environment().SafeString)(s);
}
