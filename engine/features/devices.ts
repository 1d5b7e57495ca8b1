import { z } from 'zod';
import { deviceReport, type DeviceReport } from '../../profiler/devices';
import { method } from '../feature';

/** One cached report per mode: with and without the software GPU probe. */
const cached = new Map<boolean, Promise<DeviceReport>>();

export const devicesFeature = {
  name: 'devices',
  methods: {
    'devices.get': method({
      summary: 'Hardware inventory and the ONNX Runtime execution providers, each probed with a real session.',
      params: z
        .object({
          refresh: z.boolean().optional(),
          /** Also probe `webgpu:sw`: a software Vulkan driver (SwiftShader) set up in the probe's own process. */
          softwareGpu: z.boolean().optional(),
        })
        .strict(),
      run: async ({ refresh, softwareGpu = false }, ctx): Promise<DeviceReport> => {
        let report = cached.get(softwareGpu);
        if (refresh || !report) {
          ctx.progress({ message: softwareGpu ? 'probing execution providers and the software GPU' : 'probing execution providers' });
          report = deviceReport({ softwareGpu });
          cached.set(softwareGpu, report);
          report.catch(() => cached.delete(softwareGpu));
        }
        return report;
      },
    }),
  },
};
