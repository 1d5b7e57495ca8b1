import { z } from 'zod';
import * as ort from 'onnxruntime-node';
import { method } from '../feature';

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
  },
};
