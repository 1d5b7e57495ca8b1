// The Models & profiles view. Not built yet: says so and names the CLI command.
import { pendingView } from './pending';

export const profilesView = pendingView('profiles', 'Models & profiles', 'tessera profile MODEL --json');
