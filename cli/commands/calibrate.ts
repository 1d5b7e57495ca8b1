// `tessera calibrate [--lanes cpu:1,cpu:1] [--refresh] [--json]`: the machine calibration the live
// predictor and the simulator apply (lane-pair interference, dispatch and decision costs, CPU<->CPU
// copies by size, background load), measured or reused when fresh, stored under TESSERA_HOME/calibration.
import { localClient } from '../../engine/local';
import { parseNonEmptyList } from '../args';
import type { CliCommand } from '../command';

export const calibrateCommand: CliCommand = {
  name: 'calibrate',
  summary: 'Measure this machine\'s lane interference, dispatch and decision costs, CPU<->CPU copies and background load (reused while fresh).',
  usage: 'tessera calibrate [--lanes cpu:1,cpu:1] [--refresh] [--json]',
  options: { lanes: { type: 'string' }, refresh: { type: 'boolean' } },
  async run(ctx) {
    const { client, close } = localClient();
    try {
      const r = await client.call('calibration.run', { lanes: parseNonEmptyList(ctx.values.lanes, '--lanes', 'cpu:1,cpu:1')?.join(','), refresh: ctx.values.refresh === true }, { signal: ctx.signal, onProgress: (p) => ctx.stderr(`${p.message}\n`) });
      if (ctx.json) {
        ctx.stdout(JSON.stringify(r, null, 2) + '\n');
        return 0;
      }
      const c = r.calibration;
      const out: string[] = [];
      out.push(`Machine calibration ${c.key}: ${r.reused ? 'reused' : 'measured'} (${r.reason}); ${c.createdAt}, took ${c.tookSec.toFixed(1)} s${r.file ? `, stored in ${r.file}` : ''}`);
      out.push(`Machine: ${c.fingerprint.cpu}, ${c.fingerprint.cores} cores, ${c.fingerprint.hostname}; Node ${c.fingerprint.node}, ONNX Runtime ${c.fingerprint.ort}`);
      out.push(`Background at calibration: load average ${c.background.loadavg1.toFixed(2)}, other processes busy ${Number.isFinite(c.background.othersBusyCores) ? c.background.othersBusyCores.toFixed(2) : '?'} of ${c.background.cores} cores`);
      out.push(`Interference (kernels: ${c.kernels}):`);
      for (const p of c.interference) out.push(`  ${p.lane.padEnd(10)} with ${p.with.padEnd(10)} busy: ${p.soloMs.toFixed(2)} ms alone -> ${p.contendedMs.toFixed(2)} ms (x${p.slowdown.toFixed(2)})`);
      out.push('Dispatch cost beyond session.run:');
      for (const d of c.dispatch) out.push(`  ${d.lane.padEnd(10)} ${d.idleUs.toFixed(0)} µs other lanes idle, ${d.contendedUs.toFixed(0)} µs other lanes busy`);
      out.push(`Decision + book-keeping per layer dispatch (simulator loop): ${Object.entries(c.decisionUs).map(([k, v]) => `${k} ${v.toFixed(1)} µs`).join(', ')}`);
      // Above 100 GB/s the payload's cost is below the noise: the runtime transfers buffers rather than copying them.
      const rate = c.copies.bytesPerSec > 1e11 ? 'no measurable cost per byte' : `${(c.copies.bytesPerSec / 1e9).toFixed(2)} GB/s`;
      out.push(`CPU<->CPU copies, per hop (a move between lanes is two): ${c.copies.latencyUs.toFixed(0)} µs + ${rate} (${c.copies.points.map((p) => `${(p.bytes / 1024).toFixed(0)} KiB ${p.oneWayUs.toFixed(0)} µs`).join(', ')})`);
      ctx.stdout(out.join('\n') + '\n');
      return 0;
    } finally {
      close();
    }
  },
};
