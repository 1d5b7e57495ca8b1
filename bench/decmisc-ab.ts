// `npm run bench -- decmisc-ab [--reps N] [--idle 4,1,0] [--sim]`
// HEFT's, PREMA's, dysta_oracle's, Convergo's and SDRM3's cost before and after hotpath3's work,
// measured in one process: every policy of the scheduler bench (so that shared code sees what it
// sees there) and the frozen copies of four of them at commit ae9492f (test/fixtures/ae9492f/; Convergo, unchanged since, against its older frozen reference) take
// turns of 1000 decisions on the scheduler bench's snapshots (bench/scheduler.ts: 8 tenants x 4 lanes
// x 64 ready jobs, one layer end's refinement update before every decide()), and on a balanced
// run's decision (vr_gaming: 3 tenants x 2 lanes, one ready job that just ended a layer, its
// tenant's ratio moved, lane 1 busy every third decision).
// Prints the median process-CPU microseconds per decide() of each, its ratio to EDF (issue 10's
// target: <= 3x), and the median of the per-turn ratios new/old (alternation cancels most of a busy
// machine's drift). With --sim, also simulated layer executions per CPU-second of old and new, taking
// turns, on the scheduler bench's balanced and overloaded workloads.
import os from 'node:os';
import { createPolicy, policyNames } from '../scheduler/core/policies';
import { PredictionModel } from '../scheduler/core/predict';
import { simulate } from '../scheduler/core/simulator';
import { syntheticWorkload } from '../scheduler/core/synthetic';
import type { JobState, LaneState, Policy, Snapshot } from '../scheduler/core/types';
import { convergo as convergoOld } from '../test/fixtures/decmisc/convergo-reference';
import { dysta as dystaOld } from '../test/fixtures/ae9492f/dysta';
import { heft as heftOld } from '../test/fixtures/ae9492f/heft';
import { prema as premaOld } from '../test/fixtures/ae9492f/prema';
import { sdrm3 as sdrm3Old } from '../test/fixtures/ae9492f/sdrm3';
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

/** The policies this work touches: the current one and its frozen copy at ae9492f (Convergo, unchanged since: its older frozen reference). */
const OLD: Record<string, () => Policy> = { heft: heftOld, prema: premaOld, dysta_oracle: () => dystaOld('dysta_oracle'), convergo: convergoOld, sdrm3: () => sdrm3Old() };

const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

/** `extra`: more policies to take turns with the others (e.g. copies of an intermediate version). */
export async function main(argv: string[], extra: Record<string, () => Policy> = {}): Promise<number> {
  const at = argv.indexOf('--reps');
  const reps = at >= 0 ? Number(argv[at + 1]) : 31;
  process.stdout.write(`HEFT, PREMA, dysta_oracle, Convergo, SDRM3 decision cost, old (ae9492f) vs new, every scheduler-bench policy taking turns in one process (node ${process.version}, ${os.cpus().length} CPUs, load average ${load()}, ${reps} turns of 1000 decisions each)\n`);
  const make: Record<string, () => Policy> = Object.fromEntries(['edf', ...policyNames().filter((n) => n !== 'edf')].map((n) => [n, () => createPolicy(n)]));
  for (const [k, f] of Object.entries(OLD)) make[`${k}_old`] = f;
  // dysta's three forms share their code's type feedback in the bench: the old copy's too.
  make.dysta_old = () => dystaOld('dysta');
  make.dysta_naive_old = () => dystaOld('dysta_naive');
  Object.assign(make, extra);
  const ia = argv.indexOf('--idle');
  // Which snapshots: idle lanes of the 8 x 4 x 64 one, 0 = the balanced one.
  const cases = ia >= 0 ? argv[ia + 1].split(',').map(Number) : [4, 1, 0];
  for (const idle of cases) {
    const snap = idle ? decisionSnapshot(idle) : balancedSnapshot();
    const ps = Object.fromEntries(Object.entries(make).map(([k, f]) => [k, f()]));
    for (const p of Object.values(ps)) decisionTurn(p, snap, 3000); // warm-up (JIT)
    const us: Record<string, number[]> = Object.fromEntries(Object.keys(ps).map((k) => [k, []]));
    const ratio: Record<string, number[]> = Object.fromEntries(Object.keys(OLD).map((k) => [k, []]));
    for (let r = 0; r < reps; r++) {
      for (const [k, p] of Object.entries(ps)) us[k].push(decisionTurn(p, snap, 1000));
      for (const k of Object.keys(OLD)) ratio[k].push(us[k][r] / us[`${k}_old`][r]);
    }
    const edf = median(us.edf);
    const shown = ['edf', ...Object.keys(OLD).flatMap((k) => [`${k}_old`, k]), ...Object.keys(extra)];
    const cells = shown.map((k) => `${k} ${median(us[k]).toFixed(2)} us (x${(median(us[k]) / edf).toFixed(2)} EDF)`);
    const ratios = Object.keys(OLD).map((k) => `${k} ${median(ratio[k]).toFixed(3)}`);
    process.stdout.write(`  ${idle ? `${idle} idle` : 'balanced (1 ready job)'}: ${cells.join(', ')}; new/old per turn: ${ratios.join(', ')}\n`);
  }
  if (argv.includes('--sim')) {
    const workloads = [
      { label: 'vr_gaming balanced load 0.6', w: syntheticWorkload({ scenario: 'vr_gaming', load: 0.6, variants: true }) },
      { label: 'vr_gaming skewed (gpu) load 1.2', w: syntheticWorkload({ scenario: 'vr_gaming', skew: 'gpu', load: 1.2, variants: true }) },
    ];
    const runs = Math.max(3, Math.round(reps / 6));
    process.stdout.write(`Simulated layer executions per CPU-second (M), old vs new taking turns, median of ${runs} runs of 10 simulated s (as the scheduler bench), and the median per-turn ratio new/old\n`);
    for (const { label, w } of workloads) {
      const names = Object.keys(OLD).flatMap((k) => [`${k}_old`, k]);
      const mk = (n: string) => (n.endsWith('_old') ? OLD[n.slice(0, -4)]() : createPolicy(n));
      for (const n of names) simulate(w, mk(n), { duration: 10, seed: 100, latencyNoise: 0.1, jobNoise: 0.1 }); // warm-up
      const rate: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
      for (let r = 0; r < runs; r++) {
        for (const n of names) {
          const c0 = process.cpuUsage();
          const res = simulate(w, mk(n), { duration: 10, seed: r + 1, latencyNoise: 0.1, jobNoise: 0.1 });
          const c = process.cpuUsage(c0);
          rate[n].push(res.layerExecutions / (c.user + c.system));
        }
      }
      const cells = Object.keys(OLD).map((k) => `${k} ${median(rate[`${k}_old`]).toFixed(2)} -> ${median(rate[k]).toFixed(2)} (x${median(rate[k].map((x, i) => x / rate[`${k}_old`][i])).toFixed(3)})`);
      process.stdout.write(`  ${label}: ${cells.join(', ')}\n`);
    }
  }
  process.stdout.write(`  load average after: ${load()}\n`);
  return 0;
}
