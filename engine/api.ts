// The one typed API of the engine, derived from the features' method definitions so that a method's
// params and result types are written once (in its feature) and checked at every call site.
import type { z } from 'zod';
import type { MethodDef } from './feature';
import type { AllMethods } from './features';

export type MethodName = keyof AllMethods & string;
/** What a caller sends: the schema's input type (fields with defaults are optional). */
export type ParamsOf<M extends MethodName> = AllMethods[M] extends MethodDef<infer S, any> ? z.input<S> : never;
export type ResultOf<M extends MethodName> = AllMethods[M] extends MethodDef<any, infer R> ? R : never;

export type { Progress } from './feature';
export type { Reply, Request, WireError } from './protocol';
