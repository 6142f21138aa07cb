// `gannet lab export containerlab DIR`: the same plan as a containerlab topology (pure rendering; unit-tested).
// containerlab links are point-to-point, so each of the plan's node links becomes its own /24: node i on the link to a
// router gets A.B.i.i/24 and the router A.B.i.254/24, where A.B are the first octets of the plan's segment (172.30,
// or 172.31 for a dual-homed node's second uplink); leaf–spine links keep the plan's /31s. The routers are FRR (the
// frrouting/frr image) whatever --router says. examples/containerlab is this output for the flat lab of 3 nodes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CONTAINERLAB_STATIC } from './containerlab-static.js';
import type { PlannedLink, PlannedRouter } from './plan-types.js';
import type { LabPlan, PlannedNode } from './topology.js';

export const FRR_IMAGE = 'quay.io/frrouting/frr:10.2.1';
export const NODE_IMAGE = 'gannet-node:dev';

interface Port {
  /** containerlab node name */
  node: string;
  ifname: string;
  address: string;
}

interface ClabLink {
  a: Port;
  b: Port;
  plan: PlannedLink;
}

const clabName = (plan: LabPlan, r: PlannedRouter) => (plan.topology === 'flat' ? 'tor' : r.name);

/** The containerlab links: ports numbered eth1.. per container in the plan's link order. */
export function clabLinks(plan: LabPlan): ClabLink[] {
  const next = new Map<string, number>();
  const port = (node: string) => {
    const n = (next.get(node) ?? 0) + 1;
    next.set(node, n);
    return `eth${n}`;
  };
  const byNs = new Map<string, string>([
    ...plan.nodes.map((n) => [n.ns, n.name] as [string, string]),
    ...plan.routers.map((r) => [r.ns, clabName(plan, r)] as [string, string]),
  ]);
  return plan.links.map((l) => {
    const an = byNs.get(l.a.ns)!;
    const bn = byNs.get(l.b.ns)!;
    const node = plan.nodes.find((n) => n.ns === l.a.ns);
    if (node) {
      const [o1, o2] = (l.a.address ?? '172.30.0.0/24').split('.');
      const net = `${o1}.${o2}.${node.index}`;
      return {
        plan: l,
        a: { node: an, ifname: port(an), address: `${net}.${node.index}/24` },
        b: { node: bn, ifname: port(bn), address: `${net}.254/24` },
      };
    }
    return {
      plan: l,
      a: { node: an, ifname: port(an), address: l.a.address! },
      b: { node: bn, ifname: port(bn), address: l.b.address! },
    };
  });
}

const addr = (cidr: string) => cidr.split('/')[0]!;

function frrConf(plan: LabPlan, r: PlannedRouter, links: ClabLink[]): string {
  const name = clabName(plan, r);
  const mine = links.flatMap((l) =>
    l.a.node === name ? [{ me: l.a, other: l.b }] : l.b.node === name ? [{ me: l.b, other: l.a }] : [],
  );
  const hold = plan.holdTime;
  const ka = Math.max(1, Math.floor(hold / 3));
  const nodeNames = new Set(plan.nodes.map((n) => n.name));
  const asnOf = (clab: string) =>
    plan.nodes.find((n) => n.name === clab)?.asn ?? plan.routers.find((x) => clabName(plan, x) === clab)!.asn;
  const groups: string[] = [];
  if (mine.some((m) => nodeNames.has(m.other.node))) groups.push('NODES');
  if (mine.some((m) => !nodeNames.has(m.other.node))) groups.push('FABRIC');
  const out = [
    `! ${name} (mounted at /etc/frr/frr.conf), written by 'gannet lab export containerlab' (${plan.topology} lab).`,
    `! One eBGP session per link; only the pod network (10.244.0.0/16, up to /24) crosses it; ECMP up to 8 paths.`,
    'frr defaults datacenter',
    `hostname ${name}`,
    'log stdout informational',
    'service integrated-vtysh-config',
    '!',
  ];
  for (const m of mine) {
    out.push(`interface ${m.me.ifname}`, ` description to ${m.other.node}`, ` ip address ${m.me.address}`, 'exit', '!');
  }
  out.push(
    `router bgp ${r.asn}`,
    ` bgp router-id ${r.routerId}`,
    ' no bgp ebgp-requires-policy',
    ' bgp bestpath as-path multipath-relax',
  );
  for (const g of groups) out.push(` neighbor ${g} peer-group`, ` neighbor ${g} timers ${ka} ${hold}`);
  for (const m of mine) {
    const peer = addr(m.other.address);
    out.push(` neighbor ${peer} remote-as ${asnOf(m.other.node)}`);
    out.push(` neighbor ${peer} peer-group ${nodeNames.has(m.other.node) ? 'NODES' : 'FABRIC'}`);
  }
  out.push(' !', ' address-family ipv4 unicast');
  for (const g of groups) out.push(`  neighbor ${g} prefix-list PODS in`, `  neighbor ${g} prefix-list PODS out`);
  out.push('  maximum-paths 8', ' exit-address-family', 'exit', '!');
  out.push('ip prefix-list PODS seq 10 permit 10.244.0.0/16 le 24', '!', 'end');
  return `${out.join('\n')}\n`;
}

function nodeYaml(plan: LabPlan, n: PlannedNode, links: ClabLink[]): string {
  const mine = links.filter((l) => l.a.node === n.name);
  const peers = mine.map((l) => {
    const r = plan.routers.find((x) => clabName(plan, x) === l.b.node)!;
    return `  - address: ${addr(l.b.address)}\n    asn: ${r.asn}\n    holdTime: ${plan.holdTime}`;
  });
  const ports = mine.map((l) => `${l.a.ifname} ${l.a.address} (${l.b.node} ${addr(l.b.address)})`).join(', ');
  return `# gannet agent of ${n.name} (mounted at /etc/gannet/gannet.yaml; started as: gannet agent --config /etc/gannet/gannet.yaml).
# Keys: see DESIGN.md "Standalone config". Its uplinks: ${ports}.
nodeName: ${n.name}
asn: ${n.asn}
routerId: ${addr(mine[0]!.a.address)}
podCIDRs: [${n.podCIDR}]
clusterCIDRs: [${plan.clusterCIDR}]
listen: { address: 0.0.0.0, port: 179 }
api: { listen: 127.0.0.1:9179 }
# gannet-cni reads the node's pod CIDR from this file, and the agent reports address usage from the CNI store
nodeStateFile: /run/gannet/node-state.json
ipam: { dataDir: /var/lib/cni/gannet, network: gannet }
gracefulRestart: { restartTime: 120, deferralTime: 30 }
peers:
${peers.join('\n')}
`;
}

function clabYaml(plan: LabPlan, links: ClabLink[]): string {
  const lines = [
    `# Gannet on containerlab, written by 'gannet lab export containerlab' from the ${plan.topology} lab plan: ${plan.routers.length} FRR router(s)`,
    `# and ${plan.nodes.length} Linux nodes, each running the gannet agent with its own ASN, one eBGP session per link. Deploy: see`,
    '# examples/containerlab/README.md. Links (each its own subnet):',
    '#',
  ];
  for (const l of links) {
    const asn = (clab: string) =>
      plan.nodes.find((n) => n.name === clab)?.asn ?? plan.routers.find((x) => clabName(plan, x) === clab)!.asn;
    lines.push(
      `#   ${`${l.a.node}:${l.a.ifname} ${l.a.address} (AS ${asn(l.a.node)})`.padEnd(40)} ── ${l.b.node}:${l.b.ifname} ${l.b.address} (AS ${asn(l.b.node)})`,
    );
  }
  lines.push(
    `name: ${plan.options.name === 'lab' ? 'gannet' : plan.options.name}`,
    '',
    'topology:',
    '  defaults:',
    '    kind: linux',
    '  nodes:',
  );
  for (const r of plan.routers) {
    const name = clabName(plan, r);
    const conf = plan.topology === 'flat' ? 'frr/frr.conf' : `${name}/frr.conf`;
    lines.push(
      `    ${name}:`,
      `      image: ${FRR_IMAGE}`,
      '      binds:',
      '        - frr/daemons:/etc/frr/daemons:ro',
      `        - ${conf}:/etc/frr/frr.conf`,
      '        - frr/vtysh.conf:/etc/frr/vtysh.conf:ro',
      '      exec:',
      '        - sysctl -w net.ipv4.ip_forward=1',
    );
  }
  for (const n of plan.nodes) {
    const mine = links.filter((l) => l.a.node === n.name);
    lines.push(`    ${n.name}:`, `      image: ${NODE_IMAGE}`, '      env:');
    mine.forEach((l, k) => {
      lines.push(`        NODE_ADDRESS${k === 0 ? '' : k + 1}: ${l.a.address}`);
    });
    lines.push(
      '      binds:',
      `        - ${n.name}/gannet.yaml:/etc/gannet/gannet.yaml:ro`,
      '        - node-start.sh:/etc/gannet/start.sh:ro',
      '        - add-pod.sh:/usr/local/bin/add-pod:ro',
      '      cmd: sh /etc/gannet/start.sh',
    );
  }
  lines.push('', '  links:');
  for (const l of links) lines.push(`    - endpoints: ["${l.b.node}:${l.b.ifname}", "${l.a.node}:${l.a.ifname}"]`);
  return `${lines.join('\n')}\n`;
}

/** Every file of the export: path relative to DIR → content. */
export function containerlabFiles(plan: LabPlan): Map<string, string> {
  if (plan.routers.length === 0) throw new Error('export containerlab needs a lab with routers (not --router none)');
  const family = plan.options.ipFamily ?? 'ipv4';
  if (family !== 'ipv4') throw new Error(`export containerlab: --ip-family ${family} is not exported yet (ipv4 only)`);
  if (plan.topology !== 'flat' && plan.topology !== 'dual-homed' && plan.topology !== 'leaf-spine') {
    throw new Error(`export containerlab: topology ${plan.topology} is not supported (flat, dual-homed, leaf-spine)`);
  }
  const links = clabLinks(plan);
  const files = new Map<string, string>(Object.entries(CONTAINERLAB_STATIC));
  files.set('gannet.clab.yml', clabYaml(plan, links));
  for (const r of plan.routers) {
    files.set(plan.topology === 'flat' ? 'frr/frr.conf' : `${clabName(plan, r)}/frr.conf`, frrConf(plan, r, links));
  }
  for (const n of plan.nodes) files.set(`${n.name}/gannet.yaml`, nodeYaml(plan, n, links));
  return files;
}

export function writeContainerlab(plan: LabPlan, dir: string): string[] {
  const files = containerlabFiles(plan);
  for (const [rel, text] of files) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text, { mode: rel.endsWith('.sh') ? 0o755 : 0o644 });
  }
  return [...files.keys()];
}
