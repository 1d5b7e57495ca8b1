// `npm run bench -- decmisc-ab [--reps N]`
// Convergo's, Terastal's and HEFT's decision cost before and after the issue-10 work, measured in one
// process: EDF, the frozen pre-work copies (test/fixtures/decmisc/*-reference.ts, test/fixtures/heft-reference.ts) and the current
// policies take turns on the scheduler bench's snapshots (bench/scheduler.ts: 8 tenants x 4 lanes x
// 64 ready jobs, one layer end's refinement update before every decide()), and a balanced run's
// decision (vr_gaming: 3 tenants x 2 lanes, one ready job that just ended a layer, its tenant's ratio
// moved, lane 1 busy every third decision), 1000 decisions per turn.
// Prints the median process-CPU microseconds per decide() of each, its ratio to EDF (issue 10's
// target: <= 3x), and the median of the per-turn ratios new/old (alternation cancels most of a busy
// machine's drift).
import os from 'node:os';
import { createPolicy } from '../scheduler/core/policies';
import { PredictionModel } from '../scheduler/core/predict';
import { syntheticWorkload } from '../scheduler/core/synthetic';
import type { JobState, LaneState, Policy, Snapshot } from '../scheduler/core/types';
import { convergo as convergoRef } from '../test/fixtures/decmisc/convergo-reference';
import { terastal as terastalRef } from '../test/fixtures/decmisc/terastal-reference';
import { heftReference } from '../test/fixtures/heft-reference';
import { median } from '../profiler/stats';
import { decisionSnapshot, decisionTurn } from './scheduler';

type Bench = Snapshot & { layerEnd(i: number): void };

/** One ready job per decision, as at balanced load: each layerEnd(i) moves a job one layer on and its tenant's ratio on one lane. */
function balancedSnapshot(): Bench {
  const w = syntheticWorkload({ scenario: 'vr_gaming', load: 0.6, variants: true });
  const model = new PredictionModel(w);
  const jobs: JobState[] = w.tenants.map((t, i) => ({ id: i, tenant: i, frame: i, release: 0.99, deadline: 1 + model.isolated(i) * 1.5, priority: 1, next: 0, layerCount: t.layers.length, lastRun: 1, lastLane: 0, accuracyUsed: 0, upstream: -1, g: 1 }));
  const lanes: LaneState[] = w.lanes.map((def, index) => ({ index, def, idle: true, busyUntil: 1, job: -1, power: def.idleWatts }));
  const ready = [jobs[0]];
  const layerEnd = (i: number) => {
    const j = jobs[i % jobs.length];
    j.next = (j.next + 1) % j.layerCount;
    model.update(j.tenant, i % lanes.length, 1, 0.9 + 0.2 * ((i * 0.618034) % 1));
    ready[0] = j;
    lanes[1].idle = i % 3 !== 0;
  };
  return { time: 1, ready, lanes, workload: w, predict: model.predictor(true), offline: model.predictor(false), inSystem: 1, preemption: 'layer', layerEnd };
}

/** `extra`: more policies to take turns with the others (e.g. copies of an intermediate version). */
export async function main(argv: string[], extra: Record<string, () => Policy> = {}): Promise<number> {
  const at = argv.indexOf('--reps');
  const reps = at >= 0 ? Number(argv[at + 1]) : 31;
  process.stdout.write(`Convergo, Terastal, HEFT decision cost, old (frozen reference) vs new, alternating in one process (node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, ${reps} turns of 1000 decisions each)\n`);
  for (const idle of [4, 1, 0]) {
    const snap = idle ? decisionSnapshot(idle) : balancedSnapshot();
    const make: Record<string, () => Policy> = { edf: () => createPolicy('edf'), convergo_old: () => convergoRef(), convergo: () => createPolicy('convergo'), terastal_old: () => terastalRef(), terastal: () => createPolicy('terastal'), heft_old: () => heftReference(), heft: () => createPolicy('heft'), ...extra };
    const ps = Object.fromEntries(Object.entries(make).map(([k, f]) => [k, f()]));
    for (const p of Object.values(ps)) decisionTurn(p, snap, 3000); // warm-up (JIT)
    const us: Record<string, number[]> = Object.fromEntries(Object.keys(ps).map((k) => [k, []]));
    const ratio = { convergo: [] as number[], terastal: [] as number[], heft: [] as number[] };
    for (let r = 0; r < reps; r++) {
      for (const [k, p] of Object.entries(ps)) us[k].push(decisionTurn(p, snap, 1000));
      ratio.convergo.push(us.convergo[r] / us.convergo_old[r]);
      ratio.terastal.push(us.terastal[r] / us.terastal_old[r]);
      ratio.heft.push(us.heft[r] / us.heft_old[r]);
    }
    const edf = median(us.edf);
    const cells = Object.keys(ps).map((k) => `${k} ${median(us[k]).toFixed(2)} us (x${(median(us[k]) / edf).toFixed(2)} EDF)`);
    process.stdout.write(`  ${idle ? `${idle} idle` : 'balanced (1 ready job)'}: ${cells.join(', ')}; new/old per turn: convergo ${median(ratio.convergo).toFixed(3)}, terastal ${median(ratio.terastal).toFixed(3)}, heft ${median(ratio.heft).toFixed(3)}\n`);
  }
  process.stdout.write(`  load average after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
  return 0;
}
