// Starts the engine host (dist/engine-host.cjs) as a forked Node process, for browser mode.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { ALLOWED_DIRS_ENV } from '../base/files';
import { distDir } from '../base/paths';
import { RemoteEngine, type EngineChild } from './remote';

/** allowedDirs: the only folders the engine may read files from (base/files.ts); undefined: no limit. */
export function forkEngine(options: { allowedDirs?: string[] } = {}): RemoteEngine {
  const env = { ...process.env };
  if (options.allowedDirs) env[ALLOWED_DIRS_ENV] = JSON.stringify(options.allowedDirs);
  else delete env[ALLOWED_DIRS_ENV];
  const engine = new RemoteEngine((): EngineChild => {
    const child = fork(join(distDir(), 'engine-host.cjs'), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env });
    return {
      postMessage: (m) => child.connected && child.send(m as object),
      onMessage: (l) => child.on('message', l),
      onExit: (l) => child.on('exit', (code, signal) => l(signal ? `killed by ${signal}` : `exit code ${code}`)),
      kill: () => child.kill('SIGKILL'),
    };
  });
  engine.start();
  return engine;
}
