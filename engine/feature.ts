// How a capability plugs into the engine. Each feature (engine/features/*.ts) declares its methods
// with a zod schema for the params (every transport validates payloads with it) and a handler.
// Handlers marked `job: true` are long jobs: the engine returns a job id at once, streams progress
// as events and supports cancellation through ctx.signal.
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
  /** Publishes an event on a topic (e.g. live telemetry); subscribers receive `data`. */
  emit(topic: string, data: unknown): void;
}

/** A method: its params schema S (callers send z.input<S>; run gets the parsed z.output<S>, defaults applied). */
export interface MethodDef<S extends z.ZodType = z.ZodType, R = any> {
  summary: string;
  params: S;
  job?: boolean;
  run(params: z.output<S>, ctx: CallContext): Promise<R>;
}

export interface EngineFeature {
  name: string;
  methods: Record<string, MethodDef>;
}

/** Helper that keeps a method's param and result types tied together. */
export function method<S extends z.ZodType, R>(def: MethodDef<S, R>): MethodDef<S, R> {
  return def;
}

/** An error for the user: a clear message, a machine code, and the underlying cause. */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly code: string = 'failed',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
