// Production peering on real kernels, with the agent as it ships (the single executable dist/bin/gannet) in a
// namespace and FRR's bgpd and BIRD 2 in others: TCP-MD5 (FRR connects to us, we connect to a passive BIRD, a wrong
// password never comes up and the agent says why), eBGP TTL and GTSM (a direct FRR with ttl-security over IPv4 and
// IPv6 comes up; FRRs two hops away behind a router: refused by GTSM with one hop, accepted with ebgpMultihop 2, and
// never reached by a single-hop eBGP session's TTL 1), and dynamic neighbours (two FRRs from a range come up,
// appear in /api/v1/peers, their route is installed, and one goes away with its session; one outside is refused).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Bird, type Frr, startBird, startFrr } from '../src/daemons.js';
import { type Netns, type SpawnedProcess, sleep, TestNet, waitFor } from '../src/netns.js';
import { requireRoot } from '../src/root.js';

const GANNET = resolve(fileURLToPath(import.meta.url), '../../../../dist/bin/gannet');
const AGENT_AS = 64512;
const MD5_FRR = 'frr-md5-secret';
const MD5_BIRD = 'bird md5 secret';
const MD5_WRONG_OURS = 'ours-not-theirs';
const MD5_WRONG_THEIRS = 'theirs-not-ours';

/** One point-to-point link of the agent: its address, the other side's, the prefix length. */
const L = {
  frr: ['172.30.41.1', '172.30.41.2'],
  bird: ['172.30.42.1', '172.30.42.2'],
  wrong: ['172.30.43.1', '172.30.43.2'],
  near: ['172.30.44.1', '172.30.44.2'],
  near6: ['2001:db8:44::1', '2001:db8:44::2'],
  router: ['172.30.45.1', '172.30.45.2'],
  dyn1: ['172.30.50.1', '172.30.50.2'],
  dyn2: ['172.30.50.5', '172.30.50.6'],
  outside: ['172.30.51.1', '172.30.51.2'],
} as const;
/** Behind the router: farA, farB, farC (each on its own link from the router). */
const FAR = { a: '172.30.52.2', b: '172.30.53.2', c: '172.30.54.2' } as const;

function frrConf(asn: number, id: string, neighbors: string[], networks: string[] = [], ipv6: string[] = []): string {
  return `frr defaults traditional
hostname frr${asn}
log stdout informational
!
router bgp ${asn}
 bgp router-id ${id}
 no bgp ebgp-requires-policy
 no bgp network import-check
${neighbors.map((n) => ` ${n}`).join('\n')}
 !
 address-family ipv4 unicast
${networks.map((n) => `  network ${n}`).join('\n')}
${ipv6.map((n) => `  no neighbor ${n} activate`).join('\n')}
 exit-address-family
 !
 address-family ipv6 unicast
${ipv6.map((n) => `  neighbor ${n} activate`).join('\n')}
 exit-address-family
!
`;
}

interface PeerView {
  address: string;
  asn: number;
  state: string;
  lastError: string | null;
  dynamic?: string;
  transport?: { md5: boolean; ttl?: number; minTtl?: number };
}

describe('e2e: TCP-MD5, GTSM and dynamic neighbours against FRR and BIRD (agent executable)', function () {
  this.timeout(180_000);
  let net: TestNet;
  let agentNs: Netns;
  let agent: SpawnedProcess;
  let dir: string;
  const frrs: Record<string, Frr> = {};
  let bird: Bird;

  const peers = (): PeerView[] =>
    JSON.parse(agentNs.run('curl', ['-sf', '--max-time', '5', 'http://127.0.0.1:9179/api/v1/peers']));
  const peer = (address: string) => peers().find((p) => p.address === address);
  const up = (address: string) => peer(address)?.state === 'Established';
  const kernelRoutes = () =>
    JSON.parse(agentNs.run('ip', ['-j', 'route', 'show', 'proto', '71'])) as { dst: string; gateway?: string }[];

  before(async function () {
    requireRoot(this);
    net = new TestNet('sec');
    agentNs = net.ns('agent');
    const ns = (label: string, link: readonly [string, string], len = 30) => {
      const n = net.ns(label);
      const six = link[0].includes(':');
      net.link(agentNs, `a-${label}`, n, 'e0', `${link[0]}/${six ? 64 : len}`, `${link[1]}/${six ? 64 : len}`);
      return n;
    };
    const frrNs = ns('frr', L.frr);
    const birdNs = ns('bird', L.bird);
    const wrongNs = ns('wrong', L.wrong);
    const nearNs = ns('near', L.near);
    net.link(agentNs, 'a-near6', nearNs, 'e6', `${L.near6[0]}/64`, `${L.near6[1]}/64`);
    const routerNs = ns('router', L.router);
    routerNs.run('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    agentNs.ip('route', 'add', '172.30.52.0/22', 'via', L.router[1]);
    const far: Record<string, Netns> = {};
    for (const [k, addr] of Object.entries(FAR)) {
      const n = net.ns(`far${k}`);
      const gw = addr.replace(/\.2$/, '.1');
      net.link(routerNs, `r-${k}`, n, 'e0', `${gw}/30`, `${addr}/30`);
      n.ip('route', 'add', 'default', 'via', gw);
      far[k] = n;
    }
    const dyn1 = ns('dyn1', L.dyn1);
    const dyn2 = ns('dyn2', L.dyn2);
    const outside = ns('outside', L.outside);
    // IPv6 duplicate address detection would hold the addresses back for a second or two
    for (const n of [agentNs, nearNs]) n.run('sysctl', ['-q', '-w', 'net.ipv6.conf.all.accept_dad=0']);
    agentNs.ip('addr', 'flush', 'dev', 'a-near6', 'scope', 'global');
    agentNs.ip('addr', 'add', `${L.near6[0]}/64`, 'dev', 'a-near6', 'nodad');
    nearNs.ip('addr', 'flush', 'dev', 'e6', 'scope', 'global');
    nearNs.ip('addr', 'add', `${L.near6[1]}/64`, 'dev', 'e6', 'nodad');

    dir = mkdtempSync(join(tmpdir(), 'gannet-e2e-sec-'));
    const pwFile = join(dir, 'bird.pw');
    writeFileSync(pwFile, `${MD5_BIRD}\n`, { mode: 0o600 });
    const cfg = join(dir, 'gannet.yaml');
    writeFileSync(
      cfg,
      `nodeName: sec
asn: ${AGENT_AS}
routerId: ${L.frr[0]}
podCIDRs: [10.244.1.0/24]
clusterCIDRs: [10.244.0.0/16]
listen: { address: "::", port: 179 }
api: { listen: 127.0.0.1:9179 }
nodeStateFile: ${dir}/node-state.json
gracefulRestart: { restartTime: 120, deferralTime: 2 }
peers:
  - { address: ${L.frr[1]}, asn: 65001, passive: true, password: ${MD5_FRR} }
  - { address: ${L.bird[1]}, asn: 65002, passwordFile: bird.pw }
  - { address: ${L.wrong[1]}, asn: 65003, password: ${MD5_WRONG_OURS} }
  - { address: ${L.near[1]}, asn: 65004, ttlSecurity: true }
  - { address: "${L.near6[1]}", asn: 65004, ttlSecurity: true }
  - { address: ${FAR.a}, asn: 65005, ttlSecurity: true }
  - { address: ${FAR.b}, asn: 65006, ttlSecurity: true, ebgpMultihop: 2 }
  - { address: ${FAR.c}, asn: 65007 }
  - { prefix: 172.30.50.0/24, asnRange: { min: 65100, max: 65199 } }
`,
      { mode: 0o600 },
    );
    agent = net.spawn(agentNs, GANNET, ['agent', '--config', cfg, '--log-format', 'json']);
    await waitFor('the agent listening', () => agentNs.tryRun('ss', ['-Hltn', 'sport = :179']).stdout.includes('179'), {
      timeoutMs: 20_000,
      intervalMs: 100,
    });

    const us = (n: string, asn = AGENT_AS) => [`neighbor ${n} remote-as ${asn}`, `neighbor ${n} timers connect 1`];
    frrs.frr = await startFrr(
      net,
      frrNs,
      frrConf(65001, L.frr[1], [...us(L.frr[0]), `neighbor ${L.frr[0]} password ${MD5_FRR}`]),
    );
    bird = await startBird(
      net,
      birdNs,
      `router id ${L.bird[1]};
log stderr all;
protocol device {}
protocol bgp gannet {
  local ${L.bird[1]} as 65002;
  neighbor ${L.bird[0]} as ${AGENT_AS};
  password "${MD5_BIRD}";
  passive on;
  ipv4 { import all; export none; };
}
`,
    );
    frrs.wrong = await startFrr(
      net,
      wrongNs,
      frrConf(65003, L.wrong[1], [...us(L.wrong[0]), `neighbor ${L.wrong[0]} password ${MD5_WRONG_THEIRS}`]),
    );
    frrs.near = await startFrr(
      net,
      nearNs,
      frrConf(
        65004,
        L.near[1],
        [
          ...us(L.near[0]),
          `neighbor ${L.near[0]} ttl-security hops 1`,
          ...us(L.near6[0]),
          `neighbor ${L.near6[0]} ttl-security hops 1`,
        ],
        [],
        [L.near6[0]],
      ),
    );
    const back = L.router[0];
    frrs.farA = await startFrr(
      net,
      far.a!,
      frrConf(65005, FAR.a, [...us(back), `neighbor ${back} ttl-security hops 2`]),
    );
    frrs.farB = await startFrr(
      net,
      far.b!,
      frrConf(65006, FAR.b, [...us(back), `neighbor ${back} ttl-security hops 2`]),
    );
    frrs.farC = await startFrr(net, far.c!, frrConf(65007, FAR.c, [...us(back), `neighbor ${back} ebgp-multihop 2`]));
    frrs.dyn1 = await startFrr(net, dyn1, frrConf(65101, L.dyn1[1], us(L.dyn1[0]), ['10.244.101.0/24']));
    frrs.dyn2 = await startFrr(net, dyn2, frrConf(65102, L.dyn2[1], us(L.dyn2[0]), ['10.244.102.0/24']));
    frrs.outside = await startFrr(net, outside, frrConf(65103, L.outside[1], us(L.outside[0])));
  });

  after(async () => {
    if (agent && process.env.GANNET_E2E_DEBUG) console.log(agent.output().slice(-30_000));
    for (const f of Object.values(frrs)) await f.stop();
    await bird?.stop();
    await net?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('TCP-MD5: FRR connects to us and we connect to a passive BIRD, each with its password', async () => {
    await waitFor('MD5 sessions with FRR and BIRD', () => up(L.frr[1]) && up(L.bird[1]), {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    assert.equal(frrs.frr!.summary().peers?.[L.frr[0]]?.state, 'Established');
    assert.equal(bird.protocol('gannet').state, 'up');
    assert.deepEqual(peer(L.frr[1])?.transport, { md5: true, ttl: 1 });
    // the kernel signs: the sockets carry the key (ss -i shows "md5" on them)
    const ss = agentNs.run('ss', ['-Htni', 'state', 'established', '( sport = :179 or dport = :179 )']);
    assert.match(ss, /md5/, ss);
  });

  it('TCP-MD5: a wrong password never comes up, and the agent says why (the kernel drops the segments)', async () => {
    // FRR retries every second, its SYNs are dropped by our kernel; the agent looks at the counters every 5 s
    const why = /TCP-MD5: the kernel dropped segments .*TCPMD5Failure \+\d+ \(signed with another password\)/;
    await waitFor('the agent telling why', () => why.test(peer(L.wrong[1])?.lastError ?? ''), {
      timeoutMs: 20_000,
      intervalMs: 250,
    });
    assert.notEqual(peer(L.wrong[1])?.state, 'Established');
    assert.notEqual(frrs.wrong!.summary().peers?.[L.wrong[0]]?.state, 'Established');
    const nstat = agentNs.run('nstat', ['-asz', 'TcpExtTCPMD5Failure']);
    assert.match(nstat, /TcpExtTCPMD5Failure\s+[1-9]/, nstat);
    const log = agent.output();
    assert.match(log, /"why":"TCP-MD5: the kernel dropped segments/);
    for (const secret of [MD5_FRR, MD5_BIRD, MD5_WRONG_OURS])
      assert.ok(!log.includes(secret), `the agent's log holds a password (${secret})`);
    const api = agentNs.run('curl', ['-sf', 'http://127.0.0.1:9179/api/v1/peers']);
    const metrics = agentNs.run('curl', ['-sf', 'http://127.0.0.1:9179/metrics']);
    for (const secret of [MD5_FRR, MD5_BIRD, MD5_WRONG_OURS])
      assert.ok(!api.includes(secret) && !metrics.includes(secret), 'a password in the status API or metrics');
  });

  it('GTSM: a direct FRR with ttl-security comes up over IPv4 and IPv6 (TTL 255 out, IP_MINTTL / IPV6_MINHOPCOUNT 255 in)', async () => {
    await waitFor('GTSM sessions with the near FRR', () => up(L.near[1]) && up(L.near6[1]), {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    assert.deepEqual(peer(L.near[1])?.transport, { md5: false, ttl: 255, minTtl: 255 });
    assert.deepEqual(peer(L.near6[1])?.transport, { md5: false, ttl: 255, minTtl: 255 });
  });

  it('GTSM and TTL: two hops away, refused with one hop allowed, up with ebgpMultihop 2; single-hop eBGP (TTL 1) never reaches it', async () => {
    await waitFor('the 2-hop session allowed by ebgpMultihop: 2', () => up(FAR.b), {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    assert.deepEqual(peer(FAR.b)?.transport, { md5: false, ttl: 255, minTtl: 254 });
    // farA sends 255, which arrives here as 254 < 255: the kernel drops it; farC never hears our TTL 1 SYNs
    await sleep(3_000);
    assert.notEqual(peer(FAR.a)?.state, 'Established');
    assert.notEqual(peer(FAR.c)?.state, 'Established');
    assert.notEqual(frrs.farA!.summary().peers?.[L.router[0]]?.state, 'Established');
    assert.notEqual(frrs.farC!.summary().peers?.[L.router[0]]?.state, 'Established');
    assert.deepEqual(peer(FAR.c)?.transport, { md5: false, ttl: 1 });
    // the kernel counted what IP_MINTTL dropped in the agent's namespace
    const drops = Number(
      /TcpExtTCPMinTTLDrop\s+(\d+)/.exec(agentNs.run('nstat', ['-asz', 'TcpExtTCPMinTTLDrop']))?.[1],
    );
    assert.ok(drops > 0, `TCPMinTTLDrop ${drops}`);
  });

  it('dynamic neighbours: two FRRs from the range come up and are listed; one outside is refused; one goes away with its session', async () => {
    await waitFor('both dynamic peers Established', () => up(L.dyn1[1]) && up(L.dyn2[1]), {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    const dyn = peers().filter((p) => p.dynamic);
    assert.deepEqual(dyn.map((p) => [p.address, p.asn, p.dynamic]).sort(), [
      [L.dyn1[1], 65101, '172.30.50.0/24'],
      [L.dyn2[1], 65102, '172.30.50.0/24'],
    ]);
    await waitFor(
      'the dynamic peers’ routes in the kernel',
      () => {
        const r = kernelRoutes();
        return r.some((x) => x.dst === '10.244.101.0/24') && r.some((x) => x.dst === '10.244.102.0/24');
      },
      { timeoutMs: 15_000, intervalMs: 250 },
    );
    assert.equal(peer(L.outside[1]), undefined);
    assert.notEqual(frrs.outside!.summary().peers?.[L.outside[0]]?.state, 'Established');
    assert.match(agent.output(), /"address":"172\.30\.51\.2"[^\n]*"message":"connection from unknown address refused"/);
    await frrs.dyn1!.stop();
    delete frrs.dyn1;
    await waitFor('dyn1 gone from /api/v1/peers', () => peer(L.dyn1[1]) === undefined, {
      timeoutMs: 20_000,
      intervalMs: 250,
    });
    await waitFor('its route gone from the kernel', () => !kernelRoutes().some((x) => x.dst === '10.244.101.0/24'), {
      timeoutMs: 10_000,
      intervalMs: 250,
    });
    assert.ok(up(L.dyn2[1]), 'the other stays');
  });
});
