// The Export view. Not built yet: says so and names the CLI command.
import { pendingView } from './pending';

export const exportView = pendingView('export', 'Export', 'tessera profiles export');
