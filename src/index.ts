import { boundHeapGrowth } from './heap.js';
import { run } from './main.js';

boundHeapGrowth(process.env);
await run();
