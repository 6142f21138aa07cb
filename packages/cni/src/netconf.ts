// Parsing and validation of what the runtime hands the plugin: the network configuration on stdin and the CNI_*
// environment variables (CNI spec 1.1.0, "Parameters" and "Network configuration"). Every rejection is a CniError
// with the spec's code and a message naming the offending key or variable.
import { normalize } from 'node:path';
import { CniCode, CniError } from './errors.js';
import { checkPodCidr, type PodCidr } from './pod-cidr.js';

/**
 * The spec versions whose configurations we accept and whose results we produce: 0.3.x is what many existing
 * chained configurations still say, 1.0.0 is the newest every runtime in use today knows (containerd 1.6/1.7's libcni
 * rejects 1.1.0 results), 1.1.0 adds GC and STATUS.
 */
export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export type CniVersion = (typeof SUPPORTED_VERSIONS)[number];

/** The first spec version that has each command (ADD, DEL and VERSION are in all of them). */
const COMMAND_SINCE: Readonly<Partial<Record<CniCommand, CniVersion>>> = {
  CHECK: '0.4.0',
  GC: '1.1.0',
  STATUS: '1.1.0',
};

/** Whether a configuration of `version` may be run with `command` (CHECK needs 0.4.0, GC and STATUS 1.1.0). */
export function versionHasCommand(version: CniVersion, command: CniCommand): boolean {
  const since = COMMAND_SINCE[command];
  return since === undefined || SUPPORTED_VERSIONS.indexOf(version) >= SUPPORTED_VERSIONS.indexOf(since);
}

export const DEFAULT_DATA_DIR = '/var/lib/cni/gannet';
export const DEFAULT_NODE_STATE_FILE = '/run/gannet/node-state.json';
export const PLUGIN_TYPE = 'gannet-cni';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'GC' | 'STATUS';
const COMMANDS: readonly string[] = ['ADD', 'DEL', 'CHECK', 'VERSION', 'GC', 'STATUS'];

export interface Attachment {
  readonly containerId: string;
  readonly ifname: string;
}

export interface NetConf {
  readonly cniVersion: CniVersion;
  readonly name: string;
  /** From `podCIDR` and/or `podCIDRs`: at most one per family, IPv4 first. Empty: read the node state file. */
  readonly podCIDRs: readonly PodCidr[];
  readonly mtu?: number;
  readonly dataDir: string;
  readonly nodeStateFile: string;
  /** The previous plugin's result (chained, CHECK, DEL), as received. */
  readonly prevResult?: Record<string, unknown>;
  /** GC only: `cni.dev/valid-attachments`. */
  readonly validAttachments?: readonly Attachment[];
}

export interface CniEnv {
  readonly command: CniCommand;
  readonly containerId: string;
  readonly netns: string;
  readonly ifname: string;
  /** The pod, from CNI_ARGS (K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_UID) when the runtime gives them. */
  readonly pod?: PodMeta;
}

/** Which pod an attachment belongs to, as kubelet's CRI runtime passes it in CNI_ARGS. */
export interface PodMeta {
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
}

// Network names (spec: alphanumerics, `_`, `.`, `-`, starting alphanumeric); also used as a directory name.
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const CONTAINER_ID_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Reads just enough of stdin to know which version errors should be reported in (no validation). */
export function peekVersion(stdin: string): string {
  try {
    const v = (JSON.parse(stdin) as { cniVersion?: unknown }).cniVersion;
    if (typeof v === 'string' && (SUPPORTED_VERSIONS as readonly string[]).includes(v)) return v;
  } catch {
    // reported by parseNetConf
  }
  return '1.1.0';
}

function invalid(msg: string): CniError {
  return new CniError(CniCode.InvalidNetworkConfig, msg);
}

function optionalPath(raw: Record<string, unknown>, key: string, fallback: string): string {
  const v = raw[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !v.startsWith('/') || v.includes('\0')) {
    throw invalid(`${key} must be an absolute path, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** dataDir must be a place to store files: not under /proc or /sys (where a mkdir can loop forever). */
function storePath(raw: Record<string, unknown>): string {
  const v = optionalPath(raw, 'dataDir', DEFAULT_DATA_DIR);
  if (/^\/(proc|sys)(\/|$)/.test(normalize(v))) {
    throw invalid(`dataDir ${JSON.stringify(v)} is under /proc or /sys, which cannot hold an address store`);
  }
  return v;
}

/** Parses and validates the network configuration JSON from stdin. */
export function parseNetConf(stdin: string, command: CniCommand): NetConf {
  let raw: unknown;
  try {
    raw = JSON.parse(stdin);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new CniError(CniCode.DecodeFailure, `network configuration on stdin is not valid JSON: ${why}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CniError(CniCode.DecodeFailure, 'network configuration on stdin must be a JSON object');
  }
  const conf = raw as Record<string, unknown>;
  const version = conf.cniVersion;
  if (typeof version !== 'string' || version === '') throw invalid('cniVersion is missing');
  if (!(SUPPORTED_VERSIONS as readonly string[]).includes(version)) {
    throw new CniError(
      CniCode.IncompatibleVersion,
      `cniVersion ${JSON.stringify(version)} is not supported; use one of ${SUPPORTED_VERSIONS.join(', ')}`,
    );
  }
  if (!versionHasCommand(version as CniVersion, command)) {
    // the spec's answer (and libcni's skel's) to a command the configuration's version does not have
    throw new CniError(
      CniCode.IncompatibleVersion,
      `config version ${version} does not allow ${command} (it needs cniVersion ${COMMAND_SINCE[command]} or later)`,
    );
  }
  const name = conf.name;
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw invalid(
      `name must be letters, digits, '_', '.' or '-' and start with a letter or digit, got ${JSON.stringify(name)}`,
    );
  }
  if (conf.type !== undefined && conf.type !== PLUGIN_TYPE) {
    throw invalid(`type is ${JSON.stringify(conf.type)}, but this plugin is ${PLUGIN_TYPE}`);
  }
  const ipam = conf.ipam;
  if (ipam !== undefined && !(typeof ipam === 'object' && ipam !== null && Object.keys(ipam).length === 0)) {
    throw new CniError(
      CniCode.UnsupportedField,
      `unsupported field ipam=${JSON.stringify(ipam)}: gannet-cni allocates addresses itself; remove the ipam section`,
    );
  }
  const podCIDRs = netconfPodCidrs(conf);
  let mtu: number | undefined;
  if (conf.mtu !== undefined) {
    if (!Number.isInteger(conf.mtu) || (conf.mtu as number) < 68 || (conf.mtu as number) > 65535) {
      throw invalid(`mtu must be an integer from 68 to 65535, got ${JSON.stringify(conf.mtu)}`);
    }
    mtu = conf.mtu as number;
  }
  let prevResult: Record<string, unknown> | undefined;
  if (conf.prevResult !== undefined) {
    if (typeof conf.prevResult !== 'object' || conf.prevResult === null || Array.isArray(conf.prevResult)) {
      throw invalid('prevResult must be a JSON object');
    }
    prevResult = conf.prevResult as Record<string, unknown>;
  }
  let validAttachments: Attachment[] | undefined;
  // libcni also sends the list as `cni.dev/attachments` (the key an earlier draft of the spec used)
  if (command === 'GC') {
    validAttachments = parseValidAttachments(conf['cni.dev/valid-attachments'] ?? conf['cni.dev/attachments']);
  }
  const out: NetConf = {
    cniVersion: version as CniVersion,
    name,
    dataDir: storePath(conf),
    nodeStateFile: optionalPath(conf, 'nodeStateFile', DEFAULT_NODE_STATE_FILE),
    podCIDRs,
    ...(mtu !== undefined && { mtu }),
    ...(prevResult && { prevResult }),
    ...(validAttachments && { validAttachments }),
  };
  return out;
}

/**
 * Validates a pod CIDR: an IPv4 or IPv6 prefix with host bits zero, IPv4 /8 to /30, IPv6 /16 to /120 (room for the
 * IPAM's window), not special-use. `what` names the key in the error.
 */
export function parsePodCidr(value: unknown, what: string): PodCidr {
  const c = checkPodCidr(value);
  if (typeof c === 'string') throw invalid(`${what} ${c}`);
  return c;
}

/**
 * The pod CIDRs of a list: one per family, IPv4 first. In the netconf a second one of a family is an error naming
 * its key (which of the two pods should be numbered from is not ours to guess); in the node state (`firstWins`, an
 * agent originating more prefixes than its pods use) the first of each family is the pods', as it always was.
 */
export function podCidrsOf(entries: readonly { value: unknown; key: string }[], firstWins = false): PodCidr[] {
  const byFamily = new Map<number, { cidr: PodCidr; key: string }>();
  for (const { value, key } of entries) {
    const cidr = parsePodCidr(value, key);
    const seen = byFamily.get(cidr.family);
    if (seen && firstWins) continue;
    if (seen) {
      throw invalid(
        `${key} ${cidr.text} is a second IPv${cidr.family} pod CIDR (${seen.key} is ${seen.cidr.text}): give one per family`,
      );
    }
    byFamily.set(cidr.family, { cidr, key });
  }
  return [4, 6].flatMap((f) => (byFamily.has(f) ? [byFamily.get(f)!.cidr] : []));
}

/** `podCIDR` (one, either family) and `podCIDRs` (a list, one per family) of the netconf. */
function netconfPodCidrs(conf: Record<string, unknown>): PodCidr[] {
  const entries: { value: unknown; key: string }[] = [];
  if (conf.podCIDR !== undefined) entries.push({ value: conf.podCIDR, key: 'podCIDR' });
  if (conf.podCIDRs !== undefined) {
    if (!Array.isArray(conf.podCIDRs) || conf.podCIDRs.length === 0) {
      throw invalid(
        `podCIDRs must be a non-empty array of prefixes (one per family), got ${JSON.stringify(conf.podCIDRs)}`,
      );
    }
    for (const [i, value] of conf.podCIDRs.entries()) entries.push({ value, key: `podCIDRs[${i}]` });
  }
  return podCidrsOf(entries);
}

function parseValidAttachments(value: unknown): Attachment[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid('cni.dev/valid-attachments must be an array of {containerID, ifname}');
  return value.map((item, i) => {
    const a = item as { containerID?: unknown; ifname?: unknown } | null;
    if (typeof a !== 'object' || a === null || typeof a.containerID !== 'string' || typeof a.ifname !== 'string') {
      throw invalid(`cni.dev/valid-attachments[${i}] must be {"containerID": string, "ifname": string}`);
    }
    return { containerId: a.containerID, ifname: a.ifname };
  });
}

function badEnv(msg: string): CniError {
  return new CniError(CniCode.InvalidEnvironment, msg);
}

/** Checks an interface name as the kernel would (IFNAMSIZ 16 with the NUL, no '/', ':' or whitespace). */
export function validateIfname(ifname: string): void {
  if (ifname === '') throw badEnv('CNI_IFNAME is missing');
  if (ifname.length > 15) throw badEnv(`CNI_IFNAME ${JSON.stringify(ifname)} is longer than 15 characters`);
  if (ifname === '.' || ifname === '..' || /[/:\s]/.test(ifname)) {
    throw badEnv(`CNI_IFNAME ${JSON.stringify(ifname)} is not a valid interface name`);
  }
}

/** Reads the CNI_* variables the command needs; missing or malformed ones are code 4. */
export function parseEnv(env: Readonly<Record<string, string | undefined>>): CniEnv {
  const command = env.CNI_COMMAND ?? '';
  if (!COMMANDS.includes(command)) {
    throw badEnv(
      command === ''
        ? 'CNI_COMMAND is missing: this program is a CNI plugin, run by a container runtime'
        : `CNI_COMMAND ${JSON.stringify(command)} is not one of ${COMMANDS.join(', ')}`,
    );
  }
  const cmd = command as CniCommand;
  const containerId = env.CNI_CONTAINERID ?? '';
  const netns = env.CNI_NETNS ?? '';
  const ifname = env.CNI_IFNAME ?? '';
  if (cmd === 'ADD' || cmd === 'DEL' || cmd === 'CHECK') {
    if (containerId === '') throw badEnv('CNI_CONTAINERID is missing');
    if (!CONTAINER_ID_RE.test(containerId)) {
      throw badEnv(`CNI_CONTAINERID ${JSON.stringify(containerId)} must be letters, digits, '_', '.' or '-'`);
    }
    validateIfname(ifname);
    if (cmd !== 'DEL' && netns === '') throw badEnv('CNI_NETNS is missing');
    if (netns !== '' && !netns.startsWith('/')) {
      throw badEnv(`CNI_NETNS ${JSON.stringify(netns)} must be an absolute path like /run/netns/NAME`);
    }
  }
  const pod = cmd === 'ADD' ? podFromArgs(env.CNI_ARGS ?? '') : undefined;
  return { command: cmd, containerId, netns, ifname, ...(pod && { pod }) };
}

/** DNS-1123 names and UIDs: what the store may keep, one per line (anything else is not a pod's and is ignored). */
const POD_FIELD_RE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,251}[A-Za-z0-9])?$/;

/**
 * The pod of CNI_ARGS (`K8S_POD_NAMESPACE=x;K8S_POD_NAME=y;K8S_POD_UID=z;IgnoreUnknown=1`, as containerd and CRI-O
 * set them). Undefined without both namespace and name, or when a value is not a Kubernetes name: the metadata only
 * feeds NetworkPolicy, so a runtime that gives none (or odd ones) still gets its pod wired.
 */
export function podFromArgs(args: string): PodMeta | undefined {
  const kv = new Map<string, string>();
  for (const part of args.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) kv.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const namespace = kv.get('K8S_POD_NAMESPACE');
  const name = kv.get('K8S_POD_NAME');
  const uid = kv.get('K8S_POD_UID');
  if (!namespace || !name || !POD_FIELD_RE.test(namespace) || !POD_FIELD_RE.test(name)) return undefined;
  return { namespace, name, ...(uid && POD_FIELD_RE.test(uid) && { uid }) };
}
