import { UsageError, type CliCommand } from '../command';
import { DYSTA_SCHEDULERS, type DystaScheduler } from '../../scheduler/core/dysta/reference';
import { runDystaBench } from '../../scheduler/dysta-bench';

const list = (v: unknown) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);
const numbers = (v: unknown, flag: string) =>
  list(v)?.map((s) => {
    const n = Number(s);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag}: "${s}" is not a positive number`);
    return n;
  });

export const benchDystaCommand: CliCommand = {
  name: 'bench dysta',
  summary: "Replay a Dysta parity folder through the eleven reference schedulers (Dysta's simulator rules).",
  usage: `tessera bench dysta DIR [--seeds 1,2,3] [--rates 3,4] [--slos 10,25,50,75,100,150] [--schedulers ${DYSTA_SCHEDULERS.slice(0, 3).join(',')},...] [--compat reference|tessera] [--out DIR] [--json]`,
  options: {
    seeds: { type: 'string' },
    rates: { type: 'string' },
    slos: { type: 'string' },
    schedulers: { type: 'string' },
    compat: { type: 'string', default: 'reference' },
    out: { type: 'string' },
  },
  async run(ctx) {
    const dir = ctx.positionals[0];
    if (!dir) throw new UsageError('give the parity folder, e.g. ../shared/dysta-parity/cnn_rates3-4');
    const compat = ctx.values.compat as string;
    if (compat !== 'reference' && compat !== 'tessera') throw new UsageError(`--compat must be reference or tessera (got ${compat})`);
    const schedulers = list(ctx.values.schedulers) as DystaScheduler[] | undefined;
    let lastPct = -1;
    const result = runDystaBench(dir, {
      seeds: numbers(ctx.values.seeds, '--seeds'),
      rates: numbers(ctx.values.rates, '--rates'),
      slos: numbers(ctx.values.slos, '--slos'),
      schedulers,
      compat,
      outDir: ctx.values.out as string | undefined,
      signal: ctx.signal,
      onProgress: (done, total) => {
        const pct = Math.floor((100 * done) / total);
        if (pct !== lastPct && pct % 10 === 0) ctx.stderr(`\r${pct}% (${done}/${total} runs)`);
        lastPct = pct;
      },
    });
    ctx.stderr(`\rdone: ${result.rows.length} rows in ${(result.wallMs / 1000).toFixed(2)} s${result.files.length ? `, wrote ${result.files.length} files` : ''}\n`);
    if (ctx.json) {
      ctx.stdout(JSON.stringify({ dir: result.dir, compat, wallMs: result.wallMs, rows: result.rows, files: result.files }, null, 2) + '\n');
      return 0;
    }
    ctx.stdout(`${'rate'.padStart(5)} ${'slo'.padStart(4)} ${'scheduler'.padEnd(14)} ${'viol.rate'.padStart(9)} ${'ANTT'.padStart(8)} ${'STP'.padStart(8)}\n`);
    for (const r of result.rows) {
      ctx.stdout(`${String(r.rate).padStart(5)} ${String(r.slo).padStart(4)} ${r.scheduler.padEnd(14)} ${r.violationRate.toFixed(4).padStart(9)} ${r.antt.toFixed(3).padStart(8)} ${r.stp.toFixed(3).padStart(8)}\n`);
    }
    return 0;
  },
};
