// Every capability of the engine, in one list. Add a feature here and its methods (and events)
// become part of the typed API (engine/api.ts), the CLI's engine access and every transport. A
// feature file is named after its methods' prefix: 'lanes.list' lives in features/lanes.ts.
import { calibrationFeature } from './calibration';
import { devicesFeature } from './devices';
import { engineFeature } from './engine';
import { historyFeature } from './history';
import { lanesFeature } from './lanes';
import { liveFeature } from './live';
import { modelsFeature } from './models';
import { policiesFeature } from './policies';
import { profileFeature } from './profile';
import { profilesFeature } from './profiles';
import { runsFeature } from './runs';
import { scheduleFeature } from './schedule';
import { scenariosFeature } from './scenarios';
import { simulateFeature } from './simulate';
import { simulationsFeature } from './simulations';
import { variantsFeature } from './variants';
import { tuneFeature } from './tune';

export const features = [engineFeature, devicesFeature, lanesFeature, profileFeature, profilesFeature, liveFeature, runsFeature, scenariosFeature, policiesFeature, simulateFeature, variantsFeature, tuneFeature, scheduleFeature, simulationsFeature, historyFeature, modelsFeature, calibrationFeature] as const;

type Feature = (typeof features)[number];
type Intersect<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** Every method of every feature, by name. */
export type AllMethods = Intersect<Feature['methods']>;
/** Every event topic of every feature. */
export type AllEvents = Intersect<EventsOf<Feature>>;
type EventsOf<F> = F extends { events: infer E } ? E : never;
