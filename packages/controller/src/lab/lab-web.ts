// `gannet lab web`: one live page for a whole lab — a picture of its routers, nodes and pods with every BGP session
// coloured by state, and `doctor` for a pair of pods chosen in the page. Served from the machine's own namespace on
// loopback; the lab's state is read from inside its namespaces (each agent's status API through agent-query.ts, the
// fabric routers through vtysh/birdc), every 500 ms while a page is open, and pushed as server-sent events when it
// changed.
import { parseArgs } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import { type CliIo, UsageError } from '../cli/cli-io.js';
import { labDoctorInput } from '../doctor/doctor-command.js';
import { LinuxNetView } from '../doctor/net-view.js';
import { walkPath } from '../doctor/walk.js';
import { parseHostPort } from '../net.js';
import { type EventStream, EventStreams, servePage } from '../web/event-stream.js';
import { DEFAULT_STATE_ROOT, Lab } from './lab.js';
import { routerSessions } from './lab-router-status.js';
import { LAB_WEB_PAGE } from './lab-web-page.js';

export interface LabPicture {
  name: string;
  topology: string;
  routers: { name: string; role: string; kind: string; asn: number }[];
  nodes: { name: string; address: string; asn: number; podCIDR: string; agent: 'up' | 'down'; ready: boolean }[];
  pods: { id: string; node: string; ip: string }[];
  /** One per BGP session, seen from its lower end (a node, or a leaf towards a spine). */
  sessions: { a: string; b: string; address: string; state: string }[];
}

/** The lab as the page draws it, read from its namespaces now. */
export async function labPicture(lab: Lab, view = new LinuxNetView()): Promise<LabPicture> {
  const { plan } = lab;
  const owner = new Map<string, string>();
  for (const n of plan.nodes) owner.set(n.address, n.name);
  for (const r of plan.routers) for (const nb of r.neighbors) owner.set(nb.localAddress, r.name);
  const agents = await Promise.all(plan.nodes.map((n) => view.agent(n.ns)));
  const sessions: LabPicture['sessions'] = [];
  plan.nodes.forEach((n, i) => {
    const agent = agents[i];
    for (const p of n.peers) {
      const b = owner.get(p.address) ?? p.address;
      if (plan.nodes.some((m) => m.name === b) && b < n.name) continue; // a node-to-node session: drawn once
      const state = agent ? (agent.peers.find((x) => x.address === p.address)?.state ?? 'unknown') : 'agent down';
      sessions.push({ a: n.name, b, address: p.address, state });
    }
  });
  const routerNames = new Set(plan.routers.map((r) => r.name));
  for (const r of plan.routers.filter((x) => x.role === 'leaf')) {
    const up = await routerSessions(lab.dir, r);
    for (const nb of r.neighbors.filter((x) => routerNames.has(x.name))) {
      sessions.push({ a: r.name, b: nb.name, address: nb.address, state: up.get(nb.address) ? 'Established' : 'down' });
    }
  }
  return {
    name: plan.options.name,
    topology: plan.topology,
    routers: plan.routers.map((r) => ({ name: r.name, role: r.role, kind: r.kind, asn: r.asn })),
    nodes: plan.nodes.map((n, i) => ({
      name: n.name,
      address: n.address,
      asn: n.asn,
      podCIDR: n.podCIDR,
      agent: agents[i] ? 'up' : 'down',
      ready: agents[i]?.ready ?? false,
    })),
    pods: lab.state.pods.map((p) => ({ id: p.id, node: p.node, ip: p.ip })),
    sessions,
  };
}

export interface LabWebServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

export async function serveLabWeb(
  name: string,
  listen: string,
  opts: { stateRoot?: string; intervalMs?: number } = {},
): Promise<LabWebServer> {
  const load = () => {
    const lab = Lab.load(name, opts.stateRoot ? { stateRoot: opts.stateRoot } : {});
    if (!lab) throw new Error(`no lab "${name}" (gannet lab up --name ${name})`);
    return lab;
  };
  load();
  const view = new LinuxNetView();
  const app = Fastify({ logger: false });
  let last = '';
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const streams = new EventStreams(app, () => {
    closed = true;
    if (timer) clearTimeout(timer);
  });
  const open = new Set<EventStream>();
  const tick = async () => {
    timer = undefined;
    if (closed || open.size === 0) return;
    try {
      const data = JSON.stringify(await labPicture(load(), view));
      if (data !== last) {
        last = data;
        for (const s of open) s.send('lab', data);
      }
    } catch (err) {
      for (const s of open) s.send('problem', JSON.stringify((err as Error).message));
    }
    if (!closed && open.size > 0) timer = setTimeout(() => void tick(), opts.intervalMs ?? 500);
  };
  servePage(app, '/', LAB_WEB_PAGE);
  app.get('/api/lab/events', (req, reply) => {
    const stream = streams.accept(req, reply, () => open.delete(stream));
    if (last) stream.send('lab', last);
    open.add(stream);
    if (open.size === 1) {
      last = '';
      void tick();
    }
  });
  app.post('/api/lab/doctor', async (req, reply) => {
    const body = (req.body ?? {}) as { src?: unknown; dst?: unknown };
    if (typeof body.src !== 'string' || typeof body.dst !== 'string') {
      return reply.code(400).send({ error: 'give {"src": POD, "dst": POD}' });
    }
    try {
      return await walkPath(view, labDoctorInput(load(), body.src, body.dst));
    } catch (err) {
      return reply.code(400).send({ error: (err as Error).message });
    }
  });
  // port 0: any free port (tests); the URL printed says which
  const { host, port } = listen.endsWith(':0')
    ? { ...parseHostPort(`${listen.slice(0, -2)}:1`), port: 0 }
    : parseHostPort(listen);
  await app.listen({ host, port });
  const a = app.server.address();
  const url =
    a && typeof a === 'object' ? `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/` : listen;
  return { app, url, close: () => app.close() };
}

export const LAB_WEB_HELP = `Usage: gannet lab web [--name NAME] [--listen 127.0.0.1:PORT]

Serves one live page for the lab: its routers, nodes and pods with every BGP session coloured by state (updated
within a second, no reload), and doctor for two pods chosen in the page. Loopback only by default (port 9180);
stops on Ctrl-C.
`;

export async function labWebCommand(args: string[], io: CliIo): Promise<number> {
  let v: { help?: boolean; name?: string; listen?: string; 'state-dir'?: string };
  try {
    v = parseArgs({
      args,
      options: {
        help: { type: 'boolean', short: 'h' },
        name: { type: 'string', default: 'lab' },
        listen: { type: 'string', default: '127.0.0.1:9180' },
        'state-dir': { type: 'string', default: DEFAULT_STATE_ROOT },
      },
      strict: true,
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (v.help) {
    io.out(LAB_WEB_HELP);
    return 0;
  }
  const server = await serveLabWeb(v.name!, v.listen!, { stateRoot: v['state-dir']! });
  io.out(`[lab] web view of lab ${v.name} at ${server.url} (Ctrl-C stops it)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}
