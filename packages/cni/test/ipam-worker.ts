// Worker thread for the concurrency test: allocates addresses for its share of containers as fast as it can.
import { parentPort, workerData } from 'node:worker_threads';
import { IpamStore } from '../src/ipam-store.js';
import { parseIpv4Prefix } from '../src/ipv4.js';

const { dataDir, ids, cidr } = workerData as { dataDir: string; ids: string[]; cidr: string };
const range = parseIpv4Prefix(cidr);
if (!range) throw new Error(`bad cidr ${cidr}`);
const store = new IpamStore(dataDir, 'net');
const got: [string, number][] = [];
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
