// Every capability of the engine, in one list. Add a feature here and its methods become part of
// the typed API (engine/api.ts), the CLI's engine access and every transport.
import { devicesFeature } from './devices';
import { engineInfoFeature } from './engine-info';

export const features = [engineInfoFeature, devicesFeature];

export const allMethods = {
  ...engineInfoFeature.methods,
  ...devicesFeature.methods,
};
export type AllMethods = typeof allMethods;
