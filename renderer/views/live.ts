// The Live view. Not built yet: says so and names the CLI command.
import { pendingView } from './pending';

export const liveView = pendingView('live', 'Live', 'tessera run SCENARIO');
