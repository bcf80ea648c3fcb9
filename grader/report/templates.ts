/**
 * Loads the Handlebars templates kept as files next to this module (`templates/*.hbs`,
 * partials in `templates/partials/`, registered by file name without `.hbs`) into a private
 * Handlebars environment. Default HTML escaping stays on everywhere: a value is printed raw
 * only when code wraps it in a SafeString after escaping it itself (the SVG charts, Markdown).
 */
import { readdirSync, readFileSync } from 'node:fs';
import Handlebars from 'handlebars';

const DIR = new URL('./templates/', import.meta.url);

type Env = typeof Handlebars;
let env: Env | undefined;
const cache = new Map<string, Handlebars.TemplateDelegate>();

function environment(): Env {
  if (env) return env;
  const hb = Handlebars.create();
  const partials = new URL('./partials/', DIR);
  for (const file of readdirSync(partials)) {
    if (file.endsWith('.hbs')) hb.registerPartial(file.slice(0, -4), readFileSync(new URL(file, partials), 'utf8'));
  }
  env = hb;
  return hb;
}

/** A compiled template by file name, e.g. `report.html.hbs`. Strict: a missing field throws. */
export function template(name: string): Handlebars.TemplateDelegate {
  let t = cache.get(name);
  if (!t) {
    t = environment().compile(readFileSync(new URL(name, DIR), 'utf8'), { strict: true });
    cache.set(name, t);
  }
  return t;
}

/** Mark text that the caller has already escaped for its target format. */
export function safe(s: string): Handlebars.SafeString {
  return new (environment().SafeString)(s);
}
