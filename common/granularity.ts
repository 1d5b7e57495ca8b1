// What one dispatch runs, as the simulator, the live runtime, the tuner and schedule files name it:
//   'layer'    every layer separately (the policy picks every layer: preemption at layer boundaries)
//   'group:K'  K consecutive layers at a time (the last group may be shorter): preemption every K layers
//   'model'    the whole model (a started frame keeps its lane)
// 'group:1' runs like 'layer'; 'group:K' with K >= the layer count runs like 'model' on one lane.
// Pure, so the renderer's forms, the CLI and the engine share one grammar.

export type Granularity = 'layer' | 'model' | `group:${number}`;

/** The largest group size accepted (a model with fewer layers is one group). */
export const MAX_GROUP = 9999;

/** Every granularity, as a pattern (schedule files and JSON Schemas carry it). */
export const GRANULARITY_PATTERN = /^(layer|model|group:[1-9][0-9]{0,3})$/;

/** The group size of a granularity: 1 for 'layer', K for 'group:K', undefined for 'model'. */
export function groupSize(g: Granularity): number | undefined {
  if (g === 'layer') return 1;
  if (g === 'model') return undefined;
  return Number(g.slice('group:'.length));
}

/** Why a string is not a granularity (undefined when it is one). */
export function granularityProblem(s: string): string | undefined {
  if (s === 'layer' || s === 'model') return undefined;
  if (!/^group:/.test(s)) return `granularity must be layer, model or group:K (K layers per dispatch, e.g. group:4); got "${s}"`;
  if (!GRANULARITY_PATTERN.test(s)) return `group size must be an integer from 1 to ${MAX_GROUP} without leading zeros; got "${s}"`;
  return undefined;
}

export function isGranularity(s: unknown): s is Granularity {
  return typeof s === 'string' && granularityProblem(s) === undefined;
}

/** Parses a granularity; throws an Error saying what is accepted. */
export function parseGranularity(s: string): Granularity {
  const problem = granularityProblem(s);
  if (problem) throw new Error(problem);
  return s as Granularity;
}

/** In words, e.g. "groups of 4 layers". */
export function describeGranularity(g: Granularity): string {
  const k = groupSize(g);
  if (k === undefined) return 'whole model';
  if (g === 'layer') return 'every layer';
  return `groups of ${k} layer${k === 1 ? '' : 's'}`;
}
