// The one typed API of the engine, derived from the features' method definitions so that a method's
// params and result types are written once (in its feature) and checked at every call site.
import type { z } from 'zod';
import type { EventDef, MethodDef } from './feature';
import type { AllEvents, AllMethods } from './features';

export type MethodName = keyof AllMethods & string;
/** What a caller sends: the schema's input type (fields with defaults are optional). */
export type ParamsOf<M extends MethodName> = AllMethods[M] extends MethodDef<infer S, any> ? z.input<S> : never;
export type ResultOf<M extends MethodName> = AllMethods[M] extends MethodDef<any, infer R> ? R : never;

/** Event topics, declared by the features like methods; EventOf is a topic's payload. */
export type EventName = keyof AllEvents & string;
export type EventOf<E extends EventName> = AllEvents[E] extends EventDef<infer T> ? T : never;

export { TOPICS } from './topics';
export type { Progress } from './feature';
export type { ErrorCode } from './errors';
export type { Reply, Request, WireError } from './protocol';
