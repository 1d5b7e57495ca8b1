// Runs work off the calling thread. Two isolation levels:
// - 'thread': a worker_thread (cheap messages; a native crash takes the process down);
// - 'process': a child process (an EP that crashes or hangs kills only the child).
// Inside Electron, worker_threads with native addons are unreliable, so 'thread' falls back to
// 'process' there (ELECTRON_RUN_AS_NODE makes the Electron binary behave as Node).
import { fork, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { workerScript } from './paths';
import { movable } from './transfer';

export type Isolation = 'thread' | 'process';

export interface WorkerHandle {
  readonly isolation: Isolation;
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  onMessage(listener: (message: any) => void): void;
  /** Called once when the worker ends, with a reason when it did not end by terminate(). */
  onExit(listener: (reason: string | undefined) => void): void;
  terminate(): Promise<void>;
  /** The last lines the worker wrote to stderr (process isolation only; native EPs log there). */
  stderrTail(): string;
}

export interface SpawnOptions {
  /** Extra environment for the worker's process (a GPU lane's driver setup). Forces process isolation:
   *  a thread shares its process's environment, and the dynamic loader reads it only at start. */
  env?: Record<string, string>;
  /** Sees each stderr line of a process worker; returning true keeps the line out of stderrTail() (e.g. a driver's own log). */
  stderrLine?: (line: string) => boolean;
}

export function spawnWorker(name: string, isolation: Isolation = 'thread', workerData?: unknown, opts: SpawnOptions = {}): WorkerHandle {
  const script = workerScript(name);
  const effective: Isolation = (isolation === 'thread' && process.versions.electron) || opts.env ? 'process' : isolation;
  return effective === 'thread' ? threadWorker(script, workerData) : processWorker(script, workerData, opts);
}

function threadWorker(script: string, workerData: unknown): WorkerHandle {
  const worker = new Worker(script, { workerData });
  let terminated = false;
  const exitListeners: ((reason: string | undefined) => void)[] = [];
  let lastError: Error | undefined;
  worker.on('error', (e) => (lastError = e));
  worker.on('exit', (code) => {
    const reason = terminated ? undefined : lastError ? lastError.message : `worker exited with code ${code}`;
    for (const l of exitListeners) l(reason);
  });
  return {
    isolation: 'thread',
    post: (m, transfer) => worker.postMessage(m, movable(transfer)),
    onMessage: (l) => worker.on('message', l),
    onExit: (l) => exitListeners.push(l),
    terminate: async () => {
      terminated = true;
      await worker.terminate();
    },
    stderrTail: () => '',
  };
}

function processWorker(script: string, workerData: unknown, opts: SpawnOptions): WorkerHandle {
  const child: ChildProcess = fork(script, [], {
    serialization: 'advanced',
    env: { ...process.env, ...opts.env, ELECTRON_RUN_AS_NODE: '1', TESSERA_WORKER_DATA: JSON.stringify(workerData ?? null) },
    // stderr is captured, not inherited: native EPs print long diagnostics there, which belong in
    // an error's cause (and TESSERA_DEBUG=1 shows them), not on the user's terminal.
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let tail = '';
  let partial = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (process.env.TESSERA_DEBUG) process.stderr.write(chunk);
    if (!opts.stderrLine) {
      tail = (tail + chunk.toString()).slice(-4000);
      return;
    }
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (!opts.stderrLine(line)) tail = (tail + line + '\n').slice(-4000);
  });
  let terminated = false;
  const exitListeners: ((reason: string | undefined) => void)[] = [];
  child.on('exit', (code, signal) => {
    const reason = terminated ? undefined : `worker process exited (${signal ?? `code ${code}`})`;
    for (const l of exitListeners) l(reason);
  });
  return {
    isolation: 'process',
    post: (m) => child.send(m as any),
    onMessage: (l) => child.on('message', l),
    onExit: (l) => exitListeners.push(l),
    terminate: () =>
      new Promise<void>((resolve) => {
        terminated = true;
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
    stderrTail: () => (tail + partial).slice(-4000),
  };
}
