// Side-by-side comparison of two results: two simulations, two live runs, or a simulation against
// a live run (of the same scenario, ideally). Pure (no I/O): the engine reads the stored records and
// hands them here; the CLI and the app show what comes back. Two profiles are compared by
// profiler/store.ts diffProfiles (per layer and lane, against their noise), not here.
//
// Each result is reduced to one "side": a policy's figures, overall and per tenant (miss rate, drop
// rate, mean / p95 / p99 latency), with the run's energy. A simulation side is one of its policies
// (mean over seeds); a run side is the run as measured. Rows are matched by tenant id; deltas are
// b - a (percentage points for rates, relative for latencies and energy).
import type { Comparison, PolicySummary } from '../core/compare';
import { explainDivergence, PREDICTION_TOLERANCE } from '../core/divergence';
import type { Metrics } from '../core/metrics';
import type { LiveReport } from '../live/types';
import type { StoredSimulation } from './types';

export type MetricKey = 'missRate' | 'dropRate' | 'meanLatencyMs' | 'p95LatencyMs' | 'p99LatencyMs' | 'energyJ' | 'averageWatts' | 'energyPerFrameJ';

export const METRICS: Record<MetricKey, { label: string; unit: 'rate' | 'ms' | 'J' | 'W'; tenant: boolean }> = {
  missRate: { label: 'miss rate', unit: 'rate', tenant: true },
  dropRate: { label: 'drop rate', unit: 'rate', tenant: true },
  meanLatencyMs: { label: 'mean latency', unit: 'ms', tenant: true },
  p95LatencyMs: { label: 'p95 latency', unit: 'ms', tenant: true },
  p99LatencyMs: { label: 'p99 latency', unit: 'ms', tenant: true },
  // Energy is per run: neither the simulator nor the meters attribute it to tenants.
  energyJ: { label: 'energy', unit: 'J', tenant: false },
  averageWatts: { label: 'average power', unit: 'W', tenant: false },
  energyPerFrameJ: { label: 'energy per frame', unit: 'J', tenant: false },
};

/** Below these a difference is shown as "same": half a percentage point for rates, 5% for the rest. */
export const SAME_RATE_PTS = 0.005;
export const SAME_REL = 0.05;

export type Figures = Partial<Record<MetricKey, number>> & { released?: number };

export interface ResultSide {
  kind: 'simulation' | 'run';
  id: string;
  scenario: string;
  /** The scenario's own name (a live report names its scenario so; a simulation's workload too): matched as well as the id. */
  scenarioName?: string;
  policy: string;
  /** When it was stored (simulation) or started (run), ISO 8601. */
  when?: string;
  /** Where the figures come from, in words (simulated on what latencies, over how many seeds; measured live). */
  source: string;
  energySource: 'measured' | 'estimated';
  lanes: string[];
  /** Seconds the figures cover: the simulated duration, or the run's elapsed time. */
  spanSec: number;
  overall: Figures;
  perTenant: ({ tenant: string } & Figures)[];
  /** The other policies a simulation holds (a side is one of them). */
  otherPolicies?: string[];
}

export interface CompareRow {
  /** A tenant id, or '(all)' for the whole run. */
  tenant: string;
  metric: MetricKey;
  a?: number;
  b?: number;
  /** b - a (in the metric's unit; rates as fractions). */
  delta?: number;
  /** (b - a) / a, where a > 0. */
  rel?: number;
  /** Lower is better for every metric here. missing: a side lacks the figure. */
  change: 'better' | 'worse' | 'same' | 'missing';
}

export interface ResultComparison {
  a: Omit<ResultSide, 'perTenant' | 'overall'>;
  b: Omit<ResultSide, 'perTenant' | 'overall'>;
  rows: CompareRow[];
  /** Two simulations: the overall figures of every policy both ran. */
  byPolicy?: { policy: string; rows: CompareRow[] }[];
  warnings: string[];
  /**
   * A simulation against a live run that differs beyond the prediction tolerance (the live report's
   * own rule): the likely reasons the run recorded (scheduler/core/divergence.ts), most telling first.
   */
  reasons?: string[];
  method: string;
}

const ms = (s: number | undefined) => (typeof s === 'number' && Number.isFinite(s) ? s * 1000 : undefined);
const fin = (x: number | undefined) => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);

function latencySourceText(c: Comparison): string {
  const l = c.latencySource;
  return l.kind === 'measured' ? `measured profiles (${l.profileId})` : `SYNTHETIC latency tables (${l.detail})`;
}

function rowFigures(r: PolicySummary): Figures {
  return {
    missRate: fin(r.missRate.mean),
    dropRate: fin(r.dropRate.mean),
    meanLatencyMs: fin(r.meanLatencyMs?.mean),
    p95LatencyMs: fin(r.p95LatencyMs.mean),
    p99LatencyMs: fin(r.p99LatencyMs?.mean),
    energyJ: fin(r.energyJ.mean),
    averageWatts: fin(r.averageWatts.mean),
    energyPerFrameJ: fin(r.energyPerFrameJ.mean),
  };
}

/** One policy of a stored simulation as a side (default: its best policy by miss rate, else its first). */
export function simulationSide(rec: StoredSimulation, policy?: string): ResultSide {
  const c = rec.result.comparison;
  const chosen = policy ?? bestPolicy(c)?.policy ?? c.rows[0]?.policy;
  const row = c.rows.find((r) => r.policy === chosen);
  if (!row) throw new CompareError(`simulation ${rec.id} has no policy "${policy}": it ran ${c.rows.map((r) => r.policy).join(', ')}`);
  return {
    kind: 'simulation',
    id: rec.id,
    scenario: rec.scenario,
    // The workload is named after the scenario, plus " (rates xF)" where the rates were scaled.
    scenarioName: typeof c.workload === 'string' ? c.workload.replace(/ \(rates x[\d.]+\)$/, '') : undefined,
    policy: row.policy,
    when: rec.createdAt,
    source: `simulated on ${latencySourceText(c)}, mean of ${c.seeds.length} seed${c.seeds.length === 1 ? '' : 's'}`,
    energySource: c.energySource.kind,
    lanes: rec.lanes,
    spanSec: rec.durationSec,
    overall: rowFigures(row),
    perTenant: row.perTenant.map((t) => ({
      tenant: t.tenant,
      missRate: fin(t.missRate.mean),
      dropRate: fin(t.dropRate.mean),
      meanLatencyMs: fin(t.meanLatencyMs?.mean),
      p95LatencyMs: fin(t.p95LatencyMs.mean),
      p99LatencyMs: fin(t.p99LatencyMs?.mean),
    })),
    otherPolicies: c.rows.map((r) => r.policy).filter((p) => p !== row.policy),
  };
}

function groupFigures(g: Metrics['overall']): Figures {
  return {
    released: g.released,
    missRate: g.released ? fin(g.missRate) : undefined,
    dropRate: g.released ? fin(g.dropRate) : undefined,
    meanLatencyMs: ms(g.meanLatency),
    p95LatencyMs: ms(g.p95Latency),
    p99LatencyMs: ms(g.p99Latency),
  };
}

/** A live run's report as a side: what it measured. */
export function runSide(r: LiveReport): ResultSide {
  const m = r.metrics;
  const switches = Array.isArray(r.policySwitches) ? r.policySwitches : [];
  return {
    kind: 'run',
    id: r.runId,
    scenario: r.scenario,
    scenarioName: r.scenario,
    policy: switches.length ? `${r.policy} -> ${switches.map((s) => s.policy).join(' -> ')}` : r.policy,
    when: r.startedAt,
    source: `measured live run (${r.status}, ${r.granularity} granularity)`,
    energySource: r.energy.source.kind === 'measured' ? 'measured' : 'estimated',
    lanes: r.lanes.map((l) => l.id),
    spanSec: r.elapsedSec,
    overall: {
      ...groupFigures(m.overall),
      energyJ: fin(r.energy.joules),
      averageWatts: fin(r.energy.averageWatts),
      energyPerFrameJ: m.overall.finished ? fin(r.energy.joules / m.overall.finished) : undefined,
    },
    perTenant: m.perTenant.map((t) => ({ tenant: t.tenant, ...groupFigures(t) })),
  };
}

export class CompareError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompareError';
  }
}

function compareValue(tenant: string, metric: MetricKey, a: number | undefined, b: number | undefined): CompareRow {
  if (a === undefined || b === undefined) return { tenant, metric, a, b, change: 'missing' };
  const delta = b - a;
  const rel = a > 0 ? delta / a : undefined;
  const same = METRICS[metric].unit === 'rate' ? Math.abs(delta) < SAME_RATE_PTS : a === b || (rel !== undefined ? Math.abs(rel) < SAME_REL : false);
  return { tenant, metric, a, b, delta, ...(rel !== undefined ? { rel } : {}), change: same ? 'same' : delta < 0 ? 'better' : 'worse' };
}

function figureRows(tenant: string, a: Figures, b: Figures, keys: MetricKey[]): CompareRow[] {
  return keys.map((k) => compareValue(tenant, k, a[k], b[k]));
}

const TENANT_KEYS = (Object.keys(METRICS) as MetricKey[]).filter((k) => METRICS[k].tenant);
const ALL_KEYS = Object.keys(METRICS) as MetricKey[];

const strip = ({ perTenant: _t, overall: _o, ...rest }: ResultSide): Omit<ResultSide, 'perTenant' | 'overall'> => rest;

/** Compares two sides: the whole run first ('(all)', energy included), then each tenant of either side. */
export function compareSides(a: ResultSide, b: ResultSide): ResultComparison {
  const warnings: string[] = [];
  const sameScenario = a.scenario === b.scenario || (a.scenarioName !== undefined && a.scenarioName === b.scenarioName);
  if (!sameScenario) warnings.push(`different scenarios (${a.scenario} vs ${b.scenario}): tenants are matched by id`);
  if (a.lanes.join(',') !== b.lanes.join(',')) warnings.push(`different lanes (${a.lanes.join(',') || '-'} vs ${b.lanes.join(',') || '-'})`);
  if (a.policy !== b.policy) warnings.push(`different policies (${a.policy} vs ${b.policy})`);
  if (a.energySource !== b.energySource) warnings.push(`energy: ${a.energySource} vs ${b.energySource}`);
  const longer = Math.max(a.spanSec, b.spanSec);
  if (longer > 0 && Math.abs(a.spanSec - b.spanSec) / longer > 0.2) {
    warnings.push(`the figures cover different spans (${a.spanSec.toFixed(1)} s vs ${b.spanSec.toFixed(1)} s): compare energy by average power and energy per frame, not total joules`);
  }
  for (const s of [a, b]) if (s.kind === 'run' && s.policy.includes('->')) warnings.push(`run ${s.id} switched policy (${s.policy}): its figures mix the policies`);
  const rows = figureRows('(all)', a.overall, b.overall, ALL_KEYS);
  const tenants = [...new Set([...a.perTenant.map((t) => t.tenant), ...b.perTenant.map((t) => t.tenant)])];
  for (const t of tenants) {
    const ta = a.perTenant.find((x) => x.tenant === t);
    const tb = b.perTenant.find((x) => x.tenant === t);
    if (!ta || !tb) warnings.push(`tenant ${t} only in ${ta ? a.id : b.id}`);
    rows.push(...figureRows(t, ta ?? {}, tb ?? {}, TENANT_KEYS));
  }
  return {
    a: strip(a),
    b: strip(b),
    rows,
    warnings,
    method: `delta = b - a (rates in percentage points; latency and energy also relative); "same" below ${SAME_RATE_PTS * 100} points for rates and ${SAME_REL * 100}% for the rest (a display threshold, not a significance test); lower is better for every figure; energy is per run (neither the simulator nor the meters attribute it to tenants)`,
  };
}

/** The best row: lowest mean miss rate among the policies that finished something. */
export function bestPolicy(c: Comparison): { policy: string; missRate: number } | undefined {
  let best: { policy: string; missRate: number } | undefined;
  for (const r of c.rows) {
    if (r.finishedNothing || !Number.isFinite(r.missRate.mean)) continue;
    if (!best || r.missRate.mean < best.missRate) best = { policy: r.policy, missRate: r.missRate.mean };
  }
  return best;
}

/** A figure in its unit, for tables (the CLI's and the app's). */
export function figureText(metric: MetricKey, x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '-';
  const unit = METRICS[metric].unit;
  if (unit === 'rate') return `${(100 * x).toFixed(1)}%`;
  if (unit === 'ms') return `${x.toFixed(x < 10 ? 2 : 1)} ms`;
  return `${Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3)} ${unit}`;
}

/** b - a as shown: percentage points for rates, relative change for the rest. */
export function deltaText(r: CompareRow): string {
  if (r.delta === undefined) return '-';
  if (METRICS[r.metric].unit === 'rate') return `${r.delta >= 0 ? '+' : ''}${(100 * r.delta).toFixed(1)} pts`;
  return r.rel !== undefined ? `${r.rel >= 0 ? '+' : ''}${(100 * r.rel).toFixed(1)}%` : `${r.delta >= 0 ? '+' : ''}${r.delta.toFixed(3)}`;
}

/**
 * Compares two stored results. A simulation side takes the asked policy; else, against a run, the
 * run's starting policy (if the simulation ran it); against another simulation, the first policy
 * both ran (a's best if b ran it too); else its best. Two simulations also get every common policy's
 * overall figures (byPolicy).
 */
export function compareResults(
  a: { sim: StoredSimulation; policy?: string } | { run: LiveReport },
  b: { sim: StoredSimulation; policy?: string } | { run: LiveReport },
): ResultComparison {
  const policiesOf = (x: typeof a) => ('sim' in x ? x.sim.result.comparison.rows.map((r) => r.policy) : [x.run.policy]);
  const pick = (x: typeof a, other: typeof a): string | undefined => {
    if (!('sim' in x)) return undefined;
    if (x.policy !== undefined) return x.policy;
    const mine = policiesOf(x);
    if ('run' in other) return mine.includes(other.run.policy) ? other.run.policy : undefined;
    if (other.policy !== undefined && mine.includes(other.policy)) return other.policy;
    const best = simulationSide(x.sim).policy;
    const theirs = policiesOf(other);
    if (theirs.includes(best)) return best;
    return mine.find((p) => theirs.includes(p));
  };
  // a's policy first; b then follows a's where it ran it.
  const sa = 'sim' in a ? simulationSide(a.sim, pick(a, b)) : runSide(a.run);
  const sb = 'sim' in b ? simulationSide(b.sim, pick(b, 'sim' in a ? { ...a, policy: sa.policy } : a)) : runSide(b.run);
  const out = compareSides(sa, sb);
  for (const [x, s, other] of [[a, sa, b], [b, sb, a]] as const) {
    if ('sim' in x && x.policy === undefined && 'run' in other && s.policy !== other.run.policy) {
      out.warnings.unshift(`simulation ${x.sim.id} did not run ${other.run.policy} (the run's policy): its best policy, ${s.policy}, is compared instead`);
    }
  }
  const run = 'run' in a ? a.run : 'run' in b ? b.run : undefined;
  if (run && ('sim' in a || 'sim' in b)) {
    const beyond = out.rows.some((r) =>
      r.delta !== undefined && (METRICS[r.metric].unit === 'rate' ? Math.abs(r.delta) * 100 > PREDICTION_TOLERANCE.ratePts : (r.metric === 'meanLatencyMs' || r.metric === 'p95LatencyMs') && r.rel !== undefined && Math.abs(r.rel) > PREDICTION_TOLERANCE.latencyRel));
    if (beyond) {
      const d = explainDivergence({
        comparison: run.comparison,
        hindsight: run.hindsight,
        lanes: run.lanes,
        ratios: run.adaptation?.ratios ?? [],
        latencySource: run.latencySource,
        eventLoopDelayMaxMs: run.overload?.eventLoopDelayMs?.max ?? 0,
        switches: Array.isArray(run.policySwitches) ? run.policySwitches.length : 0,
        faults: Array.isArray(run.faults) ? run.faults.length : 0,
      });
      // The run's own prediction agreeing with it while the stored simulation differs points at the inputs instead.
      out.reasons = d.reasons.length ? d.reasons : ['the run matched its own prediction (the simulator on the run\u2019s latency table): the stored simulation differs in its inputs (profiles, load, lanes, seeds or duration)'];
    }
  }
  if ('sim' in a && 'sim' in b) {
    for (const k of ['load', 'scale', 'durationSec', 'latencyNoise', 'jobNoise', 'preemption', 'dropLate'] as const) {
      const va = a.sim.params[k];
      const vb = b.sim.params[k];
      if (JSON.stringify(va) !== JSON.stringify(vb)) out.warnings.push(`different ${k} (${va === undefined ? 'not set' : String(va)} vs ${vb === undefined ? 'not set' : String(vb)})`);
    }
    const common = policiesOf(a).filter((p) => policiesOf(b).includes(p));
    if (!common.length) out.warnings.push('the two simulations ran no policy in common');
    out.byPolicy = common.map((p) => ({ policy: p, rows: figureRows('(all)', simulationSide(a.sim, p).overall, simulationSide(b.sim, p).overall, ALL_KEYS) }));
  }
  return out;
}
