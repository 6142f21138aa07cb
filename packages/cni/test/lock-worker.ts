// Worker thread for the lock test: increments a counter file `rounds` times under the container lock, with a
// read-yield-write that loses updates unless the lock excludes the other workers.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { lockContainer } from '../src/container-lock.js';

const { dir, rounds } = workerData as { dir: string; rounds: number };
const counter = join(dir, 'counter');
const cell = new Int32Array(new SharedArrayBuffer(4));
for (let i = 0; i < rounds; i++) {
  const unlock = lockContainer(dir, 'ctr', { timeoutMs: 60_000 });
  try {
    const n = Number(readFileSync(counter, 'utf8'));
    Atomics.wait(cell, 0, 0, 1); // let the others run while we hold the value
    writeFileSync(counter, String(n + 1));
  } finally {
    unlock();
  }
}
parentPort?.postMessage('done');
