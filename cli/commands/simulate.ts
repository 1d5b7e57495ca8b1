// `tessera simulate SCENARIO [--profile P,...] [--policies a,b,...|all] [--seeds 5] [--duration 10s] ...`:
// compares scheduling policies in the discrete-event simulator through the engine's simulate.compare
// (the same job the app's Simulate view runs): every metric per policy, with the spread over seeds;
// optionally a Perfetto trace (or CSV) of one run (simulate.trace).
import { writeFileSync } from 'node:fs';
import { ApiCallError } from '../../engine/client';
import { localClient } from '../../engine/local';
import type { ResultOf } from '../../engine/api';
import { optionalNumber, parseChoice, parseGranularityOption, parseDuration, parseList, parseNonEmptyList, parseNumber } from '../args';
import { UsageError, type CliCommand } from '../command';
import type { Comparison } from '../../scheduler/core/compare';
import { policyNames } from '../../scheduler/core/policies';
import { XR_SCENARIOS } from '../../scheduler/core/synthetic';
import { formatVariantUse } from '../../scheduler/core/variant-use';

export { policiesCommand } from './policies';


const f = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : '-');

export function formatComparison(c: Comparison): string {
  const out: string[] = [];
  out.push(`Workload: ${c.workload}`);
  out.push(`Latencies: ${c.latencySource.kind}: ${c.latencySource.kind === 'measured' ? c.latencySource.profileId : c.latencySource.detail}`);
  out.push(`Energy: ${c.energySource.kind}: ${c.energySource.detail}`);
  out.push(`${c.uxcostDefinition} (E_ref = ${f(c.referenceJoules, 1)} J)`);
  out.push(`Seeds: ${c.seeds.join(', ')}; values are mean [min-max] over seeds`);
  out.push('');
  const head = ['policy', 'miss rate', 'drops', 'ANTT', 'p95 ms', 'energy J', 'J/frame', 'avg W', 'UXCost', 'XRBench', 'SLO tenants', 'SLO windows'];
  const rows = c.rows.map((r) => [
    r.policy,
    `${f(r.missRate.mean, 3)} [${f(r.missRate.min, 3)}-${f(r.missRate.max, 3)}]`,
    f(r.dropRate.mean, 3),
    f(r.antt.mean, 2),
    f(r.p95LatencyMs.mean, 1),
    f(r.energyJ.mean, 1),
    f(r.energyPerFrameJ.mean, 3),
    f(r.averageWatts.mean, 1),
    `${f(r.uxcost.mean, 4)} ±${f(r.uxcost.sd, 4)}`,
    f(r.xrbench.mean, 3),
    f(r.sloTenants.mean, 2),
    f(r.sloWindows.mean, 2),
  ]);
  out.push(...table(head, rows));
  for (const r of c.rows) for (const w of r.warnings ?? []) out.push(`! ${r.policy}: ${w}`);
  out.push('');
  out.push('Miss rate per tenant (mean over seeds):');
  const tenants = c.rows[0]?.perTenant.map((t) => t.tenant) ?? [];
  out.push(...table(['policy', ...tenants], c.rows.map((r) => [r.policy, ...r.perTenant.map((t) => f(t.missRate.mean, 3))])));
  const states = c.rows.filter((r) => r.policyState && Object.keys(r.policyState).length);
  if (states.length) {
    out.push('');
    out.push('Policy state at the end of the last seed:');
    for (const r of states) out.push(`  ${r.policy}: ${Object.entries(r.policyState!).map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(3)}`).join(' ')}`);
  }
  for (const r of c.rows) {
    if (!r.variantUse?.some((u) => Object.keys(u.runs).length > 1)) continue;
    out.push('');
    out.push(`${r.policy}: ${formatVariantUse(r.variantUse).join('\n').replace(/^Layer variants/, 'layer variants')}`);
  }
  return out.join('\n') + '\n';
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), ...rows.map(line)];
}

export const simulateCommand: CliCommand = {
  name: 'simulate',
  summary: 'Compare scheduling policies on a scenario in the discrete-event simulator (every metric, spread over seeds; optional Perfetto trace).',
  usage:
    'tessera simulate SCENARIO [--profile ID,ID,...] [--lanes cpu:1,cpu:1] [--policies fcfs,edf,dream,...|all] [--seeds 5] [--seed 1] [--duration 10s]\n' +
    '                 [--load X | auto | --scale S] [--no-variants] [--calibrated]\n' +
    '                 [--noise 0.1] [--job-noise 0.1] [--granularity layer|group:K|model] [--drop-late] [--window 1]\n' +
    '                 [--trace out.json|out.csv] [--trace-policy P] [--json]\n' +
    `  SCENARIO: synthetic:<${Object.keys(XR_SCENARIOS).join('|')}>[:balanced|:skewed] (generated latency tables, labelled synthetic),\n` +
    '            or a library scenario / scenario file with --profile: the stored profiles of its models (measured latencies)\n' +
    '  --granularity: what one dispatch runs: every layer (default), groups of K consecutive layers (group:4), or the whole model; --preemption layer|model is the older spelling\n' +
    '  --calibrated: apply the stored machine calibration of the lanes (tessera calibrate): lane interference, dispatch cost, CPU<->CPU copies\n' +
    '  --load X: utilisation of the busiest lane (every layer on its fastest lane) the rates are scaled to; --load auto: the load at which the policies differ most (short probes first); --scale S: rates x S',
  options: {
    profile: { type: 'string' },
    lanes: { type: 'string' },
    scale: { type: 'string' },
    policies: { type: 'string', default: 'all' },
    seeds: { type: 'string', default: '5' },
    seed: { type: 'string', default: '1' },
    duration: { type: 'string', default: '10s' },
    load: { type: 'string' },
    'no-variants': { type: 'boolean' },
    calibrated: { type: 'boolean' },
    noise: { type: 'string', default: '0.1' },
    'job-noise': { type: 'string', default: '0.1' },
    preemption: { type: 'string', default: 'layer' },
    granularity: { type: 'string' },
    'drop-late': { type: 'boolean' },
    window: { type: 'string', default: '1' },
    trace: { type: 'string' },
    'trace-policy': { type: 'string' },
  },
  async run(ctx) {
    const v = ctx.values;
    const ref = ctx.positionals[0];
    if (!ref) throw new UsageError('give a scenario, e.g. synthetic:vr_gaming, synthetic:ar_gaming:skewed, or xrbench/vr_gaming --profile ID,ID,...');
    const known = policyNames();
    const policies = v.policies === 'all' ? known : (parseList(v.policies) ?? []);
    for (const p of policies) if (!known.includes(p)) throw new UsageError(`unknown policy "${p}"; known policies: ${known.join(', ')}`);
    if (policies.length === 0) throw new UsageError('--policies: give at least one policy');
    const sim = {
      scenario: ref,
      profiles: parseList(v.profile),
      lanes: parseNonEmptyList(v.lanes, '--lanes', 'cpu:1,cpu:1'),
      load: v.load === 'auto' ? undefined : optionalNumber(v.load, '--load'),
      scale: optionalNumber(v.scale, '--scale'),
      variants: !v['no-variants'],
      ...(v.calibrated ? { machineCalibration: true } : {}),
      durationSec: parseDuration(v.duration),
      latencyNoise: parseNumber(v.noise, '--noise', { minInclusive: true }),
      jobNoise: parseNumber(v['job-noise'], '--job-noise', { minInclusive: true }),
      preemption: parseChoice(v.preemption, '--preemption', ['layer', 'model'] as const),
      ...(v.granularity !== undefined ? { granularity: parseGranularityOption(v.granularity, '--granularity') } : {}),
      dropLate: !!v['drop-late'],
      window: parseNumber(v.window, '--window'),
    };
    const seeds = parseNumber(v.seeds, '--seeds', { integer: true, min: 1, minInclusive: true, max: 1000 });
    const seed = parseNumber(v.seed, '--seed', { integer: true, minInclusive: true });
    const tracePolicy = v.trace ? ((v['trace-policy'] as string | undefined) ?? (policies.includes('dream') ? 'dream' : policies[0])) : undefined;
    if (tracePolicy && !known.includes(tracePolicy)) throw new UsageError(`--trace-policy: unknown policy "${tracePolicy}"`);

    const tty = Boolean(process.stderr.isTTY);
    const { client, close } = localClient();
    try {
      let found: ResultOf<'simulate.findLoad'> | undefined;
      if (v.load === 'auto') {
        if (policies.length < 2) throw new UsageError('--load auto needs at least two policies to separate');
        ctx.stderr(`finding a load at which the policies differ (${policies.length} policies x 10 loads, one seed each)\n`);
        found = await client.call('simulate.findLoad', { ...sim, policies, seed }, { signal: ctx.signal, onProgress: (p) => tty && ctx.stderr(`\r\x1b[2K  ${p.message}`) });
        sim.load = found.load;
        ctx.stderr(`${tty ? '\r\x1b[2K' : ''}  load ${found.load}: ${found.reason}\n  (${found.meaning})\n`);
      }
      ctx.stderr(`simulating ${ref}: ${policies.length} policies x ${seeds} seeds x ${sim.durationSec} s\n`);
      const result = await client.call('simulate.compare', { ...sim, policies, seeds, seed, timelineSlices: 1 }, {
        signal: ctx.signal,
        // A redrawn progress line on a terminal; nothing in between when stderr is a file or a pipe.
        onProgress: (p) => tty && ctx.stderr(`\r\x1b[2K  ${p.message}`),
      });
      const c = result.comparison;
      ctx.stderr(`${tty ? '\r\x1b[2K' : ''}  ${c.seeds.length * c.rows.length} runs in ${result.elapsedSec.toFixed(2)} s (latencies: ${c.latencySource.kind})\n`);
      ctx.stderr(`  lane utilisation with every layer on its fastest lane (ties go to the first of identical lanes): ${Object.entries(result.summary.favouriteUtilisation).map(([k, x]) => `${k} ${x.toFixed(2)}`).join(', ')}\n`);

      ctx.stderr(result.savedId ? `  stored as simulation ${result.savedId} (\`tessera simulations show ${result.savedId}\`)\n` : `  ! not stored: ${result.saveError ?? 'unknown reason'}\n`);

      let trace: { path: string; policy: string; seed: number } | undefined;
      if (v.trace && tracePolicy) {
        const path = String(v.trace);
        const csv = path.endsWith('.csv');
        const t = await client.call('simulate.trace', { ...sim, policy: tracePolicy, seed, format: csv ? 'csv' : 'json' });
        writeFileSync(path, t.content);
        if (csv && t.jobsCsv !== undefined) writeFileSync(path.replace(/\.csv$/, '.jobs.csv'), t.jobsCsv);
        ctx.stderr(csv ? `slices of ${tracePolicy} (seed ${seed}) written to ${path}, jobs to ${path.replace(/\.csv$/, '.jobs.csv')}\n` : `trace of ${tracePolicy} (seed ${seed}) written to ${path}: open it in https://ui.perfetto.dev\n`);
        trace = { path, policy: tracePolicy, seed };
      }
      if (ctx.json) {
        ctx.stdout(JSON.stringify({ scenario: ref, summary: result.summary, lanes: result.lanes, ...c, trace, ...(found ? { loadSearch: found } : {}), savedId: result.savedId, ...(result.saveError ? { saveError: result.saveError } : {}) }, null, 2) + '\n');
        return 0;
      }
      ctx.stdout(formatComparison(c));
      if (trace) ctx.stdout(`\nTrace: ${trace.path} (${trace.policy}, seed ${trace.seed})\n`);
      return 0;
    } catch (e) {
      if (e instanceof ApiCallError && (e.code === 'bad-scenario' || e.code === 'bad-request')) throw new UsageError(e.message);
      if (e instanceof ApiCallError && e.code === 'cancelled') return 130;
      throw e;
    } finally {
      close();
    }
  },
};
