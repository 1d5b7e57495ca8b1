// The baseline of the dispatch-overhead benchmark: the same models in the same arrangement (one lane
// worker per lane, the same sessions and inputs, runs posted from this thread and awaited), run back
// to back by a bare loop with no scheduler, no timers and no bookkeeping.
import type { LaneSpec } from '../../profiler/types';
import { LaneClient } from './lane-client';
import { keepSets } from './models';
import type { FromLane } from './protocol';
import type { ExecModel } from './types';

export interface BareLanePlan {
  /** Jobs to run on this lane, in order: a tenant index each; every job runs all of its units here. */
  jobs: number[];
}

export interface BareResult {
  /** Per lane: wall time of its loop (s), jobs and unit runs done. */
  lanes: { wallSec: number; jobs: number; runs: number }[];
}

/** Runs the plans on fresh lane workers (all lanes at once, each a loop), after `warmup` untimed jobs per lane. */
export async function bareLoop(specs: LaneSpec[], execs: ExecModel[], plans: BareLanePlan[], options: { isolation?: 'thread' | 'process'; warmup?: number } = {}): Promise<BareResult> {
  const origin = process.hrtime.bigint();
  const lanes = specs.map((s, i) => new LaneClient(i, s, origin, options.isolation ?? 'thread'));
  try {
    for (const lane of lanes) {
      for (let t = 0; t < execs.length; t++) {
        const exec = execs[t];
        for (let i = 0; i < exec.units.length; i++) await lane.request({ op: 'load', key: `${t}/${i}`, bytes: exec.units[i].bytes });
        const keep = keepSets(exec);
        await lane.request({ op: 'tenant', tenant: t, units: exec.units.map((u, i) => ({ key: `${t}/${i}`, inputs: u.inputs.map((x) => x.name), outputs: u.outputs.map((x) => x.name), keep: keep[i] })), samples: exec.samples ?? [] });
      }
    }
    const runJob = (lane: LaneClient, job: number, tenant: number): Promise<number> => {
      const n = execs[tenant].units.length;
      return new Promise<number>((resolve, reject) => {
        let layer = 0;
        const post = () => lane.post({ op: 'run', seq: 0, job, tenant, layer, final: layer === n - 1, sample: layer === 0 ? Math.abs(job) : undefined, sentUs: 0 });
        lane.onEvent = (m: Extract<FromLane, { op: 'done' | 'parked' }>) => {
          if (m.op !== 'done' || m.job !== job) return;
          if (m.error) return reject(new Error(m.error));
          layer++;
          if (layer < n) post();
          else resolve(n);
        };
        post();
      });
    };
    const warmup = options.warmup ?? 3;
    let id = 1;
    for (const [l, lane] of lanes.entries()) for (let k = 0; k < warmup; k++) for (const t of new Set(plans[l].jobs)) await runJob(lane, -id++, t);
    const results = await Promise.all(
      lanes.map(async (lane, l) => {
        let runs = 0;
        const t0 = performance.now();
        for (const t of plans[l].jobs) runs += await runJob(lane, id++, t);
        return { wallSec: (performance.now() - t0) / 1000, jobs: plans[l].jobs.length, runs };
      }),
    );
    return { lanes: results };
  } finally {
    await Promise.all(lanes.map((l) => l.terminate().catch(() => {})));
  }
}
