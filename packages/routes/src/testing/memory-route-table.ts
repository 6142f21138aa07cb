// An in-memory kernel routing table with the kernel's rules that matter to Gannet: routes of every protocol share
// one (table, dst, metric) space; `add` refuses a taken slot, `replace` takes it whatever its owner, `delete` only
// matches the given protocol. Every change (ours or "someone else's") is signalled like the route monitor does.
// Faults are injected on demand: refused routes, failed or interrupted dumps, a helper that dies mid-batch.
import type { KernelRouteEvent, KernelRouteTable, RouteOp, RouteOpResult } from '../kernel-route-table.js';
import { MAIN_TABLE, type NormalRoute, normalizeRoute, type Route } from '../route.js';
import { RoutesError } from '../routes-error.js';

/** One route in the simulated kernel, with the protocol it carries. */
export interface MemoryRouteEntry {
  route: NormalRoute;
  protocol: number;
}

/** A deep copy (faster than structuredClone, which dominated 100,000-route tests): no aliasing with the caller. */
function copy(r: NormalRoute): NormalRoute {
  return { ...r, nexthops: r.nexthops.map((n) => ({ ...n })) };
}

export class MemoryRouteTable implements KernelRouteTable {
  /** Calls made through the KernelRouteTable interface, for assertions such as "the second pass wrote nothing". */
  readonly calls = { list: 0, batch: 0, ops: 0 };
  private readonly entries = new Map<string, MemoryRouteEntry>();
  private readonly listeners = new Set<(event: KernelRouteEvent) => void>();
  private readonly rejecters = new Set<(route: NormalRoute) => string | undefined>();
  private readonly listFaults: Error[] = [];
  private crashAfter: number | undefined;
  private closed = false;

  async list(table: number, protocol: number): Promise<NormalRoute[]> {
    this.calls.list++;
    this.checkOpen();
    const fault = this.listFaults.shift();
    if (fault) throw fault;
    const ours = [...this.entries.values()].filter((e) => e.route.table === table && e.protocol === protocol);
    // Copies, in slices with a turn of the event loop between them, as the real table parses a large listing.
    const out: NormalRoute[] = [];
    for (let i = 0; i < ours.length; i++) {
      if (i > 0 && i % 2000 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      out.push(copy((ours[i] as MemoryRouteEntry).route));
    }
    return out;
  }

  async batch(ops: readonly RouteOp[], protocol: number): Promise<RouteOpResult[]> {
    this.calls.batch++;
    this.checkOpen();
    const results: RouteOpResult[] = [];
    for (const [i, op] of ops.entries()) {
      if (this.crashAfter !== undefined && i >= this.crashAfter) {
        this.crashAfter = undefined;
        throw new RoutesError('ERR_GANNET_ROUTES_HELPER_EXITED', 'ip -batch helper exited (simulated)');
      }
      this.calls.ops++;
      results.push(this.perform(op, protocol));
    }
    return results;
  }

  async replace(route: NormalRoute, protocol: number): Promise<RouteOpResult> {
    const [r] = await this.batch([{ op: 'replace', route }], protocol);
    return r as RouteOpResult;
  }

  async remove(route: NormalRoute, protocol: number): Promise<RouteOpResult> {
    const [r] = await this.batch([{ op: 'delete', route }], protocol);
    return r as RouteOpResult;
  }

  watch(listener: (event: KernelRouteEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
  }

  // ---- test controls -------------------------------------------------------------------------------------------

  /** Refuses every write of a route for which `check` returns a reason; returns the function that lifts the rule. */
  rejectWhen(check: (route: NormalRoute) => string | undefined): () => void {
    this.rejecters.add(check);
    return () => this.rejecters.delete(check);
  }

  /** The next list() throws (default: an interrupted dump that ran out of retries). */
  failNextList(err: Error = new RoutesError('ERR_GANNET_ROUTES_LIST_FAILED', 'Dump was interrupted')): void {
    this.listFaults.push(err);
  }

  /** The next batch() performs `afterOps` operations, then rejects as if the helper process died. */
  crashNextBatch(afterOps = 0): void {
    this.crashAfter = afterOps;
  }

  /** Someone else writes a route (like `ip route replace … proto P`): overwrites the slot whatever its owner. */
  externalReplace(route: Route, protocol: number): void {
    const n = normalizeRoute(route);
    this.entries.set(this.key(n), { route: n, protocol });
    this.emit({ kind: 'route', deleted: false, dst: n.dst, metric: n.metric, table: n.table, protocol });
  }

  /** Someone else deletes the route in the slot (any protocol); returns whether there was one. */
  externalDelete(dst: string, opts: { table?: number; metric?: number } = {}): boolean {
    const n = normalizeRoute({ dst, type: 'blackhole', nexthops: [], table: opts.table, metric: opts.metric });
    const k = this.key(n);
    const e = this.entries.get(k);
    if (!e) return false;
    this.entries.delete(k);
    this.emit({ kind: 'route', deleted: true, dst: n.dst, metric: n.metric, table: n.table, protocol: e.protocol });
    return true;
  }

  /** Signals that changes may have been missed (like ENOBUFS on the monitor socket). */
  signalLost(reason = 'No buffer space available'): void {
    this.emit({ kind: 'lost', reason });
  }

  /** Every route in the simulated kernel, all protocols, sorted by table, dst, metric. */
  dump(): MemoryRouteEntry[] {
    return [...this.entries.values()]
      .map((e) => structuredClone(e))
      .sort((a, b) => (this.key(a.route) < this.key(b.route) ? -1 : 1));
  }

  /** The route in one slot, if any. */
  get(dst: string, opts: { table?: number; metric?: number } = {}): MemoryRouteEntry | undefined {
    const n = normalizeRoute({ dst, type: 'blackhole', nexthops: [], table: opts.table, metric: opts.metric });
    const e = this.entries.get(this.key(n));
    return e && structuredClone(e);
  }

  /** Number of listeners (the reconciler's watch). */
  watchers(): number {
    return this.listeners.size;
  }

  private perform(op: RouteOp, protocol: number): RouteOpResult {
    const k = this.key(op.route);
    const existing = this.entries.get(k);
    if (op.op === 'delete') {
      if (existing && existing.protocol === protocol) {
        this.entries.delete(k);
        this.emit({
          kind: 'route',
          deleted: true,
          dst: op.route.dst,
          metric: op.route.metric,
          table: op.route.table,
          protocol,
        });
      }
      return { ok: true };
    }
    if (op.op === 'add' && existing) return { ok: false, reason: 'RTNETLINK answers: File exists' };
    for (const check of this.rejecters) {
      const reason = check(op.route);
      if (reason) return { ok: false, reason };
    }
    this.entries.set(k, { route: copy(op.route), protocol });
    this.emit({
      kind: 'route',
      deleted: false,
      dst: op.route.dst,
      metric: op.route.metric,
      table: op.route.table,
      protocol,
    });
    return { ok: true };
  }

  private key(r: NormalRoute): string {
    return `${r.table ?? MAIN_TABLE} ${r.dst} ${r.metric}`;
  }

  private checkOpen(): void {
    if (this.closed) throw new RoutesError('ERR_GANNET_ROUTES_CLOSED', 'the route table is closed');
  }

  private emit(event: KernelRouteEvent): void {
    for (const l of [...this.listeners]) l(event);
  }
}
