// Worker thread for the concurrency test: allocates addresses for its share of containers as fast as it can.
import { parentPort, workerData } from 'node:worker_threads';
import { IpamStore } from '../src/ipam-store.js';
import { checkPodCidr } from '../src/pod-cidr.js';

const { dataDir, ids, cidr } = workerData as { dataDir: string; ids: string[]; cidr: string };
const range = checkPodCidr(cidr);
if (typeof range === 'string') throw new Error(`bad cidr ${cidr}: ${range}`);
const store = new IpamStore(dataDir, 'net');
const got: [string, string][] = [];
const errors: string[] = [];
for (const id of ids) {
  try {
    const a = store.allocate({ containerId: id, ifname: 'eth0' }, range);
    a.done();
    got.push([id, a.address]);
  } catch (err) {
    errors.push(`${id}: ${(err as Error).message}`);
  }
}
parentPort?.postMessage({ got, errors });
