// A dependency-free client for the pod-sandbox part of a container runtime's CRI (runtime.v1.RuntimeService), for
// `gannet lab up --runtime containerd`: gRPC unary calls over HTTP/2 on the runtime's unix socket (node:http2), the
// protobuf messages encoded and decoded by hand from the published API's field numbers (only the fields used here).
import http2 from 'node:http2';
import net from 'node:net';

// --- protobuf: the wire format subset the CRI messages need (varints, length-delimited fields) ---------------------

/** Builds one message: fields in order; zero values are left out, as proto3 does. */
export class PbWriter {
  private readonly parts: Buffer[] = [];

  private varint(n: number): void {
    const bytes: number[] = [];
    let v = n;
    while (v > 0x7f) {
      bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    bytes.push(v);
    this.parts.push(Buffer.from(bytes));
  }

  uint(no: number, value: number | boolean | undefined): this {
    const n = typeof value === 'boolean' ? Number(value) : (value ?? 0);
    if (n === 0) return this;
    if (!Number.isInteger(n) || n < 0) throw new Error(`field ${no}: ${n} is not a non-negative integer`);
    this.varint(no * 8);
    this.varint(n);
    return this;
  }

  bytes(no: number, value: Buffer | undefined): this {
    if (value === undefined) return this;
    this.varint(no * 8 + 2);
    this.varint(value.length);
    this.parts.push(value);
    return this;
  }

  string(no: number, value: string | undefined): this {
    return value ? this.bytes(no, Buffer.from(value, 'utf8')) : this;
  }

  message(no: number, m: PbWriter | undefined): this {
    return m ? this.bytes(no, m.finish()) : this;
  }

  /** A map<string, string>: one entry message (key 1, value 2) per pair. */
  map(no: number, record: Readonly<Record<string, string>> | undefined): this {
    for (const [k, v] of Object.entries(record ?? {})) this.message(no, new PbWriter().string(1, k).string(2, v));
    return this;
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A decoded message: field number → values (numbers for varints, Buffers for length-delimited fields). */
export type PbFields = Map<number, (number | Buffer)[]>;

export function pbDecode(buf: Buffer): PbFields {
  const out: PbFields = new Map();
  let i = 0;
  const varint = (): number => {
    let n = 0;
    let mul = 1;
    for (let k = 0; k < 10; k++) {
      if (i >= buf.length) throw new Error('protobuf: truncated varint');
      const b = buf[i++] as number;
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 0x80;
    }
    throw new Error('protobuf: varint longer than 10 bytes');
  };
  while (i < buf.length) {
    const key = varint();
    const no = Math.floor(key / 8);
    const wt = key % 8;
    let value: number | Buffer;
    if (wt === 0) value = varint();
    else if (wt === 2) {
      const len = varint();
      if (i + len > buf.length) throw new Error(`protobuf: field ${no} runs past the end`);
      value = buf.subarray(i, i + len);
      i += len;
    } else if (wt === 1 || wt === 5) {
      i += wt === 1 ? 8 : 4;
      continue;
    } else throw new Error(`protobuf: unsupported wire type ${wt} (field ${no})`);
    const list = out.get(no);
    if (list) list.push(value);
    else out.set(no, [value]);
  }
  return out;
}

const str = (f: PbFields, no: number): string => {
  const v = f.get(no)?.at(-1);
  return Buffer.isBuffer(v) ? v.toString('utf8') : '';
};
const num = (f: PbFields, no: number): number => {
  const v = f.get(no)?.at(-1);
  return typeof v === 'number' ? v : 0;
};
const sub = (f: PbFields, no: number): PbFields => {
  const v = f.get(no)?.at(-1);
  return Buffer.isBuffer(v) ? pbDecode(v) : new Map();
};
const mapOf = (f: PbFields, no: number): Record<string, string> =>
  Object.fromEntries(
    (f.get(no) ?? []).filter(Buffer.isBuffer).map((e) => {
      const entry = pbDecode(e);
      return [str(entry, 1), str(entry, 2)];
    }),
  );

// --- the CRI messages ---------------------------------------------------------------------------------------------

export interface SandboxRequest {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** RunPodSandboxRequest{config: PodSandboxConfig{metadata, hostname, labels, linux{security_context{ns options}}}}. */
export function encodeRunPodSandbox(r: SandboxRequest): Buffer {
  const metadata = new PbWriter().string(1, r.name).string(2, r.uid).string(3, r.namespace);
  // NamespaceOption{network: POD (0), pid: CONTAINER (1)}, as a kubelet sends for a v1 pod
  const security = new PbWriter().message(1, new PbWriter().uint(2, 1));
  const config = new PbWriter()
    .message(1, metadata)
    .string(2, r.name)
    .map(6, r.labels)
    .message(8, new PbWriter().message(2, security));
  return new PbWriter().message(1, config).finish();
}

export const encodeSandboxId = (id: string): Buffer => new PbWriter().string(1, id).finish();

export interface SandboxStatus {
  readonly id: string;
  readonly ready: boolean;
  readonly ip: string;
  /** Verbose: the runtime's info JSON (containerd: pid, runtimeSpec with the netns path, …). */
  readonly info: Record<string, unknown> | undefined;
}

/** PodSandboxStatusResponse{status{id 1, state 3, network 5{ip 1}}, info 2}. */
export function decodeSandboxStatus(buf: Buffer): SandboxStatus {
  const f = pbDecode(buf);
  const status = sub(f, 1);
  const info = mapOf(f, 2).info;
  return {
    id: str(status, 1),
    ready: num(status, 3) === 0,
    ip: str(sub(status, 5), 1),
    info: info ? (JSON.parse(info) as Record<string, unknown>) : undefined,
  };
}

export interface SandboxSummary {
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  readonly ready: boolean;
  readonly labels: Record<string, string>;
}

/** ListPodSandboxResponse{items 1: PodSandbox{id 1, metadata 2{name 1, namespace 3}, state 3, labels 5}}. */
export function decodeSandboxList(buf: Buffer): SandboxSummary[] {
  return (pbDecode(buf).get(1) ?? []).filter(Buffer.isBuffer).map((item) => {
    const f = pbDecode(item);
    const md = sub(f, 2);
    return { id: str(f, 1), name: str(md, 1), namespace: str(md, 3), ready: num(f, 3) === 0, labels: mapOf(f, 5) };
  });
}

/** The network namespace path of a sandbox, from containerd's verbose info (runtimeSpec.linux.namespaces). */
export function sandboxNetnsPath(info: Record<string, unknown> | undefined): string | undefined {
  const spec = info?.runtimeSpec as { linux?: { namespaces?: { type?: string; path?: string }[] } } | undefined;
  return spec?.linux?.namespaces?.find((n) => n.type === 'network')?.path;
}

// --- gRPC over HTTP/2 -----------------------------------------------------------------------------------------------

/** The RuntimeService on one unix socket. Every call has a deadline. */
export class CriClient {
  private session: http2.ClientHttp2Session | undefined;

  constructor(
    readonly socket: string,
    private readonly timeoutMs = 60_000,
  ) {}

  private connect(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const s = http2.connect('http://localhost', { createConnection: () => net.connect(this.socket) });
    s.on('error', () => {}); // reported by the calls
    this.session = s;
    return s;
  }

  /** One unary call; the response message, or an error with grpc-status and grpc-message. */
  call(method: string, payload: Buffer, timeoutMs = this.timeoutMs): Promise<Buffer> {
    const frame = Buffer.alloc(5 + payload.length);
    frame.writeUInt32BE(payload.length, 1);
    payload.copy(frame, 5);
    return new Promise((resolve, reject) => {
      const req = this.connect().request({
        ':method': 'POST',
        ':path': `/runtime.v1.RuntimeService/${method}`,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let message = '';
      const timer = setTimeout(() => req.close(http2.constants.NGHTTP2_CANCEL), timeoutMs);
      const meta = (h: http2.IncomingHttpHeaders) => {
        if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
        if (h['grpc-message'] !== undefined) message = decodeURIComponent(String(h['grpc-message']));
      };
      req.on('response', meta);
      req.on('trailers', meta);
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`CRI ${method} on ${this.socket}: ${err.message}`, { cause: err }));
      });
      req.on('close', () => {
        clearTimeout(timer);
        if (status === undefined) {
          reject(new Error(`CRI ${method}: no answer within ${timeoutMs} ms (or the connection closed)`));
          return;
        }
        if (status !== '0') {
          reject(new Error(`CRI ${method}: ${message || `grpc-status ${status}`}`));
          return;
        }
        const body = Buffer.concat(chunks);
        const len = body.length >= 5 ? body.readUInt32BE(1) : 0;
        resolve(body.subarray(5, 5 + len));
      });
      req.end(frame);
    });
  }

  async version(timeoutMs?: number): Promise<{ runtimeName: string; runtimeVersion: string }> {
    const f = pbDecode(await this.call('Version', new PbWriter().string(1, 'v1').finish(), timeoutMs));
    return { runtimeName: str(f, 2), runtimeVersion: str(f, 3) };
  }

  /** NetworkReady from the runtime's conditions (StatusResponse{status 1{conditions 1{type 1, status 2}}}). */
  async networkReady(): Promise<boolean> {
    const f = pbDecode(await this.call('Status', Buffer.alloc(0)));
    return (sub(f, 1).get(1) ?? []).filter(Buffer.isBuffer).some((c) => {
      const cond = pbDecode(c);
      return str(cond, 1) === 'NetworkReady' && num(cond, 2) === 1;
    });
  }

  async runPodSandbox(r: SandboxRequest): Promise<string> {
    return str(pbDecode(await this.call('RunPodSandbox', encodeRunPodSandbox(r))), 1);
  }

  async podSandboxStatus(id: string, verbose = false): Promise<SandboxStatus> {
    const req = new PbWriter().string(1, id).uint(2, verbose).finish();
    return decodeSandboxStatus(await this.call('PodSandboxStatus', req));
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.call('StopPodSandbox', encodeSandboxId(id));
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.call('RemovePodSandbox', encodeSandboxId(id));
  }

  async listPodSandbox(): Promise<SandboxSummary[]> {
    return decodeSandboxList(await this.call('ListPodSandbox', Buffer.alloc(0)));
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
  }
}
