// Latency predictions for a live run: from measured profiles where they cover a tenant's units on
// every lane, else from a short calibration run on the lanes themselves (one lane at a time and all
// at once, blended by how busy the lanes will be). Also measures what the profile cannot
// know: each lane's dispatch overhead (message round trip + ORT's run() scheduling) and the cost of
// moving activations between lanes.
import { backgroundFactor, calibrationAdjustments, type BackgroundLoad, type MachineCalibration } from '../core/calibration';
import { percentile } from '../core/metrics';
import type { Profile } from '../../profiler/types';
import type { LaneClient } from './lane-client';
import type { CalibrationReply, FromLane } from './protocol';
import type { ExecModel, ExecGranularity } from './types';
import { groupSize } from '../../common/granularity';
import { groupRanges } from '../core/groups';

export interface LatencyTable {
  /** computeMs[tenant][unit][lane]: median latency of session.run (NaN where the lane cannot run it). */
  computeMs: number[][][];
  /**
   * variantMs[tenant][unit][variant][lane]: the unit's figure x (variant / original), both medians of
   * the same calibration runs on the same inputs (paired; NaN where not measured).
   */
  variantMs?: number[][][][];
  /** Per tenant: where its figures come from. */
  sources: string[];
  /** Per tenant and unit: bytes of the outputs it passes on. */
  outBytes: number[][];
  /** Median coefficient of variation of the calibrated run times (0 when all came from profiles). */
  cv: number;
  /** Median over units of the robust spread of log run time ((q75 - q25) / 1.349 of ln ms): a lognormal sigma. */
  logSigma: number;
  /** Per lane: dispatch overhead added to every layer (s). */
  overheadS: number[];
  /** Moving activations between two lanes (through the main thread): fixed latency and rate. */
  transfer: { latency: number; bytesPerSec: number };
  /** How late the release clock wakes the main thread (s); set by the runtime. */
  releaseLagS: number;
  /** computeMs measured with every lane busy at once, back to back (the models' own interference), where the run measured it. */
  contendedMs?: number[][][];
  /** Per lane: a measured link (e.g. a profile's GPU transfer fit, one hop) that replaces `transfer` for that lane. */
  links?: ({ latency: number; bytesPerSec: number; source: string } | undefined)[];
}

const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 0.5);

/**
 * Latency (ms) of every unit on every lane from a profile of the same model and cut, or undefined.
 * A second copy of a lane (cpu:1#1) takes the figures of the lane it copies, as the tuner's
 * simulations do (core/tune/layouts.ts measuredLane).
 */
export function fromProfile(exec: ExecModel, granularity: ExecGranularity, laneIds: string[], profiles: Profile[]): { ms: number[][]; source: string } | undefined {
  const p = profiles.find((x) => (exec.sha256 && x.model.sha256 === exec.sha256) || x.model.name === exec.name);
  if (!p) return undefined;
  const idx = laneIds.map((id) => p.lanes.findIndex((l) => l.id === id || l.id === id.replace(/#\d+$/, '')));
  if (idx.some((k) => k < 0)) return undefined;
  let ms: number[][];
  if (granularity === 'model') {
    // One session of the whole model: the profile's whole-model raw median per lane, the figure the
    // simulator charges at model granularity too (sim-workload.ts wholeModelCosts, core/groups.ts).
    if (exec.units.length !== 1) return undefined;
    ms = [idx.map((k) => p.wholeModel[k]?.raw?.median ?? NaN)];
  } else {
    // group:K: unit i runs the profile's layers [iK, iK + K): their medians added (each layer's
    // per-call overhead too, which one run of the group pays once: a slight overestimate).
    const k = groupSize(granularity) ?? 1;
    const perLayer = p.layers.map((l) => idx.map((j) => l.lanes[j]?.raw?.median ?? NaN));
    const ranges = groupRanges(perLayer.length, k);
    if (ranges.length !== exec.units.length) return undefined;
    ms = ranges.map(([s, e]) => idx.map((_, lane) => perLayer.slice(s, e).reduce((a, row) => a + row[lane], 0)));
  }
  if (ms.some((row) => row.every((v) => !Number.isFinite(v)))) return undefined;
  return { ms, source: `profile ${p.id} (measured ${p.createdAt} on ${p.machine.hostname}; raw run() medians)` };
}

export interface CalibrateInput {
  lanes: LaneClient[];
  execs: ExecModel[];
  /** loaded[tenant][lane]: the lane holds sessions for every unit of the tenant. */
  loaded: boolean[][];
  granularity: ExecGranularity;
  profiles: Profile[];
  reps: number;
  warmup: number;
  /** Time budget per (tenant, lane) calibration, ms. */
  budgetMs: number;
  /** 'solo' (one lane at a time), 'contended' (all at once) or 'blend' (both, weighted by the predicted utilisation; default). */
  mode?: 'solo' | 'contended' | 'blend';
  /** Effective frames per second per tenant (for the blend's utilisation estimate). */
  rates?: number[];
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

export async function buildLatencyTable(input: CalibrateInput): Promise<LatencyTable> {
  const { lanes, execs, loaded } = input;
  const laneIds = lanes.map((l) => l.spec.id);
  const computeMs = execs.map((e) => e.units.map(() => lanes.map(() => NaN)));
  const ratio = execs.map((e) => e.units.map((u) => (u.variants ?? []).map(() => lanes.map(() => NaN))));
  const outBytes = execs.map((e) => e.units.map((u) => u.outputs.reduce((a, t) => a + t.dims.reduce((x, y) => x * Math.max(0, y), 4), 0)));
  const sources: string[] = execs.map(() => '');
  const cvs: number[] = [];
  const sigmas: number[] = [];
  const toCalibrate: number[] = [];
  execs.forEach((exec, t) => {
    // A tenant with variants, or with units that run a fixed variant, is calibrated here (the profile times the originals).
    const prof = exec.units.some((u) => u.variants?.length || u.fixedVariant) ? undefined : fromProfile(exec, input.granularity, laneIds, input.profiles);
    if (prof) {
      prof.ms.forEach((row, i) => row.forEach((v, l) => (computeMs[t][i][l] = loaded[t][l] ? v : NaN)));
      sources[t] = prof.source;
    } else toCalibrate.push(t);
  });
  const mode = input.mode ?? 'blend';
  const passes: ('solo' | 'contended')[] = mode === 'blend' && lanes.length > 1 ? ['solo', 'contended'] : [mode === 'contended' ? 'contended' : 'solo'];
  if (toCalibrate.length) input.onProgress?.(`calibrating ${toCalibrate.length} model(s) on ${lanes.length} lane(s) (${passes.join(' + ')})`);
  const measured: Record<'solo' | 'contended', number[][][]> = { solo: [], contended: [] };
  for (const pass of passes) {
    const table = execs.map((e) => e.units.map(() => lanes.map(() => NaN)));
    measured[pass] = table;
    const perLane = async (lane: LaneClient, l: number) => {
      for (const t of toCalibrate) {
        if (input.signal?.aborted) throw new Error('stopped during calibration');
        if (!loaded[t][l]) continue;
        // Solo runs are paced like the tenant's frames (half its period, 1-30 ms): a frame usually
        // finds its lane after a pause, with colder caches than back-to-back runs. Contended runs are
        // back to back (busy lanes).
        const rate = input.rates?.[t] ?? 0;
        const gapMs = pass === 'solo' && rate > 0 ? Math.min(30, Math.max(1, 500 / rate)) : 0;
        const r = await lane.request<CalibrationReply>({ op: 'calibrate', tenant: t, reps: input.reps, warmup: input.warmup, budgetMs: input.budgetMs, gapMs });
        r.times.forEach((times, i) => {
          table[t][i][l] = median(times);
          const mean = times.reduce((a, b) => a + b, 0) / times.length;
          const sd = Math.sqrt(times.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, times.length - 1));
          if (mean > 0 && pass === 'solo') {
            cvs.push(sd / mean);
            const logs = times.filter((x) => x > 0).map(Math.log).sort((a, b) => a - b);
            if (logs.length >= 4) sigmas.push((percentile(logs, 0.75) - percentile(logs, 0.25)) / 1.349);
          }
          if (r.outBytes[i] > 0) outBytes[t][i] = r.outBytes[i];
          const o = median(times);
          r.variantTimes?.[i]?.forEach((vt, k) => {
            if (vt.length && o > 0 && (pass === 'solo' || !Number.isFinite(ratio[t][i][k][l]))) ratio[t][i][k][l] = median(vt) / o;
          });
        });
      }
    };
    // 'solo': one lane at a time (nothing else of ours runs); 'contended': every lane at once (each
    // lane shares caches, memory bandwidth and cores with busy neighbours: the worst case).
    if (pass === 'contended') await Promise.all(lanes.map(perLane));
    else for (let l = 0; l < lanes.length; l++) await perLane(lanes[l], l);
  }
  // computeMs holds the one-lane-at-a-time figures (or the contended ones when only those were
  // measured); the contended pass is kept beside them, and calibratedTable() blends the two at the
  // utilisation the run will have (known only once the rates are final).
  const contendedMs = passes.includes('contended') && passes.includes('solo') ? measured.contended : undefined;
  for (const t of toCalibrate) {
    const src = passes.includes('solo') ? measured.solo[t] : measured.contended[t];
    src?.forEach((row, i) => row.forEach((v, l) => (computeMs[t][i][l] = v)));
    sources[t] =
      `calibration on these lanes (${input.reps} timed runs after ${input.warmup} warm-up; medians` +
      (passes.length === 2
        ? '; one lane at a time paced at half the frame period, and all lanes at once back to back)'
        : `; ${passes[0] === 'solo' ? 'one lane at a time, paced at half the frame period' : 'all lanes at once, back to back'})`);
  }

  input.onProgress?.('measuring dispatch overhead and transfers');
  const overheadS: number[] = [];
  for (let l = 0; l < lanes.length; l++) overheadS.push(await dispatchOverhead(lanes[l], loaded.map((row) => row[l]), computeMs.map((units) => units[0]?.[l] ?? NaN)));
  // One hop through the main thread, with and without a 1 MiB payload; a move between lanes is two hops.
  const hop0: number[] = [];
  const hop1: number[] = [];
  for (let k = 0; k < 8; k++) {
    for (const lane of lanes) {
      hop0.push(await lane.ping(0));
      hop1.push(await lane.ping(1 << 20));
    }
  }
  const h0 = Math.max(0, median(hop0)) / 1e6;
  const h1 = Math.max(0, median(hop1)) / 1e6;
  const perByte = Math.max(0, h1 - h0) / (1 << 20);
  const transfer = { latency: 2 * h0, bytesPerSec: perByte > 0 ? 1 / (2 * perByte) : 1e12 };
  // Model-level variants costed by the profile (ExecVariant.profileRatio): this run's original x the
  // profile's variant / original, as the simulator charges them; a lane the profile lacks: not offered.
  execs.forEach((exec, t) => exec.units.forEach((u, i) => u.variants?.forEach((v, k) => {
    if (!v.profileRatio) return;
    laneIds.forEach((id, l) => (ratio[t][i][k][l] = v.profileRatio![id.replace(/#\d+$/, '')] ?? NaN));
  })));
  const variantMs = ratio.map((units, t) => units.map((vs, i) => vs.map((lanesR) => lanesR.map((r, l) => r * computeMs[t][i][l]))));
  return { computeMs, variantMs, sources, outBytes, cv: cvs.length ? median(cvs) : 0, logSigma: sigmas.length ? median(sigmas) : 0, overheadS, transfer, releaseLagS: 0, ...(contendedMs ? { contendedMs } : {}) };
}

/**
 * What a layer costs the scheduler beyond session.run on this lane: the time from posting the run to
 * receiving 'done', minus the worker-side run time. Measured with real runs of the first unit of the
 * cheapest tenant (`costMs`: per tenant, its first unit's measured time on this lane, NaN unknown);
 * the number of runs and the wait for each scale with that time, so a slow lane (a software GPU at
 * seconds per run) is measured in a bounded time instead of timing out.
 */
export async function dispatchOverhead(lane: LaneClient, loaded: boolean[], costMs: number[] = []): Promise<number> {
  let t = -1;
  for (let k = 0; k < loaded.length; k++) {
    if (!loaded[k]) continue;
    if (t < 0 || (Number.isFinite(costMs[k]) && !(costMs[t] <= costMs[k]))) t = k;
  }
  if (t < 0) return 0;
  const cost = Number.isFinite(costMs[t]) ? Math.max(0, costMs[t]) : 0;
  // About 2 s of runs at most (at least 6, at most 24), the first few as warm-up.
  const n = Math.max(6, Math.min(24, Math.floor(2000 / Math.max(cost, 1e-3))));
  const warm = n >= 12 ? 4 : 2;
  const waitMs = Math.max(10_000, 20 * cost);
  const samples: number[] = [];
  const prev = lane.onEvent;
  try {
    for (let k = 0; k < n; k++) {
      const job = -1 - k;
      const done = new Promise<Extract<FromLane, { op: 'done' }>>((resolve) => {
        lane.onEvent = (m) => {
          if (m.op === 'done' && m.job === job) resolve(m);
        };
      });
      const sent = lane.nowUs();
      lane.post({ op: 'run', seq: 0, job, tenant: t, layer: 0, final: true, sample: 0, sentUs: sent });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const m = await Promise.race([done, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), waitMs)))]);
      clearTimeout(timer);
      if (!m) throw new Error(`lane ${lane.spec.id} did not answer a calibration run within ${(waitMs / 1000).toFixed(0)} s (its layer took ${cost.toFixed(1)} ms when measured): the lane is stuck or far slower than measured; use lighter models (e.g. demo:tiny) or leave the lane out`);
      if (m.error) throw new Error(m.error);
      if (k >= warm) samples.push(lane.nowUs() - sent - (m.endUs - m.startUs));
    }
  } finally {
    lane.onEvent = prev;
  }
  return Math.max(0, median(samples)) / 1e6;
}

export interface CalibratedTable {
  table: LatencyTable;
  /** What was applied, in words (for the report's latency source and calibration section). */
  notes: string[];
}

/**
 * The table the run predicts with: `raw` (one lane at a time, idle dispatch cost) plus what lanes
 * running together cost at this utilisation. Interference comes from the run's own contended pass
 * (the models' own layers) where it measured one, else from the machine calibration's lane-pair
 * slow-downs; tables from profiles (measured at another time) are also scaled by the background
 * load's fair-share factor. The machine calibration adds the dispatch cost under contention and the
 * policy's decision time, and its CPU<->CPU copy fit replaces the run's two-size hop estimate.
 */
export function calibratedTable(raw: LatencyTable, o: { utilisation: number; laneIds: string[]; cpuLanes: boolean[]; policy: string; machine?: MachineCalibration; background?: BackgroundLoad; busyThreads: number }): CalibratedTable {
  const u = Math.max(0, Math.min(1, o.utilisation));
  const util = o.laneIds.map(() => u);
  const adj = o.machine ? calibrationAdjustments(o.machine, o.laneIds, util, o.policy, true) : undefined;
  const bg = o.background ? backgroundFactor(o.background, o.busyThreads) : 1;
  const notes: string[] = [];
  const own = new Set<number>();
  const computeMs = raw.computeMs.map((units, t) => {
    const fromProfile = raw.sources[t].startsWith('profile ');
    return units.map((row, i) =>
      row.map((solo, l) => {
        if (!Number.isFinite(solo)) return solo;
        const cont = raw.contendedMs?.[t]?.[i]?.[l];
        let v = solo;
        if (o.laneIds.length > 1 && cont !== undefined && Number.isFinite(cont)) {
          v = solo + u * Math.max(0, cont - solo);
          own.add(t);
        } else if (adj) v = solo * adj.computeFactor[l];
        if (fromProfile && o.cpuLanes[l]) v *= bg;
        return v;
      }),
    );
  });
  if (own.size) notes.push(`interference from this run's own contended pass (the models' layers on every lane at once), blended at the predicted lane utilisation ${(100 * u).toFixed(0)}%`);
  if (adj) notes.push(`machine calibration ${o.machine!.key} (${o.machine!.createdAt})${own.size ? '' : ` lane-pair slow-downs at utilisation ${(100 * u).toFixed(0)}%`}: ${adj.notes.join('; ')}`);
  else if (!own.size) notes.push('no interference applied (no contended pass, no machine calibration)');
  if (o.background) notes.push(`background load at the start: load average ${o.background.loadavg1.toFixed(2)} on ${o.background.cores} cores, other processes busy ${Number.isFinite(o.background.othersBusyCores) ? o.background.othersBusyCores.toFixed(2) : '?'} cores` + (raw.sources.some((s) => s.startsWith('profile ')) ? `; profile latencies on CPU lanes x${bg.toFixed(2)} (fair-share model of that load, not a measurement)` : ' (already in the latencies measured at the start)'));
  const overheadS = raw.overheadS.map((s, l) => s + (adj ? adj.extraS[l] : 0));
  const transfer = adj?.copyLink ? { latency: 2 * adj.copyLink.latency, bytesPerSec: adj.copyLink.bytesPerSec / 2 } : raw.transfer;
  return { table: { ...raw, computeMs, overheadS, transfer }, notes };
}
