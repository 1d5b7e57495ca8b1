// The pure scheduler core: types, policies, prediction, simulator, metrics, traces, comparison.
export * from './types';
export * from './policies';
export { PredictionModel } from './predict';
export { simulate, type SimOptions, type SimResult, type Slice, type LaneUsage } from './simulator';
export { JobBook, Job, InvalidDecisionError, countDrops, describeDrops, DROP_REASONS, DROP_REASON_TEXT, type DropReason, type DropCounts, type JobRecord, type JobBookOptions, type JobBookHooks } from './jobs';
export * from './metrics';
export { chromeTrace, slicesCsv, jobsCsv, type ChromeTrace, type TraceEvent } from './trace';
export { comparePolicies, runOne, metricsOf, stat, type Comparison, type PolicySummary, type Stat, type CompareOptions } from './compare';
export { syntheticWorkload, XR_SCENARIOS, XR_MODELS, type SyntheticOptions } from './synthetic';
export { validateWorkload } from './workload';
export { groupWorkload, groupRanges, withGranularity, type Granularity } from './groups';
export { rng, hashUniform, hashGaussian } from './rng';
export { SALT, frameRelease, cascadeFires, frameFactor, layerFactor } from './arrivals';
export { describeWorkload, type WorkloadSummary } from './workload';
