// The app's views in navigation order. Each view lives in its own module.
import { devicesView } from './devices';
import { pendingView } from './pending';
import type { View } from './view';

export const views: View[] = [
  devicesView,
  pendingView('profiles', 'Models & profiles', 'tessera profile MODEL --json'),
  pendingView('scenarios', 'Scenarios', 'tessera scenario list'),
  pendingView('simulate', 'Simulate', 'tessera simulate SCENARIO'),
  pendingView('live', 'Live', 'tessera run SCENARIO'),
  pendingView('export', 'Export', 'tessera profiles export'),
];
