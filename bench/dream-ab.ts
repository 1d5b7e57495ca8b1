// `npm run bench -- dream-ab [--reps N] [--throughput]`
// DREAM's decision cost before and after the issue-10 work, measured in one process: EDF, the frozen
// pre-work copy of dream.ts (test/fixtures/dream-reference.ts) and the current dream, with and
// without online tuning, take turns on the scheduler bench's snapshots (bench/scheduler.ts: 8 tenants
// x 4 lanes x 64 ready jobs, one layer end's refinement update before every decide()), 1000
// decisions per turn. Prints the median process-CPU microseconds per decide() of each, its ratio to
// EDF, and the median of the per-turn ratios new/old (alternation cancels most of a busy machine's drift).
// --throughput adds simulate() layer executions per CPU-second, EDF, old and new, on the scheduler bench's
// two workloads (alternating runs of 10 simulated s, 2 warm-up rounds, median of 5).
import os from 'node:os';
import { createPolicy } from '../scheduler/core/policies';
import { simulate } from '../scheduler/core/simulator';
import { syntheticWorkload } from '../scheduler/core/synthetic';
import type { Policy } from '../scheduler/core/types';
import { dreamReference } from '../test/fixtures/dream-reference';
import { median } from '../profiler/stats';
import { decisionSnapshot, decisionTurn } from './scheduler';

export async function main(argv: string[]): Promise<number> {
  const at = argv.indexOf('--reps');
  const reps = at >= 0 ? Number(argv[at + 1]) : 31;
  process.stdout.write(`DREAM decision cost, old (frozen reference) vs new, alternating in one process (node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(2)}, ${reps} turns of 1000 decisions each)\n`);
  for (const idle of [4, 2, 1]) {
    const snap = decisionSnapshot(idle);
    const ps: Record<string, Policy> = { edf: createPolicy('edf'), old: dreamReference(), new: createPolicy('dream'), old_static: dreamReference({ adapt: false }), new_static: createPolicy('dream_static') };
    for (const p of Object.values(ps)) decisionTurn(p, snap, 3000); // warm-up (JIT)
    const us: Record<string, number[]> = Object.fromEntries(Object.keys(ps).map((k) => [k, []]));
    const ratio = { dream: [] as number[], static: [] as number[] };
    for (let r = 0; r < reps; r++) {
      for (const [k, p] of Object.entries(ps)) us[k].push(decisionTurn(p, snap, 1000));
      ratio.dream.push(us.new[r] / us.old[r]);
      ratio.static.push(us.new_static[r] / us.old_static[r]);
    }
    const edf = median(us.edf);
    const cells = Object.keys(ps).map((k) => `${k} ${median(us[k]).toFixed(2)} us (x${(median(us[k]) / edf).toFixed(2)} EDF)`);
    process.stdout.write(`  ${idle} idle: ${cells.join(', ')}; new/old per turn: dream ${median(ratio.dream).toFixed(3)}, dream_static ${median(ratio.static).toFixed(3)}\n`);
  }
  if (!argv.includes('--throughput')) return 0;
  const workloads = [
    { label: 'vr_gaming balanced load 0.6', w: syntheticWorkload({ scenario: 'vr_gaming', load: 0.6, variants: true }) },
    { label: 'vr_gaming skewed (gpu) load 1.2', w: syntheticWorkload({ scenario: 'vr_gaming', skew: 'gpu', load: 1.2, variants: true }) },
  ];
  const make: Record<string, () => Policy> = { edf: () => createPolicy('edf'), old: () => dreamReference(), new: () => createPolicy('dream'), old_static: () => dreamReference({ adapt: false }), new_static: () => createPolicy('dream_static') };
  for (const { label, w } of workloads) {
    const rate: Record<string, number[]> = Object.fromEntries(Object.keys(make).map((k) => [k, []]));
    for (let r = 0; r < 7; r++) {
      for (const [k, f] of Object.entries(make)) {
        const c0 = process.cpuUsage();
        const res = simulate(w, f(), { duration: 10, seed: (r % 5) + 1, latencyNoise: 0.1, jobNoise: 0.1 });
        const c = process.cpuUsage(c0);
        if (r >= 2) rate[k].push(res.layerExecutions / ((c.user + c.system) / 1e6));
      }
    }
    const m = Object.fromEntries(Object.entries(rate).map(([k, v]) => [k, median(v)]));
    const cells = Object.entries(m).map(([k, v]) => `${k} ${Math.round(v).toLocaleString('en')}`);
    process.stdout.write(`  ${label}: layer executions per CPU-second ${cells.join(', ')}; new/old dream ${(m.new / m.old).toFixed(3)}, dream_static ${(m.new_static / m.old_static).toFixed(3)}; new x EDF dream ${(m.new / m.edf).toFixed(3)}, dream_static ${(m.new_static / m.edf).toFixed(3)}\n`);
  }
  return 0;
}
