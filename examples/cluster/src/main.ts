// node:cluster with sticky sessions and the IPC publish bus, no Micro. Compiled by tsc with TC39
// standard decorators. `PORT=0` picks a free port; `WORKERS` sets the worker count (2).
import cluster from 'node:cluster';
import { runPrimary } from './primary.js';
import { runWorker } from './worker.js';

if (cluster.isPrimary) await runPrimary();
else await runWorker();
