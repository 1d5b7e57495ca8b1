import type { CliCommand } from '../command';
import { localClient } from '../../engine/local';

export const devicesCommand: CliCommand = {
  name: 'devices',
  summary: 'List the hardware and each ONNX Runtime execution provider (probed with a real session).',
  usage: 'tessera devices [--json]',
  options: {},
  async run(ctx) {
    const { client, close } = localClient();
    try {
      ctx.stderr('probing execution providers...\n');
      const report = await client.call('devices.get', {});
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
      }
      return 0;
    } finally {
      close();
    }
  },
};
