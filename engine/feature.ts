// How a capability plugs into the engine. Each feature (engine/features/*.ts) declares its methods
// with a zod schema for the params (every transport validates payloads with it) and a handler.
// Handlers marked `job: true` are long jobs: the engine returns a job id at once, streams progress
// as events and supports cancellation through ctx.signal. A feature also declares the event topics
// it publishes, each with its payload type, so subscribers are typed like method calls.
// Error codes and EngineError: engine/errors.ts.
import type { z } from 'zod';

export interface Progress {
  /** 0..1 when known. */
  fraction?: number;
  message: string;
  /** Structured, method-specific detail (e.g. the partial result so far). */
  detail?: unknown;
}

export interface CallContext {
  /** Aborted when the caller cancels the job (or the engine shuts down). */
  signal: AbortSignal;
  progress(p: Progress): void;
  /** Publishes an event on a declared topic; features call it through emitter() to type the payload. */
  emit(topic: string, data: unknown): void;
}

/** A method: its params schema S (callers send z.input<S>; run gets the parsed z.output<S>, defaults applied). */
export interface MethodDef<S extends z.ZodType = z.ZodType, R = any> {
  summary: string;
  params: S;
  job?: boolean;
  run(params: z.output<S>, ctx: CallContext): Promise<R>;
}

/** An event topic: T is the payload type subscribers receive (a type only: nothing is checked at run time). */
export interface EventDef<T = unknown> {
  summary: string;
  /** Never set: carries T for the type-level API (engine/api.ts EventOf). */
  readonly payload?: T;
}

export function event<T>(summary: string): EventDef<T> {
  return { summary };
}

export type PayloadOf<D> = D extends EventDef<infer T> ? T : never;

/** A typed publish for a feature's own events: emitter(events)(ctx, topic, payload). */
export function emitter<E extends Record<string, EventDef<any>>>(_events: E) {
  return <K extends keyof E & string>(ctx: CallContext, topic: K, data: PayloadOf<E[K]>): void => ctx.emit(topic, data);
}

export interface EngineFeature {
  /** The prefix of every method and event topic of the feature, and its file's name (features/<name>.ts). */
  name: string;
  methods: Record<string, MethodDef>;
  events?: Record<string, EventDef>;
}

/** Helper that keeps a method's param and result types tied together. */
export function method<S extends z.ZodType, R>(def: MethodDef<S, R>): MethodDef<S, R> {
  return def;
}

export { EngineError } from './errors';
