#!/usr/bin/env node
import { main } from './command-line.js';
import { boundHeapGrowth } from './heap.js';

boundHeapGrowth(process.env);
process.exitCode = await main(process.argv.slice(2));
