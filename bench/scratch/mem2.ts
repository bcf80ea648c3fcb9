import { idleBytes } from '../suites/scale.ts';
for (const style of ['behaviour', 'async loop'] as const) for (const mode of ['deterministic', 'realtime'] as const) console.log(style, mode, (await idleBytes(style, mode, 100_000)).toFixed(0));
