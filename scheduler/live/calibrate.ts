// Latency predictions for a live run: from measured profiles where they cover a tenant's units on
// every lane, else from a short calibration run on the lanes themselves (one lane at a time and all
// at once, blended by how busy the lanes will be). Also measures what the profile cannot
// know: each lane's dispatch overhead (message round trip + ORT's run() scheduling) and the cost of
// moving activations between lanes.
import { percentile } from '../core/metrics';
import type { Profile } from '../../profiler/types';
import type { LaneClient } from './lane-client';
import type { CalibrationReply, FromLane } from './protocol';
import type { ExecModel, ExecGranularity } from './types';

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
}

const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 0.5);

/** Latency (ms) of every unit on every lane from a profile of the same model and cut, or undefined. */
export function fromProfile(exec: ExecModel, granularity: ExecGranularity, laneIds: string[], profiles: Profile[]): { ms: number[][]; source: string } | undefined {
  const p = profiles.find((x) => (exec.sha256 && x.model.sha256 === exec.sha256) || x.model.name === exec.name);
  if (!p) return undefined;
  const idx = laneIds.map((id) => p.lanes.findIndex((l) => l.id === id));
  if (idx.some((k) => k < 0)) return undefined;
  let ms: number[][];
  if (granularity === 'model') {
    if (exec.units.length !== 1) return undefined;
    ms = [idx.map((k) => p.wholeModel[k]?.raw?.median ?? NaN)];
  } else {
    if (p.layers.length !== exec.units.length) return undefined;
    ms = p.layers.map((l) => idx.map((k) => l.lanes[k]?.raw?.median ?? NaN));
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
    // A tenant with variants is calibrated here: its variants are timed beside its units.
    const prof = exec.units.some((u) => u.variants?.length) ? undefined : fromProfile(exec, input.granularity, laneIds, input.profiles);
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
  // Blend: a layer meets busy neighbours about as often as the other lanes are busy, so its expected
  // latency is solo + u x (contended - solo), u = the predicted utilisation of the lanes (demand from
  // the scenario's rates at solo latencies, on the fastest lanes, / the number of lanes).
  let utilisation = 0;
  if (passes.length === 2) {
    let demand = 0;
    for (const t of toCalibrate) {
      let best = 0;
      for (const row of measured.solo[t]) best += Math.min(...row.filter(Number.isFinite));
      demand += (input.rates?.[t] ?? 0) * (best / 1000);
    }
    utilisation = Math.min(1, demand / lanes.length);
  }
  for (const t of toCalibrate) {
    measured.solo[t]?.forEach((row, i) =>
      row.forEach((_, l) => {
        const solo = passes.includes('solo') ? measured.solo[t][i][l] : NaN;
        const cont = passes.includes('contended') ? measured.contended[t][i][l] : NaN;
        computeMs[t][i][l] = passes.length === 2 ? solo + utilisation * Math.max(0, cont - solo) : Number.isFinite(solo) ? solo : cont;
      }),
    );
    if (!passes.includes('solo')) measured.contended[t].forEach((row, i) => row.forEach((v, l) => (computeMs[t][i][l] = v)));
    sources[t] =
      `calibration on these lanes (${input.reps} timed runs after ${input.warmup} warm-up; medians` +
      (passes.length === 2
        ? `; one lane at a time paced at half the frame period, and all lanes at once back to back, blended at the predicted lane utilisation ${(100 * utilisation).toFixed(0)}%)`
        : `; ${passes[0] === 'solo' ? 'one lane at a time, paced at half the frame period' : 'all lanes at once, back to back'})`);
  }

  input.onProgress?.('measuring dispatch overhead and transfers');
  const overheadS: number[] = [];
  for (let l = 0; l < lanes.length; l++) overheadS.push(await dispatchOverhead(lanes[l], loaded.map((row) => row[l])));
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
  const variantMs = ratio.map((units, t) => units.map((vs, i) => vs.map((lanesR) => lanesR.map((r, l) => r * computeMs[t][i][l]))));
  return { computeMs, variantMs, sources, outBytes, cv: cvs.length ? median(cvs) : 0, logSigma: sigmas.length ? median(sigmas) : 0, overheadS, transfer, releaseLagS: 0 };
}

/**
 * What a layer costs the scheduler beyond session.run on this lane: the time from posting the run to
 * receiving 'done', minus the worker-side run time. Measured with real runs of the cheapest unit.
 */
async function dispatchOverhead(lane: LaneClient, loaded: boolean[]): Promise<number> {
  const t = loaded.findIndex((ok) => ok);
  if (t < 0) return 0;
  const samples: number[] = [];
  const prev = lane.onEvent;
  try {
    for (let k = 0; k < 24; k++) {
      const job = -1 - k;
      const done = new Promise<Extract<FromLane, { op: 'done' }>>((resolve) => {
        lane.onEvent = (m) => {
          if (m.op === 'done' && m.job === job) resolve(m);
        };
      });
      const sent = lane.nowUs();
      lane.post({ op: 'run', seq: 0, job, tenant: t, layer: 0, final: true, sample: 0, sentUs: sent });
      const m = await Promise.race([done, new Promise<undefined>((r) => setTimeout(r, 10_000))]);
      if (!m) throw new Error(`lane ${lane.spec.id} did not answer a calibration run`);
      if (m.error) throw new Error(m.error);
      if (k >= 4) samples.push(lane.nowUs() - sent - (m.endUs - m.startUs));
    }
  } finally {
    lane.onEvent = prev;
  }
  return Math.max(0, median(samples)) / 1e6;
}
