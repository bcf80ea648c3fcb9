// Starts a prepare worker (worker.ts) through tsx, like the grader itself (bin.mjs).
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
