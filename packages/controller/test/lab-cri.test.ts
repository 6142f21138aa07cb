import assert from 'node:assert/strict';
import {
  decodeSandboxList,
  decodeSandboxStatus,
  encodeRunPodSandbox,
  PbWriter,
  pbDecode,
  sandboxNetnsPath,
} from '../src/lab/cri.js';
import { labConflist } from '../src/lab/lab-containerd.js';
import { planLab } from '../src/lab/topology.js';

const hex = (b: Buffer) => b.toString('hex').replace(/(..)/g, '$1 ').trim();

describe('lab: the CRI messages, encoded by hand', () => {
  it('protobuf basics: varints over 127, zero values left out, strings, nested messages, maps', () => {
    const b = new PbWriter().uint(1, 300).uint(2, 0).string(3, '').string(4, 'ab').finish();
    assert.equal(hex(b), '08 ac 02 22 02 61 62');
    const m = new PbWriter().message(1, new PbWriter().uint(1, 1)).map(2, { k: 'v' }).finish();
    assert.equal(hex(m), '0a 02 08 01 12 06 0a 01 6b 12 01 76');
    const f = pbDecode(m);
    assert.deepEqual(pbDecode(f.get(1)![0] as Buffer).get(1), [1]);
    assert.throws(() => new PbWriter().uint(1, -1), /not a non-negative integer/);
  });

  it('RunPodSandboxRequest: metadata, hostname, labels and the kubelet’s namespace options, byte for byte', () => {
    const b = encodeRunPodSandbox({ name: 'p', uid: 'u', namespace: 'n' });
    // config(1){metadata(1){name(1) uid(2) namespace(3)} hostname(2) linux(8){security_context(2){ns options(1){pid(2)=CONTAINER}}}}
    assert.equal(hex(b), '0a 16 0a 09 0a 01 70 12 01 75 1a 01 6e 12 01 70 42 06 12 04 0a 02 10 01');
    const labelled = encodeRunPodSandbox({ name: 'p', uid: 'u', namespace: 'n', labels: { a: 'b' } });
    assert.ok(hex(labelled).includes('32 06 0a 01 61 12 01 62'), 'labels: field 6, one entry message');
  });

  it('reads PodSandboxStatusResponse and ListPodSandboxResponse; skips fields it does not know', () => {
    const info = JSON.stringify({
      pid: 42,
      runtimeSpec: { linux: { namespaces: [{ type: 'pid' }, { type: 'network', path: '/var/run/netns/cni-1' }] } },
    });
    const status = new PbWriter()
      .string(1, 'abc')
      .uint(3, 0) // SANDBOX_READY
      .uint(4, 1_796_416_440_684_255) // created_at (a large varint)
      .message(5, new PbWriter().string(1, '10.244.1.2'));
    const res = new PbWriter().message(1, status).map(2, { info }).finish();
    const st = decodeSandboxStatus(res);
    assert.deepEqual({ ...st, info: undefined }, { id: 'abc', ready: true, ip: '10.244.1.2', info: undefined });
    assert.equal(sandboxNetnsPath(st.info), '/var/run/netns/cni-1');
    assert.equal(sandboxNetnsPath(undefined), undefined);
    const notReady = decodeSandboxStatus(new PbWriter().message(1, new PbWriter().string(1, 'x').uint(3, 1)).finish());
    assert.equal(notReady.ready, false);
    const item = new PbWriter()
      .string(1, 'id1')
      .message(2, new PbWriter().string(1, 'pod').string(3, 'lab'))
      .map(5, { l: 'v' });
    const list = decodeSandboxList(
      new PbWriter().message(1, item).message(1, new PbWriter().string(1, 'id2')).finish(),
    );
    assert.deepEqual(list, [
      { id: 'id1', name: 'pod', namespace: 'lab', ready: true, labels: { l: 'v' } },
      { id: 'id2', name: '', namespace: '', ready: true, labels: {} },
    ]);
  });

  it('refuses damaged input with a clear error', () => {
    assert.throws(() => pbDecode(Buffer.from([0x08, 0x80])), /truncated varint/);
    assert.throws(() => pbDecode(Buffer.from([0x0a, 0x05, 0x01])), /field 1 runs past the end/);
    assert.throws(() => pbDecode(Buffer.from([0x0b])), /unsupported wire type 3/);
  });

  it('the lab conflist chains portmap after gannet-cni with the node’s own files; --runtime is validated', () => {
    const c = JSON.parse(labConflist('/d/node1'));
    assert.equal(c.cniVersion, '1.0.0');
    assert.deepEqual(c.plugins[0], {
      type: 'gannet-cni',
      dataDir: '/d/node1/ipam',
      nodeStateFile: '/d/node1/node-state.json',
    });
    assert.equal(c.plugins[1].type, 'portmap');
    const base = { name: 'lab', nodes: 1, router: 'none' as const, podsPerNode: 0 };
    assert.equal(planLab({ ...base, runtime: 'containerd' }).options.runtime, 'containerd');
    assert.throws(() => planLab({ ...base, runtime: 'docker' as 'netns' }), /--runtime must be netns or containerd/);
  });
});
