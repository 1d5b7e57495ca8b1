import { writeFileSync } from 'node:fs';
import { UsageError, type CliCommand } from '../command';
import { comparePolicies, runOne } from '../../scheduler/core/compare';
import { POLICIES } from '../../scheduler/core/policies';
import { syntheticWorkload } from '../../scheduler/core/synthetic';
import { chromeTrace } from '../../scheduler/core/trace';
import type { SimWorkload } from '../../scheduler/core/types';

/** Scenario references the simulator understands today. Profile-backed XRBench scenarios come with the workloads issue. */
export function loadSimWorkload(ref: string, values: Record<string, unknown>): SimWorkload {
  const m = /^synthetic(?::(balanced|skewed))?$/.exec(ref);
  if (!m) throw new UsageError(`unknown scenario "${ref}": this build simulates synthetic:balanced and synthetic:skewed (labelled synthetic latency tables); profile-backed scenarios are not wired yet`);
  const load = values.load !== undefined ? Number(values.load) : m[1] === 'skewed' ? 3 : 1;
  if (!(load > 0)) throw new UsageError(`--load must be > 0 (got ${values.load})`);
  return syntheticWorkload({ load, gpuSlowdown: m[1] === 'skewed' ? 4 : 1, variants: true, seed: 42 });
}

function parseDuration(v: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(String(v));
  if (!m) throw new UsageError(`--duration must look like 10s or 500ms (got ${v})`);
  return Number(m[1]) / (m[2] === 'ms' ? 1000 : 1);
}

export const simulateCommand: CliCommand = {
  name: 'simulate',
  summary: 'Compare scheduling policies on a scenario in the discrete-event simulator (every metric, spread over seeds).',
  usage: 'tessera simulate SCENARIO [--policies fcfs,edf,dream,...|all] [--seeds 5] [--duration 10s] [--load S] [--noise 0.1] [--trace out.json] [--json]',
  options: {
    policies: { type: 'string', default: 'all' },
    seeds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '10s' },
    load: { type: 'string' },
    noise: { type: 'string', default: '0.1' },
    trace: { type: 'string' },
  },
  async run(ctx) {
    const ref = ctx.positionals[0];
    if (!ref) throw new UsageError('give a scenario, e.g. synthetic:skewed');
    const workload = loadSimWorkload(ref, ctx.values);
    const policies = ctx.values.policies === 'all' ? POLICIES.map((p) => p.name) : String(ctx.values.policies).split(',').map((s) => s.trim());
    for (const p of policies) if (!POLICIES.some((x) => x.name === p)) throw new UsageError(`unknown policy "${p}". Known: ${POLICIES.map((x) => x.name).join(', ')}`);
    const seeds = Number(ctx.values.seeds);
    if (!Number.isInteger(seeds) || seeds < 1) throw new UsageError(`--seeds must be a positive integer (got ${ctx.values.seeds})`);
    const duration = parseDuration(ctx.values.duration);
    const noise = Number(ctx.values.noise);
    ctx.stderr(`simulating ${workload.name}: ${policies.length} policies x ${seeds} seeds x ${duration} s (latencies: ${workload.latencySource})\n`);
    const t0 = performance.now();
    const result = comparePolicies(workload, policies, { duration, seeds, latencyNoise: noise, adaptive: true });
    let tracePath: string | undefined;
    if (ctx.values.trace) {
      tracePath = String(ctx.values.trace);
      const one = runOne(workload, policies[policies.length - 1], { duration, seed: 1, latencyNoise: noise, adaptive: true, recordSlices: true });
      writeFileSync(tracePath, JSON.stringify(chromeTrace(workload, one.result.slices, { policy: policies[policies.length - 1], seed: 1 })));
      ctx.stderr(`trace of ${policies[policies.length - 1]} (seed 1) written to ${tracePath}: open it in https://ui.perfetto.dev\n`);
    }
    ctx.stderr(`done in ${((performance.now() - t0) / 1000).toFixed(2)} s\n`);
    if (ctx.json) {
      ctx.stdout(JSON.stringify({ ...result, trace: tracePath }, null, 2) + '\n');
      return 0;
    }
    ctx.stdout(`Latencies: ${result.latencySource}\nEnergy: ${result.energySource.kind} (${result.energySource.detail})\n${result.uxcostDefinition}\n\n`);
    ctx.stdout(`${'policy'.padEnd(12)} ${'miss rate'.padStart(16)} ${'drops'.padStart(7)} ${'ANTT'.padStart(6)} ${'energy J'.padStart(9)} ${'UXCost'.padStart(8)} ${'XRBench'.padStart(8)} ${'SLO ok'.padStart(7)}\n`);
    for (const r of result.rows) {
      ctx.stdout(`${r.policy.padEnd(12)} ${`${r.missRate.mean.toFixed(3)} [${r.missRate.min.toFixed(3)}-${r.missRate.max.toFixed(3)}]`.padStart(16)} ${r.dropRate.mean.toFixed(3).padStart(7)} ${r.antt.mean.toFixed(2).padStart(6)} ${r.energyJ.mean.toFixed(1).padStart(9)} ${r.uxcost.mean.toFixed(4).padStart(8)} ${r.xrbench.mean.toFixed(3).padStart(8)} ${r.sloSatisfied.mean.toFixed(2).padStart(7)}\n`);
    }
    return 0;
  },
};

export const policiesCommand: CliCommand = {
  name: 'policies',
  summary: 'List the scheduling policies with their sources.',
  usage: 'tessera policies [--json]',
  options: {},
  async run(ctx) {
    const list = POLICIES.map(({ name, description, source }) => ({ name, description, source }));
    if (ctx.json) ctx.stdout(JSON.stringify(list, null, 2) + '\n');
    else for (const p of list) ctx.stdout(`${p.name.padEnd(12)} ${p.description} (${p.source})\n`);
    return 0;
  },
};
