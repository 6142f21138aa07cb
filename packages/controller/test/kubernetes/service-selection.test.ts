// Which Service addresses a node advertises: ExternalIPs and LoadBalancer IPs from Services and EndpointSlices
// (externalTrafficPolicy Cluster and Local, no endpoints, not ready, terminating, dual-stack), the ClusterIP ranges,
// and the list guard.
import assert from 'node:assert/strict';
import {
  type EndpointSliceObject,
  readiness,
  type ServiceObject,
  type ServiceRanges,
  selectServicePrefixes,
  serviceRangesFrom,
  trimEndpointSlice,
  trimService,
} from '../../src/kubernetes/service-selection.js';

const RANGES: ServiceRanges = {
  clusterIPs: ['10.96.0.0/12'],
  externalIPs: ['192.0.2.0/24', '2001:db8:e::/64'],
  loadBalancerIPs: ['198.51.100.0/24', '2001:db8:1b::/64'],
};

function svc(
  name: string,
  o: { type?: string; externalIPs?: string[]; lb?: (string | { hostname: string })[]; local?: boolean } = {},
): ServiceObject {
  return {
    metadata: { name, namespace: 'shop' },
    spec: {
      type: o.type ?? (o.lb ? 'LoadBalancer' : 'ClusterIP'),
      clusterIP: '10.96.0.10',
      ...(o.externalIPs ? { externalIPs: o.externalIPs } : {}),
      ...(o.local ? { externalTrafficPolicy: 'Local' } : {}),
    },
    ...(o.lb
      ? { status: { loadBalancer: { ingress: o.lb.map((x) => (typeof x === 'string' ? { ip: x } : x)) } } }
      : {}),
  };
}

type Ep = { node: string; ready?: boolean; terminating?: boolean; serving?: boolean };

function slice(
  service: string,
  family: 'IPv4' | 'IPv6',
  eps: Ep[],
  name = `${service}-${family}`,
): EndpointSliceObject {
  return {
    metadata: { name, namespace: 'shop', labels: { 'kubernetes.io/service-name': service } },
    addressType: family,
    endpoints: eps.map((e, i) => ({
      addresses: [family === 'IPv4' ? `10.244.0.${i + 1}` : `fd00:244::${i + 1}`],
      nodeName: e.node,
      conditions: {
        ...(e.ready !== undefined ? { ready: e.ready } : {}),
        ...(e.terminating !== undefined ? { terminating: e.terminating } : {}),
        ...(e.serving !== undefined ? { serving: e.serving } : {}),
      },
    })),
  };
}

const select = (services: ServiceObject[], slices: EndpointSliceObject[], node = 'n1', ranges = RANGES) =>
  selectServicePrefixes(ranges, services, slices, node);

describe('kubernetes: Service address selection', () => {
  it('ClusterIP ranges are advertised as configured, from every node, with no Service at all', () => {
    assert.deepEqual(select([], []).prefixes, ['10.96.0.0/12']);
    const none = { clusterIPs: [], externalIPs: [], loadBalancerIPs: [] };
    assert.deepEqual(select([svc('a', { externalIPs: ['192.0.2.1'] })], [], 'n1', none).prefixes, []);
  });

  it('eTP Cluster: an ExternalIP and an LB IP as /32 from every node while a ready endpoint exists anywhere', () => {
    const s = [svc('web', { externalIPs: ['192.0.2.10'] }), svc('lb', { lb: ['198.51.100.7'] })];
    const slices = [slice('web', 'IPv4', [{ node: 'n2' }]), slice('lb', 'IPv4', [{ node: 'n3' }])];
    for (const node of ['n1', 'n2', 'n9']) {
      assert.deepEqual(select(s, slices, node).prefixes, ['10.96.0.0/12', '192.0.2.10/32', '198.51.100.7/32'], node);
    }
  });

  it('eTP Local: only from nodes with a ready endpoint; withdrawn as the last one goes', () => {
    const s = [svc('web', { lb: ['198.51.100.8'], local: true })];
    const two = [slice('web', 'IPv4', [{ node: 'n1' }, { node: 'n2' }])];
    assert.ok(select(s, two, 'n1').prefixes.includes('198.51.100.8/32'));
    assert.ok(select(s, two, 'n2').prefixes.includes('198.51.100.8/32'));
    assert.ok(!select(s, two, 'n3').prefixes.includes('198.51.100.8/32'));
    const moved = [slice('web', 'IPv4', [{ node: 'n3' }])];
    assert.ok(!select(s, moved, 'n1').prefixes.includes('198.51.100.8/32'));
    assert.ok(select(s, moved, 'n3').prefixes.includes('198.51.100.8/32'));
    assert.ok(!select(s, [slice('web', 'IPv4', [])], 'n3').prefixes.includes('198.51.100.8/32'));
  });

  it('no endpoints, not ready, terminating: not advertised (eTP Cluster and Local)', () => {
    for (const local of [false, true]) {
      const s = [svc('web', { externalIPs: ['192.0.2.11'], local })];
      const cases: [string, EndpointSliceObject[]][] = [
        ['no slice', []],
        ['an empty slice', [slice('web', 'IPv4', [])]],
        ['not ready', [slice('web', 'IPv4', [{ node: 'n1', ready: false }])]],
        ['terminating (still serving)', [slice('web', 'IPv4', [{ node: 'n1', terminating: true, serving: true }])]],
        ['another Service’s endpoint', [slice('other', 'IPv4', [{ node: 'n1' }])]],
      ];
      for (const [what, slices] of cases) {
        assert.deepEqual(select(s, slices).prefixes, ['10.96.0.0/12'], `${what}, local ${local}`);
      }
      // ready absent counts as ready (the API's meaning of a nil condition)
      assert.ok(select(s, [slice('web', 'IPv4', [{ node: 'n1' }])]).prefixes.includes('192.0.2.11/32'));
    }
  });

  it('endpoints spread over several slices of one Service count together', () => {
    const s = [svc('web', { externalIPs: ['192.0.2.12'], local: true })];
    const slices = [
      slice('web', 'IPv4', [{ node: 'n2', ready: false }], 'web-a'),
      slice('web', 'IPv4', [{ node: 'n1' }], 'web-b'),
    ];
    assert.ok(select(s, slices, 'n1').prefixes.includes('192.0.2.12/32'));
    assert.ok(!select(s, slices, 'n2').prefixes.includes('192.0.2.12/32'));
  });

  it('dual-stack: each family’s address needs a ready endpoint of its family; /128 for IPv6', () => {
    const s = [svc('web', { externalIPs: ['192.0.2.13', '2001:db8:e::13'], lb: ['198.51.100.13', '2001:db8:1b::13'] })];
    const v4only = [slice('web', 'IPv4', [{ node: 'n1' }])];
    assert.deepEqual(select(s, v4only).prefixes, ['10.96.0.0/12', '192.0.2.13/32', '198.51.100.13/32']);
    const both = [...v4only, slice('web', 'IPv6', [{ node: 'n2' }])];
    assert.deepEqual(select(s, both).prefixes, [
      '10.96.0.0/12',
      '192.0.2.13/32',
      '198.51.100.13/32',
      '2001:db8:1b::13/128',
      '2001:db8:e::13/128',
    ]);
    // Local on n1: the IPv6 endpoint is on n2, so only IPv4 from n1.
    const local = [svc('web', { externalIPs: ['192.0.2.13', '2001:db8:e::13'], local: true, lb: ['2001:db8:1b::13'] })];
    assert.deepEqual(select(local, both, 'n1').prefixes, ['10.96.0.0/12', '192.0.2.13/32']);
    assert.deepEqual(select(local, both, 'n2').prefixes, ['10.96.0.0/12', '2001:db8:1b::13/128', '2001:db8:e::13/128']);
  });

  it('the list guard: an address outside the configured lists is never advertised, and is reported', () => {
    const s = [
      svc('typo', { externalIPs: ['192.0.3.10', '198.51.100.9'] }), // outside; and an LB range is not an external one
      svc('lb', { lb: ['192.0.2.50', '203.0.113.1'] }), // an external range is not an LB one
      svc('v6', { externalIPs: ['2001:db8:f::1'] }),
    ];
    const slices = ['typo', 'lb', 'v6'].map((n) => slice(n, n === 'v6' ? 'IPv6' : 'IPv4', [{ node: 'n1' }]));
    const r = select(s, slices);
    assert.deepEqual(r.prefixes, ['10.96.0.0/12']);
    assert.deepEqual(r.refused, [
      { service: 'shop/typo', address: '192.0.3.10', kind: 'externalIP' },
      { service: 'shop/typo', address: '198.51.100.9', kind: 'externalIP' },
      { service: 'shop/lb', address: '192.0.2.50', kind: 'loadBalancerIP' },
      { service: 'shop/lb', address: '203.0.113.1', kind: 'loadBalancerIP' },
      { service: 'shop/v6', address: '2001:db8:f::1', kind: 'externalIP' },
    ]);
    // Empty lists guard everything.
    const only = { clusterIPs: [], externalIPs: [], loadBalancerIPs: ['198.51.100.0/24'] };
    assert.deepEqual(select([svc('x', { externalIPs: ['192.0.2.1'] })], slices, 'n1', only).prefixes, []);
  });

  it('ignores hostname-only ingress, ingress of a non-LoadBalancer Service, and addresses that are no addresses', () => {
    const s = [
      svc('h', { lb: [{ hostname: 'lb.example' }] }),
      { ...svc('np', { lb: ['198.51.100.20'] }), spec: { type: 'NodePort' } },
      svc('bad', { externalIPs: ['192.0.2.300', 'not-an-ip'] }),
    ];
    const slices = ['h', 'np', 'bad'].map((n) => slice(n, 'IPv4', [{ node: 'n1' }]));
    const r = select(s, slices);
    assert.deepEqual(r.prefixes, ['10.96.0.0/12']);
    assert.deepEqual(r.refused, []);
  });

  it('readiness ignores FQDN slices and slices without a service-name label', () => {
    const fqdn = { ...slice('web', 'IPv4', [{ node: 'n1' }]), addressType: 'FQDN' };
    const unlabelled = { ...slice('web', 'IPv4', [{ node: 'n1' }]), metadata: { name: 'x', namespace: 'shop' } };
    assert.equal(readiness([fqdn, unlabelled], 'n1').size, 0);
  });

  it('trims Services and EndpointSlices to what the selection reads, with the same result', () => {
    const full: ServiceObject = {
      ...svc('web', { externalIPs: ['192.0.2.30'], lb: ['198.51.100.30', { hostname: 'x' }], local: true }),
      metadata: {
        name: 'web',
        namespace: 'shop',
        resourceVersion: '7',
        labels: { app: 'web' },
        annotations: { big: 'x'.repeat(1000) },
      } as ServiceObject['metadata'],
    };
    const t = trimService(full);
    assert.deepEqual(t, {
      metadata: { name: 'web', namespace: 'shop', resourceVersion: '7' },
      spec: { type: 'LoadBalancer', externalIPs: ['192.0.2.30'], externalTrafficPolicy: 'Local' },
      status: { loadBalancer: { ingress: [{ ip: '198.51.100.30' }] } },
    });
    const sl = slice('web', 'IPv4', [{ node: 'n1' }, { node: 'n2', ready: false }]);
    const ts = trimEndpointSlice(sl);
    assert.deepEqual(select([full], [sl], 'n1').prefixes, select([t], [ts], 'n1').prefixes);
    assert.equal(ts.endpoints?.length, 2);
  });

  it('reads the BGPConfiguration lists, reporting bad entries', () => {
    const problems: { message: string }[] = [];
    const r = serviceRangesFrom(
      { serviceClusterIPs: ['10.96.0.0/12', '10.96.0.1/12'], serviceLoadBalancerIPs: 'x' },
      'BGPConfiguration/default',
      problems as never,
    );
    assert.deepEqual(r, { clusterIPs: ['10.96.0.0/12'], externalIPs: [], loadBalancerIPs: [] });
    assert.equal(problems.length, 2);
    assert.match(problems[0]!.message, /spec\.serviceClusterIPs\[1\]/);
    assert.match(problems[1]!.message, /spec\.serviceLoadBalancerIPs must be a list/);
    assert.equal(serviceRangesFrom({}, 'x', []), undefined);
  });
});
