// An engine running in its own process (Electron's utilityProcess or a Node fork), shared by
// several UI connections. The UI-serving process only relays messages, so a crash or a blocking
// native call in the engine never freezes or kills the window; the engine can be restarted.
import type { EventName, EventOf } from './api';
import type { Connection } from './engine';
import { checkRequest, type Reply, type Request, type WireError } from './protocol';

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
  private routes = new Map<number, { send: (r: Reply) => void; localId: number }>();
  private connections = new Set<(r: Reply) => void>();
  private stopping = false;
  state: EngineState = 'closed';
  lastExit: string | undefined;

  constructor(private readonly spawn: () => EngineChild) {}

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
      const error: WireError = { message: `The Tessera engine process stopped (${detail}). Restart it to continue; nothing else was affected.`, code: 'engine-exited' };
      for (const [, route] of this.routes) route.send({ type: 'error', id: route.localId, error });
      this.routes.clear();
      if (!this.stopping) this.broadcastState({ state: 'closed', detail });
    });
    this.broadcastState({ state: 'open' });
  }

  restart(): void {
    this.stop();
    this.start();
  }

  stop(): void {
    this.stopping = true;
    const child = this.child;
    this.child = undefined;
    this.state = 'closed';
    child?.kill();
  }

  connect(send: (reply: Reply) => void): Connection {
    this.connections.add(send);
    const mine = new Map<number, number>(); // local id → global id
    return {
      handle: (raw) => {
        if ((raw as { type?: unknown })?.type === 'restart-engine') {
          this.restart();
          return;
        }
        const problem = checkRequest(raw);
        if (problem) {
          const id = typeof (raw as { id?: unknown })?.id === 'number' ? (raw as { id: number }).id : -1;
          send({ type: 'error', id, error: { message: `Malformed request: ${problem}`, code: 'bad-request' } });
          return;
        }
        const request = raw as Request;
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
        mine.set(request.id, global);
        this.routes.set(global, { send, localId: request.id });
        this.child.postMessage({ ...request, id: global });
      },
      close: () => {
        this.connections.delete(send);
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
    if (reply.type !== 'progress') this.routes.delete(reply.id);
    route.send({ ...reply, id: route.localId });
  }

  /** The engine.state event (declared in engine/features/engine.ts). */
  private broadcastState(data: EventOf<'engine.state'>): void {
    this.broadcast({ type: 'event', topic: 'engine.state' satisfies EventName, data });
  }

  private broadcast(reply: Reply): void {
    for (const c of this.connections) c(reply);
  }
}
