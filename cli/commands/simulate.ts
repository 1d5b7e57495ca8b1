// `tessera simulate SCENARIO [--profile P] [--policies a,b,...|all] [--seeds 5] [--duration 10s] ...`:
// compares scheduling policies in the discrete-event simulator: every metric per policy, with the
// spread over seeds; optionally a Perfetto trace (or CSV) of one run.
import { writeFileSync } from 'node:fs';
import { UsageError, type CliCommand } from '../command';
import { comparePolicies, runOne, type Comparison } from '../../scheduler/core/compare';
import { policyNames } from '../../scheduler/core/policies';
import { XR_SCENARIOS, syntheticWorkload } from '../../scheduler/core/synthetic';
import { chromeTrace, jobsCsv, slicesCsv } from '../../scheduler/core/trace';
import type { SimWorkload } from '../../scheduler/core/types';
import { describeWorkload, validateWorkload } from '../../scheduler/core/workload';

export { policiesCommand } from './policies';

export interface LoadOptions {
  /** Load scale (synthetic: utilisation of the busiest lane with every layer on its fastest lane). */
  load?: number;
  variants?: boolean;
}

/**
 * Resolves a scenario (and profile) reference into a SimWorkload. The one function to replace when
 * profile-backed scenarios are wired: today it knows `synthetic:<scenario>[:balanced|:skewed]`
 * (XRBench models and rates with a generated latency table, labelled synthetic).
 */
export function loadSimWorkload(scenarioRef: string, profileRef: string | undefined, options: LoadOptions = {}): SimWorkload {
  const m = /^synthetic:([a-z_]+)(?::(balanced|skewed))?$/.exec(scenarioRef);
  if (!m) {
    throw new UsageError(
      `unknown scenario "${scenarioRef}": this build simulates synthetic:<scenario>[:balanced|:skewed] with <scenario> one of ${Object.keys(XR_SCENARIOS).join(', ')} ` +
        '(XRBench models and rates, generated latency tables labelled synthetic); profile-backed scenarios are not wired yet',
    );
  }
  if (profileRef) throw new UsageError(`--profile ${profileRef}: a synthetic scenario brings its own generated latency table; profiles are not wired into simulate yet`);
  if (!XR_SCENARIOS[m[1]]) throw new UsageError(`unknown synthetic scenario "${m[1]}"; known: ${Object.keys(XR_SCENARIOS).join(', ')}`);
  const skewed = m[2] === 'skewed';
  const load = options.load ?? (skewed ? 1.2 : 0.6);
  if (!(load > 0)) throw new UsageError(`--load must be > 0 (got ${load})`);
  const w = syntheticWorkload({ scenario: m[1], skew: skewed ? 'gpu' : 'balanced', load, variants: options.variants ?? true });
  validateWorkload(w);
  return w;
}

export function parseDuration(v: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(String(v));
  if (!m) throw new UsageError(`--duration must look like 10s, 500ms or 2m (got ${v})`);
  const x = Number(m[1]) * (m[2] === 'ms' ? 1e-3 : m[2] === 'm' ? 60 : 1);
  if (!(x > 0)) throw new UsageError(`--duration must be > 0 (got ${v})`);
  return x;
}

function num(v: unknown, name: string, check: (x: number) => boolean): number {
  const x = Number(v);
  if (!check(x)) throw new UsageError(`--${name}: bad value ${String(v)}`);
  return x;
}

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
    'tessera simulate SCENARIO [--profile P] [--policies fcfs,edf,dream,...|all] [--seeds 5] [--seed 1] [--duration 10s] [--load X] [--no-variants]\n' +
    '                 [--noise 0.1] [--job-noise 0.1] [--preemption layer|model] [--drop-late] [--window 1]\n' +
    '                 [--trace out.json|out.csv] [--trace-policy P] [--json]\n' +
    `  SCENARIO: synthetic:<${Object.keys(XR_SCENARIOS).join('|')}>[:balanced|:skewed] (generated latency tables, labelled synthetic)`,
  options: {
    profile: { type: 'string' },
    policies: { type: 'string', default: 'all' },
    seeds: { type: 'string', default: '5' },
    seed: { type: 'string', default: '1' },
    duration: { type: 'string', default: '10s' },
    load: { type: 'string' },
    'no-variants': { type: 'boolean' },
    noise: { type: 'string', default: '0.1' },
    'job-noise': { type: 'string', default: '0.1' },
    preemption: { type: 'string', default: 'layer' },
    'drop-late': { type: 'boolean' },
    window: { type: 'string', default: '1' },
    trace: { type: 'string' },
    'trace-policy': { type: 'string' },
  },
  async run(ctx) {
    const v = ctx.values;
    const ref = ctx.positionals[0];
    if (!ref) throw new UsageError(`give a scenario, e.g. synthetic:vr_gaming or synthetic:ar_gaming:skewed`);
    const workload = loadSimWorkload(ref, v.profile as string | undefined, { load: v.load !== undefined ? num(v.load, 'load', (x) => x > 0) : undefined, variants: !v['no-variants'] });
    const known = policyNames();
    const policies = v.policies === 'all' ? known : String(v.policies).split(',').map((s) => s.trim()).filter(Boolean);
    for (const p of policies) if (!known.includes(p)) throw new UsageError(`unknown policy "${p}"; known policies: ${known.join(', ')}`);
    if (policies.length === 0) throw new UsageError('--policies: give at least one policy');
    const nSeeds = num(v.seeds, 'seeds', (x) => Number.isInteger(x) && x >= 1 && x <= 1000);
    const seed0 = num(v.seed, 'seed', (x) => Number.isInteger(x) && x >= 0);
    const seeds = Array.from({ length: nSeeds }, (_, i) => seed0 + i);
    const preemption = String(v.preemption);
    if (preemption !== 'layer' && preemption !== 'model') throw new UsageError(`--preemption must be layer or model (got ${preemption})`);
    const options = {
      duration: parseDuration(v.duration),
      latencyNoise: num(v.noise, 'noise', (x) => x >= 0),
      jobNoise: num(v['job-noise'], 'job-noise', (x) => x >= 0),
      preemption: preemption as 'layer' | 'model',
      dropLate: !!v['drop-late'],
      window: num(v.window, 'window', (x) => x > 0),
    };
    const summary = describeWorkload(workload);
    ctx.stderr(`simulating ${workload.name}: ${policies.length} policies x ${seeds.length} seeds x ${options.duration} s (latencies: ${workload.latencySource.kind})\n`);
    ctx.stderr(`  lane utilisation with every layer on its fastest lane: ${Object.entries(summary.favouriteUtilisation).map(([k, x]) => `${k} ${x.toFixed(2)}`).join(', ')}\n`);
    const t0 = performance.now();
    let done = 0;
    const result = comparePolicies(workload, policies, { ...options, seeds, onRun: () => ctx.stderr(`\r  run ${++done}/${policies.length * seeds.length}`) });
    ctx.stderr(`\r  ${done} runs in ${((performance.now() - t0) / 1000).toFixed(2)} s\n`);

    let tracePath: string | undefined;
    let tracePolicy: string | undefined;
    if (v.trace) {
      tracePath = String(v.trace);
      tracePolicy = (v['trace-policy'] as string | undefined) ?? (policies.includes('dream') ? 'dream' : policies[0]);
      if (!known.includes(tracePolicy)) throw new UsageError(`--trace-policy: unknown policy "${tracePolicy}"`);
      const one = runOne(workload, tracePolicy, { ...options, seed: seeds[0], recordSlices: true, metrics: false });
      if (tracePath.endsWith('.csv')) {
        writeFileSync(tracePath, slicesCsv(workload, one.slices));
        writeFileSync(tracePath.replace(/\.csv$/, '.jobs.csv'), jobsCsv(workload, one.jobs));
        ctx.stderr(`slices of ${tracePolicy} (seed ${seeds[0]}) written to ${tracePath}, jobs to ${tracePath.replace(/\.csv$/, '.jobs.csv')}\n`);
      } else {
        writeFileSync(tracePath, JSON.stringify(chromeTrace(workload, one, { policy: tracePolicy, seed: seeds[0], scenario: ref })));
        ctx.stderr(`trace of ${tracePolicy} (seed ${seeds[0]}) written to ${tracePath}: open it in https://ui.perfetto.dev\n`);
      }
    }
    if (ctx.json) {
      ctx.stdout(JSON.stringify({ scenario: ref, summary, ...result, trace: tracePath ? { path: tracePath, policy: tracePolicy, seed: seeds[0] } : undefined }, null, 2) + '\n');
      return 0;
    }
    ctx.stdout(formatComparison(result));
    if (tracePath) ctx.stdout(`\nTrace: ${tracePath} (${tracePolicy}, seed ${seeds[0]})\n`);
    return 0;
  },
};
