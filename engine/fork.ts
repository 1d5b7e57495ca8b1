// Starts the engine host (dist/engine-host.cjs) as a forked Node process, for browser mode.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { distDir } from '../base/paths';
import { RemoteEngine, type EngineChild } from './remote';

export function forkEngine(): RemoteEngine {
  const engine = new RemoteEngine((): EngineChild => {
    const child = fork(join(distDir(), 'engine-host.cjs'), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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
