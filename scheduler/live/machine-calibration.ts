// Machine calibration, the measuring part (the pure rules are scheduler/core/calibration.ts): on the
// lanes asked for, with representative kernels (the demo's 3x3-conv and MLP layers, run by the live
// lane workers themselves), it measures
//   - per ordered lane pair, each lane's kernel time alone and while the other lane runs back to back;
//   - per lane, the dispatch cost beyond session.run with the other lanes idle and busy;
//   - per policy, the engine thread's time per decision (the simulator's loop on a demo-like workload);
//   - CPU<->CPU activation copies by size (message hops through the engine thread, 0 to 4 MiB);
//   - the background load (load average, other processes' CPU time) at the start.
// Stored under dataDir()/calibration/<key>.json with its fingerprint and date, reused until stale
// (another machine or software, other lanes, or older than CALIBRATION_MAX_AGE_H).
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, hostname } from 'node:os';
import { join } from 'node:path';
import { dataDir } from '../../base/paths';
import { writeFileAtomic } from '../../profiler/store';
import { fitTransfer } from '../../profiler/transfer';
import { CALIBRATION_SCHEMA, calibrationKey, calibrationStatus, type MachineCalibration, type MachineFingerprint, type PairInterference } from '../core/calibration';
import { createPolicy, policyNames } from '../core/policies';
import { simulate } from '../core/simulator';
import { syntheticWorkload } from '../core/synthetic';
import type { LaneSpec } from '../../profiler/types';
import { measureBackground } from './background';
import { dispatchOverhead } from './calibrate';
import { LaneClient } from './lane-client';
import { keepSets, resolveExecModel } from './models';
import type { CalibrationReply } from './protocol';
import type { ExecModel } from './types';

const KERNELS = ['demo:conv', 'demo:mlp'];
const KERNELS_NOTE = 'the demo\'s layers (4 x Conv 3x3 32ch 56x56 + Relu; 3 x MatMul 32x768x768 + Relu), synthetic weights, run by the live lane workers';
const COPY_SIZES = [0, 64 << 10, 1 << 20, 4 << 20];
/** Alone / contended alternations per lane pair. */
const ROUNDS = 3;

let ortVersion: string | undefined;
async function ort(): Promise<string> {
  ortVersion ??= (await import('onnxruntime-node')).env.versions.common ?? 'unknown';
  return ortVersion;
}

export async function fingerprint(): Promise<MachineFingerprint> {
  return { hostname: hostname(), cpu: cpus()[0]?.model?.trim() ?? 'unknown', cores: availableParallelism(), platform: process.platform, arch: process.arch, node: process.version, ort: await ort() };
}

export { measureBackground };

export function calibrationDir(root = dataDir()): string {
  return join(root, 'calibration');
}

const median = (xs: number[]) => {
  const s = [...xs].filter(Number.isFinite).sort((x, y) => x - y);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Kernel time on a lane: per kernel model the sum over its layers of the median run time (ms), back to back. */
async function kernelMs(lane: LaneClient, kernels: number, reps: number, budgetMs: number): Promise<number> {
  let sum = 0;
  for (let t = 0; t < kernels; t++) {
    const r = await lane.request<CalibrationReply>({ op: 'calibrate', tenant: t, reps, warmup: 2, budgetMs, gapMs: 0 });
    sum += r.times.reduce((a, times) => a + median(times), 0);
  }
  return sum;
}

/** Keeps a lane busy back to back until `stop` resolves. */
async function keepBusy(lane: LaneClient, kernels: number, stop: { done: boolean }): Promise<void> {
  for (let k = 0; !stop.done; k++) await lane.request<CalibrationReply>({ op: 'calibrate', tenant: k % kernels, reps: 4, warmup: 0, budgetMs: 50, gapMs: 0 });
}

/** Engine-thread time per layer dispatch (decision + book-keeping) for every policy, by the simulator on a demo-like synthetic workload. */
export function decisionCosts(): Record<string, number> {
  const w = syntheticWorkload({ scenario: 'vr_gaming', skew: 'balanced', load: 0.7, variants: false });
  const out: Record<string, number> = {};
  for (const name of policyNames()) {
    try {
      simulate(w, createPolicy(name), { duration: 0.3, seed: 1, recordSlices: false, metrics: false }); // warm-up (JIT)
      const t0 = performance.now();
      const r = simulate(w, createPolicy(name), { duration: 2, seed: 2, recordSlices: false, metrics: false });
      const us = ((performance.now() - t0) * 1000) / Math.max(1, r.layerExecutions);
      out[name] = +us.toFixed(2);
    } catch {
      // A policy the synthetic workload cannot run (e.g. it needs variants) has no figure; the predictor then adds none.
    }
  }
  return out;
}

export interface CalibrateMachineOptions {
  lanes: LaneSpec[];
  /** Timed runs per kernel per measurement (default 10). */
  reps?: number;
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

/** Measures a calibration on these lanes (about 10-40 s on a CPU-only machine; longer under load). */
export async function measureMachineCalibration(o: CalibrateMachineOptions): Promise<MachineCalibration> {
  const t0 = performance.now();
  const progress = (m: string) => o.onProgress?.(m);
  const reps = o.reps ?? 10;
  const laneIds = o.lanes.map((l) => l.id);
  progress('measuring the background load');
  const background = await measureBackground();
  const fp = await fingerprint();
  const origin = process.hrtime.bigint();
  const lanes = o.lanes.map((spec, i) => new LaneClient(i, spec, origin, 'thread'));
  const stopped = () => {
    if (o.signal?.aborted) throw new Error('calibration stopped');
  };
  try {
    progress(`loading kernels on ${lanes.length} lane(s)`);
    const execs: ExecModel[] = [];
    for (const k of KERNELS) execs.push(await resolveExecModel({ id: k, model: k, arrival: { type: 'periodic', fps: 30 } }, 'layer', 1));
    for (const lane of lanes) {
      for (let t = 0; t < execs.length; t++) {
        const exec = execs[t];
        for (let i = 0; i < exec.units.length; i++) await lane.request({ op: 'load', key: `${t}/${i}`, bytes: exec.units[i].bytes });
        const keep = keepSets(exec);
        await lane.request({ op: 'tenant', tenant: t, units: exec.units.map((u, i) => ({ key: `${t}/${i}`, inputs: u.inputs.map((x) => x.name), outputs: u.outputs.map((x) => x.name), keep: keep[i] })), samples: exec.samples ?? [] });
      }
    }
    for (const lane of lanes) if (!lane.alive) throw new Error(`lane ${lane.spec.id} could not start: ${lane.failure}`);
    const budget = 800;
    const interference: PairInterference[] = [];
    const solo: number[] = [];
    for (let l = 0; l < lanes.length; l++) {
      stopped();
      progress(`kernels alone on ${laneIds[l]}`);
      solo.push(await kernelMs(lanes[l], execs.length, reps, budget));
    }
    // Alone and contended in alternation (ABAB...): the background load moves on a shared machine,
    // and each ratio compares measurements a second apart.
    for (let l = 0; l < lanes.length; l++) {
      for (let j = 0; j < lanes.length; j++) {
        if (j === l) continue;
        progress(`kernels on ${laneIds[l]} alone and with ${laneIds[j]} busy (${ROUNDS} rounds)`);
        const alone: number[] = [solo[l]];
        const together: number[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          stopped();
          const stop = { done: false };
          const busy = keepBusy(lanes[j], execs.length, stop);
          await new Promise((res) => setTimeout(res, 30));
          try {
            together.push(await kernelMs(lanes[l], execs.length, reps, budget));
          } finally {
            stop.done = true;
            await busy;
          }
          alone.push(await kernelMs(lanes[l], execs.length, reps, budget));
        }
        const soloMs = median(alone);
        const contendedMs = median(together);
        interference.push({ lane: laneIds[l], with: laneIds[j], soloMs, contendedMs, slowdown: Math.max(1, contendedMs / soloMs), ratio: contendedMs / soloMs, rounds: ROUNDS });
      }
    }
    progress('measuring dispatch costs');
    const dispatch = [];
    for (let l = 0; l < lanes.length; l++) {
      stopped();
      const loaded = execs.map(() => true);
      const idle = await dispatchOverhead(lanes[l], loaded, [1, 0]);
      let contended = idle;
      if (lanes.length > 1) {
        const stop = { done: false };
        const busy = Promise.all(lanes.map((other, j) => (j === l ? Promise.resolve() : keepBusy(other, execs.length, stop))));
        try {
          contended = await dispatchOverhead(lanes[l], loaded, [1, 0]);
        } finally {
          stop.done = true;
          await busy;
        }
      }
      dispatch.push({ lane: laneIds[l], idleUs: idle * 1e6, contendedUs: contended * 1e6 });
    }
    progress('measuring CPU<->CPU copies by size');
    const points: { bytes: number; oneWayUs: number }[] = [];
    for (const bytes of COPY_SIZES) {
      const hops: number[] = [];
      for (let k = 0; k < 9; k++) for (const lane of lanes) hops.push(await lane.ping(bytes));
      points.push({ bytes, oneWayUs: Math.max(0, median(hops.slice(lanes.length))) });
    }
    const copies = { ...fitTransfer(points), method: 'one message hop between the engine thread and a lane worker (postMessage with the payload transferred), median of repeats per size, least-squares line; a move between two lanes is two hops' };
    progress('measuring the policies\' decision cost');
    const decisionUs = decisionCosts();
    return {
      schema: CALIBRATION_SCHEMA,
      createdAt: new Date().toISOString(),
      fingerprint: fp,
      key: calibrationKey(fp, laneIds),
      lanes: laneIds,
      kernels: KERNELS_NOTE,
      interference,
      dispatch,
      decisionUs,
      copies,
      background,
      tookSec: (performance.now() - t0) / 1000,
    };
  } finally {
    await Promise.all(lanes.map((l) => l.terminate().catch(() => {})));
  }
}

export function saveCalibration(c: MachineCalibration, root = dataDir()): string {
  const dir = calibrationDir(root);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${c.key}.json`);
  writeFileAtomic(file, JSON.stringify(c, null, 2));
  return file;
}

/** The stored calibrations that are readable (newest first); unreadable files are skipped. */
export function listCalibrations(root = dataDir()): MachineCalibration[] {
  const dir = calibrationDir(root);
  if (!existsSync(dir)) return [];
  const out: MachineCalibration[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json')) continue;
    try {
      const c = JSON.parse(readFileSync(join(dir, f), 'utf8')) as MachineCalibration;
      if (c && c.schema === CALIBRATION_SCHEMA && Array.isArray(c.interference)) out.push(c);
    } catch {
      // a half-written or foreign file: not a calibration
    }
  }
  return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** The newest fresh stored calibration covering these lanes on this machine, with why it is or is not usable. */
export async function findCalibration(laneIds: string[], root = dataDir(), nowMs = Date.now()): Promise<{ calibration?: MachineCalibration; reason: string }> {
  const fp = await fingerprint();
  const all = listCalibrations(root);
  if (!all.length) return { reason: 'no machine calibration stored (run `tessera calibrate`)' };
  let why = '';
  for (const c of all) {
    const s = calibrationStatus(c, fp, laneIds, nowMs);
    if (s.fresh) return { calibration: c, reason: s.reason };
    why ||= s.reason;
  }
  return { reason: `no usable machine calibration: the newest is unusable (${why}); run \`tessera calibrate --lanes ${laneIds.join(',')}\`` };
}

/** A fresh calibration for these lanes: the stored one if usable, else measured now and stored. */
export async function ensureCalibration(o: CalibrateMachineOptions & { refresh?: boolean }): Promise<{ calibration: MachineCalibration; reused: boolean; file?: string; reason: string }> {
  const ids = o.lanes.map((l) => l.id);
  if (!o.refresh) {
    const found = await findCalibration(ids);
    if (found.calibration) return { calibration: found.calibration, reused: true, reason: found.reason };
  }
  const c = await measureMachineCalibration(o);
  const file = saveCalibration(c);
  return { calibration: c, reused: false, file, reason: o.refresh ? 'measured now (refresh asked for)' : 'measured now' };
}
