// The tuner's Node side: builds the problem (a scenario's stored profiles -> one SimWorkload per
// lane layout), runs the pure search (core/tune) with its simulations spread over worker threads,
// and handles the time budget, cancellation and checkpoints (resume). The search itself decides
// what runs, so the result does not depend on the number of workers.
import { availableParallelism } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { spawnWorker, type WorkerHandle } from '../base/worker-host';
import { listProfiles, loadProfile, writeFileAtomic } from '../profiler/store';
import type { Profile } from '../profiler/types';
import { OPSET10_CHANGED, RAISES_OPSET9 } from '../profiler/variants/kinds';
import type { TenantDef } from './core/types';
import { matchProfiles, tenantModels } from '../workloads/assess';
import { loadScenario } from '../workloads/scenario-library';
import type { Scenario } from '../workloads/scenario';
import { evaluateCandidate, laneLayouts, TuneSearch, type Checkpoint, type DriftCheck, type EvalRequest, type EvalResult, type SimSettings, type TuneLayout, type TuneOptions, type TuneProgress, type TuneResult } from './core/tune';
import { busiestUtilisation, loadSimWorkload, SimWorkloadError } from './sim-workload';
import { wholeModelWorkload } from './core/groups';
import { calibrateWorkload } from './core/calibration';
import { findCalibration } from './live/machine-calibration';

export interface TuneProblem {
  scenarioRef: string;
  scenario: Scenario;
  /** Profile per tenant (scenario order). */
  profiles: Profile[];
  layouts: TuneLayout[];
  /** Frame rates x this (from --load / --scale), applied to every layout alike. */
  rateScale: number;
  /** Per layout, the machine calibration applied to its latencies (machineCalibration). */
  calibration?: { lanes: string[]; key: string; createdAt: string; notes: string[] }[];
}

/**
 * The layer variants of a profile that its whole model cannot take (TenantDef.notInWholeModel): an
 * opset-9 model with an op that changed meaning in opset 10 cannot be raised to 10, which an
 * int8-static layer needs (profiler/variants/generate.ts raisedOpset). Undefined when none.
 */
export function notInWholeModel(p: Profile): TenantDef['notInWholeModel'] {
  if (p.model.opsets?.[''] !== 9) return undefined;
  const changed = [...new Set(p.layers.flatMap((l) => l.opTypes ?? []).filter((o) => OPSET10_CHANGED.includes(o)))];
  const ids = [...new Set(p.layers.flatMap((l) => (l.variants?.variants ?? []).map((v) => v.id)).filter((id) => RAISES_OPSET9.some((k) => id === k || id.startsWith(`${k}(`))))];
  if (!changed.length || !ids.length) return undefined;
  return { variantIds: ids, reason: `${p.model.name} has opset 9 and ${changed.join(', ')}, which changed meaning in opset 10: ${ids.join(', ')} layers (which need opset 10) cannot be substituted into the whole model` };
}

/** The whole-model drift checks of these profiles (each profile once, every lane that ran one): what the tuner's speed drift is estimated from. */
export function driftChecks(profiles: readonly Profile[]): DriftCheck[] {
  const seen = new Set<string>();
  return profiles.flatMap((p) => {
    if (seen.has(p.id)) return [];
    seen.add(p.id);
    return p.lanes.flatMap((l) => (l.drift ? [{ source: `${p.id} ${l.id}`, beforeMs: l.drift.beforeMs, afterMs: l.drift.afterMs }] : []));
  });
}

export interface MissingProfile {
  tenant: string;
  model: string;
  /** The library id or path to give `tessera profile`. */
  profileArg: string;
}

/** Whether a profile measured every one of these lanes ("cpu:1#1" counts as "cpu:1"); no lanes asked: yes. */
export function coversLanes(profileLanes: readonly string[], lanes: readonly string[] | undefined): boolean {
  const have = new Set(profileLanes.map((l) => l.replace(/#\d+$/, '')));
  return !lanes?.length || lanes.every((l) => have.has(l.replace(/#\d+$/, '')));
}

/** The newest complete stored profile of each tenant's model (by sha256, else by name); with `lanes`, only profiles that measured all of them. */
export async function newestProfiles(scenarioRef: string, opts: { lanes?: string[] } = {}): Promise<{ found: Record<string, string>; missing: MissingProfile[] }> {
  const loaded = loadScenario(scenarioRef);
  const models = await tenantModels(loaded.scenario, { baseDir: loaded.baseDir });
  const all = listProfiles().filter((p) => !p.error && p.status === 'complete' && coversLanes(p.lanes, opts.lanes));
  const found: Record<string, string> = {};
  const missing: MissingProfile[] = [];
  for (const t of loaded.scenario.tenants) {
    const m = models[t.id];
    const hit = all.find((p) => m.sha256 && p.sha256 === m.sha256) ?? all.find((p) => (m.names ?? []).includes(p.model) || p.model === m.model);
    if (hit) found[t.id] = hit.id;
    else missing.push({ tenant: t.id, model: m.model, profileArg: m.libraryId ?? m.model });
  }
  return { found, missing };
}

/** Given profile ids matched to the scenario's tenants (by model hash, then name); a tenant left without one is an error naming it. */
export async function matchGivenProfiles(scenarioRef: string, ids: string[]): Promise<Record<string, string>> {
  const loaded = loadScenario(scenarioRef);
  const models = await tenantModels(loaded.scenario, { baseDir: loaded.baseDir });
  const profiles = ids.map((id) => loadProfile(id));
  const matched = matchProfiles(loaded.scenario, models, profiles);
  const out: Record<string, string> = {};
  for (const t of loaded.scenario.tenants) {
    const m = matched[t.id];
    if (!m) throw new SimWorkloadError(`tenant "${t.id}": none of the given profiles (${profiles.map((p) => `${p.id} = ${p.model.name}`).join(', ')}) is of its model ${models[t.id].model}; profile it (tessera profile ${models[t.id].libraryId ?? models[t.id].model})`);
    out[t.id] = m.profile.id;
  }
  return out;
}

export interface ProblemOptions {
  /** Tenant -> profile id (newestProfiles().found, or given). */
  profileFor: Record<string, string>;
  /** Explicit layouts (each a list of lane ids); default laneLayouts() of the measured lanes. */
  layouts?: string[][];
  /** Utilisation of the busiest lane on the first layout (rates scaled to it, every layout alike). */
  load?: number;
  /**
   * What `load` costs a frame at: 'layer' (default) the sum of its layers, each on its fastest lane;
   * 'model' the measured whole model (TenantDef.wholeModel, as model granularity charges it; the
   * layers' sum where not measured). Whole models run well under their layers' sum (hand tracker
   * 0.30x), so a load from layer sums leaves model granularity idle where the layers overflow.
   */
  loadGranularity?: 'layer' | 'model';
  scale?: number;
  /** Cores to split into CPU lanes (default the profiles' machine's). */
  cores?: number;
  /**
   * Apply the stored machine calibration (tessera calibrate) to each layout's latencies, as
   * `simulate --calibrated` does: lanes slowed by each other at the expected utilisation, the
   * dispatch cost per run() call, CPU<->CPU copies. Profiles measure one lane at a time, so without
   * it two lanes sharing two cores look as fast as one alone. The load (rate scale) is still set
   * on the profiles' figures, so a calibrated and an uncalibrated tune run the same frame rates.
   */
  machineCalibration?: boolean;
}

export async function buildTuneProblem(scenarioRef: string, o: ProblemOptions): Promise<TuneProblem> {
  const loaded = loadScenario(scenarioRef);
  const profiles = loaded.scenario.tenants.map((t) => {
    const id = o.profileFor[t.id];
    if (!id) throw new SimWorkloadError(`tenant "${t.id}" has no profile: profile its model first (tessera profile ...) or pass --profile`);
    return loadProfile(id);
  });
  const ids = [...new Set(profiles.map((p) => p.id))];
  const shared = profiles[0].lanes.filter((l) => !l.error && profiles.every((p) => p.lanes.some((x) => x.id === l.id && !x.error))).map((l) => l.id);
  const cores = o.cores ?? Math.min(...profiles.map((p) => p.machine.cores));
  const layoutIds = o.layouts?.length ? o.layouts : laneLayouts(shared, cores);
  const opts = { profiles: ids, profileFor: o.profileFor };
  let rateScale = o.scale ?? 1;
  if (o.load !== undefined) {
    const first = await loadSimWorkload(scenarioRef, { ...opts, lanes: layoutIds[0], scale: rateScale });
    rateScale *= o.load / busiestUtilisation(o.loadGranularity === 'model' ? wholeModelWorkload(first) : first);
  }
  const layouts: TuneLayout[] = [];
  const calibration: NonNullable<TuneProblem['calibration']> = [];
  const limits = profiles.map(notInWholeModel);
  for (const lanes of layoutIds) {
    const w = await loadSimWorkload(scenarioRef, { ...opts, lanes, ...(rateScale !== 1 ? { scale: rateScale } : {}) });
    layouts.push({ lanes: w.lanes.map((l) => l.id), workload: { ...w, tenants: w.tenants.map((t, i) => (limits[i] ? { ...t, notInWholeModel: limits[i] } : t)) } });
  }
  if (o.machineCalibration) {
    const every = [...new Set(layouts.flatMap((l) => l.lanes))];
    for (const layout of layouts) {
      const found = await findCalibration(layout.lanes);
      if (!found.calibration) throw new SimWorkloadError(`machine calibration for lanes ${layout.lanes.join('+')}: ${found.reason}. One calibration of every layout's lanes covers them all: tessera calibrate --lanes ${every.join(',')}`);
      const c = calibrateWorkload(layout.workload, found.calibration);
      layout.workload = c.workload;
      calibration.push({ lanes: layout.lanes, key: found.calibration.key, createdAt: found.calibration.createdAt, notes: c.notes });
    }
  }
  return { scenarioRef, scenario: loaded.scenario, profiles, layouts, rateScale, ...(o.machineCalibration ? { calibration } : {}) };
}

export interface RunTuneOptions extends Omit<TuneOptions, 'shouldStop' | 'resume'> {
  /** Worker threads (default: every core but one, at least 1); 0 = inline in this thread. */
  workers?: number;
  /** Wall-clock budget in seconds: the search stops at the first batch boundary after it. */
  budgetSec?: number;
  signal?: AbortSignal;
  onProgress?: (p: TuneProgress & { elapsedSec: number }) => void;
  /** Written after every round; read back to resume when it exists and `resume` is set. */
  checkpointFile?: string;
  resume?: boolean;
}

export interface TuneOutcome {
  result: TuneResult;
  wallSec: number;
  workers: number;
  /** Options as run (what a schedule's provenance records). */
  options: Omit<RunTuneOptions, 'signal' | 'onProgress'>;
}

/** The search was cancelled (its checkpoint, if any, resumes it). */
export class TuneCancelled extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TuneCancelled';
  }
}

export async function runTune(layouts: TuneLayout[], o: RunTuneOptions): Promise<TuneOutcome> {
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  let resume: Checkpoint | undefined;
  if (o.resume && o.checkpointFile && existsSync(o.checkpointFile)) {
    try {
      resume = JSON.parse(readFileSync(o.checkpointFile, 'utf8')) as Checkpoint;
    } catch (e) {
      throw new Error(`checkpoint ${o.checkpointFile}: not readable as JSON (${(e as Error).message}); delete it to start afresh`, { cause: e });
    }
  }
  const search = new TuneSearch(layouts, {
    ...o,
    resume,
    shouldStop: () => o.signal?.aborted === true || (o.budgetSec !== undefined && elapsed() >= o.budgetSec),
  });
  const nWorkers = o.workers ?? Math.max(1, availableParallelism() - 1);
  const pool = nWorkers > 0 ? new Pool(nWorkers, layouts, o.sim) : undefined;
  try {
    const gen = search.run();
    let step = gen.next();
    while (!step.done) {
      const results = pool ? await pool.run(step.value, o.signal) : inline(layouts, o.sim, step.value);
      if (o.signal?.aborted) break;
      step = gen.next(results);
      if (o.checkpointFile) writeFileAtomic(o.checkpointFile, JSON.stringify(search.checkpoint()));
      o.onProgress?.({ ...search.progress, elapsedSec: elapsed() });
      await new Promise<void>((r) => setImmediate(r));
    }
    if (o.signal?.aborted || !step.done) throw new TuneCancelled(`tuning cancelled after ${search.progress.candidatesTried} candidates${o.checkpointFile ? ` (checkpoint ${o.checkpointFile}: rerun with resume to continue)` : ''}`);
    const { signal: _s, onProgress: _p, ...options } = o;
    return { result: step.value, wallSec: elapsed(), workers: nWorkers, options };
  } finally {
    await pool?.close();
  }
}

function inline(layouts: TuneLayout[], sim: SimSettings, reqs: EvalRequest[]): EvalResult[] {
  return reqs.map((r) => evaluateCandidate(layouts, r.candidate, r.seed, sim, r.referenceJoules, r.isolate));
}

/** Worker threads, each simulating one request at a time; results come back in request order. */
class Pool {
  private workers: WorkerHandle[];
  private pending = new Map<number, { resolve: (r: EvalResult) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private dead?: string;

  constructor(n: number, layouts: TuneLayout[], sim: SimSettings) {
    this.workers = Array.from({ length: n }, () => {
      const w = spawnWorker('tune', 'thread', { layouts, sim });
      w.onMessage((m: { id: number; result?: EvalResult; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.error !== undefined) p.reject(new Error(`tuner worker: ${m.error}`));
        else p.resolve(m.result!);
      });
      w.onExit((reason) => {
        if (!reason) return;
        this.dead = reason;
        for (const p of this.pending.values()) p.reject(new Error(`tuner worker ended: ${reason}`));
        this.pending.clear();
      });
      return w;
    });
  }

  async run(reqs: EvalRequest[], signal?: AbortSignal): Promise<EvalResult[]> {
    const out: EvalResult[] = new Array(reqs.length);
    let next = 0;
    const lane = async (w: WorkerHandle) => {
      while (next < reqs.length && !signal?.aborted) {
        const i = next++;
        if (this.dead) throw new Error(`tuner worker ended: ${this.dead}`);
        const id = this.nextId++;
        out[i] = await new Promise<EvalResult>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          w.post({ id, request: reqs[i] });
        });
      }
    };
    await Promise.all(this.workers.map(lane));
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
