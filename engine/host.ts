// The engine's own process (Electron's utilityProcess, or a forked Node process): a crash here
// does not take the window down; the main process reports it and can start a new one.
import { ALLOWED_DIRS_ENV, restrictFileAccess } from '../base/files';
import { createEngine } from './local';
import type { Reply } from './protocol';

// A parent serving other machines limits which folders the engine reads (forkEngine's allowedDirs).
const allowed = process.env[ALLOWED_DIRS_ENV];
if (allowed) {
  const dirs: unknown = JSON.parse(allowed);
  if (!Array.isArray(dirs) || !dirs.every((d) => typeof d === 'string')) {
    process.stderr.write(`engine-host: ${ALLOWED_DIRS_ENV} must be a JSON array of folder paths\n`);
    process.exit(2);
  }
  restrictFileAccess(dirs);
}

interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

const engine = createEngine();
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

if (parentPort) {
  const connection = engine.connect((reply: Reply) => parentPort.postMessage(reply));
  parentPort.on('message', (e) => connection.handle(e.data));
} else if (process.send) {
  const send = process.send.bind(process);
  const connection = engine.connect((reply: Reply) => send(reply));
  process.on('message', (m) => connection.handle(m));
  process.on('disconnect', () => process.exit(0));
} else {
  process.stderr.write('engine-host: must be started by Tessera (Electron utilityProcess or a Node fork)\n');
  process.exit(2);
}
