// The engine: owns every capability and long job. Transports connect to it and exchange protocol
// messages; the engine validates params, runs handlers with progress and cancellation, and turns
// every failure into a WireError with a clear message and its cause.
import { errorCode } from './error-map';
import { EngineError } from './errors';
import type { EngineFeature, EventDef, MethodDef } from './feature';
import type { Reply, Request, WireError } from './protocol';
import { checkRequest } from './protocol';

export interface Connection {
  handle(request: unknown): void;
  close(): void;
}

export class Engine {
  private readonly methods = new Map<string, MethodDef>();
  private readonly topics = new Map<string, EventDef>();
  private readonly subscribers = new Set<(reply: Reply) => void>();

  constructor(features: readonly EngineFeature[]) {
    for (const f of features) {
      for (const [name, def] of Object.entries(f.methods)) {
        if (this.methods.has(name)) throw new Error(`Engine: method ${name} is defined twice`);
        this.methods.set(name, def);
      }
      for (const [topic, def] of Object.entries(f.events ?? {})) {
        if (this.topics.has(topic)) throw new Error(`Engine: event topic ${topic} is declared twice`);
        this.topics.set(topic, def);
      }
    }
  }

  describe(): { method: string; summary: string; job: boolean }[] {
    return [...this.methods].map(([method, d]) => ({ method, summary: d.summary, job: Boolean(d.job) }));
  }

  /** The declared event topics. */
  describeEvents(): { topic: string; summary: string }[] {
    return [...this.topics].map(([topic, d]) => ({ topic, summary: d.summary }));
  }

  /** Publishes an event to every connection; the topic must be declared by a feature. */
  publish(topic: string, data: unknown): void {
    if (!this.topics.has(topic)) throw new Error(`Engine: event topic "${topic}" is not declared by any feature (declared: ${[...this.topics.keys()].join(', ') || 'none'})`);
    for (const s of this.subscribers) s({ type: 'event', topic, data });
  }

  /** Opens a connection; in-flight calls are cancelled when it closes. */
  connect(send: (reply: Reply) => void): Connection {
    const inflight = new Map<number, AbortController>();
    this.subscribers.add(send);
    return {
      handle: (raw) => {
        const problem = checkRequest(raw);
        if (problem) {
          const id = typeof (raw as { id?: unknown })?.id === 'number' ? (raw as { id: number }).id : -1;
          send({ type: 'error', id, error: { message: `Malformed request: ${problem}`, code: 'bad-request' } });
          return;
        }
        const request = raw as Request;
        if (request.type === 'cancel') {
          inflight.get(request.id)?.abort(new EngineError('cancelled by the user', 'cancelled'));
          return;
        }
        const controller = new AbortController();
        inflight.set(request.id, controller);
        this.invoke(request.method, request.params, controller.signal, (progress) => send({ type: 'progress', id: request.id, progress }))
          .then((result) => send({ type: 'result', id: request.id, result }))
          .catch((e) => send({ type: 'error', id: request.id, error: toWireError(e, request.method) }))
          .finally(() => inflight.delete(request.id));
      },
      close: () => {
        this.subscribers.delete(send);
        for (const c of inflight.values()) c.abort(new EngineError('the client disconnected', 'cancelled'));
      },
    };
  }

  /** Calls a method directly (in-process), with validation, progress and cancellation. */
  async invoke(method: string, params: unknown, signal: AbortSignal, onProgress: (p: import('./feature').Progress) => void = () => {}): Promise<unknown> {
    const def = this.methods.get(method);
    if (!def) {
      throw new EngineError(`Unknown method "${method}". Known methods: ${[...this.methods.keys()].join(', ')}`, 'unknown-method');
    }
    const parsed = def.params.safeParse(params ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`).join('; ');
      throw new EngineError(`Invalid params for ${method}: ${issues}`, 'bad-request');
    }
    return def.run(parsed.data, { signal, progress: onProgress, emit: (topic, data) => this.publish(topic, data) });
  }
}

/** Any failure as a WireError: its message, its code (engine/error-map.ts decides it), its cause. */
export function toWireError(e: unknown, method?: string): WireError {
  if (e instanceof Error) return { message: e.message, code: errorCode(e), cause: causeOf(e), method };
  return { message: String(e), code: 'failed', method };
}

function causeOf(e: Error): string | undefined {
  const c = (e as { cause?: unknown }).cause;
  if (c === undefined) return undefined;
  return c instanceof Error ? c.message : String(c);
}
