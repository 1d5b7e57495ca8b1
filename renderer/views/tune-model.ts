// The Tune and Export views' pure logic for tuned schedules: the tune form's parameters and their
// checks, the best-so-far series (live from progress, final from the result), the candidates table,
// the Pareto scatter (miss rate vs energy), predicted vs measured validation rows, and a replay's
// verdict rows. Figures arrive over JSON (NaN and Infinity become null). No DOM here.
import type { ParamsOf, ResultOf } from '../../engine/api';
import { missCapRule } from '../../scheduler/core/tune/miss-cap';
import { describeCandidate } from '../../scheduler/core/tune/space';
import { hindsightText } from '../../scheduler/schedule/hindsight';
import { DASH, finiteNum, fmtMs, fmtPct, fmtSig } from '../format';

export type TuneRunResult = ResultOf<'tune.run'>;
export type TuneParams = ParamsOf<'tune.run'>;
export type ReplayResult = ResultOf<'schedule.replay'>;
export type StoredSchedule = ResultOf<'schedule.list'>[number];
type Summary = TuneRunResult['result']['top'][number];

export const OBJECTIVE_LABELS: Record<NonNullable<TuneParams['objective']>, string> = {
  uxcost: 'UXCost (energy x misses)',
  'miss-under-cap': 'Miss rate under an energy cap',
  xrbench: 'XRBench score',
  p99: 'p99 latency',
};

export interface TuneForm {
  scenario: string;
  /** Comma-separated stored profile ids; empty: the newest stored profile of each model. */
  profiles: string;
  profileMissing: boolean;
  /** Apply the stored machine calibration (lane interference, dispatch, copies) to the profiles' latencies. */
  calibrated: boolean;
  /** The machine's run-to-run speed variation (sd of a log-normal factor per simulated run). */
  speedDrift: string;
  objective: string;
  energyCapWatts: string;
  budgetSec: string;
  candidates: string;
  seed: string;
  validateSec: string;
}

export const DEFAULT_TUNE_FORM: TuneForm = { scenario: '', profiles: '', profileMissing: false, calibrated: false, speedDrift: '', objective: 'uxcost', energyCapWatts: '', budgetSec: '60', candidates: '200', seed: '1', validateSec: '0' };

/** The form as tune.run params, or what to fix (each message names the field). */
export function tuneParams(f: TuneForm): { params?: TuneParams; errors: string[] } {
  const errors: string[] = [];
  const number = (text: string, field: string, o: { integer?: boolean; min: number; max: number; optional?: boolean }): number | undefined => {
    if (!text.trim()) {
      if (!o.optional) errors.push(`${field}: give a number`);
      return undefined;
    }
    const x = Number(text);
    if (!Number.isFinite(x) || x < o.min || x > o.max || (o.integer && !Number.isInteger(x))) errors.push(`${field}: ${o.integer ? 'a whole number' : 'a number'} from ${o.min} to ${o.max} (got ${text.trim()})`);
    return x;
  };
  if (!f.scenario) errors.push('Scenario: pick one');
  if (!(f.objective in OBJECTIVE_LABELS)) errors.push(`Objective: one of ${Object.keys(OBJECTIVE_LABELS).join(', ')}`);
  const profiles = f.profiles.split(',').map((s) => s.trim()).filter(Boolean);
  if (profiles.length && f.profileMissing) errors.push('Profiles: give profile ids or "profile missing models first", not both');
  const budgetSec = number(f.budgetSec, 'Budget (s)', { min: 1, max: 86_400, optional: true });
  const candidates = number(f.candidates, 'Candidates', { integer: true, min: 1, max: 100_000 });
  const seed = number(f.seed, 'Seed', { integer: true, min: 0, max: 2 ** 31 - 1 });
  const validateSec = number(f.validateSec, 'Validate live (s)', { min: 0, max: 600 });
  // Blank or 'auto': measured from the profiles' drift checks (engine tune.run).
  const speedDrift = /^\s*(auto)?\s*$/i.test(f.speedDrift) ? undefined : number(f.speedDrift, 'Speed drift', { min: 0, max: 1 });
  const cap = f.objective === 'miss-under-cap' ? number(f.energyCapWatts, 'Energy cap (W)', { min: 0.001, max: 100_000 }) : undefined;
  if (errors.length) return { errors };
  return {
    errors,
    params: {
      scenario: f.scenario,
      ...(profiles.length ? { profiles } : {}),
      profileMissing: f.profileMissing,
      ...(f.calibrated ? { machineCalibration: true } : {}),
      objective: f.objective as TuneParams['objective'],
      ...(cap !== undefined ? { energyCapWatts: cap } : {}),
      ...(budgetSec !== undefined ? { budgetSec } : {}),
      candidates,
      seed,
      validateSec,
      ...(speedDrift !== undefined ? { speedDrift } : {}),
    },
  };
}

/** The tuner's progress detail (engine tune.run progress.detail). */
export interface ProgressDetail {
  phase?: string;
  candidatesTried?: number;
  maxCandidates?: number;
  simulations?: number;
  best?: number | null;
  elapsedSec?: number;
}

/** Best objective so far by candidates tried: adds a progress report's point when it brings news (lower is better). */
export function addBestPoint(series: { x: number; y: number }[], d: ProgressDetail | undefined): { x: number; y: number }[] {
  const best = finiteNum(d?.best);
  const x = finiteNum(d?.candidatesTried);
  if (best === undefined || x === undefined) return series;
  const last = series.at(-1);
  if (last && last.x === x && last.y === best) return series;
  if (last && x < last.x) return series; // a report from an earlier phase
  return [...series, { x, y: last ? Math.min(last.y, best) : best }];
}

/** The final best-so-far series from the result (every candidate in the order tried). */
export function bestSoFarSeries(r: TuneRunResult): { x: number; y: number }[] {
  const out: { x: number; y: number }[] = [];
  r.result.tried.forEach((t, i) => {
    const y = finiteNum(t.bestSoFar);
    if (y !== undefined) out.push({ x: i + 1, y });
  });
  return out;
}

export interface CandidateRow {
  kind: 'tuned' | 'untuned';
  label: string;
  policy: string;
  objective: string;
  missRate: string;
  energyJ: string;
  p99Ms: string;
  best: boolean;
  pareto: boolean;
}

const key = (s: Summary) => JSON.stringify(s.candidate);
const ci = (i: { mean: number | null; lo: number | null; hi: number | null }, f: (x: number) => string) => {
  const m = finiteNum(i.mean);
  if (m === undefined) return DASH;
  const lo = finiteNum(i.lo);
  const hi = finiteNum(i.hi);
  return lo !== undefined && hi !== undefined && hi > lo ? `${f(m)} [${f(lo)}, ${f(hi)}]` : f(m);
};

/** The untuned policies, then the best tuned candidates; the best and the Pareto-front ones marked. */
export function candidateRows(r: TuneRunResult): CandidateRow[] {
  const layouts = r.layouts.map((l) => l.join('+'));
  const pareto = new Set(r.result.pareto.map(key));
  const best = r.result.best ? key(r.result.best) : undefined;
  const row = (s: Summary, kind: CandidateRow['kind']): CandidateRow => ({
    kind,
    label: describeCandidate(s.candidate, layouts),
    policy: s.candidate.policy,
    // Its objective carries the ranking penalty (1e3 + ...), not a UXCost anyone should read.
    objective: s.overMissCap ? 'over the miss cap' : ci(s.objective as never, (x) => fmtSig(x, 4)),
    missRate: ci(s.missRate as never, (x) => fmtPct(x)),
    energyJ: ci(s.energyJ as never, (x) => fmtSig(x, 3)),
    p99Ms: ci(s.p99Ms as never, (x) => fmtMs(x)),
    best: key(s) === best,
    pareto: pareto.has(key(s)),
  });
  return [...r.result.baselines.map((s) => row(s, 'untuned')), ...r.result.top.map((s) => row(s, 'tuned'))];
}

/** UXCost's miss caps in words (none for other objectives). */
export function missCapText(r: TuneRunResult): string | undefined {
  return missCapRule(r.result, (x) => fmtPct(x));
}

export interface ScatterPoint {
  x: number;
  y: number;
  label: string;
}

/** Miss rate (y, %) against energy (x, J) of every summarised candidate, in three groups. */
export function paretoScatter(r: TuneRunResult): { untuned: ScatterPoint[]; tuned: ScatterPoint[]; front: ScatterPoint[] } {
  const layouts = r.layouts.map((l) => l.join('+'));
  const pt = (s: Summary): ScatterPoint | undefined => {
    const x = finiteNum(s.energyJ.mean);
    const y = finiteNum(s.missRate.mean);
    return x === undefined || y === undefined ? undefined : { x, y: 100 * y, label: describeCandidate(s.candidate, layouts) };
  };
  const keep = (xs: Summary[]) => xs.map(pt).filter((p): p is ScatterPoint => !!p);
  const front = keep(r.result.pareto).sort((a, b) => a.x - b.x);
  return { untuned: keep(r.result.baselines), tuned: keep(r.result.top), front };
}

export interface ValidationRow {
  which: string;
  policy: string;
  predicted: string;
  measured: string;
  diffPts: string;
  energy: string;
  /** The run re-simulated with the latencies it learnt (hindsightText). */
  hindsight: string;
}

/** Live validation: predicted vs measured miss rate, with the energy's source named. */
export function validationRows(r: TuneRunResult): ValidationRow[] {
  const failed = (r.validationFailed ?? []).map((v): ValidationRow => ({ which: v.which === 'tuned' && v.rank ? `tuned #${v.rank}` : v.which, policy: v.policy, predicted: DASH, measured: `failed: ${v.error}`, diffPts: DASH, energy: DASH, hindsight: DASH }));
  return [...(r.validation ?? []).map((v) => {
    const p = finiteNum(v.predictedMissRate);
    const m = finiteNum(v.measuredMissRate);
    return {
      which: v.which === 'tuned' && v.rank ? `tuned #${v.rank}` : v.which,
      // What the live run applied beyond policy and lanes (pins, late drop, fixed variants), and what it could not.
      policy: `${v.policy}${v.appliedLive?.length ? ` (applied live: ${v.appliedLive.join(', ')})` : ''}${v.notAppliedLive?.length ? ` (ran live without ${v.notAppliedLive.join(', ')})` : ''}`,
      // One run's 95% prediction interval: a single live run of a drifting machine can land anywhere in it.
      predicted: `${fmtPct(p)}${v.predictedMissRange ? ` (one run ${fmtPct(v.predictedMissRange[0])} to ${fmtPct(v.predictedMissRange[1])})` : ''}`,
      measured: fmtPct(m),
      diffPts: p !== undefined && m !== undefined ? `${m - p >= 0 ? '+' : ''}${(100 * (m - p)).toFixed(1)} pts` : DASH,
      energy: `${fmtSig(v.measuredEnergyJ, 3)} J ${v.energySource === 'measured' ? '(measured)' : '(ESTIMATE)'}`,
      hindsight: hindsightText(v, (x) => fmtPct(x)) ?? DASH,
    };
  }), ...failed];
}

export interface ReplayRow {
  tenant: string;
  expected: string;
  measured: string;
  expectedP99: string;
  measuredP99: string;
  pass: boolean;
  why: string;
}

/** A replay's verdict per tenant: expected (with the CI's upper end) vs measured, pass or what regressed. */
export function replayRows(r: ReplayResult): ReplayRow[] {
  return r.rows.map((x) => ({
    tenant: x.tenant,
    expected: `${fmtPct(x.expected.missRate)}${finiteNum(x.expected.missRateHi) !== undefined ? ` (one run: up to ${fmtPct(x.expected.missRateHi)})` : ''}`,
    measured: `${fmtPct(x.measured.missRate)} of ${x.measured.released}`,
    expectedP99: fmtMs(x.expected.p99Ms),
    measuredP99: x.measured.p99Ms === null ? 'unbounded' : fmtMs(x.measured.p99Ms),
    pass: x.pass,
    why: x.violations.join('; '),
  }));
}

/** "miss=0.05,p99=0.5" from the Export view's tolerance fields (points and percent); empty fields keep the defaults. */
export function toleranceText(missPts: string, p99Pct: string): { text: string; error?: string } {
  const parts: string[] = [];
  const m = missPts.trim();
  const p = p99Pct.trim();
  if (m) {
    const x = Number(m);
    if (!(x >= 0 && x <= 100)) return { text: '', error: `Miss tolerance: points from 0 to 100 (got ${m})` };
    parts.push(`miss=${x}%`);
  }
  if (p) {
    if (p === 'off') parts.push('p99=off');
    else {
      const x = Number(p);
      if (!(x >= 0 && x <= 10_000)) return { text: '', error: `p99 tolerance: percent from 0 to 10000, or off (got ${p})` };
      parts.push(`p99=${x}%`);
    }
  }
  return { text: parts.join(',') };
}
