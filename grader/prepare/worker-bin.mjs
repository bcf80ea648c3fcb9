// Starts a prepare worker (worker.ts) from source, through tsx: only where no pre-built
// grader can be made (see ../prebuilt.mjs).
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
