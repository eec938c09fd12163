#!/usr/bin/env node
import { main } from './cli/command-line.js';
import { boundHeapGrowth } from './core/heap.js';

boundHeapGrowth(process.env);
process.exitCode = await main(process.argv.slice(2));
