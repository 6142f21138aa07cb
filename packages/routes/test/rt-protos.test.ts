import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRouteProtocol, checkRouteTable, GANNET_ROUTE_PROTOCOL, writeRtProtosEntry } from '../src/index.js';

describe('route protocol', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gannet-rtprotos-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is 71, and numbers of the kernel header, BIRD, Calico and out-of-range ones are refused', () => {
    assert.equal(GANNET_ROUTE_PROTOCOL, 71);
    assert.equal(checkRouteProtocol(71), 71);
    assert.equal(checkRouteProtocol(200), 200);
    for (const p of [0, 2, 4, 12, 17, 42, 80, 99, 186, 190, 192, 193, 194, 196, 198, 256, 1.5, Number.NaN]) {
      assert.throws(() => checkRouteProtocol(p), /not usable/, String(p));
    }
    assert.equal(checkRouteProtocol(199), 199);
  });

  it('accepts main and tables of their own, refuses the kernel-reserved and out-of-range tables', () => {
    for (const t of [1, 100, 251, 254, 256, 4294967295]) assert.equal(checkRouteTable(t), t);
    for (const [t, why] of [
      [0, /"unspec" table/],
      [252, /"compat" table/],
      [253, /"default" table/],
      [255, /"local" table/],
      [-1, /1\.\.4294967295/],
      [4294967296, /1\.\.4294967295/],
      [1.5, /1\.\.4294967295/],
    ] as const) {
      assert.throws(() => checkRouteTable(t), why, String(t));
    }
  });

  it('writes the rt_protos.d entry once, rewrites a wrong one, and leaves a right one alone', async () => {
    const sub = join(dir, 'rt_protos.d');
    assert.equal(await writeRtProtosEntry({ dir: sub }), 'created');
    const file = join(sub, 'gannet.conf');
    assert.match(readFileSync(file, 'utf8'), /^71\tgannet$/m);
    assert.equal(await writeRtProtosEntry({ dir: sub }), 'unchanged');
    writeFileSync(file, '72 gannet\n');
    assert.equal(await writeRtProtosEntry({ dir: sub }), 'updated');
    assert.equal(await writeRtProtosEntry({ dir: sub, protocol: 201, name: 'gannet2' }), 'created');
    assert.match(readFileSync(join(sub, 'gannet2.conf'), 'utf8'), /^201\tgannet2$/m);
    await assert.rejects(writeRtProtosEntry({ dir: sub, name: 'bad name' }), /bad protocol name/);
    await assert.rejects(writeRtProtosEntry({ dir: sub, protocol: 186 }), /not usable/);
  });
});
