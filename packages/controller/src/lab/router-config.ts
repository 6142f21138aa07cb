// Configuration of the lab's routers (FRR or BIRD 2 from Debian), rendered from the plan (pure; unit-tested). Every
// router allows ECMP: FRR `maximum-paths 8` with `bgp bestpath as-path multipath-relax` (equal AS path length from
// different neighbouring ASes, as a leaf hears from its spines or a node from both of its routers), BIRD
// `merge paths on` in the kernel protocol.
import type { PlannedRouter } from './plan-types.js';
import type { LabPlan } from './topology.js';

function keepalive(hold: number): number {
  return Math.max(1, Math.floor(hold / 3));
}

export function frrConfig(
  plan: LabPlan,
  dir: string,
  r: PlannedRouter = plan.routers[0]!,
): { zebra: string; bgpd: string } {
  const hold = plan.holdTime;
  const neighbors = r.neighbors.map(
    (n) => ` neighbor ${n.address} remote-as ${n.asn}\n neighbor ${n.address} timers ${keepalive(hold)} ${hold}`,
  );
  return {
    // Routes with plain next hops, not kernel nexthop objects: FRR 8.4 leaves an ECMP group short of a next hop
    // whose link went down and came back (the kernel drops the nexthop from the group; zebra never re-adds it).
    zebra: `hostname ${r.ns}\nlog file ${dir}/zebra.log\nno zebra nexthop kernel enable\n`,
    bgpd: `hostname ${r.ns}
log file ${dir}/bgpd.log
!
router bgp ${r.asn}
 bgp router-id ${r.routerId}
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

export function birdConfig(plan: LabPlan, dir: string, r: PlannedRouter = plan.routers[0]!): string {
  // One local address for all (a ToR on its segment): in the template, as the flat lab always wrote it.
  const locals = new Set(r.neighbors.map((n) => n.localAddress));
  const shared = locals.size <= 1 ? (r.neighbors[0]?.localAddress ?? r.routerId) : undefined;
  const peers = r.neighbors
    .map(
      (n) =>
        `protocol bgp ${n.name} from gannet_nodes {\n${shared ? '' : `  local ${n.localAddress} as ${r.asn};\n`}  neighbor ${n.address} as ${n.asn};\n}`,
    )
    .join('\n');
  return `# Written by 'gannet lab up' (${dir}).
router id ${r.routerId};
log "${dir}/bird.log" all;
protocol device { scan time 10; }
protocol direct { ipv4; interface "br0"; }
protocol kernel { ipv4 { export where source = RTS_BGP; }; merge paths on; }
template bgp gannet_nodes {
${shared ? `  local ${shared} as ${r.asn};\n` : ''}  hold time ${plan.holdTime};
  # after an error (a hold timer expiry: a node's link cut), back after 1-10 s rather than BIRD's default 60-300 s
  error wait time 1, 10;
  ipv4 { import all; export all; };
}
${peers}
`;
}
