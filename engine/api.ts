// The one typed API of the engine, derived from the features' method definitions so that a method's
// params and result types are written once (in its feature) and checked at every call site.
import type { MethodDef } from './feature';
import type { AllMethods } from './features';

export type MethodName = keyof AllMethods & string;
export type ParamsOf<M extends MethodName> = AllMethods[M] extends MethodDef<infer P, any> ? P : never;
export type ResultOf<M extends MethodName> = AllMethods[M] extends MethodDef<any, infer R> ? R : never;

export type { Progress } from './feature';
export type { Reply, Request, WireError } from './protocol';
