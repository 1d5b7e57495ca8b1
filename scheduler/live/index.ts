// The live runtime's entry points (Node layer: used by the engine feature, the CLI and the bench).
export { LiveRun, buildWorkload, type LiveHooks, type LiveJobRecord, type LiveResult, type LiveSlice } from './runtime';
export { LiveSetupError } from './models';
export { parseLanes, defaultLanes } from './lanes';
export { demoScenario, demoModel } from './demo';
export { fromScenario, loadLiveScenario } from './scenario';
export type * from './types';
