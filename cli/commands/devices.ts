import type { CliCommand } from '../command';
import { localClient } from '../../engine/local';
import { describeAdapter } from '../../profiler/gpu/adapter';

export const devicesCommand: CliCommand = {
  name: 'devices',
  summary: 'List the hardware and each ONNX Runtime execution provider (probed with a real session).',
  usage: 'tessera devices [--software-gpu] [--json]',
  options: { 'software-gpu': { type: 'boolean' } },
  async run(ctx) {
    const { client, close } = localClient();
    try {
      const softwareGpu = ctx.values['software-gpu'] === true;
      ctx.stderr(`probing execution providers${softwareGpu ? ' and the software GPU (webgpu:sw)' : ''}...\n`);
      const report = await client.call('devices.get', { softwareGpu });
      if (ctx.json) {
        ctx.stdout(JSON.stringify(report, null, 2) + '\n');
        return 0;
      }
      const h = report.hardware;
      ctx.stdout(`CPU     ${h.cpu.brand} (${h.cpu.physicalCores} cores, ${h.cpu.cores} threads, ${h.cpu.arch})\n`);
      ctx.stdout(`Memory  ${h.memory.totalGiB} GiB (${h.memory.availableGiB} GiB available)\n`);
      ctx.stdout(`GPUs    ${h.gpus.length ? h.gpus.map((g) => `${g.vendor} ${g.model}`).join('; ') : 'none found'}\n`);
      ctx.stdout(`OS      ${h.os.distro} ${h.os.release} (${h.os.platform}, kernel ${h.os.kernel})\n`);
      ctx.stdout(`Battery ${h.battery.present ? `${h.battery.percent}%${h.battery.charging ? ', charging' : ''}` : 'none'}\n`);
      ctx.stdout(`ONNX Runtime ${report.ortVersion}\n\nAccelerators:\n`);
      for (const a of report.accelerators) {
        ctx.stdout(`  ${a.available ? 'OK ' : 'n/a'} ${a.id.padEnd(10)} ${a.available ? `probe ${a.probeMs} ms` : a.reason}\n`);
        if (a.adapter) ctx.stdout(`      adapter ${describeAdapter(a.adapter)}\n`);
        else if (a.adapterNote) ctx.stdout(`      ${a.adapterNote}\n`);
      }
      if (report.accelerators.some((a) => a.adapter?.software)) ctx.stdout('\nSOFTWARE adapters run on the CPU: use them to exercise GPU code paths, never as GPU performance figures.\n');
      if (!softwareGpu) ctx.stdout('\n(--software-gpu also probes webgpu:sw, a software Vulkan driver for tests and demos)\n');
      return 0;
    } finally {
      close();
    }
  },
};
