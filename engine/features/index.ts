// Every capability of the engine, in one list. Add a feature here and its methods become part of
// the typed API (engine/api.ts), the CLI's engine access and every transport.
import { devicesFeature } from './devices';
import { engineInfoFeature } from './engine-info';
import { scenariosFeature } from './scenarios';
import { liveFeature } from './live';
import { profileFeature } from './profile';
import { runsFeature } from './runs';
import { simulateFeature } from './simulate';
import { tuneFeature } from './tune';

export const features = [engineInfoFeature, devicesFeature, profileFeature, liveFeature, runsFeature, scenariosFeature, simulateFeature, tuneFeature];

export const allMethods = {
  ...engineInfoFeature.methods,
  ...devicesFeature.methods,
  ...profileFeature.methods,
  ...liveFeature.methods,
  ...runsFeature.methods,
  ...scenariosFeature.methods,
  ...simulateFeature.methods,
  ...tuneFeature.methods,
};
export type AllMethods = typeof allMethods;
