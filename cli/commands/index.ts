// Every CLI command, in the order `tessera --help` lists them.
import type { CliCommand } from '../command';
import { benchDystaCommand } from './bench-dysta';
import { calibrateCommand } from './calibrate';
import { devicesCommand } from './devices';
import { historyCommand, simulationsCommand } from './history';
import { profileCommand } from './profile';
import { profilesCommand } from './profiles';
import { runCommand } from './run';
import { runsCommand } from './runs';
import { scenarioCommands } from './scenario';
import { modelsCommand } from './models';
import { serveCommand } from './serve';
import { policiesCommand, simulateCommand } from './simulate';
import { variantsCommand } from './variants';
import { replayCommand, scheduleCommand, tuneCommand } from './tune';

export const commands: CliCommand[] = [devicesCommand, profileCommand, profilesCommand, serveCommand, simulateCommand, simulationsCommand, variantsCommand, tuneCommand, scheduleCommand, replayCommand, calibrateCommand, runCommand, runsCommand, historyCommand, ...scenarioCommands, modelsCommand, policiesCommand, benchDystaCommand];
