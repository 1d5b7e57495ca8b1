// Runs several policies over several seeds on one workload and summarises every metric (mean and
// spread over seeds). UXCost uses the mean energy of the first policy as E_ref.
import { computeMetrics, type Metrics } from './metrics';
import { createPolicy } from './policies';
import { simulate, type SimOptions, type SimResult } from './simulator';
import type { SimWorkload } from './types';

export interface PolicySummary {
  policy: string;
  seeds: number;
  missRate: Stat;
  dropRate: Stat;
  antt: Stat;
  energyJ: Stat;
  averageWatts: Stat;
  uxcost: Stat;
  xrbench: Stat;
  sloSatisfied: Stat;
  perTenantMiss: Record<string, number>;
  policyState?: Record<string, number>;
}

export interface Stat {
  mean: number;
  min: number;
  max: number;
}

const stat = (xs: number[]): Stat => ({ mean: xs.reduce((a, b) => a + b, 0) / xs.length, min: Math.min(...xs), max: Math.max(...xs) });

export function runOne(workload: SimWorkload, policy: string, options: SimOptions, referenceJoules?: number): { result: SimResult; metrics: Metrics } {
  const result = simulate(workload, createPolicy(policy), options);
  const joules = result.lanes.reduce((a, l) => a + l.energy, 0);
  const metrics = computeMetrics(result.jobs, workload.tenants.map((t) => ({ id: t.id, ...t.slos, baseAccuracy: t.baseAccuracy })), { joules, source: workload.energySource }, { duration: options.duration, makespan: result.makespan }, { referenceJoules });
  return { result, metrics };
}

export function comparePolicies(workload: SimWorkload, policies: string[], options: SimOptions & { seeds: number }): { workload: string; latencySource: string; energySource: SimWorkload['energySource']; uxcostDefinition: string; referencePolicy: string; rows: PolicySummary[] } {
  const seeds = Array.from({ length: options.seeds }, (_, i) => (options.seed ?? 1) + i);
  const runs = policies.map((p) => seeds.map((seed) => runOne(workload, p, { ...options, seed, recordSlices: false })));
  const eRef = runs[0].reduce((a, r) => a + r.metrics.energy.joules, 0) / seeds.length;
  const rows = policies.map((policy, pi) => {
    const ms = runs[pi].map((r) => computeMetrics(r.result.jobs, workload.tenants.map((t) => ({ id: t.id, ...t.slos })), { joules: r.metrics.energy.joules, source: workload.energySource }, { duration: options.duration, makespan: r.result.makespan }, { referenceJoules: eRef }));
    const perTenantMiss: Record<string, number> = {};
    workload.tenants.forEach((t, i) => (perTenantMiss[t.id] = ms.reduce((a, m) => a + m.perTenant[i].missRate, 0) / ms.length));
    return {
      policy,
      seeds: seeds.length,
      missRate: stat(ms.map((m) => m.overall.missRate)),
      dropRate: stat(ms.map((m) => m.overall.dropRate)),
      antt: stat(ms.map((m) => m.overall.antt)),
      energyJ: stat(ms.map((m) => m.energy.joules)),
      averageWatts: stat(ms.map((m) => m.energy.averageWatts)),
      uxcost: stat(ms.map((m) => m.uxcost.value)),
      xrbench: stat(ms.map((m) => m.xrbench.score)),
      sloSatisfied: stat(ms.map((m) => m.slo.satisfiedTenantsShare)),
      perTenantMiss,
      policyState: runs[pi][runs[pi].length - 1].result.policyState,
    };
  });
  return { workload: workload.name, latencySource: workload.latencySource, energySource: workload.energySource, uxcostDefinition: ms0Definition(), referencePolicy: policies[0], rows };
}

function ms0Definition(): string {
  return "UXCost = (E / E_ref) x (miss rate + 0.01), Tessera's definition; E_ref = mean energy of the first policy listed";
}
