// Replay: runs a tuned schedule live on this machine (the live runtime, same policy string, lanes,
// granularity, queue bound, rate scale, late dropping, pins and fixed layer variants) and compares what it measures per tenant with what the
// schedule expects. A regression beyond the tolerance fails the replay (the CLI exits non-zero).
import { percentile } from '../core/metrics';
import { measuredLane, RATE, runInterval } from '../core/tune';
import { LiveRun, parseLanes, type LiveHooks, type LiveOptions, type LiveReport } from '../live';
import { loadProfile } from '../../profiler/store';
import type { Profile } from '../../profiler/types';
import { liveScenarioOf } from './file';
import type { Schedule } from './format';
import type { Granularity } from '../../common/granularity';

export interface Tolerance {
  /** Measured miss rate may exceed the expected one (the upper end of one run's 95% prediction interval, core/tune runInterval) by this many points (0.05 = 5 points). */
  missPts: number;
  /** Measured p99 may exceed the expected one (the same interval's upper end) by this share (0.5 = 50%). */
  p99Rel: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { missPts: 0.05, p99Rel: 0.5 };

/** "miss=0.05,p99=0.5" (either may be left out; "off" disables that check). */
export function parseTolerance(text: string): Tolerance {
  const t = { ...DEFAULT_TOLERANCE };
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(miss|p99)=(?:(\d+(?:\.\d+)?)(%)?|(off))$/.exec(part);
    if (!m) throw new Error(`tolerance "${part}": expected miss=POINTS or p99=SHARE, e.g. miss=0.05,p99=0.5 (or miss=5%,p99=50%, or p99=off)`);
    const v = m[4] ? Infinity : Number(m[2]) / (m[3] ? 100 : 1);
    if (m[1] === 'miss') t.missPts = v;
    else t.p99Rel = v;
  }
  return t;
}

export interface ReplayRow {
  tenant: string;
  /** The means over the seeds, and the upper ends of one run's 95% prediction interval (core/tune runInterval). */
  expected: { missRate: number | null; missRateHi: number | null; p99Ms: number | null; p99MsHi?: number | null };
  measured: { released: number; missRate: number; p99Ms: number | null };
  pass: boolean;
  /** Why it failed (empty when it passed). */
  violations: string[];
}

export interface ReplayVerdict {
  pass: boolean;
  rows: ReplayRow[];
  tolerance: Tolerance;
}

/** Per tenant: measured vs expected, within the tolerance? Pure. */
export function judgeReplay(s: Schedule, measured: { tenant: string; released: number; missRate: number; p99Ms: number | null }[], tolerance: Tolerance): ReplayVerdict {
  const rows: ReplayRow[] = s.predicted.perTenant.map((e) => {
    const m = measured.find((x) => x.tenant === e.tenant) ?? { tenant: e.tenant, released: 0, missRate: 1, p99Ms: null };
    const violations: string[] = [];
    const hi = runInterval(e.missRate, RATE)?.hi ?? null;
    if (m.released === 0) violations.push('no frame released');
    if (hi !== null && m.missRate > hi + tolerance.missPts + 1e-9) violations.push(`miss rate ${(100 * m.missRate).toFixed(1)}% > expected ${(100 * hi).toFixed(1)}% (one run, 95%) + ${(100 * tolerance.missPts).toFixed(1)} points`);
    const p99 = runInterval(e.p99Ms)?.hi ?? null;
    if (p99 !== null && Number.isFinite(tolerance.p99Rel) && (m.p99Ms === null || m.p99Ms > p99 * (1 + tolerance.p99Rel))) violations.push(`p99 ${m.p99Ms === null ? 'unbounded (frames never finished)' : `${m.p99Ms.toFixed(1)} ms`} > expected ${p99.toFixed(1)} ms (one run, 95%) + ${(100 * tolerance.p99Rel).toFixed(0)}%`);
    return { tenant: e.tenant, expected: { missRate: e.missRate.mean, missRateHi: hi, p99Ms: e.p99Ms.mean, p99MsHi: p99 }, measured: m, pass: violations.length === 0, violations };
  });
  return { pass: rows.every((r) => r.pass), rows, tolerance };
}

export interface ReplayResult extends ReplayVerdict {
  runId: string;
  durationSec: number;
  /** What differs from the machine / ORT the schedule was tuned on (said before the run). */
  differences: string[];
  report: Pick<LiveReport, 'status' | 'granularity' | 'latencySource' | 'energy' | 'warnings' | 'files' | 'levers'> & {
    missRate: number;
    p95LatencyMs: number | null;
    /**
     * The run's own frames re-simulated after it with the latencies it learnt (LiveReport.hindsight):
     * close to the measured miss rate while the prediction is far off, the schedule's model held and
     * the latencies it was given did not (a slower machine, another load).
     */
    hindsightMissRate?: number;
    /** The smallest and largest observed/expected latency ratio the run learnt (tenant x lane). */
    learntRatios?: [number, number];
  };
}

export interface ReplayOptions {
  durationSec: number;
  tolerance: Tolerance;
  differences: string[];
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
  writeFiles?: boolean;
  /** Makes the schedule's fixed layer variants (scheduler/live/variant-exec.ts substituteVariants); without it they run as the originals, and the report says so. */
  substituteVariants?: LiveHooks['substituteVariants'];
}

/**
 * The live runtime's options for running a schedule: its policy, lanes, granularity, queue bound,
 * rate scale, late dropping, pins and fixed layer variants ('fastest' choices), and its profiles
 * where this machine has them.
 */
export function scheduleLiveOptions(s: Schedule): Pick<LiveOptions, 'policy' | 'lanes' | 'granularity' | 'scale' | 'maxQueuePerTenant' | 'profiles' | 'dropLate' | 'pins' | 'variantPicks'> {
  // The profiles the schedule was tuned with, when this machine has them: same predictions as the tuner; else the runtime calibrates.
  const profiles: Profile[] = [];
  for (const m of s.models) {
    try {
      profiles.push(loadProfile(m.profileId));
    } catch {
      /* another machine: calibration instead */
    }
  }
  const lanes = parseLanes(s.lanes.map(measuredLane).join(','));
  // The file names pinned lanes by the layout's ids (cpu:1#1); the runtime's lanes are in the same order.
  const pins = s.pins?.some((p) => p !== null) ? s.pins.map((p) => (p === null ? null : s.lanes.indexOf(p))) : undefined;
  if (pins?.some((p) => p !== null && p < 0)) throw new Error(`schedule: pins name lane(s) ${s.pins!.filter((p, i) => p !== null && pins[i]! < 0).join(', ')} that are not in its lanes (${s.lanes.join(', ')})`);
  const tenants = s.scenario.definition.tenants.map((t) => t.id);
  const variantPicks = tenants.map((id) => {
    const v = s.variants.find((x) => x.tenant === id);
    return v?.variant === 'fastest' && v.layers?.length ? v.layers : null;
  });
  return {
    policy: s.policy.spec,
    lanes,
    granularity: s.options.granularity as Granularity,
    scale: s.scenario.rateScale,
    maxQueuePerTenant: s.options.maxQueuePerTenant,
    profiles,
    ...(s.options.dropLate ? { dropLate: true } : {}),
    ...(pins ? { pins } : {}),
    ...(variantPicks.some(Boolean) ? { variantPicks } : {}),
  };
}

export async function replaySchedule(s: Schedule, o: ReplayOptions): Promise<ReplayResult> {
  const scenario = await liveScenarioOf(s);
  const run = new LiveRun(scenario, { ...scheduleLiveOptions(s), duration: o.durationSec, writeFiles: o.writeFiles }, { onProgress: o.onProgress, substituteVariants: o.substituteVariants });
  const r = await run.run(o.signal);
  const measured = r.report.tenants.map((t, i) => {
    const lat = r.jobs.filter((j) => j.tenant === i).map((j) => (Number.isFinite(j.finish) ? (j.finish - j.release) * 1000 : Infinity)).sort((a, b) => a - b);
    const p99 = lat.length ? (lat[Math.ceil((lat.length - 1) * 0.99)] === Infinity ? null : percentile(lat, 0.99)) : null;
    return { tenant: t.id, released: r.report.metrics.perTenant[i].released, missRate: r.report.metrics.perTenant[i].missRate, p99Ms: p99 };
  });
  const verdict = judgeReplay(s, measured, o.tolerance);
  const rep = r.report;
  return { ...verdict, pass: verdict.pass && rep.status === 'completed', runId: rep.runId, durationSec: o.durationSec, differences: o.differences, report: { status: rep.status, granularity: rep.granularity, latencySource: rep.latencySource, energy: rep.energy, warnings: rep.warnings, ...(rep.files ? { files: rep.files } : {}), ...(rep.levers ? { levers: rep.levers } : {}), missRate: rep.metrics.overall.missRate, p95LatencyMs: Number.isFinite(rep.metrics.overall.p95Latency) ? rep.metrics.overall.p95Latency * 1000 : null, ...hindsightOf(rep) } };
}

function hindsightOf(rep: LiveReport): Pick<ReplayResult['report'], 'hindsightMissRate' | 'learntRatios'> {
  const all = rep.hindsight?.comparison.find((c) => c.tenant === '(all)');
  const ratios = (rep.adaptation?.ratios ?? []).flat().filter((x) => Number.isFinite(x) && x > 0);
  return { ...(all ? { hindsightMissRate: all.predicted.missRate } : {}), ...(ratios.length ? { learntRatios: [Math.min(...ratios), Math.max(...ratios)] } : {}) };
}

export type Validation = Schedule['provenance']['validation'][number];

/** A short live run of a schedule, as its provenance records it (predicted vs measured per tenant). */
export async function validateLive(s: Schedule, durationSec: number, o: { signal?: AbortSignal; onProgress?: (m: string) => void; substituteVariants?: LiveHooks['substituteVariants'] } = {}): Promise<{ validation: Validation; replay: ReplayResult }> {
  const replay = await replaySchedule(s, { durationSec, tolerance: DEFAULT_TOLERANCE, differences: [], signal: o.signal, onProgress: o.onProgress, substituteVariants: o.substituteVariants });
  return {
    replay,
    validation: {
      runId: replay.runId,
      durationSec,
      measured: { missRate: replay.report.missRate, energyJ: replay.report.energy.joules, p95LatencyMs: replay.report.p95LatencyMs },
      perTenant: replay.rows.map((r) => ({ tenant: r.tenant, measuredMissRate: r.measured.missRate, predictedMissRate: r.expected.missRate })),
    },
  };
}
