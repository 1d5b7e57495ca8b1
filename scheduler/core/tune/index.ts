// The tuner's pure part: search space (space.ts), objectives and one evaluation (evaluate.ts), the
// optimizer (tpe.ts) and the search with successive halving (search.ts). The Node side, with
// worker threads, profiles and files, is scheduler/tune-run.ts.
export * from './evaluate';
export * from './search';
export * from './miss-cap';
export * from './speed-drift';
export * from './space';
export { suggest, type Assignment, type Observation, type ParamDef, type TpeOptions } from './tpe';
export { laneLayouts, measuredLane } from './layouts';
