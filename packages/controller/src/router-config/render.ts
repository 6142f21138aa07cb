// The router side of peering with Gannet nodes, one renderer per vendor (pure; unit-tested, and the FRR and BIRD
// outputs loaded into real daemons by e2e/test/router-config.test.ts). Each neighbour gets an inbound filter that
// accepts exactly its node's pod CIDRs (a node can never announce another node's block, a longer prefix or anything
// else), a max-prefix limit of that many routes (counted after the filter), and the password, BFD and TTL settings
// the node's peer entry has. What the router sends to the nodes is left open (everything; the nodes' import rules
// accept only the cluster CIDRs).
import { familiesOf, prefixesOf, type RouterNeighbor, type RouterPlan } from './plan.js';

export const VENDORS = ['frr', 'bird', 'junos', 'eos'] as const;
export type Vendor = (typeof VENDORS)[number];

export function renderRouterConfig(vendor: Vendor, plans: readonly RouterPlan[]): string {
  const render = { frr: renderFrr, bird: renderBird, junos: renderJunos, eos: renderEos }[vendor];
  return plans.map((p) => render(p)).join('\n');
}

/** Names in configs: letters, digits, '-' (FRR, Junos, EOS) or '_' (BIRD symbols). */
const ident = (node: string, sep: '-' | '_') => node.replace(/[^A-Za-z0-9]/g, sep);
const keepalive = (hold: number) => Math.max(hold === 0 ? 0 : 1, Math.floor(hold / 3));
const header = (cmt: string, vendor: string, p: RouterPlan, how: string) =>
  `${cmt} Written by 'gannet router-config --vendor ${vendor}' for router ${p.address} (AS ${p.asn}): ` +
  `${p.neighbors.length} Gannet node${p.neighbors.length === 1 ? '' : 's'}.\n${cmt} ${how}\n`;
const ebgp = (p: RouterPlan, n: RouterNeighbor) => p.asn !== n.asn;

function quoted(text: string, what: string): string {
  if (/["\\\n\r]/.test(text))
    throw new Error(`${what}: a password with a quote, backslash or newline cannot be written`);
  return `"${text}"`;
}

function word(text: string, what: string): string {
  if (/\s/.test(text)) throw new Error(`${what}: this vendor's password must not contain white space`);
  return text;
}

function passwordNote(cmt: string, n: RouterNeighbor): string {
  return n.password && 'reference' in n.password
    ? `${cmt} ${n.node}: TCP-MD5 password from ${n.password.reference} (fill it in below)\n`
    : '';
}

function renderFrr(p: RouterPlan): string {
  let out = header('!', 'frr', p, "Merge into bgpd's configuration (vtysh: 'configure terminal', or vtysh -f FILE).");
  const bfd = p.neighbors.filter((n) => n.bfd);
  for (const n of p.neighbors) {
    out += `! ${n.node} may announce exactly: ${n.prefixes.join(', ')}\n${passwordNote('!', n)}`;
    for (const f of familiesOf(n)) {
      prefixesOf(n, f).forEach((pfx, i) => {
        out += `${f === 4 ? 'ip' : 'ipv6'} prefix-list GANNET-${ident(n.node, '-')}-V${f} seq ${5 * (i + 1)} permit ${pfx}\n`;
      });
    }
  }
  out += '!\nroute-map GANNET-OUT permit 10\n!\n';
  if (bfd.length > 0) {
    out += 'bfd\n';
    for (const n of bfd) {
      out += ` profile gannet-${ident(n.node, '-')}\n  detect-multiplier ${n.bfd!.multiplier}\n`;
      out += `  receive-interval ${n.bfd!.minRxMs}\n  transmit-interval ${n.bfd!.minTxMs}\n`;
    }
    out += '!\n';
  }
  out += `router bgp ${p.asn}\n`;
  for (const n of p.neighbors) {
    const a = n.address;
    const what = `neighbor ${a} (${n.node})`;
    out += ` neighbor ${a} remote-as ${n.asn}\n neighbor ${a} description gannet node ${n.node}\n`;
    if (n.port !== undefined) out += ` neighbor ${a} port ${n.port}\n`;
    if (n.holdTime !== undefined) out += ` neighbor ${a} timers ${keepalive(n.holdTime)} ${n.holdTime}\n`;
    if (n.password) {
      out +=
        'text' in n.password
          ? ` neighbor ${a} password ${word(n.password.text, what)}\n`
          : ` ! neighbor ${a} password PASSWORD\n`;
    }
    if (n.ttlSecurity) out += ` neighbor ${a} ttl-security hops ${n.ebgpMultihop ?? 1}\n`;
    else if (n.ebgpMultihop !== undefined && ebgp(p, n)) out += ` neighbor ${a} ebgp-multihop ${n.ebgpMultihop}\n`;
    if (n.bfd) out += ` neighbor ${a} bfd profile gannet-${ident(n.node, '-')}\n`;
  }
  for (const f of [4, 6] as const) {
    const ns = p.neighbors.filter((n) => prefixesOf(n, f).length > 0);
    if (ns.length === 0) continue;
    out += ` !\n address-family ipv${f} unicast\n`;
    for (const n of ns) {
      const a = n.address;
      out += `  neighbor ${a} activate\n  neighbor ${a} prefix-list GANNET-${ident(n.node, '-')}-V${f} in\n`;
      out += `  neighbor ${a} route-map GANNET-OUT out\n  neighbor ${a} maximum-prefix ${prefixesOf(n, f).length}\n`;
    }
    out += ' exit-address-family\n';
  }
  return `${out}!\n`;
}

function renderBird(p: RouterPlan): string {
  let out = header('#', 'bird', p, 'Include it from bird.conf (\'include "FILE";\'); BIRD 2.');
  const bfd = p.neighbors.filter((n) => n.bfd);
  if (bfd.length > 0) {
    out += 'protocol bfd gannet_bfd {\n';
    for (const n of bfd) out += `  neighbor ${n.address};\n`;
    out += '}\n';
  }
  for (const n of p.neighbors) {
    const id = ident(n.node, '_');
    out += `# ${n.node} may announce exactly: ${n.prefixes.join(', ')}\n${passwordNote('#', n)}`;
    for (const f of familiesOf(n)) {
      out += `filter gannet_${id}_in${f} {\n  if net ~ [ ${prefixesOf(n, f).join(', ')} ] then accept;\n  reject;\n}\n`;
    }
    out += `protocol bgp gannet_${id} {\n  description "gannet node ${n.node}";\n  local ${p.address} as ${p.asn};\n`;
    out += `  neighbor ${n.address}${n.port !== undefined ? ` port ${n.port}` : ''} as ${n.asn};\n`;
    if (n.holdTime !== undefined) out += `  hold time ${n.holdTime};\n`;
    if (n.password) {
      out +=
        'text' in n.password
          ? `  password ${quoted(n.password.text, `protocol gannet_${id}`)};\n`
          : '  # password "PASSWORD";\n';
    }
    if (n.ttlSecurity) out += '  ttl security on;\n';
    if (n.ebgpMultihop !== undefined && ebgp(p, n)) out += `  multihop ${n.ebgpMultihop};\n`;
    if (n.bfd) {
      const b = n.bfd;
      out += `  bfd { min rx interval ${b.minRxMs} ms; min tx interval ${b.minTxMs} ms; multiplier ${b.multiplier}; };\n`;
    }
    for (const f of familiesOf(n)) {
      out += `  ipv${f} { import filter gannet_${id}_in${f}; import limit ${prefixesOf(n, f).length} action restart; export all; };\n`;
    }
    out += '}\n';
  }
  return out;
}

function renderJunos(p: RouterPlan): string {
  let out = `/*\n${header(' *', 'junos', p, "Load with 'load merge FILE' (or 'load merge terminal') and commit.")}`;
  for (const n of p.neighbors) {
    if (n.port !== undefined)
      out += ` * ${n.node} listens on port ${n.port}: Junos dials 179 only; let the node dial.\n`;
    if (n.ttlSecurity)
      out += ` * ${n.node} uses GTSM: add a firewall filter accepting BGP from it only with TTL 255.\n`;
    if (n.password && 'reference' in n.password) out += ` * ${n.node}: password from ${n.password.reference}.\n`;
  }
  out += ' */\npolicy-options {\n';
  for (const n of p.neighbors) {
    const id = ident(n.node, '-');
    out += `    prefix-list gannet-${id} {\n${n.prefixes.map((x) => `        ${x};\n`).join('')}    }\n`;
    out += `    policy-statement gannet-${id}-in {\n        term pod-cidrs {\n            from {\n`;
    out += `                prefix-list-filter gannet-${id} exact;\n            }\n            then accept;\n`;
    out += '        }\n        then reject;\n    }\n';
  }
  out += '}\nprotocols {\n    bgp {\n';
  for (const type of ['external', 'internal'] as const) {
    const ns = p.neighbors.filter((n) => ebgp(p, n) === (type === 'external'));
    if (ns.length === 0) continue;
    out += `        group gannet-${type === 'external' ? 'ebgp' : 'ibgp'} {\n            type ${type};\n`;
    for (const n of ns) {
      const id = ident(n.node, '-');
      const i = ' '.repeat(16);
      out += `            neighbor ${n.address} {\n${i}description "gannet node ${n.node}";\n`;
      if (type === 'external') out += `${i}peer-as ${n.asn};\n`;
      out += `${i}import gannet-${id}-in;\n`;
      if (n.holdTime !== undefined) out += `${i}hold-time ${n.holdTime};\n`;
      if (n.password) {
        out +=
          'text' in n.password
            ? `${i}authentication-key ${quoted(n.password.text, `neighbor ${n.address}`)};\n`
            : `${i}/* authentication-key "PASSWORD"; */\n`;
      }
      if (n.ebgpMultihop !== undefined && type === 'external')
        out += `${i}multihop {\n${i}    ttl ${n.ebgpMultihop};\n${i}}\n`;
      if (n.bfd) {
        out += `${i}bfd-liveness-detection {\n${i}    minimum-receive-interval ${n.bfd.minRxMs};\n`;
        out += `${i}    transmit-interval {\n${i}        minimum-interval ${n.bfd.minTxMs};\n${i}    }\n`;
        out += `${i}    multiplier ${n.bfd.multiplier};\n${i}}\n`;
      }
      for (const f of familiesOf(n)) {
        out += `${i}family ${f === 4 ? 'inet' : 'inet6'} {\n${i}    unicast {\n${i}        accepted-prefix-limit {\n`;
        out += `${i}            maximum ${prefixesOf(n, f).length};\n${i}            teardown;\n${i}        }\n`;
        out += `${i}    }\n${i}}\n`;
      }
      out += '            }\n';
    }
    out += '        }\n';
  }
  return `${out}    }\n}\n`;
}

function renderEos(p: RouterPlan): string {
  let out = header('!', 'eos', p, "Paste in 'configure' (or 'copy FILE running-config').");
  for (const n of p.neighbors) {
    const id = ident(n.node, '-');
    out += `! ${n.node} may announce exactly: ${n.prefixes.join(', ')}\n${passwordNote('!', n)}`;
    if (n.port !== undefined) out += `! ${n.node} listens on port ${n.port}: let the node dial this router.\n`;
    for (const f of familiesOf(n)) {
      prefixesOf(n, f).forEach((pfx, i) => {
        out += `${f === 4 ? 'ip' : 'ipv6'} prefix-list GANNET-${id}-V${f} seq ${10 * (i + 1)} permit ${pfx}\n`;
      });
    }
    familiesOf(n).forEach((f, i) => {
      out += `route-map GANNET-${id}-IN permit ${10 * (i + 1)}\n`;
      out += `   match ${f === 4 ? 'ip' : 'ipv6'} address prefix-list GANNET-${id}-V${f}\n`;
    });
    if (n.bfd)
      out += `! ${n.node}: BFD intervals are set on the interface: bfd interval ${n.bfd.minTxMs} min-rx ${n.bfd.minRxMs} multiplier ${n.bfd.multiplier}\n`;
  }
  out += '!\n';
  out += `router bgp ${p.asn}\n`;
  for (const n of p.neighbors) {
    const a = n.address;
    const id = ident(n.node, '-');
    out += `   neighbor ${a} remote-as ${n.asn}\n   neighbor ${a} description gannet node ${n.node}\n`;
    if (n.holdTime !== undefined) out += `   neighbor ${a} timers ${keepalive(n.holdTime)} ${n.holdTime}\n`;
    if (n.password) {
      out +=
        'text' in n.password
          ? `   neighbor ${a} password 0 ${word(n.password.text, `neighbor ${a} (${n.node})`)}\n`
          : `   ! neighbor ${a} password 0 PASSWORD\n`;
    }
    if (n.ttlSecurity) out += `   neighbor ${a} ttl maximum-hops ${n.ebgpMultihop ?? 1}\n`;
    else if (n.ebgpMultihop !== undefined && ebgp(p, n)) out += `   neighbor ${a} ebgp-multihop ${n.ebgpMultihop}\n`;
    if (n.bfd) out += `   neighbor ${a} bfd\n`;
    out += `   neighbor ${a} route-map GANNET-${id}-IN in\n`;
    out += `   neighbor ${a} maximum-routes ${n.prefixes.length}\n`;
  }
  for (const f of [4, 6] as const) {
    const ns = p.neighbors.filter((n) => prefixesOf(n, f).length > 0);
    if (ns.length === 0) continue;
    out += `   !\n   address-family ipv${f}\n`;
    for (const n of ns) out += `      neighbor ${n.address} activate\n`;
  }
  return `${out}!\n`;
}
