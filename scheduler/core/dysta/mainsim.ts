// Dysta's traces through Tessera's own simulator and policies (the ones `simulate` and `run` use),
// in a one-lane, layer-preemptive mode: one lane, every request a tenant with one frame released at
// its arrival, the estimate queue as the latency table, the sample's real latencies as the run's
// real latencies (SimOptions.realLatency), no online refinement, no noise. The results are put in
// the twin's (runDysta) format so the two can be compared task by task.
//
// Where a Tessera policy reads the published scheduler differently on purpose, DYSTA_POLICY_MAP
// names the difference; test/dysta-mainsim.test.ts measures its effect on violation rate and ANTT.
import { simulate } from '../simulator';
import { createPolicy } from '../policies';
import type { SimWorkload, TenantDef } from '../types';
import { pyFloat } from './pyfloat';
import { dystaMetrics } from './simulate';
import { usesPatternEstimates, type DystaLut, type DystaMetrics, type DystaRequest, type DystaScheduler, type DystaTaskResult } from './types';

export interface DystaPolicyPair {
  /** Tessera's policy (policies/index.ts). */
  policy: string;
  /** The reference scheduler it implements. */
  reference: DystaScheduler;
  /** What Tessera does differently on purpose, or undefined where it should reproduce the reference exactly. */
  difference?: string;
}

/**
 * Tessera's policies that implement one of the reference's schedulers. The `_sparse` variants have
 * no Tessera counterpart (Tessera has no sparsity monitor; `dysta` refines g from layer times).
 */
export const DYSTA_POLICY_MAP: readonly DystaPolicyPair[] = [
  { policy: 'fcfs', reference: 'fcfs' },
  { policy: 'sjf', reference: 'sjf' },
  { policy: 'planaria', reference: 'planaria' },
  { policy: 'sdrm3', reference: 'sdrm3' },
  { policy: 'dysta_naive', reference: 'dysta_naive' },
  { policy: 'dysta_oracle', reference: 'dysta_oracle' },
  {
    policy: 'prema',
    reference: 'prema',
    difference:
      'tokens accrue for the time waited since the previous decision (the reference adds the whole idle time since the last layer again at every decision), and a new job counts towards the threshold at once',
  },
  {
    policy: 'dysta',
    reference: 'dysta',
    difference: "g is measured from layer times (observed / predicted latency), not from the reference's sparsity monitor",
  },
];

/** A one-lane workload of a trace: tenant i is request i (one frame at its arrival), its table the scheduler's estimate queue. */
export function dystaSimWorkload(lut: DystaLut, requests: readonly DystaRequest[], reference: DystaScheduler, sloMult: number): SimWorkload {
  if (!(sloMult > 0)) throw new Error(`sloMult must be > 0 (got ${sloMult})`);
  const pattern = usesPatternEstimates(reference);
  const last = requests.length ? requests[requests.length - 1].reqstTime : 0;
  // One frame per tenant: a period longer than the whole trace.
  const fps = 1 / (2 * (last + 1));
  const tenants = requests.map((r): TenantDef => {
    const m = lut.models[r.model];
    if (!m) throw new Error(`request ${r.idx}: model "${r.model}" is not in the LUT (known: ${lut.modelOrder.join(', ')})`);
    const est = pattern ? m.avgLatPerPattern : m.avgLatPerModel;
    return {
      id: `${r.idx}:${pyFloat(r.reqstTime)}_${r.model}`,
      model: r.model,
      layers: est.map((latency, i) => ({ name: `layer${i}`, outputBytes: 0, variants: [{ id: 'original', accuracyDelta: 0, cost: [{ latency }] }] })),
      arrival: { type: 'periodic', fps, phase: r.reqstTime },
      deadline: r.targetLatBase * sloMult,
      priority: r.priority,
    };
  });
  return {
    name: `dysta trace (${requests.length} requests, ${pattern ? 'avg_lat_per_pattern' : 'avg_lat_per_model'} estimates, SLO x${sloMult})`,
    lanes: [{ id: 'accelerator', kind: 'npu', idleWatts: 0, busyWatts: 1 }],
    tenants,
    latencySource: { kind: 'synthetic', detail: "Dysta parity trace: estimates from lut.json, real latencies per sample" },
    energySource: { kind: 'estimated', detail: 'not modelled (1 W busy)' },
  };
}

export interface DystaMainRun {
  tasks: DystaTaskResult[];
  metrics: DystaMetrics;
}

/**
 * Runs Tessera's `policy` on a trace in the main simulator (one lane, layer preemption), with the
 * estimate queue of `reference` (pattern or per-model averages). Deadline = arrival + base x SLO, as
 * the reference computes it.
 */
export function runDystaOnSimulator(policy: string, reference: DystaScheduler, lut: DystaLut, requests: readonly DystaRequest[], sloMult: number): DystaMainRun {
  const w = dystaSimWorkload(lut, requests, reference, sloMult);
  const real = requests.map((r, i) => {
    const lat = lut.models[r.model].latLut[String(r.sampleId)];
    if (!lat || lat.length !== w.tenants[i].layers.length) {
      throw new Error(`request ${r.idx}: sample ${r.sampleId} of model "${r.model}" has ${lat?.length ?? 'no'} latencies, its estimates ${w.tenants[i].layers.length}`);
    }
    return lat;
  });
  const last = requests.length ? requests[requests.length - 1].reqstTime : 0;
  const res = simulate(w, createPolicy(policy), {
    duration: last + 1,
    adaptive: false,
    maxQueuePerTenant: 1,
    metrics: false,
    realLatency: (tenant, _frame, layer) => real[tenant][layer],
  });
  const jobOf = new Map(res.jobs.map((j) => [j.tenant, j]));
  const tasks = requests.map((r, i): DystaTaskResult => {
    const job = jobOf.get(i);
    if (!job) throw new Error(`request ${r.idx} (arrival ${r.reqstTime}) was never released: arrivals must be sorted and >= 0`);
    let iso = 0;
    for (const x of real[i]) iso += x; // left to right, as the reference sums it
    return { taskId: `${pyFloat(r.reqstTime)}_${r.model}`, reqstTime: r.reqstTime, targetTime: job.deadline, finishTime: job.finish, realIsolatedTime: iso, violated: job.finish > job.deadline };
  });
  return { tasks, metrics: dystaMetrics(tasks) };
}
