import { boundHeapGrowth } from './core/heap.js';
import { run } from './action/main.js';

boundHeapGrowth(process.env);
await run();
