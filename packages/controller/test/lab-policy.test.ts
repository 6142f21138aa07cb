import assert from 'node:assert/strict';
import { parseConfig } from '../src/config/load-config.js';
import { LAB_POD_PORTS, nodeGateway, OUTSIDE_ADDRESS, parseLabels } from '../src/lab/lab-policy.js';
import { renderMatrix } from '../src/lab/lab-probe.js';
import { isLabNamespace, nodeConfigYaml, planLab } from '../src/lab/topology.js';

describe('controller: lab NetworkPolicy pieces', () => {
  it('--labels k=v,…: label keys and values as the API server takes them', () => {
    assert.deepEqual(parseLabels('pod=a,app.kubernetes.io/name=web,empty='), {
      pod: 'a',
      'app.kubernetes.io/name': 'web',
      empty: '',
    });
    assert.deepEqual(parseLabels(undefined), {});
    assert.throws(() => parseLabels('novalue'), /"novalue" is not key=value/);
    assert.throws(() => parseLabels('a=b c'), /"b c" is not a valid label value \(a\)/);
    assert.throws(() => parseLabels('-a=b'), /"-a=b" is not key=value with a valid label key/);
  });

  it('the matrix as the upstream netpol suite prints it', () => {
    const m = new Map([
      [
        'x/a',
        new Map([
          ['x/a', true],
          ['y/b', false],
        ]),
      ],
      [
        'y/b',
        new Map([
          ['x/a', true],
          ['y/b', true],
        ]),
      ],
    ]);
    assert.equal(renderMatrix(['x/a', 'y/b'], m), '-\tx/a\ty/b\nx/a\t.\tX\ny/b\t.\t.\n');
  });

  it('each node’s default gateway is its (first) router; none without routers', () => {
    const flat = planLab({ name: 'lab', nodes: 2, router: 'frr', podsPerNode: 0 });
    assert.deepEqual(nodeGateway(flat, flat.nodes[1]!), { address: '172.30.0.254', ns: 'gnt-lab-router' });
    const mesh = planLab({ name: 'lab', nodes: 2, router: 'none', podsPerNode: 0 });
    assert.equal(nodeGateway(mesh, mesh.nodes[0]!), undefined);
    for (const topology of ['dual-homed', 'leaf-spine'] as const) {
      const plan = planLab({ name: 'lab', nodes: 4, router: 'frr', podsPerNode: 0, topology });
      for (const n of plan.nodes) {
        const gw = nodeGateway(plan, n);
        assert.ok(gw, `${topology} ${n.name}`);
        assert.ok(
          plan.routers.some((r) => r.ns === gw.ns),
          `${topology} ${n.name}: the gateway ${gw.address} is in a router namespace (${gw.ns})`,
        );
      }
    }
    assert.equal(OUTSIDE_ADDRESS, '198.51.100.1');
  });

  it('pods of `lab pod add` are lab namespaces (lab down finds them after a crash); others are not', () => {
    assert.ok(isLabNamespace('lab', 'gnt-lab-node1-xa'));
    assert.ok(isLabNamespace('lab', 'gnt-lab-node12-pod3'));
    assert.ok(!isLabNamespace('lab', 'gnt-lab-node1-Xa'));
    assert.ok(!isLabNamespace('lab', 'gnt-lab-node1-a-b'));
    assert.ok(!isLabNamespace('lab', 'gnt-other-node1-xa'));
  });

  it('node configs name the lab’s policy files; every pod has the upstream named ports', () => {
    const plan = planLab({ name: 'lab', nodes: 2, router: 'frr', podsPerNode: 0 });
    const c = parseConfig(nodeConfigYaml(plan, plan.nodes[0]!, '/run/gannet/lab/lab/node1'));
    assert.deepEqual(c.policy, {
      files: ['/run/gannet/lab/lab/policies.yaml'],
      podsFile: '/run/gannet/lab/lab/pods.yaml',
    });
    assert.equal(c.natOutgoing, undefined, 'egress NAT on (the default)');
    assert.deepEqual(
      LAB_POD_PORTS.map((p) => p.name),
      ['serve-80-tcp', 'serve-80-udp', 'serve-80-sctp', 'serve-81-tcp', 'serve-81-udp', 'serve-81-sctp'],
    );
  });
});
