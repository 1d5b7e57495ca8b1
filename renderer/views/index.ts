// The app's views in navigation order. Each view lives in its own module.
import { devicesView } from './devices';
import { profilesView } from './profiles';
import { scenariosView } from './scenarios';
import { simulateView } from './simulate';
import { liveView } from './live';
import { tuneView } from './tune';
import { exportView } from './export';
import { historyView } from './history';
import type { View } from './view';

export const views: View[] = [devicesView, profilesView, scenariosView, simulateView, liveView, tuneView, historyView, exportView];
