// An engine running in its own process (Electron's utilityProcess or a Node fork), shared by
// several UI connections. The UI-serving process only relays messages, so a crash or a blocking
// native call in the engine never freezes or kills the window; the engine can be restarted with
// the `engine.restart` call (answered here, rate-limited). Stopping or restarting fails every
// pending call of every connection; finished calls are forgotten.
import type { EventName, EventOf } from './api';
import { TOPICS } from './topics';
import type { Connection } from './engine';
import { checkRequest, type Reply, type Request, type WireError } from './protocol';

/** The method the relay answers itself (declared in engine/features/engine.ts for the typed API). */
export const RESTART_METHOD = 'engine.restart';
/** At most one restart per this interval: a client looping on restart must not keep the engine down. */
export const MIN_RESTART_INTERVAL_MS = 2000;

/** The minimum a child process must offer (Node ChildProcess and Electron UtilityProcess adapt to it). */
export interface EngineChild {
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (detail: string) => void): void;
  kill(): void;
}

export type EngineState = 'open' | 'closed';

export class RemoteEngine {
  private child: EngineChild | undefined;
  private nextId = 1;
  /** global request id → the connection that asked and its own id */
  private routes = new Map<number, { send: (r: Reply) => void; localId: number; owner: Map<number, number> }>();
  private connections = new Set<(r: Reply) => void>();
  private stopping = false;
  private lastRestart = -Infinity;
  state: EngineState = 'closed';
  lastExit: string | undefined;

  constructor(
    private readonly spawn: () => EngineChild,
    private readonly now: () => number = () => performance.now(),
  ) {}

  private owners = new Set<Map<number, number>>();

  /** Ids the relay remembers, across every connection: only calls in flight (tests check that finished calls are forgotten). */
  get remembered(): { routes: number; ids: number } {
    let ids = 0;
    for (const o of this.owners) ids += o.size;
    return { routes: this.routes.size, ids };
  }

  start(): void {
    this.stopping = false;
    const child = this.spawn();
    this.child = child;
    this.state = 'open';
    child.onMessage((m) => this.fromEngine(m as Reply));
    child.onExit((detail) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.state = 'closed';
      this.lastExit = detail;
      this.failPending({ message: `The Tessera engine process stopped (${detail}). Restart it to continue; nothing else was affected.`, code: 'engine-exited' });
      if (!this.stopping) this.broadcastState({ state: 'closed', detail });
    });
    this.broadcastState({ state: 'open' });
  }

  /** Restarts the engine; every pending call fails with `engine-restarted`. Returns why not when rate-limited. */
  restart(): { ok: true } | { ok: false; retryInMs: number } {
    const t = this.now();
    const wait = this.lastRestart + MIN_RESTART_INTERVAL_MS - t;
    if (wait > 0) return { ok: false, retryInMs: Math.ceil(wait) };
    this.lastRestart = t;
    this.halt({ message: 'The Tessera engine was restarted (by a client\'s engine.restart) while this call was running; run it again.', code: 'engine-restarted' });
    this.start();
    return { ok: true };
  }

  stop(): void {
    this.halt({ message: 'The Tessera engine was stopped while this call was running.', code: 'engine-exited' });
  }

  /** Detaches and kills the child, failing the calls it had first (its exit event is then ignored). */
  private halt(error: WireError): void {
    this.stopping = true;
    const child = this.child;
    this.child = undefined;
    this.state = 'closed';
    this.failPending(error);
    child?.kill();
  }

  private failPending(error: WireError): void {
    const routes = [...this.routes];
    this.routes.clear();
    for (const [global, route] of routes) {
      if (route.owner.get(route.localId) === global) route.owner.delete(route.localId);
      route.send({ type: 'error', id: route.localId, error });
    }
  }

  connect(send: (reply: Reply) => void): Connection {
    this.connections.add(send);
    const mine = new Map<number, number>(); // local id → global id, while the call runs
    this.owners.add(mine);
    return {
      handle: (raw) => {
        const problem = checkRequest(raw);
        if (problem) {
          const id = typeof (raw as { id?: unknown })?.id === 'number' ? (raw as { id: number }).id : -1;
          send({ type: 'error', id, error: { message: `Malformed request: ${problem}`, code: 'bad-request' } });
          return;
        }
        const request = raw as Request;
        if (request.type === 'call' && request.method === RESTART_METHOD) {
          const p = request.params;
          if (p !== undefined && (typeof p !== 'object' || p === null || Array.isArray(p) || Object.keys(p).length > 0)) {
            send({ type: 'error', id: request.id, error: { message: `Invalid params for ${RESTART_METHOD}: it takes none ({})`, code: 'bad-request', method: RESTART_METHOD } });
            return;
          }
          const r = this.restart();
          if (r.ok) send({ type: 'result', id: request.id, result: { restarted: true } });
          else send({ type: 'error', id: request.id, error: { message: `The engine was restarted less than ${MIN_RESTART_INTERVAL_MS / 1000} s ago; try again in ${(r.retryInMs / 1000).toFixed(1)} s.`, code: 'rate-limited', method: RESTART_METHOD } });
          return;
        }
        if (!this.child) {
          if (request.type === 'call') send({ type: 'error', id: request.id, error: { message: `The Tessera engine is not running${this.lastExit ? ` (it stopped: ${this.lastExit})` : ''}. Restart it.`, code: 'engine-exited', method: request.method } });
          return;
        }
        if (request.type === 'cancel') {
          const global = mine.get(request.id);
          if (global !== undefined) this.child.postMessage({ type: 'cancel', id: global });
          return;
        }
        const global = this.nextId++;
        const previous = mine.get(request.id);
        if (previous !== undefined) this.routes.delete(previous); // a reused id: the newer call owns it
        mine.set(request.id, global);
        this.routes.set(global, { send, localId: request.id, owner: mine });
        this.child.postMessage({ ...request, id: global });
      },
      close: () => {
        this.connections.delete(send);
        this.owners.delete(mine);
        for (const [, global] of mine) {
          if (this.routes.delete(global)) this.child?.postMessage({ type: 'cancel', id: global });
        }
      },
    };
  }

  private fromEngine(reply: Reply): void {
    if (reply.type === 'event') return this.broadcast(reply);
    const route = this.routes.get(reply.id);
    if (!route) return;
    if (reply.type !== 'progress') {
      this.routes.delete(reply.id);
      if (route.owner.get(route.localId) === reply.id) route.owner.delete(route.localId);
    }
    route.send({ ...reply, id: route.localId });
  }

  /** The engine.state event (declared in engine/features/engine.ts). */
  private broadcastState(data: EventOf<typeof TOPICS.engineState>): void {
    this.broadcast({ type: 'event', topic: TOPICS.engineState satisfies EventName, data });
  }

  private broadcast(reply: Reply): void {
    for (const c of this.connections) c(reply);
  }
}
