import { z } from 'zod';
import { deviceReport, type DeviceReport } from '../../profiler/devices';
import { method } from '../feature';

let cached: Promise<DeviceReport> | undefined;

export const devicesFeature = {
  name: 'devices',
  methods: {
    'devices.get': method({
      summary: 'Hardware inventory and the ONNX Runtime execution providers, each probed with a real session.',
      params: z.object({ refresh: z.boolean().optional() }).strict(),
      run: async ({ refresh }, ctx): Promise<DeviceReport> => {
        if (refresh || !cached) {
          ctx.progress({ message: 'probing execution providers' });
          cached = deviceReport();
          cached.catch(() => (cached = undefined));
        }
        return cached;
      },
    }),
  },
};
