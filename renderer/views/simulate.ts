// The Simulate view. Not built yet: says so and names the CLI command.
import { pendingView } from './pending';

export const simulateView = pendingView('simulate', 'Simulate', 'tessera simulate SCENARIO');
