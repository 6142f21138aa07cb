// A small CRI client (gRPC over the runtime's unix socket, @grpc/grpc-js) for the pod-sandbox calls a kubelet makes:
// what the e2e tests and the CRI benchmark drive containerd with. The messages come from cri-runtime-v1.proto, written
// from the published runtime.v1 API; field names are camelCase here (proto-loader's keepCase off).
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const PROTO = fileURLToPath(new URL('../../src/cri-runtime-v1.proto', import.meta.url));

export interface PortMapping {
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort: number;
  hostIp?: string;
}

export interface SandboxSpec {
  name: string;
  namespace: string;
  uid: string;
  attempt?: number;
  portMappings?: PortMapping[];
  labels?: Record<string, string>;
  /** A hostNetwork pod: the node's network namespace, no CNI. */
  hostNetwork?: boolean;
}

export interface SandboxStatus {
  id: string;
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
  ip: string;
  metadata: { name: string; namespace: string; uid: string; attempt: number };
  /** Verbose only: containerd's `info` JSON (pid, netns path, runtime spec…). */
  info?: Record<string, unknown>;
}

export interface SandboxSummary {
  id: string;
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
  metadata: { name: string; namespace: string; uid: string };
}

type Callback<T> = (err: grpc.ServiceError | null, res: T) => void;
type Unary = (req: unknown, meta: grpc.Metadata, opts: grpc.CallOptions, cb: Callback<unknown>) => void;

let definition: protoLoader.PackageDefinition | undefined;

function runtimeServiceCtor(): grpc.ServiceClientConstructor {
  definition ??= protoLoader.loadSync(PROTO, { keepCase: false, longs: String, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    runtime: { v1: { RuntimeService: grpc.ServiceClientConstructor } };
  };
  return pkg.runtime.v1.RuntimeService;
}

/** The RuntimeService of one runtime socket. Every call has a deadline (default 60 s). */
export class CriClient {
  private readonly client: grpc.Client;

  constructor(
    readonly socket: string,
    private readonly timeoutMs = 60_000,
  ) {
    const Ctor = runtimeServiceCtor();
    this.client = new Ctor(`unix://${socket}`, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
    });
  }

  private call<T>(method: string, req: unknown, timeoutMs = this.timeoutMs): Promise<T> {
    const fn = (this.client as unknown as Record<string, Unary>)[method];
    if (!fn) throw new Error(`no CRI method ${method}`);
    return new Promise((resolve, reject) => {
      fn.call(this.client, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) reject(new Error(`CRI ${method}: ${err.details || err.message}`, { cause: err }));
        else resolve(res as T);
      });
    });
  }

  version(
    timeoutMs?: number,
  ): Promise<{ version: string; runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }> {
    return this.call('Version', { version: 'v1' }, timeoutMs);
  }

  /** The runtime's conditions by type (RuntimeReady, NetworkReady) → [status, reason, message]. */
  async status(): Promise<Record<string, { status: boolean; reason: string; message: string }>> {
    const res = await this.call<{
      status: { conditions: { type: string; status: boolean; reason: string; message: string }[] };
    }>('Status', { verbose: false });
    return Object.fromEntries(
      res.status.conditions.map((c) => [c.type, { status: c.status, reason: c.reason, message: c.message }]),
    );
  }

  /** RunPodSandbox as a kubelet sends it (metadata, hostname, port mappings, labels); the sandbox ID. */
  async runPodSandbox(spec: SandboxSpec, timeoutMs?: number): Promise<string> {
    const config = {
      metadata: { name: spec.name, uid: spec.uid, namespace: spec.namespace, attempt: spec.attempt ?? 0 },
      hostname: spec.hostNetwork ? '' : spec.name, // a hostNetwork pod shares the node's UTS namespace
      logDirectory: '',
      portMappings: (spec.portMappings ?? []).map((p) => ({ protocol: 'TCP', hostIp: '', ...p })),
      labels: spec.labels ?? {},
      annotations: {},
      linux: {
        cgroupParent: '',
        securityContext: { namespaceOptions: { network: spec.hostNetwork ? 'NODE' : 'POD', pid: 'CONTAINER' } },
      },
    };
    const res = await this.call<{ podSandboxId: string }>('RunPodSandbox', { config, runtimeHandler: '' }, timeoutMs);
    return res.podSandboxId;
  }

  async podSandboxStatus(id: string, verbose = false): Promise<SandboxStatus> {
    const res = await this.call<{
      status: {
        id: string;
        state: SandboxStatus['state'];
        network?: { ip: string };
        metadata: SandboxStatus['metadata'];
      };
      info: Record<string, string>;
    }>('PodSandboxStatus', { podSandboxId: id, verbose });
    const out: SandboxStatus = {
      id: res.status.id,
      state: res.status.state,
      ip: res.status.network?.ip ?? '',
      metadata: res.status.metadata,
    };
    if (verbose && res.info.info) out.info = JSON.parse(res.info.info) as Record<string, unknown>;
    return out;
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.call('StopPodSandbox', { podSandboxId: id });
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.call('RemovePodSandbox', { podSandboxId: id });
  }

  async listPodSandbox(): Promise<SandboxSummary[]> {
    const res = await this.call<{ items: SandboxSummary[] }>('ListPodSandbox', {});
    return res.items;
  }

  close(): void {
    this.client.close();
  }
}
