// `tessera bench dysta DIR`: Dysta's public simulator's eleven schedulers on a parity folder.
import { parseList, parseNumberList } from '../args';
import { UsageError, type CliCommand } from '../command';
import { DYSTA_COMPATS, DYSTA_POLICY_MAP, DYSTA_SCHEDULERS, isDystaScheduler, type DystaCompat } from '../../scheduler/core/dysta';
import { DEFAULT_SLOS, runDystaBench, type DystaBenchResult } from '../../scheduler/dysta-bench';


const fmt = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

function table(result: DystaBenchResult): string {
  const withCompat = result.compats.length > 1;
  const withTessera = result.rows.some((r) => r.tessera);
  const head = [['rate', 6], ['slo', 5], ['scheduler', -14], ...(withCompat ? [['compat', -16]] : []), ['viol.rate', 9], ['ANTT', 9], ['STP', 9],
    ...(withTessera ? [['Tessera', -13], ['viol.rate', 9], ['ANTT', 9], ['exact', 6]] : [])] as [string, number][];
  const cell = (s: string, w: number) => (w < 0 ? s.padEnd(-w) : s.padStart(w));
  const lines = [head.map(([h, w]) => cell(h, w)).join(' ')];
  for (const r of result.rows) {
    const t = r.tessera;
    const cells = [String(r.rate), String(r.slo), r.scheduler, ...(withCompat ? [r.compat] : []), fmt(r.violationRate, 4), fmt(r.antt, 3), fmt(r.stp, 3),
      ...(withTessera ? (t ? [t.policy, fmt(t.violationRate, 4), fmt(t.antt, 3), `${t.seedsMatching}/${r.seeds.length}`] : ['-', '', '', '']) : [])];
    lines.push(cells.map((c, i) => cell(c, head[i][1])).join(' '));
  }
  if (withTessera) {
    lines.push('Tessera: its own policy in the main simulator (one lane, layer preemption); exact = seeds where every task finished at the');
    lines.push('reference rules\' time on a monotonic clock (the reference rewinds its clock when idle). Deliberate differences:');
    for (const p of DYSTA_POLICY_MAP) if (p.difference && result.rows.some((r) => r.tessera?.policy === p.policy)) lines.push(`  ${p.policy}: ${p.difference}`);
  }
  return lines.join('\n') + '\n';
}

function parityLine(result: DystaBenchResult): string | undefined {
  const p = result.parity;
  if (!p) return undefined;
  const parts = [`${p.tasksMatched}/${p.tasks.length} reference task files match (finish times at 1e-9 s, violated flags)`];
  if (p.perSeedCompared) parts.push(`${p.perSeedMatched}/${p.perSeedCompared} per-seed metrics`);
  if (p.summaryCompared) parts.push(`${p.summaryMatched}/${p.summaryCompared} summary rows`);
  return `parity with the reference outputs: ${parts.join(', ')}${p.mismatches.length ? `\n  ${p.mismatches.slice(0, 10).join('\n  ')}` : ''}`;
}

export const benchDystaCommand: CliCommand = {
  name: 'bench dysta',
  summary: "Replay a Dysta parity folder through the eleven reference schedulers (Dysta's simulator rules).",
  usage: [
    'tessera bench dysta DIR [--seeds 1,2,3] [--rates 3,4] [--slos 10,25,50] [--schedulers fcfs,sjf,...]',
    '                        [--compat dysta-reference|tessera|both] [--tessera-policies] [--out DIR] [--json]',
    '',
    `  DIR            a folder with lut.json and requests_seed{S}_rate{R}.csv (e.g. ../shared/dysta-parity/cnn_rates3-4)`,
    `  --seeds        default: every seed in DIR`,
    `  --rates        default: every rate in DIR`,
    `  --slos         any positive SLO multipliers (deadline = arrival + target_lat_base x SLO),`,
    `                 e.g. 2.5,10,300; default ${DEFAULT_SLOS.join(',')} (the reference's set)`,
    `  --schedulers   default: all of ${DYSTA_SCHEDULERS.join(',')}`,
    `  --compat       dysta-reference (default) keeps the reference's quirks (unclamped SDRM3 urgency,`,
    `                 prema_sparse using the last task's g); tessera fixes them; both reports both`,
    `  --out          write tasks_seed{S}_rate{R}_slo{X}_{scheduler}.csv (reference format) there`,
    `  --tessera-policies  also run Tessera's own policy for each scheduler that has one`,
    `                 (${DYSTA_POLICY_MAP.map((p) => p.policy).join(', ')}) in the main simulator, one lane,`,
    `                 and report its metrics and whether it finishes every task exactly as the reference rules do`,
  ].join('\n'),
  options: {
    seeds: { type: 'string' },
    rates: { type: 'string' },
    slos: { type: 'string' },
    schedulers: { type: 'string' },
    compat: { type: 'string', default: 'dysta-reference' },
    out: { type: 'string' },
    'tessera-policies': { type: 'boolean', default: false },
  },
  async run(ctx) {
    const dir = ctx.positionals[0];
    if (!dir) throw new UsageError('give the parity folder, e.g. ../shared/dysta-parity/cnn_rates3-4');
    if (ctx.positionals.length > 1) throw new UsageError(`one folder at a time (got ${ctx.positionals.join(' ')})`);
    const compatArg = String(ctx.values.compat);
    const compats: DystaCompat[] = compatArg === 'both' ? [...DYSTA_COMPATS] : (DYSTA_COMPATS as readonly string[]).includes(compatArg) ? [compatArg as DystaCompat] : [];
    if (compats.length === 0) throw new UsageError(`--compat must be dysta-reference, tessera or both (got ${compatArg})`);
    const schedulers = parseList(ctx.values.schedulers);
    for (const s of schedulers ?? []) if (!isDystaScheduler(s)) throw new UsageError(`--schedulers: unknown scheduler "${s}" (known: ${DYSTA_SCHEDULERS.join(', ')})`);
    let lastPct = -1;
    const result = runDystaBench(dir, {
      seeds: parseNumberList(ctx.values.seeds, '--seeds', { integer: true }),
      rates: parseNumberList(ctx.values.rates, '--rates'),
      slos: parseNumberList(ctx.values.slos, '--slos'),
      schedulers,
      compats,
      outDir: ctx.values.out as string | undefined,
      tessera: Boolean(ctx.values['tessera-policies']),
      signal: ctx.signal,
      onProgress: (done, total) => {
        const pct = Math.floor((100 * done) / total);
        if (pct !== lastPct && pct % 10 === 0) ctx.stderr(`\rbench dysta: ${pct}% (${done}/${total} runs)`);
        lastPct = pct;
      },
    });
    ctx.stderr(`\rbench dysta: ${result.rows.length} rows (${result.seeds.length} seeds each) in ${(result.wallMs / 1000).toFixed(2)} s${result.files.length ? `, wrote ${result.files.length} files to ${String(ctx.values.out)}` : ''}\n`);
    const parity = parityLine(result);
    const parityFailed = Boolean(result.parity?.mismatches.length);
    if (ctx.json) {
      const { parity: p, ...rest } = result;
      const json = {
        ...rest,
        parity: p && {
          tasksMatched: p.tasksMatched,
          tasksCompared: p.tasks.length,
          perSeedMatched: p.perSeedMatched,
          perSeedCompared: p.perSeedCompared,
          summaryMatched: p.summaryMatched,
          summaryCompared: p.summaryCompared,
          worstMetricRelDiff: p.worstMetricRelDiff,
          worstFinishDiff: Math.max(0, ...p.tasks.map((t) => t.comparison.worstFinishDiff)),
          mismatches: p.mismatches,
        },
      };
      ctx.stdout(JSON.stringify(json, null, 2) + '\n');
      if (parity) ctx.stderr(parity + '\n');
    } else {
      ctx.stdout(table(result));
      if (parity) ctx.stdout(parity + '\n');
    }
    // A folder with reference outputs that we fail to reproduce is a failure, not a table.
    return parityFailed ? 1 : 0;
  },
};
