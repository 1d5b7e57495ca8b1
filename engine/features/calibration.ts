import { z } from 'zod';
import { defaultLanes, parseLanes } from '../../scheduler/live';
import { ensureCalibration, findCalibration, listCalibrations } from '../../scheduler/live/machine-calibration';
import type { MachineCalibration } from '../../scheduler/core/calibration';
import { EngineError, method } from '../feature';

function lanesOf(text: string | undefined) {
  try {
    return text ? parseLanes(text) : defaultLanes();
  } catch (e) {
    throw new EngineError((e as Error).message, 'bad-request');
  }
}

/** The machine calibration (scheduler/core/calibration.ts): lane-pair interference, dispatch and decision costs, CPU<->CPU copies, background load. */
export const calibrationFeature = {
  name: 'calibration',
  methods: {
    'calibration.run': method({
      summary: 'Measure (or reuse, when fresh) the machine calibration for a set of lanes; stored under TESSERA_HOME/calibration.',
      params: z
        .object({
          /** Lane list as `run` takes it (default: the live default lanes). */
          lanes: z.string().optional(),
          /** Measure again even when a fresh one is stored. */
          refresh: z.boolean().optional(),
        })
        .strict(),
      job: true,
      run: async ({ lanes, refresh }, ctx): Promise<{ calibration: MachineCalibration; reused: boolean; file?: string; reason: string }> =>
        ensureCalibration({ lanes: lanesOf(lanes), refresh, signal: ctx.signal, onProgress: (message) => ctx.progress({ message }) }),
    }),
    'calibration.get': method({
      summary: 'The stored machine calibration a live run on these lanes would use, or why there is none.',
      params: z.object({ lanes: z.string().optional() }).strict(),
      run: async ({ lanes }): Promise<{ calibration?: MachineCalibration; reason: string; stored: number }> => ({ ...(await findCalibration(lanesOf(lanes).map((l) => l.id))), stored: listCalibrations().length }),
    }),
  },
};
