// The Scenarios view. Not built yet: says so and names the CLI command.
import { pendingView } from './pending';

export const scenariosView = pendingView('scenarios', 'Scenarios', 'tessera scenario list');
