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
): { zebra: string; bgpd: string; bfdd?: string } {
  const hold = plan.holdTime;
  const bfd = plan.options.bfd ? LAB_BFD : undefined;
  const neighbors = r.neighbors.map(
    (n) =>
      ` neighbor ${n.address} remote-as ${n.asn}\n neighbor ${n.address} timers ${keepalive(hold)} ${hold}${bfd ? `\n neighbor ${n.address} bfd profile lab` : ''}`,
  );
  // --ip-family ipv6|dual: one session per family, each neighbour activated in its own address family only (the
  // IPv4-only rendering stays as it always was)
  const v6 = r.neighbors.filter((n) => n.address.includes(':'));
  const families =
    v6.length === 0
      ? ` address-family ipv4 unicast
  maximum-paths 8
 exit-address-family
`
      : ['ipv4', 'ipv6']
          .map((f) => {
            const ns = r.neighbors.filter((n) => n.address.includes(':') === (f === 'ipv6'));
            if (ns.length === 0) return '';
            return ` address-family ${f} unicast\n${ns.map((n) => `  neighbor ${n.address} activate\n`).join('')}  maximum-paths 8\n exit-address-family\n`;
          })
          .join('');
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
${v6.length > 0 ? ' no bgp default ipv4-unicast\n' : ''} bgp bestpath as-path multipath-relax
${neighbors.join('\n')}
${families}!
`,
    ...(bfd
      ? {
          bfdd: `bfd\n profile lab\n  receive-interval ${bfd.minRxMs}\n  transmit-interval ${bfd.minTxMs}\n  detect-multiplier ${bfd.multiplier}\n !\n!\n`,
        }
      : {}),
  };
}

/** The lab's BFD timers (--bfd): 100 ms × 3, on every session of nodes and routers. */
export const LAB_BFD = { minRxMs: 100, minTxMs: 100, multiplier: 3 } as const;

export function birdConfig(plan: LabPlan, dir: string, r: PlannedRouter = plan.routers[0]!): string {
  // One local address for all (a ToR on its segment): in the template, as the flat lab always wrote it.
  const v4 = r.neighbors.filter((n) => !n.address.includes(':'));
  const v6 = r.neighbors.filter((n) => n.address.includes(':'));
  const locals = new Set(v4.map((n) => n.localAddress));
  const shared = locals.size <= 1 ? (v4[0]?.localAddress ?? r.routerId) : undefined;
  const peers = v4
    .map(
      (n) =>
        `protocol bgp ${n.name} from gannet_nodes {\n${shared ? '' : `  local ${n.localAddress} as ${r.asn};\n`}  neighbor ${n.address} as ${n.asn};\n}`,
    )
    .join('\n');
  // --ip-family ipv6|dual: the IPv6 sessions, each carrying IPv6 only (one session per family)
  const peers6 = v6
    .map(
      (n) =>
        `protocol bgp ${n.name} from gannet_nodes6 {\n  local ${n.localAddress} as ${r.asn};\n  neighbor ${n.address} as ${n.asn};\n}\n`,
    )
    .join('');
  const ipv6 =
    v6.length === 0
      ? ''
      : `protocol direct { ipv6; interface "br0"; }
protocol kernel { ipv6 { export where source = RTS_BGP; }; merge paths on; }
template bgp gannet_nodes6 {
  hold time ${plan.holdTime};
  error wait time 1, 10;
  ipv6 { import all; export all; };
}
${peers6}`;
  return `# Written by 'gannet lab up' (${dir}).
router id ${r.routerId};
log "${dir}/bird.log" all;
protocol device { scan time 10; }
protocol direct { ipv4; interface "br0"; }
protocol kernel { ipv4 { export where source = RTS_BGP; }; merge paths on; }
${plan.options.bfd ? `protocol bfd {\n  interface "*" { min rx interval ${LAB_BFD.minRxMs} ms; min tx interval ${LAB_BFD.minTxMs} ms; multiplier ${LAB_BFD.multiplier}; };\n}\n` : ''}template bgp gannet_nodes {
${shared ? `  local ${shared} as ${r.asn};\n` : ''}  hold time ${plan.holdTime};
  # after an error (a hold timer expiry: a node's link cut), back after 1-10 s rather than BIRD's default 60-300 s
  error wait time 1, 10;${plan.options.bfd ? '\n  bfd on;' : ''}
  ipv4 { import all; export all; };
}
${peers}
${ipv6}`;
}
