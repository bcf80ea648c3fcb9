// Not part of the mutant (the manifest overlays only frontier.ts on the reference solution):
// a shim so that `tsc` can type-check the mutant's frontier.ts in place.
export * from '../../../../solutions/crawler/crawler/worker.ts';
