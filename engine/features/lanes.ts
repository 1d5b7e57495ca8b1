// This machine's lanes: CPU thread splits and the GPU/NPU execution providers (profiler/measure.ts).
import { z } from 'zod';
import { listLanes } from '../../profiler/measure';
import type { LaneInfo } from '../../profiler/types';
import { method } from '../feature';

export const lanesFeature = {
  name: 'lanes',
  methods: {
    'lanes.list': method({
      summary: 'Lanes this machine offers (CPU thread splits, GPU/NPU execution providers probed in a worker; unavailable ones say why).',
      params: z.object({ probe: z.boolean().optional() }).strict(),
      run: async ({ probe }): Promise<LaneInfo[]> => listLanes({ probe }),
    }),
  },
};
