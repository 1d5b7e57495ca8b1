// The typed client used by the renderer, the CLI and tests. Transport-agnostic: it only needs a way
// to send requests and to receive replies.
import type { ErrorCode } from './errors';
import type { Progress } from './feature';
import type { Reply, Request, WireError } from './protocol';
import type { EventName, EventOf, MethodName, ParamsOf, ResultOf } from './api';

export interface Transport {
  send(request: Request): void;
  onReply(listener: (reply: Reply) => void): void;
}

export class ApiCallError extends Error {
  constructor(readonly wire: WireError) {
    super(wire.message);
  }
  get code(): ErrorCode {
    return this.wire.code;
  }
}

export interface CallOptions {
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onProgress?: (p: Progress) => void;
}

export class EngineClient {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private topics = new Map<string, Set<(data: any) => void>>();

  constructor(private readonly transport: Transport) {
    transport.onReply((reply) => this.dispatch(reply));
  }

  call<M extends MethodName>(method: M, params: ParamsOf<M>, options: CallOptions = {}): Promise<ResultOf<M>> {
    const id = this.nextId++;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      if (options.signal?.aborted) return reject(new ApiCallError({ message: `${method} was cancelled`, code: 'cancelled', method }));
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress: options.onProgress });
      options.signal?.addEventListener('abort', () => this.transport.send({ type: 'cancel', id }), { once: true });
      this.transport.send({ type: 'call', id, method, params });
    });
  }

  /** Subscribes to an event topic a feature declares (checked like a method name; the payload is typed); returns an unsubscribe function. */
  on<E extends EventName>(topic: E, listener: (data: EventOf<E>) => void): () => void {
    let set = this.topics.get(topic);
    if (!set) this.topics.set(topic, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Fails every pending call (e.g. when the engine process died or the socket closed). */
  failAll(error: WireError): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new ApiCallError(error));
    }
  }

  private dispatch(reply: Reply): void {
    if (reply.type === 'event') {
      for (const l of this.topics.get(reply.topic) ?? []) l(reply.data);
      return;
    }
    const p = this.pending.get(reply.id);
    if (!p) return;
    if (reply.type === 'progress') p.onProgress?.(reply.progress);
    else {
      this.pending.delete(reply.id);
      if (reply.type === 'result') p.resolve(reply.result);
      else p.reject(new ApiCallError(reply.error));
    }
  }
}
