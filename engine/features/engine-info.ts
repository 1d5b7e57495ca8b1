import { z } from 'zod';
import * as ort from 'onnxruntime-node';
import { EngineError, method } from '../feature';

export const engineInfoFeature = {
  name: 'engine',
  methods: {
    'engine.info': method({
      summary: 'Versions and process facts of the engine.',
      params: z.object({}).strict(),
      run: async () => ({
        tessera: '0.1.0',
        node: process.versions.node,
        electron: process.versions.electron ?? null,
        ort: ort.env.versions.common,
        pid: process.pid,
        platform: `${process.platform}-${process.arch}`,
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
