// `gannet lab probe-helper` (internal): started by `gannet lab probe` (and the e2e tests) inside one pod's namespace.
// It serves TCP and UDP on the given ports — each answers with the client address it sees, then echoes — and runs
// probes on request, as JSON lines on stdin/stdout:
//   {id, op:'tcp'|'udp', host, port, timeoutMs}   → {id, ok, seen?, error?}
//   {id, op:'open', conn, host, port, timeoutMs}  → {id, ok, seen?}   (keeps the TCP connection as `conn`)
//   {id, op:'echo', conn, timeoutMs}              → {id, ok}          (one line over that connection)
//   {id, op:'http', url, timeoutMs}               → {id, ok, seen}    (a GET; seen is the body)
// It prints {ready:true} once listening, and exits when stdin closes or after --lifetime seconds (bounded whatever
// happens to its parent). SCTP: this kernel has no SCTP and Node no SCTP sockets, so SCTP probes answer
// {ok:false, error:'sctp unsupported'} and the matrix says so.
import { createSocket } from 'node:dgram';
import { createConnection, createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

export interface ProbeRequest {
  id: number;
  op: 'tcp' | 'udp' | 'sctp' | 'open' | 'echo' | 'http';
  /** op http: a GET of this URL (the agent's status API where there is no curl); `seen` is the body. */
  url?: string;
  host?: string;
  port?: number;
  timeoutMs: number;
  conn?: string;
}

export interface ProbeReply {
  id?: number;
  ok: boolean;
  seen?: string;
  error?: string;
}

/**
 * `bind`: listen on that address only (default all): a UDP socket bound to the wildcard answers from the interface's
 * primary address, which a NATed client (conntrack expects the address it asked) would not take as the answer.
 */
export async function probeHelper(ports: number[], lifetimeSeconds: number, bind = '0.0.0.0'): Promise<number> {
  const conns = new Map<string, Socket>();
  const reply = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
  const closers: (() => void)[] = [];
  await Promise.all(
    ports.flatMap((port) => [
      new Promise<void>((resolve, reject) => {
        const srv = createServer((s) => {
          s.on('error', () => {});
          s.write(`${s.remoteAddress}\n`);
          s.pipe(s);
        });
        srv.once('error', reject);
        srv.listen(port, bind, () => resolve());
        closers.push(() => srv.close());
      }),
      new Promise<void>((resolve, reject) => {
        const u = createSocket('udp4');
        u.on('message', (_msg, rinfo) => u.send(`${rinfo.address}\n`, rinfo.port, rinfo.address));
        u.once('error', reject);
        u.bind(port, bind, () => resolve());
        closers.push(() => u.close());
      }),
    ]),
  );
  reply({ ready: true });
  const done = new Promise<number>((resolve) => {
    const end = () => {
      for (const c of closers) c();
      for (const s of conns.values()) s.destroy();
      resolve(0);
    };
    setTimeout(end, lifetimeSeconds * 1000).unref();
    process.stdin.on('end', end);
    createInterface({ input: process.stdin }).on('line', (line) => {
      let r: ProbeRequest;
      try {
        r = JSON.parse(line) as ProbeRequest;
      } catch {
        return;
      }
      void handle(r, conns).then((out) => reply({ id: r.id, ...out }));
    });
  });
  const code = await done;
  setTimeout(() => process.exit(code), 50).unref();
  return code;
}

function firstLine(s: Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error('timeout')), timeoutMs);
    const onData = (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(t);
      s.off('data', onData);
      resolve(buf.slice(0, nl));
    };
    s.on('data', onData);
    s.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

async function handle(r: ProbeRequest, conns: Map<string, Socket>): Promise<ProbeReply> {
  const timeoutMs = Math.min(Math.max(r.timeoutMs, 10), 30_000);
  if (r.op === 'sctp') return { ok: false, error: 'sctp unsupported' };
  if (r.op === 'http') {
    try {
      const res = await fetch(r.url ?? '', { signal: AbortSignal.timeout(timeoutMs) });
      return { ok: res.ok, seen: await res.text() };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  }
  if (r.op === 'udp') {
    const u = createSocket('udp4');
    try {
      return await new Promise<ProbeReply>((resolve) => {
        const t = setTimeout(() => resolve({ ok: false, error: 'timeout' }), timeoutMs);
        u.on('message', (m) => {
          clearTimeout(t);
          resolve({ ok: true, seen: m.toString().trim() });
        });
        u.on('error', (e) => {
          clearTimeout(t);
          resolve({ ok: false, error: e.message });
        });
        u.bind(0, '0.0.0.0', () => u.send('ping', r.port ?? 0, r.host));
      });
    } finally {
      u.close();
    }
  }
  if (r.op === 'echo') {
    const s = conns.get(r.conn ?? '');
    if (!s) return { ok: false, error: 'no such connection' };
    s.write('ping\n');
    try {
      return { ok: (await firstLine(s, timeoutMs)) === 'ping' };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  }
  const s = createConnection({ host: r.host ?? '', port: r.port ?? 0 });
  s.on('error', () => {});
  try {
    const seen = await firstLine(s, timeoutMs);
    if (r.op === 'open') conns.set(r.conn ?? '', s);
    else s.destroy();
    return { ok: true, seen };
  } catch (e) {
    s.destroy();
    return { ok: false, error: (e as Error).message };
  }
}
