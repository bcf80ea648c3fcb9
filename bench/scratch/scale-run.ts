import { suite } from '../suites/scale.ts';
await suite.run({ quick: process.argv.includes('--quick'), log: (l = '') => console.log(l) });
