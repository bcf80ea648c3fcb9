// The link parser for the crawler exercise: import it as '#exercises/crawler/parse'.
//
// It reads the simple HTML of the simulated web and returns the links of a page as absolute
// URLs, in the order they appear (a page may link to the same URL more than once; a link's
// "#fragment" is dropped). Some pages on the simulated web are *poison*: their HTML is broken
// in a way that makes `parseLinks` throw a ParseError. Do not catch it: let the worker crash.
import type { Page } from './protocol.ts';

export class ParseError extends Error {
  override name = 'ParseError';
  constructor(
    readonly url: string,
    readonly offset: number,
    what: string,
  ) {
    super(`cannot parse ${url}: ${what} at offset ${offset}`);
  }
}

const ANCHOR = '<a href="';

/** The links of `page` as absolute URLs without fragments. Throws ParseError on broken HTML. */
export function parseLinks(page: Pick<Page, 'url' | 'body'>): string[] {
  const { url, body } = page;
  const links: string[] = [];
  let at = body.indexOf('<a', 0);
  while (at >= 0) {
    if (!body.startsWith(ANCHOR, at)) throw new ParseError(url, at, 'an <a> tag without href="..."');
    const start = at + ANCHOR.length;
    const end = body.indexOf('"', start);
    const newline = body.indexOf('\n', start);
    if (end < 0 || (newline >= 0 && newline < end)) throw new ParseError(url, at, 'an unterminated href');
    if (body[end + 1] !== '>') throw new ParseError(url, end + 1, 'a link whose tag is not closed');
    const href = body.slice(start, end);
    if (href.length === 0 || /[\s<>%]/.test(href)) throw new ParseError(url, start, `a malformed link "${href}"`);
    links.push(resolve(url, href));
    at = body.indexOf('<a', end);
  }
  return links;
}

/** An href resolved against the page's URL, without its #fragment. */
function resolve(base: string, href: string): string {
  const bare = href.split('#')[0]!;
  if (/^https?:\/\//.test(bare)) return bare;
  const origin = /^(https?:\/\/[^/]+)/.exec(base)?.[1] ?? '';
  if (bare.startsWith('/')) return origin + bare;
  const dir = base.slice(0, base.lastIndexOf('/') + 1);
  return dir + bare;
}
