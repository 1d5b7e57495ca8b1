// The worker's end of worker-host.ts: the same code runs as a worker_thread or a child process.
import { parentPort, workerData as threadData } from 'node:worker_threads';
import { movable } from './transfer';

export interface WorkerPort {
  data: unknown;
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  onMessage(listener: (message: any) => void): void;
}

export function workerPort(): WorkerPort {
  if (parentPort) {
    const port = parentPort;
    return { data: threadData, post: (m, t) => port.postMessage(m, movable(t)), onMessage: (l) => port.on('message', l) };
  }
  if (process.send) {
    const send = process.send.bind(process);
    return {
      data: JSON.parse(process.env.TESSERA_WORKER_DATA ?? 'null'),
      post: (m) => send(m as any),
      onMessage: (l) => process.on('message', l),
    };
  }
  throw new Error('workerPort(): not running as a worker thread or a forked process');
}
