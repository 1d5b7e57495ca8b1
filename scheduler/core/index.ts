// The pure scheduler core: types, policies, prediction, simulator, metrics, traces, comparison.
export * from './types';
export * from './policies';
export { PredictionModel } from './predict';
export { simulate, type SimOptions, type SimResult, type JobRecord, type Slice, type LaneUsage, type DropReason } from './simulator';
export * from './metrics';
export { chromeTrace, slicesCsv, jobsCsv, type ChromeTrace, type TraceEvent } from './trace';
export { comparePolicies, runOne, metricsOf, stat, type Comparison, type PolicySummary, type Stat, type CompareOptions } from './compare';
export { syntheticWorkload, XR_SCENARIOS, XR_MODELS, type SyntheticOptions } from './synthetic';
export { validateWorkload } from './workload';
export { rng, hashUniform, hashGaussian } from './rng';
export { SALT, frameRelease, cascadeFires, frameFactor, layerFactor } from './arrivals';
export { describeWorkload, type WorkloadSummary } from './workload';
