// `npm run bench -- scheduler [--json]`: (a) decision overhead per policy, median microseconds per
// decide() at 8 tenants x 4 lanes x 64 queued jobs; (b) simulator throughput, simulated layer
// executions per second (one core), on the synthetic XR mix at 3x load.
import { POLICIES, createPolicy } from '../scheduler/core/policies';
import { simulate } from '../scheduler/core/simulator';
import { syntheticWorkload } from '../scheduler/core/synthetic';
import type { JobState, LaneState, Predictor, SimWorkload, Snapshot } from '../scheduler/core/types';

function decisionSnapshot(): Snapshot {
  const base = syntheticWorkload({ variants: true });
  const lanes = ['cpu0', 'cpu1', 'gpu', 'npu'].map((id, i) => ({ id, kind: id.replace(/\d/, ''), idleWatts: 2, busyWatts: 10 + 5 * i }));
  const tenants = Array.from({ length: 8 }, (_, t) => {
    const src = base.tenants[t % base.tenants.length];
    return { ...src, id: `${src.id}#${t}`, cascade: undefined, layers: src.layers.map((l) => ({ ...l, variants: l.variants.map((v) => ({ ...v, cost: [v.cost[0], v.cost[0], v.cost[1], v.cost[1]] })) })) };
  });
  const workload: SimWorkload = { ...base, lanes, tenants };
  const ready: JobState[] = Array.from({ length: 64 }, (_, i) => ({ id: i, tenant: i % 8, release: i * 0.001, deadline: 0.02 + i * 0.001, priority: [1, 3, 9][i % 3], next: i % 4, layerCount: tenants[i % 8].layers.length, lastRun: i * 0.001, lastLane: -1, accuracyUsed: 0, upstream: -1 }));
  const laneStates: LaneState[] = lanes.map((def, index) => ({ index, def, idle: true, busyUntil: 0.05 }));
  const cost = (j: JobState, l: number, v = 0) => tenants[j.tenant].layers[j.next].variants[v]?.cost[l]?.latency ?? Infinity;
  // O(1) suffix tables, as the simulator and live runtime precompute them.
  const suffix = (t: number, pick: (c: (number | undefined)[]) => number) => {
    const layers = tenants[t].layers;
    const out = new Float64Array(layers.length + 1);
    for (let i = layers.length - 1; i >= 0; i--) out[i] = out[i + 1] + pick(layers[i].variants[0].cost.map((c) => c?.latency));
    return out;
  };
  const best = tenants.map((_, t) => suffix(t, (c) => Math.min(...c.map((x) => x ?? Infinity))));
  const perLane = tenants.map((_, t) => lanes.map((_l, l) => suffix(t, (c) => c[l] ?? Infinity)));
  const predict: Predictor = {
    next: cost,
    nextEnergy: (j, l, v) => cost(j, l, v) * lanes[l].busyWatts,
    remainingOn: (j, l) => perLane[j.tenant][l][j.next],
    remainingBest: (j) => best[j.tenant][j.next],
    isolated: (j) => best[j.tenant][0],
    ratio: () => 1,
  };
  return { time: 0.05, ready, lanes: laneStates, workload, predict };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const snapshot = decisionSnapshot();
  const decisions: { policy: string; medianMicros: number }[] = [];
  for (const p of POLICIES) {
    const policy = createPolicy(p.name);
    for (let i = 0; i < 200; i++) policy.decide(snapshot); // warm-up (JIT)
    const samples: number[] = [];
    for (let r = 0; r < 31; r++) {
      const n = 200;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) policy.decide(snapshot);
      samples.push(((performance.now() - t0) * 1000) / n);
    }
    decisions.push({ policy: p.name, medianMicros: median(samples) });
  }
  const w = syntheticWorkload({ load: 3, gpuSlowdown: 4 });
  const throughput: { policy: string; layerExecPerSec: number; layerExecutions: number }[] = [];
  for (const name of ['fcfs', 'edf', 'dream', 'terastal']) {
    const rates: number[] = [];
    let execs = 0;
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      const res = simulate(w, createPolicy(name), { duration: 20, seed: r + 1, recordSlices: false, latencyNoise: 0.1 });
      rates.push(res.layerExecutions / ((performance.now() - t0) / 1000));
      execs = res.layerExecutions;
    }
    throughput.push({ policy: name, layerExecPerSec: median(rates), layerExecutions: execs });
  }
  const out = { setup: '8 tenants x 4 lanes x 64 ready jobs (decisions); synthetic XR mix at 3x load, 2 lanes, 20 s simulated (throughput)', decisions, throughput, targets: { dreamMicros: 10, layerExecPerSec: 1_000_000 } };
  if (json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  else {
    process.stdout.write('Decision overhead (median us per decide(), 8 tenants x 4 lanes x 64 jobs):\n');
    for (const d of decisions) process.stdout.write(`  ${d.policy.padEnd(12)} ${d.medianMicros.toFixed(2)}\n`);
    process.stdout.write('Simulator throughput (median of 5, simulated layer executions / s, one core):\n');
    for (const t of throughput) process.stdout.write(`  ${t.policy.padEnd(12)} ${Math.round(t.layerExecPerSec).toLocaleString('en')} (${t.layerExecutions} layers per run)\n`);
  }
  return 0;
}
