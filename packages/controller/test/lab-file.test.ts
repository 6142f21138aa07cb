import assert from 'node:assert/strict';
import { parseLabFile } from '../src/lab/lab-file.js';
import { planLab } from '../src/lab/topology.js';

describe('controller: lab file (gannet lab up -f)', () => {
  it('reads the options of lab up in camelCase, and they plan the lab they name', () => {
    const f = parseLabFile(
      '# a small fabric\nname: fab\ntopology: leaf-spine\nrouter: bird\nracks: 3\nnodesPerRack: 2\nspines: 2\npodsPerNode: 1\nholdTime: 3\ntimeout: 60\n',
      'lab.yaml',
    );
    assert.deepEqual(f, {
      options: {
        name: 'fab',
        topology: 'leaf-spine',
        router: 'bird',
        racks: 3,
        nodesPerRack: 2,
        spines: 2,
        podsPerNode: 1,
        holdTime: 3,
      },
      timeout: 60,
    });
    const plan = planLab({ nodes: 0, ...f.options } as Parameters<typeof planLab>[0]);
    assert.equal(plan.nodes.length, 6);
    assert.equal(plan.routers.length, 5);
    assert.deepEqual(parseLabFile('', 'empty.yaml'), { options: {} });
    assert.deepEqual(parseLabFile('nodes: 4\nrouter: none\n').options, { nodes: 4, router: 'none' });
    assert.deepEqual(parseLabFile('bfd: true\n').options, { bfd: true });
    assert.throws(() => parseLabFile('bfd: yes please\n', 'lab.yaml'), /lab\.yaml:1: bfd: must be true or false/);
  });

  it('an unknown key, a wrong type or a value out of its set is an error naming file, line and key', () => {
    const bad: [string, RegExp][] = [
      ['topology: flat\nrackz: 2\n', /lab\.yaml:2: rackz: unknown key \(allowed here: name, topology/],
      ['topology: leaf-spine\nracks: two\n', /lab\.yaml:2: racks: must be an integer, got "two"/],
      ['nodes: 3\nrouter: gobgp\n', /lab\.yaml:2: router: must be one of frr, bird, none, got "gobgp"/],
      ['topology: ring\n', /lab\.yaml:1: topology: must be one of flat, dual-homed, leaf-spine/],
      ['holdTime: 1\n', /lab\.yaml:1: holdTime: must be in 3\.\.65535, got 1/],
      ['podsPerNode: [1]\n', /lab\.yaml:1: podsPerNode: must be a number/],
      ['name: 7\n', /lab\.yaml:1: name: must be a string, got 7/],
      ['nodes: 2\nnodes: 3\n', /lab\.yaml:2: nodes: duplicate key/],
      ['racks: 2\n', /racks, nodesPerRack and spines need topology: leaf-spine/],
      ['- nodes: 2\n', /lab\.yaml:1: a lab file is a YAML mapping of keys/],
      ['nodes: [2\n', /lab\.yaml:\d+: YAML syntax error/],
    ];
    for (const [text, re] of bad) assert.throws(() => parseLabFile(text, 'lab.yaml'), re, text);
  });
});
