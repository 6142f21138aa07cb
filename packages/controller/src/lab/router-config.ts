// Configuration of the lab's router (FRR or BIRD 2 from Debian), rendered from the plan (pure; unit-tested).
import type { LabPlan } from './topology.js';

export function frrConfig(plan: LabPlan, dir: string): { zebra: string; bgpd: string } {
  const r = plan.router!;
  const neighbors = plan.nodes.map(
    (n) => ` neighbor ${n.address} remote-as ${n.asn}\n neighbor ${n.address} timers 3 9`,
  );
  return {
    zebra: `hostname ${r.ns}\nlog file ${dir}/zebra.log\n`,
    bgpd: `hostname ${r.ns}
log file ${dir}/bgpd.log
!
router bgp ${r.asn}
 bgp router-id ${r.address}
 no bgp ebgp-requires-policy
 no bgp network import-check
 bgp bestpath as-path multipath-relax
${neighbors.join('\n')}
 address-family ipv4 unicast
  maximum-paths 8
 exit-address-family
!
`,
  };
}

export function birdConfig(plan: LabPlan, dir: string): string {
  const r = plan.router!;
  const peers = plan.nodes
    .map((n) => `protocol bgp ${n.name} from gannet_nodes {\n  neighbor ${n.address} as ${n.asn};\n}`)
    .join('\n');
  return `# Written by 'gannet lab up' (${dir}).
router id ${r.address};
log "${dir}/bird.log" all;
protocol device { scan time 10; }
protocol direct { ipv4; interface "br0"; }
protocol kernel { ipv4 { export where source = RTS_BGP; }; merge paths on; }
template bgp gannet_nodes {
  local ${r.address} as ${r.asn};
  hold time 9;
  # after an error (a hold timer expiry: a node's link cut), back after 1-10 s rather than BIRD's default 60-300 s
  error wait time 1, 10;
  ipv4 { import all; export all; };
}
${peers}
`;
}
