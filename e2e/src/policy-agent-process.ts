// A process started inside one test namespace (a "pod", the node or the outside host) by policy-lab.ts: it serves
// TCP and UDP on the ports given in argv (each answers with the client address it sees, then echoes), and runs
// probes on request. Requests and replies are JSON lines on stdin/stdout:
//   {id, op:'tcp'|'udp', host, port, timeoutMs, localAddress?}  → {id, ok, seen?, error?}
//   {id, op:'open', conn, host, port, timeoutMs}                 → {id, ok, seen?}  (keeps the TCP connection)
//   {id, op:'echo', conn, timeoutMs}                             → {id, ok}         (a line over that connection)
// Every probe is bounded by its timeout; a dropped SYN or datagram is reported as {ok:false, error:'timeout'}.
import { createSocket } from 'node:dgram';
import { createConnection, createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

// argv: ports, then optionally `--udp-bind a,b,…`: UDP is served on each of those addresses rather than 0.0.0.0, so
// a host with several addresses answers from the address asked (a wildcard socket answers from the primary one).
const bindAt = process.argv.indexOf('--udp-bind');
const ports = process.argv.slice(2, bindAt < 0 ? undefined : bindAt).map(Number);
const udpAddrs = bindAt < 0 ? ['0.0.0.0'] : process.argv[bindAt + 1]!.split(',');
const conns = new Map<string, Socket>();
const reply = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);

let listening = 0;
const ready = () => {
  if (++listening === ports.length * (1 + udpAddrs.length)) reply({ ready: true });
};
for (const port of ports) {
  createServer((s) => {
    s.on('error', () => {});
    s.write(`${s.remoteAddress}\n`);
    s.pipe(s);
  }).listen(port, '0.0.0.0', ready);
  for (const addr of udpAddrs) {
    const u = createSocket('udp4');
    u.on('message', (_msg, rinfo) => u.send(`${rinfo.address}\n`, rinfo.port, rinfo.address));
    u.bind(port, addr, ready);
  }
}

interface Req {
  id: number;
  op: 'tcp' | 'udp' | 'open' | 'echo';
  host: string;
  port: number;
  timeoutMs: number;
  conn?: string;
  localAddress?: string;
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

async function handle(r: Req): Promise<object> {
  if (r.op === 'udp') {
    const u = createSocket('udp4');
    try {
      return await new Promise<object>((resolve) => {
        const t = setTimeout(() => resolve({ ok: false, error: 'timeout' }), r.timeoutMs);
        u.on('message', (m) => {
          clearTimeout(t);
          resolve({ ok: true, seen: m.toString().trim() });
        });
        u.on('error', (e) => {
          clearTimeout(t);
          resolve({ ok: false, error: e.message });
        });
        u.bind({ address: r.localAddress ?? '0.0.0.0', port: 0 }, () => u.send('ping', r.port, r.host));
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
      return { ok: (await firstLine(s, r.timeoutMs)) === 'ping' };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  }
  const s = createConnection({ host: r.host, port: r.port, localAddress: r.localAddress });
  s.on('error', () => {});
  try {
    const seen = await firstLine(s, r.timeoutMs);
    if (r.op === 'open') conns.set(r.conn ?? '', s);
    else s.destroy();
    return { ok: true, seen };
  } catch (e) {
    s.destroy();
    return { ok: false, error: (e as Error).message };
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const r = JSON.parse(line) as Req;
  handle(r).then((out) => reply({ id: r.id, ...out }));
});
process.stdin.on('end', () => process.exit(0));
