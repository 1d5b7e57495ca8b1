// The engine itself: its version and process facts, its restart (answered by engine/remote.ts, the
// relay that owns the engine process), and the engine.state event (the engine process started or
// stopped, published by engine/remote.ts).
import { hostname } from 'node:os';
import { z } from 'zod';
import * as ort from 'onnxruntime-node';
import { TESSERA_VERSION } from '../../base/version';
import { EngineError } from '../errors';
import { event, method } from '../feature';
import { TOPICS } from '../topics';

/** The engine process started or stopped (published by engine/remote.ts to every connection). */
export interface EngineStateEvent {
  state: 'open' | 'closed';
  /** Why it stopped (exit code or signal). */
  detail?: string;
}

export const engineFeature = {
  name: 'engine',
  events: {
    [TOPICS.engineState]: event<EngineStateEvent>('The engine process started (open) or stopped (closed, with the exit detail).'),
  },
  methods: {
    'engine.info': method({
      summary: 'Versions and process facts of the engine.',
      params: z.object({}).strict(),
      run: async () => ({
        tessera: TESSERA_VERSION,
        node: process.versions.node,
        electron: process.versions.electron ?? null,
        ort: ort.env.versions.common,
        pid: process.pid,
        platform: `${process.platform}-${process.arch}`,
        hostname: hostname(),
      }),
    }),
    'engine.restart': method({
      summary: 'Restart the engine process (browser mode and the app; at most once every 2 s). Every pending call of every client fails with engine-restarted.',
      params: z.object({}).strict(),
      // The relay that owns the engine process (engine/remote.ts) answers this call; reaching the
      // engine itself means it runs in the caller's process (CLI, tests) and cannot be restarted.
      run: async (): Promise<{ restarted: boolean }> => {
        throw new EngineError('This engine runs inside the calling process (CLI or tests) and cannot be restarted; restart the process instead.', 'not-supported');
      },
    }),
  },
};
