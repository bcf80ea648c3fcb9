// Starts a grading slot (slot.ts) from source, through tsx: only where no pre-built grader
// can be made (see ../prebuilt.mjs).
import { register } from 'tsx/esm/api';

register();
await import('./slot.ts');
