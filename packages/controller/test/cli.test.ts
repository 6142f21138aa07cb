import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../src/agent.js';
import { buildApi } from '../src/api/server.js';
import { main } from '../src/cli/main.js';
import { formatDuration, renderStatus, table } from '../src/cli/status.js';
import { parseConfig } from '../src/config/load-config.js';
import { silentLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import { FakeRoutes, FakeSpeaker, peerStatus } from './fakes.js';
import { FakeApiServer } from './kubernetes/fake-apiserver.js';
import { node, RESOURCES } from './kubernetes/helpers.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('controller: gannet CLI', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gannet-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints help for every command and exits 0', async () => {
    for (const args of [['--help'], ['agent', '--help'], ['status', '--help'], ['lab', '--help']]) {
      const c = capture();
      assert.equal(await main(args, c.io), 0, args.join(' '));
      assert.match(c.out.join(''), /Usage/);
    }
  });

  it('rejects unknown commands and options with one line and exit 2', async () => {
    const c = capture();
    assert.equal(await main(['frobnicate'], c.io), 2);
    assert.equal(c.err.join(''), 'gannet frobnicate: unknown command "frobnicate" (try gannet --help)\n');
    const d = capture();
    assert.equal(await main(['status', '--bogus'], d.io), 2);
    assert.match(d.err.join(''), /^gannet status: Unknown option '--bogus'/);
    const e = capture();
    assert.equal(await main(['agent'], e.io), 2);
    assert.match(e.err.join(''), /give exactly one of --config FILE or --kubernetes/);
    const f = capture();
    assert.equal(await main(['agent', '--config', 'x', '--log-level', 'loud'], f.io), 2);
    assert.match(f.err.join(''), /--log-level must be one of error, warn, info, debug/);
  });

  it('gannet lab: usage errors exit 2 as the other commands do (they exited 1)', async () => {
    const a = capture();
    assert.equal(await main(['lab', 'up', '--bogus'], a.io), 2);
    assert.match(a.err.join(''), /^gannet lab: Unknown option '--bogus'/);
    if (process.getuid?.() !== 0) return; // the rest is checked after the lab's root check
    const b = capture();
    assert.equal(await main(['lab', 'frobnicate'], b.io), 2);
    assert.equal(
      b.err.join(''),
      'gannet lab: unknown lab command "frobnicate" (up, status, down, cut, heal, kill, restart, flap)\n',
    );
    const c = capture();
    assert.equal(await main(['lab', 'up', '--nodes', 'three'], c.io), 2);
    assert.equal(c.err.join(''), 'gannet lab: --nodes must be a whole number\n');
    const d = capture();
    assert.equal(await main(['lab', 'up', 'extra'], d.io), 2);
    assert.equal(d.err.join(''), 'gannet lab: unexpected argument "extra"\n');
    const e = capture();
    assert.equal(await main(['lab', 'up', '--racks', '2'], e.io), 2);
    assert.match(e.err.join(''), /--racks, --nodes-per-rack and --spines need --topology leaf-spine/);
  });

  it('gannet lab pod|policy|probe: help, and usage errors exit 2 before any lab is looked up', async () => {
    const h = capture();
    assert.equal(await main(['lab', 'pod', '--help'], h.io), 0);
    assert.match(h.out.join(''), /gannet lab pod add NAME --node NODE \[--namespace NS\] \[--labels k=v,…\]/);
    const state = ['--state-dir', join(dir, 'no-labs')];
    for (const [args, msg] of [
      [['lab', 'probe', '--protocol', 'icmp'], '--protocol must be tcp, udp or sctp'],
      [['lab', 'probe', '--port', '70000'], '--port must be 1..65535'],
      [['lab', 'pod', 'add', 'web'], 'lab pod add NAME --node NODE'],
      [['lab', 'pod', 'frob'], 'unknown lab pod command "frob" (add, delete, list)'],
      [['lab', 'policy', 'apply'], 'lab policy apply -f FILE'],
      [['lab', 'policy', 'delete'], 'lab policy delete NAME -n NS'],
      [['lab', 'pod', 'list', 'x', 'y'], 'unexpected argument "y"'],
    ] as const) {
      const c = capture();
      assert.equal(await main([...args, ...state], c.io), 2, args.join(' '));
      assert.equal(c.err.join(''), `gannet lab: ${msg}\n`);
    }
    const none = capture();
    assert.equal(await main(['lab', 'pod', 'list', ...state], none.io), 1);
    const why =
      process.getuid?.() === 0
        ? 'no lab "lab" (start one with: gannet lab up)'
        : 'the lab needs root (network namespaces)';
    assert.equal(none.err.join(''), `gannet lab: ${why}\n`);
  });

  it('agent with a broken config names the file, line and key, exits 1 and starts nothing', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'nodeName: n1\nasn: 64512\nrouterId: 10.0.0.1\npodCIDRs: [10.244.1.0/24]\npeers:\n  - { address: 10.0.0.2, asn: -5 }\n',
    );
    const c = capture();
    assert.equal(await main(['agent', '--config', file], c.io), 1);
    assert.equal(c.err.join(''), `gannet agent: ${file}:6: peers[0].asn: must be in 1..4294967295, got -5\n`);
  });

  it('agent --check validates a good config without starting', async () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(file, 'nodeName: n1\nasn: 64512\nrouterId: 10.0.0.1\npodCIDRs: [10.244.1.0/24]\n');
    const c = capture();
    assert.equal(await main(['agent', '--config', file, '--check'], c.io), 0);
    assert.equal(c.out.join(''), `${file}: ok (0 peers, pod CIDRs 10.244.1.0/24)\n`);
  });

  it('agent --check reads the policy files: counts the policies, or names file, line, object and field', async () => {
    const pol = join(dir, 'pol.yaml');
    writeFileSync(
      pol,
      'kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: web, namespace: shop}\n' +
        'spec:\n  podSelector: {}\n  ingress:\n  - from: [{ipBlock: {cidr: 10.0.0.0/33}}]\n',
    );
    const file = join(dir, 'with-policy.yaml');
    writeFileSync(
      file,
      `nodeName: n1\nasn: 64512\nrouterId: 10.0.0.1\npodCIDRs: [10.244.1.0/24]\npolicy: {files: ["${pol}"]}\n`,
    );
    const bad = capture();
    assert.equal(await main(['agent', '--config', file, '--check'], bad.io), 1);
    assert.match(
      bad.err.join(''),
      /^gannet agent: .*pol\.yaml:7: NetworkPolicy shop\/web: spec\.ingress\[0\]\.from\[0\]\.ipBlock\.cidr: /,
    );
    writeFileSync(
      pol,
      'kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: web}\nspec: {podSelector: {}}\n',
    );
    const good = capture();
    assert.equal(await main(['agent', '--config', file, '--check'], good.io), 0);
    assert.equal(good.out.join(''), `${file}: ok (0 peers, pod CIDRs 10.244.1.0/24, 1 network policies)\n`);
  });

  it('agent --check refuses what the runtime cannot use (router ID 0.0.0.0), exit 1', async () => {
    const file = join(dir, 'zero.yaml');
    writeFileSync(file, 'nodeName: n1\nasn: 64512\nrouterId: 0.0.0.0\npodCIDRs: [10.244.1.0/24]\n');
    const c = capture();
    assert.equal(await main(['agent', '--config', file, '--check'], c.io), 1);
    assert.equal(
      c.err.join(''),
      `gannet agent: ${file}:3: routerId: must not be 0.0.0.0 (a BGP Identifier is non-zero, RFC 6286)\n`,
    );
  });

  it('agent --kubernetes --check: the API’s config for NODE_NAME, saving nothing', async () => {
    const server = await FakeApiServer.start(RESOURCES);
    const before = process.env.NODE_NAME;
    try {
      server.put('nodes', node('node1', '172.30.0.1', ['10.244.1.0/24']));
      server.put('nodes', node('node2', '172.30.0.2', ['10.244.2.0/24']));
      const kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(
        kubeconfig,
        `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server.url}", insecure-skip-tls-verify: true}}]\n` +
          'users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
      );
      process.env.NODE_NAME = 'node1';
      const c = capture();
      const saved = join(dir, 'never-written.json');
      const code = await main(
        [
          'agent',
          '--kubernetes',
          '--kubeconfig',
          kubeconfig,
          '--saved-config',
          saved,
          '--check',
          '--log-level',
          'error',
        ],
        c.io,
      );
      assert.equal(c.err.join(''), '');
      assert.equal(code, 0);
      assert.equal(c.out.join(''), 'kubernetes: ok (node node1, 1 peers)\n');
      assert.equal(existsSync(saved), false, '--check saves nothing');
      const u = capture();
      assert.equal(await main(['agent', '--config', 'x.yaml', '--api-listen', '127.0.0.1:1'], u.io), 2);
      assert.equal(u.err.join(''), 'gannet agent: --api-listen goes with --kubernetes\n');
      const n = capture();
      assert.equal(await main(['agent', '--config', 'x.yaml', '--no-network-policy'], n.io), 2);
      assert.equal(n.err.join(''), 'gannet agent: --no-network-policy goes with --kubernetes\n');
    } finally {
      if (before === undefined) delete process.env.NODE_NAME;
      else process.env.NODE_NAME = before;
      await server.close();
    }
  });

  it('status says clearly when the agent is not there', async () => {
    // A loopback port that was just free: nothing listens there.
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const { port } = srv.address() as AddressInfo;
    await new Promise((r) => srv.close(r));
    const c = capture();
    assert.equal(await main(['status', '--api', `http://127.0.0.1:${port}`], c.io), 1);
    assert.equal(
      c.err.join(''),
      `gannet status: cannot reach the agent's status API at http://127.0.0.1:${port} (ECONNREFUSED); is the agent running? (--api URL)\n`,
    );
  });

  it('status shows the counts and the first 20 routes; --routes N, --all and --json show more', async () => {
    const speaker = new FakeSpeaker();
    const routes = new FakeRoutes();
    const agent = new Agent(
      parseConfig(
        'nodeName: n1\nasn: 64512\nrouterId: 10.0.0.1\npodCIDRs: [10.244.0.0/24]\nclusterCIDRs: [10.244.0.0/16]\n',
      ),
      { speaker, routes, logger: silentLogger(), writeState: () => {} },
    );
    await agent.start();
    speaker.status = [peerStatus()];
    speaker.emitBest(
      Array.from({ length: 49 }, (_, i) => ({ prefix: `10.244.${i + 1}.0/24`, nexthops: ['10.0.0.2'] })),
    );
    const app = buildApi(
      agent,
      createMetrics({ peers: () => [], routes: () => routes.status(), ipam: () => undefined }),
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    const api = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const run = async (...args: string[]) => {
      const c = capture();
      assert.equal(await main(['status', '--api', api, ...args], c.io), 0, c.err.join(''));
      return c.out.join('');
    };
    try {
      const text = await run();
      assert.match(text, /Routes: 50 \(1 local, 49 learned\); kernel: 50 installed, 0 refused/);
      assert.match(text, /10\.244\.19\.0\/24 +bgp/);
      assert.doesNotMatch(text, /10\.244\.20\.0\/24/);
      assert.match(text, /… 30 more \(gannet status --all lists every route\)\n$/);
      assert.match(await run('--routes', '25'), /10\.244\.24\.0\/24 +bgp[^\n]*\n… 25 more/);
      const all = await run('--all');
      assert.match(all, /10\.244\.49\.0\/24 +bgp/);
      assert.doesNotMatch(all, /more \(gannet status --all/);
      const json = JSON.parse(await run('--json')) as { routes: unknown[]; summary: { routes: number } };
      assert.equal(json.routes.length, 50, '--json is complete');
      assert.equal(json.summary.routes, 50);
      const c = capture();
      assert.equal(await main(['status', '--api', api, '--routes', '0'], c.io), 2);
      assert.match(c.err.join(''), /--routes: 0/);
    } finally {
      await app.close();
    }
  });

  it('renders sessions and routes as a table', () => {
    const text = renderStatus({
      api: 'http://127.0.0.1:9179',
      ready: true,
      peers: [
        {
          address: '172.30.0.254',
          asn: 65000,
          state: 'Established',
          uptimeSeconds: 3725,
          lastError: null,
          prefixesReceived: 3,
          prefixesAccepted: 2,
          prefixesAdvertised: 1,
        },
        {
          address: '172.30.0.9',
          asn: 65009,
          state: 'Active',
          uptimeSeconds: 0,
          lastError: 'connection-refused',
          prefixesReceived: 0,
          prefixesAccepted: 0,
          prefixesAdvertised: 0,
        },
      ],
      summary: { routes: 3, local: 1, bgp: 2, installed: 3, failed: 0 },
      routes: [
        { prefix: '10.244.1.0/24', nexthops: [], source: 'local', installed: true },
        {
          prefix: '10.244.2.0/24',
          nexthops: ['172.30.0.2', '172.30.0.3'],
          source: 'bgp',
          installed: true,
          asPath: [65000, 65000, 64512],
          communities: ['65000:100', 'no-export'],
          largeCommunities: ['65000:1:2'],
        },
      ],
    });
    assert.match(text, /^Gannet agent at http:\/\/127\.0\.0\.1:9179: ready\n/);
    assert.match(text, /BGP sessions: 1\/2 Established/);
    assert.doesNotMatch(text, /IPv6/, 'one family: no split');
    const dual = renderStatus({
      api: 'http://127.0.0.1:9179',
      ready: true,
      peers: ['172.30.0.254', 'fd00:172:30::fe'].map((address, i) => ({
        address,
        asn: 65000,
        state: i === 0 ? 'Established' : 'Connect',
        uptimeSeconds: 0,
        lastError: null,
        prefixesReceived: 0,
        prefixesAccepted: 0,
        prefixesAdvertised: 0,
      })),
      summary: { routes: 1, local: 1, bgp: 0, installed: 1, failed: 0 },
      routes: [{ prefix: 'fd00:10:244:1::/64', nexthops: [], source: 'local', installed: true }],
    });
    assert.match(dual, /BGP sessions: 1\/2 Established \(IPv4 1\/1, IPv6 0\/1\)/);
    assert.match(dual, /fd00:10:244:1::\/64 +local +blackhole \(pods: \/128 host routes\)/);
    assert.match(text, /172\.30\.0\.254 {2}65000 {2}Established {2}1h02m {3}3 {9}2 {9}1\n/);
    assert.match(text, /172\.30\.0\.9 {4}65009 {2}Active {7}- .* connection-refused/);
    assert.match(
      text,
      /10\.244\.2\.0\/24 {2}bgp {5}172\.30\.0\.2, 172\.30\.0\.3 +yes {8}65000 65000 64512 {2}65000:100 no-export 65000:1:2\n/,
    );
    assert.match(text, /PREFIX .* INSTALLED {2}AS PATH {12}COMMUNITIES\n/);
    assert.match(text, /Routes: 3 \(1 local, 2 learned\); kernel: 3 installed, 0 refused\n/);
    assert.match(text, /\n… 1 more \(gannet status --all lists every route\)\n$/);
    assert.doesNotMatch(text, /BFD/, 'no BFD column when no peer runs BFD');
    assert.equal(formatDuration(59), '59s');
    assert.equal(formatDuration(90061), '1d01h');
    assert.equal(table(['A', 'B'], [['xx', 'y']]), 'A   B\nxx  y');
  });

  it('shows the NetworkPolicy state when the agent runs the engine: counts, or why it is not applied', () => {
    const policy = {
      applied: true,
      natOutgoing: true,
      natExclude: [],
      clusterCidrs: ['10.244.0.0/16'],
      sources: [{ name: 'policy files', synced: true, problems: [] }],
      policies: 3,
      selectedPods: 2,
      localPods: 5,
      rules: 27,
      applies: 4,
      applyErrors: 0,
      lastApplyMs: 12.4,
      lastApplyAgeSeconds: 3,
      lastError: null,
    };
    const base = {
      api: 'http://127.0.0.1:9179',
      ready: true,
      peers: [],
      summary: { routes: 0, local: 0, bgp: 0, installed: 0, failed: 0 },
      routes: [],
    };
    assert.match(
      renderStatus({ ...base, policy }),
      /\nNetworkPolicy: applied; 3 policies, 2 of 5 local pods selected, 27 rules; last apply 12 ms, 0 errors; egress NAT on\n/,
    );
    const failing = renderStatus({
      ...base,
      ready: false,
      policy: {
        ...policy,
        applied: false,
        applyErrors: 2,
        lastError: 'cannot run nft: spawn nft ENOENT',
        sources: [{ name: 'policy files', synced: true, problems: ['p.yaml:3: NetworkPolicy x/y: spec: bad'] }],
      },
    });
    assert.match(failing, /NetworkPolicy: NOT APPLIED: cannot run nft: spawn nft ENOENT; 3 policies/);
    assert.match(failing, /\n {2}policy files: p\.yaml:3: NetworkPolicy x\/y: spec: bad\n/);
    assert.doesNotMatch(renderStatus(base), /NetworkPolicy/, 'no line without an engine');
  });

  it('shows a BFD column when a peer runs BFD: Up with its detection time, else the state and why', () => {
    const peer = {
      asn: 65000,
      state: 'Established',
      uptimeSeconds: 60,
      lastError: null,
      prefixesReceived: 1,
      prefixesAccepted: 1,
      prefixesAdvertised: 1,
    };
    const bfd = {
      remoteState: 'Up' as const,
      remoteDiag: 'none',
      txIntervalMs: 100,
      detectTimeMs: 300,
      uptimeSeconds: 60,
      downs: 0,
    };
    const text = renderStatus({
      api: 'http://127.0.0.1:9179',
      ready: true,
      peers: [
        { ...peer, address: '172.30.0.254', bfd: { ...bfd, state: 'Up', localDiag: 'none' } },
        { ...peer, address: '172.30.0.9', bfd: { ...bfd, state: 'Down', localDiag: 'control-detection-time-expired' } },
        { ...peer, address: '172.30.0.10' },
      ],
      summary: { routes: 0, local: 0, bgp: 0, installed: 0, failed: 0 },
      routes: [],
    });
    assert.match(text, /PEER +ASN +STATE +UPTIME +BFD +RECEIVED/);
    assert.match(text, /172\.30\.0\.254 .* 1m00s +Up 300ms +1/);
    assert.match(text, /172\.30\.0\.9 .* Down \(control-detection-time-expired\) +1/);
    assert.match(text, /172\.30\.0\.10 .* 1m00s +- +1/);
  });
});
