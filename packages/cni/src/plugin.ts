// One CNI invocation: (environment, stdin) → (stdout, exit status), with the kernel behind PodNetwork. The spec's
// commands are a flat switch; each is a short sequence whose order makes crashes recoverable: ADD reserves the
// address before it creates anything, DEL deletes the veth before it releases the address, so whatever a crash
// leaves is found again from (containerID, ifname) alone. A dual-stack pod gets one address per family (the node's
// pod CIDRs, IPv4 first), each its own claim in the store: a crash between the two leaves a claim that the repeated
// ADD finds again, or that DEL or GC frees. ADD and DEL of one container hold its lock
// (container-lock.ts): a DEL racing an ADD runs before the reservation or after the wiring, never in between.
import { ipFamilyOf } from '@gannet/core';
import { type LockOptions, lockContainer } from './container-lock.js';
import { CniCode, CniError, toCniError } from './errors.js';
import { type Allocation, IpamStore } from './ipam-store.js';
import { type CniEnv, type NetConf, parseEnv, parseNetConf, peekVersion, SUPPORTED_VERSIONS } from './netconf.js';
import { readNodeState, readSmallFile } from './node-state.js';
import type { PodCidr } from './pod-cidr.js';
import { hostVethName, netnsRefusal, type PodNetwork, type PodWiring, vethMacs } from './pod-network.js';
import { buildResult, readPrevResult } from './result.js';

export interface CniRequest {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdin: string;
}

export interface CniResponse {
  /** 0 on success, 1 with a CNI error object on stdout otherwise. */
  readonly exitCode: number;
  readonly stdout: string;
}

export interface PluginDeps {
  readonly network: PodNetwork;
  /** Reads a file (the node state); defaults to fs. */
  readonly readFile?: (path: string) => string;
  /** Called after each step ('locked', 'reserved', 'veth-removed'); e2e tests kill the plugin there. */
  readonly onStep?: (step: string) => void;
  /** The container lock's clock, sleep and liveness test (tests play crashed and slow holders). */
  readonly lock?: LockOptions;
}

interface NodeNetwork {
  readonly podCIDRs: readonly PodCidr[];
  readonly mtu: number;
}

/** Plugin-specific code (the spec reserves 100+ for plugins): CHECK found the attachment not as ADD left it. */
export const CHECK_FAILED = 100;
const DEFAULT_MTU = 1500;

/** Runs one CNI command. Never throws: failures become the spec's error JSON and exit status 1. */
export function runCni(req: CniRequest, deps: PluginDeps): CniResponse {
  try {
    const env = parseEnv(req.env);
    if (env.command === 'VERSION') {
      const out = { cniVersion: peekVersion(req.stdin), supportedVersions: [...SUPPORTED_VERSIONS] };
      return { exitCode: 0, stdout: `${JSON.stringify(out)}\n` };
    }
    const conf = parseNetConf(req.stdin, env.command);
    const plugin = new Plugin(conf, env, deps);
    const out = plugin[env.command]();
    return { exitCode: 0, stdout: out === undefined ? '' : `${JSON.stringify(out)}\n` };
  } catch (err) {
    const e = toCniError(err);
    return { exitCode: 1, stdout: `${JSON.stringify(e.toJSON(peekVersion(req.stdin)))}\n` };
  }
}

class Plugin {
  private readonly store: IpamStore;
  private readonly readFile: (path: string) => string;

  constructor(
    private readonly conf: NetConf,
    private readonly env: CniEnv,
    private readonly deps: PluginDeps,
  ) {
    this.store = new IpamStore(conf.dataDir, conf.name);
    this.readFile = deps.readFile ?? readSmallFile;
  }

  ADD(): unknown {
    const { network } = this.deps;
    const who = this.attachment();
    const refused = netnsRefusal(this.env.netns, network.netnsState(this.env.netns));
    if (refused) throw new CniError(CniCode.InvalidEnvironment, refused);
    const node = this.nodeNetwork();
    const unlock = this.lock();
    try {
      return this.wire(who, node);
    } finally {
      unlock();
    }
  }

  private wire(who: { containerId: string; ifname: string }, node: NodeNetwork): unknown {
    const { network } = this.deps;
    const claims: Allocation[] = [];
    try {
      try {
        for (const cidr of node.podCIDRs) claims.push(this.store.allocate(who, cidr, this.env.pod));
      } catch (err) {
        // one family reserved, the other full: free what this ADD claimed (a repeated ADD's own addresses stay)
        const fresh = claims.filter((c) => !c.existing).map((c) => c.address);
        if (fresh.length > 0) this.store.release(who, fresh);
        throw err;
      }
      this.deps.onStep?.('reserved');
      const w = this.wiring(
        claims.map((c) => c.address),
        node.mtu,
      );
      try {
        network.add(w);
      } catch (err) {
        try {
          network.remove(w.hostIfName);
        } catch {
          // reported below with the original failure; a later DEL or GC retries
        }
        this.store.release(who);
        throw err;
      }
      return buildResult(this.conf.cniVersion, w);
    } finally {
      for (const c of claims) c.done();
    }
  }

  DEL(): undefined {
    const who = this.attachment();
    let unlock: () => void;
    try {
      unlock = this.lock();
    } catch (err) {
      // a store where no lock can be written (read-only, full, not a directory): no ADD can reserve there either,
      // so DEL goes on without the lock, and fails with code 5 below if it has a claim it cannot free
      if (toCniError(err).code !== CniCode.IoFailure) throw err;
      unlock = () => {};
    }
    try {
      this.deps.network.remove(hostVethName(who.containerId, who.ifname));
      this.deps.onStep?.('veth-removed');
      this.store.release(who);
    } finally {
      unlock();
    }
    return undefined;
  }

  /** Takes this container's lock in the address store (creating the store when it is missing). */
  private lock(): () => void {
    const unlock = lockContainer(this.store.dir, this.env.containerId, {
      mkdir: () => this.store.mkdir(),
      ...this.deps.lock,
    });
    this.deps.onStep?.('locked');
    return unlock;
  }

  CHECK(): undefined {
    const prevRaw = this.conf.prevResult;
    if (!prevRaw)
      throw new CniError(CniCode.InvalidNetworkConfig, 'CHECK needs prevResult in the network configuration');
    const prev = readPrevResult(prevRaw, this.env.ifname);
    if (!prev) {
      throw new CniError(
        CniCode.InvalidNetworkConfig,
        `prevResult has no interface ${this.env.ifname} in a sandbox with an IP address`,
      );
    }
    const state = this.deps.network.netnsState(this.env.netns);
    const refused = netnsRefusal(this.env.netns, state);
    if (refused) {
      throw new CniError(state === 'missing' ? CniCode.UnknownContainer : CniCode.InvalidEnvironment, refused);
    }
    const who = this.attachment();
    const reserved = this.store.find(who);
    const problems: string[] = [];
    if (reserved.length === 0) problems.push(`no address is reserved for ${who.containerId}/${who.ifname}`);
    else {
      for (const [family, said] of [
        [4, prev.ipv4],
        [6, prev.ipv6],
      ] as const) {
        const mine = reserved.filter((a) => ipFamilyOf(a) === family);
        if (said === undefined) {
          if (mine.length > 0)
            problems.push(`prevResult has no IPv${family} address but ${mine.join(', ')} is reserved`);
        } else if (!mine.includes(said)) {
          problems.push(
            `prevResult says ${said} but ${mine.length > 0 ? `${mine.join(', ')} is` : `no IPv${family} address is`} reserved`,
          );
        }
      }
    }
    const addresses = [prev.ipv4, prev.ipv6].filter((a) => a !== undefined);
    problems.push(...this.deps.network.check(this.wiring(addresses, this.nodeNetwork().mtu)));
    if (problems.length > 0) {
      throw new CniError(CHECK_FAILED, `attachment ${who.containerId}/${who.ifname} is broken: ${problems.join('; ')}`);
    }
    return undefined;
  }

  GC(): undefined {
    const { kept } = this.store.gc(this.conf.validAttachments ?? [], (r) => {
      if (r.containerId === '' || r.ifname === '') return; // a damaged claim: no veth can be named after it
      this.deps.network.remove(hostVethName(r.containerId, r.ifname));
    });
    if (kept.length > 0) {
      const why = kept.map((k) => `${k.reservation.address}: ${toCniError(k.error).message}`);
      throw new CniError(
        CniCode.IoFailure,
        `GC kept ${kept.length} stale address(es) whose veth it could not delete (the next GC retries): ${why.join('; ')}`,
      );
    }
    return undefined;
  }

  STATUS(): undefined {
    let podCIDRs: readonly PodCidr[];
    try {
      podCIDRs = this.nodeNetwork(false).podCIDRs;
    } catch (err) {
      const e = toCniError(err);
      throw new CniError(CniCode.PluginNotAvailable, e.message, e.details, { cause: err });
    }
    for (const cidr of podCIDRs) {
      const usage = this.store.usage(cidr);
      if (usage.free === 0) {
        throw new CniError(
          CniCode.PluginNotAvailable,
          `pod CIDR ${cidr.text} exhausted: all ${usage.total} addresses are in use; delete pods or give the node a larger CIDR`,
        );
      }
    }
    return undefined;
  }

  private attachment(): { containerId: string; ifname: string } {
    return { containerId: this.env.containerId, ifname: this.env.ifname };
  }

  /** Pod CIDRs from the netconf, else the node state; MTU from the netconf, node state, uplink, else 1500. */
  private nodeNetwork(wantMtu = true): NodeNetwork {
    const { conf } = this;
    let stateMtu: number | undefined;
    let podCIDRs = conf.podCIDRs;
    if (podCIDRs.length === 0) {
      const state = readNodeState(conf.nodeStateFile, this.readFile);
      podCIDRs = state.podCIDRs;
      stateMtu = state.mtu;
    } else if (conf.mtu === undefined && wantMtu) {
      try {
        stateMtu = readNodeState(conf.nodeStateFile, this.readFile).mtu;
      } catch {
        // the state file is optional when the netconf names the CIDR
      }
    }
    const mtu = conf.mtu ?? stateMtu ?? (wantMtu ? this.deps.network.uplinkMtu() : undefined) ?? DEFAULT_MTU;
    return { podCIDRs, mtu };
  }

  /** The wiring of this attachment with its addresses (at most one per family). */
  private wiring(addresses: readonly string[], mtu: number): PodWiring {
    const ipv4 = addresses.find((a) => ipFamilyOf(a) === 4);
    const ipv6 = addresses.find((a) => ipFamilyOf(a) === 6);
    const { containerId, ifname } = this.env;
    const macs = vethMacs(containerId, ifname);
    return {
      netns: this.env.netns,
      podIfName: ifname,
      podMac: macs.pod,
      hostIfName: hostVethName(containerId, ifname),
      hostMac: macs.host,
      ...(ipv4 !== undefined && { ipv4 }),
      ...(ipv6 !== undefined && { ipv6 }),
      mtu,
    };
  }
}
