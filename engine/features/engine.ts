// The engine itself: its version and process facts, and the engine.state event (the engine process
// started or stopped, published by engine/remote.ts).
import { z } from 'zod';
import * as ort from 'onnxruntime-node';
import { TESSERA_VERSION } from '../../base/version';
import { event, method } from '../feature';

/** The engine process started or stopped (published by engine/remote.ts to every connection). */
export interface EngineStateEvent {
  state: 'open' | 'closed';
  /** Why it stopped (exit code or signal). */
  detail?: string;
}

export const engineFeature = {
  name: 'engine',
  events: {
    'engine.state': event<EngineStateEvent>('The engine process started (open) or stopped (closed, with the exit detail).'),
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
      }),
    }),
  },
};
