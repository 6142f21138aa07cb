// gannet lab export containerlab: examples/containerlab is its output for the flat lab of 3 nodes (byte for byte), and
// the other topologies export node configs the agent accepts, with every session configured at both ends.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parseConfig } from '../src/config/load-config.js';
import { containerlabFiles } from '../src/lab/export-containerlab.js';
import { planLab } from '../src/lab/topology.js';

const EXAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../examples/containerlab');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [relative(EXAMPLE, p)];
  });
}

describe('controller: lab export containerlab', () => {
  it('examples/containerlab is the export of the flat lab (3 nodes, FRR), every file but its README', () => {
    const files = containerlabFiles(planLab({ name: 'lab', nodes: 3, router: 'frr', podsPerNode: 2 }));
    assert.deepEqual(
      walk(EXAMPLE)
        .filter((f) => f !== 'README.md')
        .sort(),
      [...files.keys()].sort(),
      'the same files',
    );
    for (const [rel, text] of files) {
      assert.equal(
        readFileSync(join(EXAMPLE, rel), 'utf8'),
        text,
        `${rel} is as 'gannet lab export containerlab' writes it`,
      );
    }
  });

  for (const topology of ['dual-homed', 'leaf-spine'] as const) {
    it(`${topology}: node configs the agent accepts, every session configured at both ends, every bind present`, () => {
      const plan = planLab({ name: 'lab', nodes: 2, router: 'bird', podsPerNode: 1, topology });
      const files = containerlabFiles(plan);
      const clab = parse(files.get('gannet.clab.yml')!) as {
        topology: {
          nodes: Record<string, { binds: string[]; env?: Record<string, string> }>;
          links: { endpoints: string[] }[];
        };
      };
      assert.deepEqual(
        Object.keys(clab.topology.nodes).sort(),
        [...plan.routers.map((r) => r.name), ...plan.nodes.map((n) => n.name)].sort(),
      );
      for (const [name, node] of Object.entries(clab.topology.nodes)) {
        for (const b of node.binds) assert.ok(files.has(b.split(':')[0]!), `${name}: ${b} is exported`);
      }
      assert.equal(clab.topology.links.length, plan.links.length);
      const frr = new Map(plan.routers.map((r) => [r.name, files.get(`${r.name}/frr.conf`)!]));
      for (const n of plan.nodes) {
        const c = parseConfig(files.get(`${n.name}/gannet.yaml`)!);
        const env = clab.topology.nodes[n.name]!.env!;
        const addresses = [env.NODE_ADDRESS, env.NODE_ADDRESS2].filter(Boolean).map((a) => a!.split('/')[0]);
        assert.equal(addresses.length, topology === 'dual-homed' ? 2 : 1);
        assert.equal(c.peers.length, addresses.length);
        for (const p of c.peers) {
          const conf = [...frr.values()].find((t) => t.includes(` ip address ${p.address}/`));
          assert.ok(conf, `${n.name}: a router has ${p.address}`);
          assert.match(conf, new RegExp(`^router bgp ${p.asn}$`, 'm'));
          assert.ok(
            addresses.some((a) => conf.includes(` neighbor ${a} remote-as ${c.asn}\n`)),
            `${n.name}: the router peers with it`,
          );
        }
      }
      if (topology === 'leaf-spine') {
        const leaf = frr.get('leaf1')!;
        assert.match(leaf, / neighbor 172\.31\.1\.0 remote-as 65000\n neighbor 172\.31\.1\.0 peer-group FABRIC\n/);
        assert.match(leaf, / {2}maximum-paths 8\n/);
        assert.match(frr.get('spine1')!, / neighbor 172\.31\.1\.1 remote-as 65101\n/);
      }
    });
  }

  it('refuses a lab without routers', () => {
    assert.throws(
      () => containerlabFiles(planLab({ name: 'lab', nodes: 2, router: 'none', podsPerNode: 0 })),
      /needs a lab with routers/,
    );
  });
});
