// The controller tests' in-process Kubernetes API server (packages/controller/test/kubernetes/fake-apiserver.ts),
// run as a child inside a test namespace so an agent in that namespace reaches it on 127.0.0.1. Serves Nodes, the
// gannet.dev CRDs, Pods, Namespaces, NetworkPolicies, Services and EndpointSlices. Prints {"url": …} once listening; then takes JSON lines on
// stdin: {"op":"put","plural":…,"object":{…}} or {"op":"remove","plural":…,"name":"ns/name"}, each answered {"ok":…}.
import { createInterface } from 'node:readline';

interface Server {
  url: string;
  put(plural: string, obj: unknown): unknown;
  remove(plural: string, name: string): void;
}

const test = new URL('../../../packages/controller/dist/test/kubernetes/', import.meta.url);
const { FakeApiServer } = (await import(new URL('fake-apiserver.js', test).href)) as {
  FakeApiServer: { start(defs: unknown[], opts: Record<string, unknown>): Promise<Server> };
};
const { POLICY_RESOURCES } = (await import(new URL('fake-pods.js', test).href)) as { POLICY_RESOURCES: unknown[] };
const { CORE_SERVICES, ENDPOINT_SLICES } = (await import(new URL('fake-services.js', test).href)) as {
  CORE_SERVICES: unknown;
  ENDPOINT_SLICES: unknown;
};
const server = await FakeApiServer.start([...POLICY_RESOURCES, CORE_SERVICES, ENDPOINT_SLICES], { audit: false });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  try {
    const m = JSON.parse(line) as { op: string; plural: string; object?: unknown; name?: string };
    if (m.op === 'put') server.put(m.plural, m.object);
    else if (m.op === 'remove') server.remove(m.plural, m.name!);
    else throw new Error(`unknown op ${m.op}`);
    process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: (e as Error).message })}\n`);
  }
});
process.stdin.on('end', () => process.exit(0));
