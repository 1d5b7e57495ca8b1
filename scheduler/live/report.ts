// The end of a live run: THE metrics (scheduler/core/metrics.ts) of what was measured, the simulator
// run beside it (same latency table, scenario, policy and seed) with the per-tenant differences, the
// Perfetto trace (dataDir()/runs/<id>/trace.json) and report.json (both written atomically). While
// the run goes, assembleReport(books, snapshot) makes the partial reports that run-journal.ts saves.
import { join } from 'node:path';
import { errorRemoved, type BackgroundLoad, type MachineCalibration } from '../core/calibration';
import { countDrops, DROP_REASON_TEXT, DROP_REASONS, type DropCounts } from '../core/jobs';
import { computeMetrics, percentile, type GroupMetrics, type Metrics } from '../core/metrics';
import { simulate } from '../core/simulator';
import { DispatcherSim, dispatcherParams, type DispatcherParams } from '../core/dispatcher';
import type { Attribution } from '../core/energy-attribution';
import { chromeTrace, type TraceEvent } from '../core/trace';
import { relativeDeadline, type Policy, type PolicyEvent, type SimWorkload } from '../core/types';
import { variantUse } from '../core/variant-use';
import { writeFileAtomic } from '../../profiler/store';
import type { GpuAdapter, LaneSpec } from '../../profiler/types';
import type { LatencyTable } from './calibrate';
import { runDir, RUN_FILES } from './runs-store';
import type { EnergySourceLabel, ExecModel, LiveLevers, LiveJobRecord, LiveReport, LiveScenario, LiveSlice, ResolvedLiveOptions, TenantComparison } from './types';

export interface RunBooks {
  runId: string;
  /** Wall-clock time frames started being released (ISO); undefined if the run never started. */
  startedAt?: string;
  scenario: LiveScenario;
  options: ResolvedLiveOptions;
  initialPolicy: string;
  policy: Policy;
  /** Makes a policy by name (the run's factory), for the prediction. */
  createPolicy: (name: string) => Policy;
  switches: { at: number; policy: string }[];
  workload: SimWorkload;
  /** The prediction's workload without the calibration (absent: no comparison). */
  uncalibrated?: SimWorkload;
  calibration?: { notes: string[]; machine?: MachineCalibration; background?: BackgroundLoad; loadTarget?: { load: number; scale: number } };
  execs: ExecModel[];
  table: LatencyTable;
  records: LiveJobRecord[];
  recordsDropped: number;
  slices: LiveSlice[];
  slicesDropped: number;
  elapsed: number;
  /** Frames were released until this run time (the duration, or when the run was stopped). */
  releasedUntil: number;
  status: LiveReport['status'];
  error?: string;
  lanes: { spec: LaneSpec; adapter?: GpuAdapter; failure?: { at: number; reason: string }; busySec: number; runs: number; overheadS: number }[];
  ratios: number[][];
  transfers: { count: number; bytes: number; samples: number[] };
  maxQueued: number[];
  /** The run's cap on frames in the system (the prediction applies it too). */
  maxInSystem: number;
  loop: { maxMs: number; p99Ms: number; meanMs: number };
  faults: LiveReport['faults'];
  /** Layer variants: the sessions each lane loaded, and layer starts per [tenant][layer][variant]. */
  variants?: { sessions: NonNullable<LiveReport['variantSessions']>; runs: number[][][] };
  /** The policy's switches (DREAM's model variants). */
  policyEvents?: readonly PolicyEvent[];
  /** The schedule levers applied (pins, late drop, fixed variants), when any was asked. */
  levers?: LiveLevers;
  faultJobs: { lane: number; at: number; jobs: number[] }[];
  energy: { joules: number; source: EnergySourceLabel; notes: string[]; attribution?: Attribution[] };
  warnings: string[];
  clockKind: string;
}

const ms = (s: number) => s * 1000;

function summary(m: GroupMetrics): TenantComparison['measured'] {
  return { released: m.released, meanLatencyMs: ms(m.meanLatency), p95LatencyMs: ms(m.p95Latency), missRate: m.missRate, dropRate: m.dropRate };
}

export function compare(measured: Metrics, predicted: Metrics): TenantComparison[] {
  const rel = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a - b) / b : NaN);
  const rows = measured.perTenant.map((m, i) => {
    const p = predicted.perTenant[i];
    const a = summary(m);
    const b = summary(p);
    return {
      tenant: m.tenant,
      measured: a,
      predicted: b,
      diff: { meanLatencyRel: rel(a.meanLatencyMs, b.meanLatencyMs), p95LatencyRel: rel(a.p95LatencyMs, b.p95LatencyMs), missRatePts: 100 * (a.missRate - b.missRate), dropRatePts: 100 * (a.dropRate - b.dropRate) },
    };
  });
  const a = summary(measured.overall);
  const b = summary(predicted.overall);
  rows.push({ tenant: '(all)', measured: a, predicted: b, diff: { meanLatencyRel: rel(a.meanLatencyMs, b.meanLatencyMs), p95LatencyRel: rel(a.p95LatencyMs, b.p95LatencyMs), missRatePts: 100 * (a.missRate - b.missRate), dropRatePts: 100 * (a.dropRate - b.dropRate) } });
  return rows;
}

/** The final report, with the prediction, written with the trace under the run's folder (unless options.writeFiles is false). */
export async function buildReport(b: RunBooks): Promise<LiveReport> {
  const report = assembleReport(b);
  if (b.options.writeFiles !== false) {
    const dir = runDir(b.runId);
    const trace = join(dir, RUN_FILES.trace);
    const file = join(dir, RUN_FILES.report);
    report.files = { dir, trace, report: file };
    writeFileAtomic(trace, JSON.stringify(liveTrace(b, report)));
    writeFileAtomic(file, JSON.stringify(report, null, 2));
  }
  return report;
}

/**
 * The report of what the books hold. A snapshot (a run still going: crash safety) counts only the
 * frames that ended, reports the ones in flight as `abandoned`, has status 'running' and no
 * prediction (too slow to redo every few seconds).
 */
export function assembleReport(b: RunBooks, snapshot?: { pid: number; intervalSec: number }): LiveReport {
  const o = b.options;
  const slos = b.workload.tenants.map((t) => ({ id: t.id, slos: t.slos, baseAccuracy: t.baseAccuracy }));
  const counted = b.records.filter((r) => !r.abandoned && (!snapshot || r.dropped || Number.isFinite(r.finish)));
  const abandoned = b.records.length - counted.length;
  const makespan = Math.max(b.elapsed, 1e-9);
  const metrics = computeMetrics({ jobs: counted, tenants: slos, energy: { joules: b.energy.joules, source: b.energy.source }, span: { duration: b.releasedUntil, horizon: Math.max(b.releasedUntil, makespan) }, window: o.window });

  let predicted: LiveReport['predicted'];
  let comparison: TenantComparison[] | undefined;
  const warnings = [...b.warnings];
  let hindsight: LiveReport['hindsight'];
  let calibration: LiveReport['calibration'] = b.calibration ? calibrationBase(b) : undefined;
  if (!snapshot && o.predict !== false && b.releasedUntil > 0) {
    // A calibrated prediction models the dispatching thread (core/dispatcher.ts); the others do not.
    const disp = b.calibration?.machine
      ? dispatcherParams(b.calibration.machine, b.workload, {
          policy: b.initialPolicy,
          laneThreads: b.lanes.map((l) => (l.spec.ep === 'cpu' ? (l.spec.threads ?? 1) : 0)),
          backgroundCores: b.calibration.background?.othersBusyCores,
          cores: b.calibration.background?.cores,
        })
      : undefined;
    let dispatcherRun: DispatcherSim | undefined;
    const simulateWith = (w: SimWorkload, dispatcher?: DispatcherParams) => {
      if (dispatcher) dispatcherRun = new DispatcherSim(dispatcher);
      const sim = simulate(w, b.createPolicy(b.initialPolicy), {
        ...(dispatcher ? { dispatcher: dispatcherRun } : {}),
        duration: b.releasedUntil,
        seed: o.seed,
        adaptive: o.adaptive,
        maxQueuePerTenant: o.maxQueuePerTenant,
        maxInSystem: b.maxInSystem,
        dropLate: o.dropLate === true,
        latencyNoise: b.table.cv,
        window: o.window,
        recordSlices: false,
        metrics: false,
      });
      return computeMetrics({ jobs: sim.jobs, tenants: slos, energy: { joules: sim.energyJ, source: w.energySource }, span: { duration: b.releasedUntil, horizon: sim.horizon }, window: o.window });
    };
    let pm: Metrics | undefined;
    try {
      pm = simulateWith(b.workload, disp?.params);
    } catch (e) {
      // The simulator holds the policy to the same rules (e.g. it rejects an invalid decision): say so, keep the measurements.
      warnings.push(`no prediction: the simulator could not run policy "${b.initialPolicy}" on this run's table (${(e as Error).message})`);
    }
    if (pm) {
      const notes = [
        `simulator (scheduler/core/simulator.ts) with the live run's latency table (${b.workload.latencySource.detail ?? ''}), scenario, policy "${b.initialPolicy}", seed ${o.seed}, bounded queue ${o.maxQueuePerTenant}, at most ${b.maxInSystem} frames in the system, online refinement ${o.adaptive ? 'on' : 'off'}${o.dropLate ? ', late dropping on' : ''}${b.levers?.pins.length ? `, pins ${b.levers.pins.map((p) => `${p.tenant}->${p.lane}`).join(', ')}` : ''}`,
        `latency noise: normal per layer, ${(b.table.cv * 100).toFixed(1)}% (the calibration's median coefficient of variation; its robust lognormal spread was ${b.table.logSigma.toFixed(3)})`,
        'frame release times are identical (same arrival stream); cascade draws follow finish order and may differ',
      ];
      if (disp) notes.push(disp.note);
      if (b.switches.length) notes.push(`the policy was switched mid-run (${b.switches.map((s) => `${s.policy} at ${s.at.toFixed(2)} s`).join(', ')}); the prediction uses the initial policy only`);
      if (b.faults.length) notes.push('lanes failed during the live run; the prediction assumes every lane stays up');
      predicted = { metrics: pm, latencyNoise: b.table.cv, note: notes.join('; ') };
      comparison = compare(metrics, pm);
      // Hindsight (not a prediction): the same simulation with the table scaled by the observed/expected
      // ratios the run learnt, to tell a wrong latency table apart from the simulator's model of the runtime.
      const scaled: SimWorkload = {
        ...b.workload,
        tenants: b.workload.tenants.map((t, ti) => ({
          ...t,
          layers: t.layers.map((layer) => ({ ...layer, variants: layer.variants.map((v) => ({ ...v, cost: v.cost.map((c, l) => (c ? { ...c, latency: c.latency * (b.ratios[ti]?.[l] ?? 1) } : c)) })) })),
        })),
      };
      const hm = simulateWith(scaled);
      if (b.uncalibrated && b.calibration) {
        try {
          const sim = dispatcherRun;
          const um = simulateWith(b.uncalibrated);
          const uncalibrated = compare(metrics, um);
          calibration = { ...calibrationBase(b), uncalibrated, errorRemoved: removedOf(comparison, uncalibrated) };
          if (disp?.params && sim) {
            // A/B: the same calibrated prediction without the dispatcher model, and what the model removes.
            const withoutDispatcher = compare(metrics, simulateWith(b.workload));
            calibration.dispatcher = {
              note: disp.note,
              serviceUs: disp.params.serviceS * 1e6,
              utilisation: disp.params.utilisation,
              waited: sim.waited,
              meanWaitUs: sim.waited ? (sim.waitS / sim.waited) * 1e6 : 0,
              withoutDispatcher,
              errorRemoved: removedOf(comparison, withoutDispatcher),
            };
          } else if (disp) calibration.dispatcher = { note: disp.note };
        } catch (e) {
          warnings.push(`no uncalibrated prediction: ${(e as Error).message}`);
        }
      }
      hindsight = { comparison: compare(metrics, hm), note: 'NOT a prediction: re-simulated after the run with each (tenant, lane) latency scaled by the observed/expected ratio the run learnt online' };
    }
  }

  const drops = countDrops(counted);
  warnings.push(...overloadWarnings(drops, metrics.overall.released, o.maxQueuePerTenant, b.maxInSystem));
  const samples = [...b.transfers.samples].sort((x, y) => x - y);
  const report: LiveReport = {
    runId: b.runId,
    ...(b.startedAt ? { startedAt: b.startedAt } : {}),
    scenario: b.scenario.name,
    policy: b.initialPolicy,
    policySwitches: b.switches,
    granularity: o.granularity,
    seed: o.seed,
    scale: o.scale,
    durationSec: o.duration,
    elapsedSec: b.elapsed,
    status: b.status,
    error: b.error,
    lanes: b.lanes.map((l) => ({
      id: l.spec.id,
      ep: l.spec.ep,
      threads: l.spec.threads,
      ...(l.spec.software ? { software: true } : {}),
      ...(l.adapter ? { adapter: l.adapter } : {}),
      alive: !l.failure,
      failure: l.failure,
      busySec: l.busySec,
      utilisation: b.elapsed > 0 ? l.busySec / (l.failure ? Math.max(1e-9, l.failure.at) : b.elapsed) : 0,
      runs: l.runs,
      dispatchOverheadUs: l.overheadS * 1e6,
    })),
    tenants: b.workload.tenants.map((t, i) => ({
      id: t.id,
      model: b.execs[i].name,
      units: b.execs[i].units.length,
      deadlineMs: ms(relativeDeadline(t)),
      arrival: t.arrival,
      cascade: t.cascade,
      predictedMs: b.workload.lanes.map((_, l) => {
        let sum = 0;
        for (const layer of t.layers) {
          const c = layer.variants[0].cost[l];
          if (!c) return null;
          sum += c.latency;
        }
        return ms(sum);
      }),
    })),
    latencySource: b.workload.latencySource.detail ?? JSON.stringify(b.workload.latencySource),
    metrics,
    predicted,
    comparison,
    hindsight,
    ...(calibration ? { calibration } : {}),
    adaptation: { ratios: b.ratios, policyState: b.policy.state?.() },
    transfers: { count: b.transfers.count, meanUs: samples.length ? samples.reduce((x, y) => x + y, 0) / samples.length : 0, p95Us: samples.length ? percentile(samples, 0.95) : 0, bytes: b.transfers.bytes },
    overload: { maxQueued: b.maxQueued, queueDrops: drops.byCause.queue, policyDrops: drops.byCause.policy, eventLoopDelayMs: { max: b.loop.maxMs, p99: b.loop.p99Ms, mean: b.loop.meanMs } },
    drops,
    faults: b.faults,
    ...(b.policyEvents?.length ? { policyEvents: [...b.policyEvents] } : {}),
    ...modelVariantsOf(b),
    ...(b.levers ? { levers: b.levers } : {}),
    ...(b.variants ? { variantSessions: b.variants.sessions, variantUse: variantUse(b.workload, b.variants.runs, counted) } : {}),
    abandoned,
    caps: { slicesKept: b.slices.length, slicesDropped: b.slicesDropped, jobsKept: b.records.length, jobsDropped: b.recordsDropped },
    energy: { joules: b.energy.joules, averageWatts: b.elapsed > 0 ? b.energy.joules / b.elapsed : 0, source: b.energy.source, meters: b.energy.notes, ...(b.energy.attribution ? { attribution: b.energy.attribution } : {}) },
    warnings,
  };
  if (b.recordsDropped) warnings.push(`job records were capped: the metrics cover the last ${b.records.length} frames (${b.recordsDropped} earlier ones left out)`);
  if (b.slicesDropped) warnings.push(`trace slices were capped: the trace holds the last ${b.slices.length} slices (${b.slicesDropped} earlier ones left out)`);
  if (b.clockKind !== 'atomics') warnings.push('frames were released by setTimeout (ms resolution)');

  if (snapshot) {
    report.status = 'running';
    report.snapshot = { at: new Date().toISOString(), pid: snapshot.pid, intervalSec: snapshot.intervalSec, inFlight: abandoned };
  }
  return report;
}

function calibrationBase(b: RunBooks): NonNullable<LiveReport['calibration']> {
  const c = b.calibration!;
  return {
    applied: c.notes,
    ...(c.machine ? { machine: { key: c.machine.key, createdAt: c.machine.createdAt, lanes: c.machine.lanes } } : {}),
    ...(c.background ? { background: c.background } : {}),
    ...(c.loadTarget ? { loadTarget: c.loadTarget } : {}),
  };
}

/** Share of the per-tenant error the calibration removes (sums of absolute errors over the tenants, '(all)' left out). */
export function removedOf(withCal: TenantComparison[], without: TenantComparison[]): { meanLatency: number | null; missRate: number | null } {
  const rows = withCal.filter((c) => c.tenant !== '(all)');
  // [measured, uncalibrated, calibrated] per tenant -> 1 - sum |calibrated - measured| / sum |uncalibrated - measured|.
  const sum = (f: (c: TenantComparison, u: TenantComparison) => [number, number, number]) => {
    let a = 0;
    let w = 0;
    rows.forEach((c, i) => {
      const [meas, unc, cal] = f(c, without[i]);
      if (![meas, unc, cal].every(Number.isFinite)) return;
      a += Math.abs(unc - meas);
      w += Math.abs(cal - meas);
    });
    return errorRemoved(0, a, w);
  };
  const lat = sum((c, u) => [c.measured.meanLatencyMs, u.predicted.meanLatencyMs, c.predicted.meanLatencyMs]);
  const miss = sum((c, u) => [c.measured.missRate, u.predicted.missRate, c.predicted.missRate]);
  return { meanLatency: Number.isFinite(lat) ? lat : null, missRate: Number.isFinite(miss) ? miss : null };
}

/**
 * Warnings for a run the lanes could not keep up with: frames pushed out by the per-tenant queue
 * bound or the cap on frames in the system (the policy never chose those drops), with every drop
 * cause and its count.
 */
export function overloadWarnings(drops: DropCounts, released: number, maxQueuePerTenant: number, maxInSystem: number): string[] {
  const forced = drops.byCause.queue + drops.byCause['system-cap'];
  if (forced === 0) return [];
  const pct = (n: number) => `${((100 * n) / Math.max(1, released)).toFixed(1)}%`;
  const causes = DROP_REASONS.filter((r) => drops.byCause[r] > 0).map((r) => `${drops.byCause[r]} ${r} (${DROP_REASON_TEXT[r]})`).join(', ');
  return [
    `overload: the lanes could not keep up: ${drops.total} of ${released} frames (${pct(drops.total)}) were dropped, ${forced} of them pushed out of full queues (bound ${maxQueuePerTenant} frames per tenant, at most ${maxInSystem} in the system); drops by cause: ${causes}. Lower the rates (--scale) or add lanes`,
  ];
}

/** Chrome trace JSON (Perfetto): the core's lane tracks with layer and transfer slices, plus fault and policy markers. */
export function liveTrace(b: Pick<RunBooks, 'workload' | 'slices' | 'records' | 'faultJobs' | 'switches' | 'faults' | 'initialPolicy' | 'runId' | 'options' | 'policyEvents'>, report?: LiveReport): { traceEvents: TraceEvent[]; displayTimeUnit: 'ms'; metadata: Record<string, unknown> } {
  const trace = chromeTrace(b.workload, { slices: b.slices, jobs: b.records, policyEvents: b.policyEvents }, {
    live: true,
    runId: b.runId,
    policy: b.initialPolicy,
    seed: b.options.seed,
    granularity: b.options.granularity,
    timeBase: 'seconds from the first frame release; layer slices = session.run in the lane worker; transfer slices = moving a job\'s activations to the lane (through the main thread)',
    status: report?.status,
  });
  // The core emits one 'X' event per slice, in order: add the attempt number (restarts after a lane failure).
  let k = 0;
  for (const ev of trace.traceEvents) {
    if (ev.ph !== 'X') continue;
    const s = b.slices[k++];
    if (!s || ev.args?.job !== s.job || ev.args?.layer !== s.layer) break;
    ev.args = { ...ev.args, attempt: s.attempt };
  }
  const runtimeTid = b.workload.lanes.length + 2; // the core uses lanes + 1 for its "frames (drops)" track
  trace.traceEvents.push({ name: 'thread_name', ph: 'M', ts: 0, pid: 1, tid: runtimeTid, args: { name: 'runtime (policy, faults)' } });
  trace.traceEvents.push({ name: 'thread_sort_index', ph: 'M', ts: 0, pid: 1, tid: runtimeTid, args: { sort_index: runtimeTid } });
  trace.traceEvents.push({ name: `policy ${b.initialPolicy}`, cat: 'policy', ph: 'i', s: 't', ts: 0, pid: 1, tid: runtimeTid });
  for (const s of b.switches) trace.traceEvents.push({ name: `policy → ${s.policy}`, cat: 'policy', ph: 'i', s: 't', ts: s.at * 1e6, pid: 1, tid: runtimeTid });
  b.faultJobs.forEach((f, i) => {
    const reason = b.faults[i]?.reason ?? '';
    trace.traceEvents.push({ name: 'LANE FAILED', cat: 'fault', ph: 'i', s: 't', ts: f.at * 1e6, pid: 1, tid: f.lane + 1, args: { reason, rescheduledJobs: f.jobs } });
    trace.traceEvents.push({ name: `lane ${b.workload.lanes[f.lane].id} failed: ${f.jobs.length} job(s) rescheduled`, cat: 'fault', ph: 'i', s: 't', ts: f.at * 1e6, pid: 1, tid: runtimeTid, args: { reason, rescheduledJobs: f.jobs } });
  });
  return trace;
}

/** The model-level variants the tenants' units carry (variant-exec.ts attachModelVariants), for the report. */
function modelVariantsOf(b: Pick<RunBooks, 'execs' | 'scenario'>): Pick<LiveReport, 'modelVariants'> {
  const out = b.execs.flatMap((e, t) => (e.units.length === 1 ? (e.units[0].variants ?? []) : []).filter((v) => v.id.startsWith('model:')).map((v) => ({ tenant: b.scenario.tenants[t].id, id: v.id, accuracyDelta: v.accuracyDelta, modelBytes: v.bytes.byteLength, source: v.source ?? '' })));
  return out.length ? { modelVariants: out } : {};
}
