// The Simulate view's pure logic: the comparison table's columns (what is better, how to format;
// formats from renderer/format.ts), best value per column, sorting, the chart series, the
// policy groups and the form's parameters. No DOM here.
import type { ParamsOf, ResultOf } from '../../engine/api';
import { DASH, finiteNum as num, fmtNum as fixed, fmtPct as pct, fmtSig as sig } from '../format';
import { isRecord, isStringArray, pickLike } from '../remember';

/** The Simulate form's dispatch choices (the engine takes any group:K; the form offers two). */
export const SIM_GRANULARITIES = ['layer', 'group:2', 'group:4', 'model'] as const;
export type SimGranularity = (typeof SIM_GRANULARITIES)[number];

export type SimulateResult = ResultOf<'simulate.compare'>;
export type Comparison = SimulateResult['comparison'];
export type PolicyRow = Comparison['rows'][number];
export type Timeline = NonNullable<SimulateResult['timeline']>;
export type PolicyInfo = ResultOf<'policies.list'>[number];
export type CompareParams = ParamsOf<'simulate.compare'>;

/** A Stat as it arrives over JSON: NaN becomes null. */
export interface StatLike {
  mean: number | null;
  min: number | null;
  max: number | null;
  sd: number | null;
}

export const DEFAULT_POLICIES = ['fcfs', 'edf', 'sdrm3', 'dysta', 'dream', 'terastal'];

// The number formats are renderer/format.ts; the short local names stay for this view's tables.
export { DASH, num, fixed, pct, sig };

export type MetricKey = 'missRate' | 'dropRate' | 'violationRate' | 'antt' | 'stp' | 'energyJ' | 'energyPerFrameJ' | 'averageWatts' | 'uxcost' | 'xrbench' | 'sloTenants' | 'sloWindows' | 'p95LatencyMs';

export interface MetricColumn {
  key: MetricKey;
  label: string;
  /** Which way is better (the best value is highlighted). */
  better: 'low' | 'high';
  /** Tooltip of the header. */
  title: string;
  /** The cell text from a row. */
  cell: (row: PolicyRow) => string;
  /** Energy figures: labelled as estimates when the energy source is. */
  energy?: boolean;
  /** A total that shrinks with the work done (energy, power): best only among the policies that finished the most frames. */
  perWork?: boolean;
}

const stat = (row: PolicyRow, key: MetricKey): StatLike => (row as unknown as Record<MetricKey, StatLike>)[key] ?? { mean: null, min: null, max: null, sd: null };

/** "mean [min–max]" for rates; the range is left out when it is a single value. */
export function rateWithRange(s: StatLike): string {
  const m = pct(s.mean);
  if (m === DASH) return DASH;
  const lo = num(s.min);
  const hi = num(s.max);
  if (lo === undefined || hi === undefined || lo === hi) return m;
  return `${m} [${fixed(lo * 100, 1)}–${fixed(hi * 100, 1)}]`;
}

/** "mean ± sd" (sd left out when 0 or unknown). */
export function withSd(s: StatLike, format: (x: unknown) => string): string {
  const m = format(s.mean);
  if (m === DASH) return DASH;
  const sd = num(s.sd);
  return sd ? `${m} ± ${format(sd)}` : m;
}

export const METRIC_COLUMNS: MetricColumn[] = [
  { key: 'missRate', label: 'Miss rate', better: 'low', title: 'Deadline-miss rate = (finished late + dropped) / released; mean over seeds [min–max]', cell: (r) => rateWithRange(stat(r, 'missRate')) },
  { key: 'dropRate', label: 'Drops', better: 'low', title: 'Frame-drop rate = dropped / released (mean over seeds)', cell: (r) => pct(stat(r, 'dropRate').mean) },
  { key: 'antt', label: 'ANTT', better: 'low', title: 'Average normalised turnaround time: mean over finished frames of (finish - release) / isolated latency', cell: (r) => fixed(stat(r, 'antt').mean, 2) },
  { key: 'p95LatencyMs', label: 'p95 ms', better: 'low', title: '95th percentile latency of finished frames, ms (mean over seeds)', cell: (r) => fixed(stat(r, 'p95LatencyMs').mean, 1) },
  { key: 'energyJ', label: 'Energy J', better: 'low', title: 'Energy of the run, joules (mean over seeds)', cell: (r) => sig(stat(r, 'energyJ').mean), energy: true, perWork: true },
  { key: 'energyPerFrameJ', label: 'J/frame', better: 'low', title: 'Energy per released frame, joules', cell: (r) => sig(stat(r, 'energyPerFrameJ').mean), energy: true },
  { key: 'averageWatts', label: 'Avg W', better: 'low', title: 'Average power over the run, watts', cell: (r) => fixed(stat(r, 'averageWatts').mean, 1), energy: true, perWork: true },
  { key: 'uxcost', label: 'UXCost', better: 'low', title: "Tessera's UXCost (see the definition above), mean ± sd over seeds", cell: (r) => withSd(stat(r, 'uxcost'), (x) => fixed(x, 3)) },
  { key: 'xrbench', label: 'XRBench', better: 'high', title: 'XRBench score = realtime x energy score x QoE (constants below), mean over seeds', cell: (r) => fixed(stat(r, 'xrbench').mean, 3) },
  { key: 'sloTenants', label: 'SLO tenants', better: 'high', title: 'Share of tenants meeting every SLO at once (Convergo\'s measure), mean over seeds', cell: (r) => pct(stat(r, 'sloTenants').mean, 0) },
  { key: 'sloWindows', label: 'SLO windows', better: 'high', title: 'Share of time windows in which every tenant meets every SLO, mean over seeds', cell: (r) => pct(stat(r, 'sloWindows').mean, 0) },
];

/** Share of the most frames any policy finished that a policy must finish to be best on a perWork column. */
export const SAME_WORK = 0.99;

/**
 * Per column, the policies holding the best mean (ties: all of them); none when fewer than two rows
 * have a value or all are equal. A policy that finished no frame is best at nothing (its energy and
 * UXCost measure an idle machine); on perWork columns (energy, power) only the policies that finished
 * at least SAME_WORK of the most frames compete, since dropping work saves energy.
 */
export function bestPerColumn(rows: PolicyRow[], columns: MetricColumn[] = METRIC_COLUMNS): Map<MetricKey, Set<string>> {
  const out = new Map<MetricKey, Set<string>>();
  const served = rows.filter((r) => !r.finishedNothing);
  const finished = (r: PolicyRow) => num(r.finished.mean) ?? 0;
  const most = Math.max(0, ...served.map(finished));
  for (const c of columns) {
    const eligible = c.perWork ? served.filter((r) => finished(r) >= SAME_WORK * most) : served;
    const vals = eligible.map((r) => ({ policy: r.policy, v: num(stat(r, c.key).mean) })).filter((x): x is { policy: string; v: number } => x.v !== undefined);
    if (vals.length < 2) continue;
    const best = c.better === 'low' ? Math.min(...vals.map((x) => x.v)) : Math.max(...vals.map((x) => x.v));
    const worst = c.better === 'low' ? Math.max(...vals.map((x) => x.v)) : Math.min(...vals.map((x) => x.v));
    if (best === worst) continue;
    const tol = Math.abs(best) * 1e-9;
    out.set(c.key, new Set(vals.filter((x) => Math.abs(x.v - best) <= tol).map((x) => x.policy)));
  }
  return out;
}

export interface SortState {
  /** 'policy' (the order they were compared in) or a metric. */
  key: MetricKey | 'policy';
  dir: 'asc' | 'desc';
}

/** Rows sorted by a metric's mean (missing values last whatever the direction), or in compared order. */
export function sortRows(rows: PolicyRow[], sort: SortState): PolicyRow[] {
  const indexed = rows.map((r, i) => ({ r, i }));
  const sign = sort.dir === 'asc' ? 1 : -1;
  indexed.sort((a, b) => {
    if (sort.key === 'policy') return sign * (a.i - b.i);
    const x = num(stat(a.r, sort.key).mean);
    const y = num(stat(b.r, sort.key).mean);
    if (x === undefined && y === undefined) return a.i - b.i;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    return sign * (x - y) || a.i - b.i;
  });
  return indexed.map((x) => x.r);
}

/** The next sort after a click on a header: same key flips, a new key starts with its better direction first. */
export function nextSort(current: SortState, key: MetricKey | 'policy'): SortState {
  if (current.key === key) return { key, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  if (key === 'policy') return { key, dir: 'asc' };
  const col = METRIC_COLUMNS.find((c) => c.key === key);
  return { key, dir: col?.better === 'high' ? 'desc' : 'asc' };
}

// ---------------------------------------------------------------------------------------------
// Chart series
// ---------------------------------------------------------------------------------------------

/** Per-tenant miss rate (%) per policy: labels = tenants, one series per policy (missing = null). */
export function perTenantMiss(c: Comparison): { labels: string[]; series: { policy: string; values: (number | null)[] }[] } {
  const labels = c.rows[0]?.perTenant.map((t) => t.tenant) ?? [];
  return {
    labels,
    series: c.rows.map((r) => ({
      policy: r.policy,
      values: labels.map((tenant) => {
        const v = num(r.perTenant.find((t) => t.tenant === tenant)?.missRate.mean);
        return v === undefined ? null : v * 100;
      }),
    })),
  };
}

/** One metric per policy: the means and the [min, max] ranges over seeds (null where unknown). */
export function meanAndRange(rows: PolicyRow[], key: MetricKey): { labels: string[]; means: (number | null)[]; ranges: ([number, number] | null)[] } {
  return {
    labels: rows.map((r) => r.policy),
    means: rows.map((r) => num(stat(r, key).mean) ?? null),
    ranges: rows.map((r) => {
      const s = stat(r, key);
      const lo = num(s.min);
      const hi = num(s.max);
      return lo === undefined || hi === undefined ? null : [lo, hi];
    }),
  };
}

/** Per-lane utilisation (%) with every layer on its fastest lane, from the workload summary. */
export function laneUtilisation(summary: SimulateResult['summary']): { lanes: string[]; percent: number[]; overloaded: string[] } {
  const entries = Object.entries(summary.favouriteUtilisation).map(([lane, u]) => [lane, num(u) ?? 0] as const);
  return { lanes: entries.map((e) => e[0]), percent: entries.map((e) => e[1] * 100), overloaded: entries.filter((e) => e[1] > 1).map((e) => e[0]) };
}

// ---------------------------------------------------------------------------------------------
// Policies and scenarios
// ---------------------------------------------------------------------------------------------

export const FAMILY_LABELS: Record<PolicyInfo['family'], string> = {
  baseline: 'Baselines',
  published: 'Published schedulers',
  tessera: "Tessera's policies",
};

/** Policies grouped by family, in the order baseline, published, tessera (registry order inside). */
export function groupPolicies(list: PolicyInfo[]): { family: PolicyInfo['family']; label: string; policies: PolicyInfo[] }[] {
  return (['baseline', 'published', 'tessera'] as const)
    .map((family) => ({ family, label: FAMILY_LABELS[family], policies: list.filter((p) => p.family === family) }))
    .filter((g) => g.policies.length > 0);
}

/** A policy's tooltip: description, source and flags. */
export function policyTooltip(p: PolicyInfo): string {
  const flags = [p.variants && 'uses layer variants', p.drops && 'drops frames', p.adaptive && 'adapts online'].filter(Boolean);
  return `${p.description}.\nSource: ${p.source}${flags.length ? `\n(${flags.join(', ')})` : ''}`;
}

export function isSynthetic(scenario: string): boolean {
  return scenario.startsWith('synthetic:');
}

/** "synthetic:vr_gaming:skewed" → "vr_gaming, skewed load (synthetic)". */
export function syntheticLabel(ref: string): string {
  const [, name, skew] = ref.split(':');
  return `${name}${skew === 'skewed' ? ', skewed to the GPU' : ', balanced'} (synthetic)`;
}

/** Profiles whose model is one of the scenario's tenant models (newest first, one per model): a suggestion; the engine matches. */
export function suggestProfiles(tenantModels: string[], profiles: { id: string; model: string; error?: string }[]): string[] {
  const picked: string[] = [];
  const seen = new Set<string>();
  const base = (m: string) => m.split('/').pop()!.replace(/\.onnx$/, '');
  for (const model of tenantModels) {
    if (seen.has(model)) continue;
    seen.add(model);
    const p = profiles.find((x) => !x.error && (x.model === model || base(x.model) === base(model)));
    if (p && !picked.includes(p.id)) picked.push(p.id);
  }
  return picked;
}

// ---------------------------------------------------------------------------------------------
// The form
// ---------------------------------------------------------------------------------------------

export interface SimForm {
  scenario: string;
  profiles: string[];
  /** Lanes for a library scenario, e.g. "cpu:1,cpu:1" (empty: every lane the profiles share). */
  lanes: string;
  policies: string[];
  seeds: string;
  durationSec: string;
  load: string;
  latencyNoise: string;
  jobNoise: string;
  /** What one dispatch runs: 'layer' (preemption at layer boundaries), groups of K layers, or 'model' (none). */
  preemption: SimGranularity;
  dropLate: boolean;
  seed: string;
  window: string;
  timelineSlices: string;
}

export const DEFAULT_FORM: SimForm = {
  scenario: 'synthetic:vr_gaming',
  profiles: [],
  lanes: '',
  policies: DEFAULT_POLICIES,
  seeds: '5',
  durationSec: '10',
  load: '',
  latencyNoise: '0.1',
  jobNoise: '0.1',
  preemption: 'layer',
  dropLate: false,
  seed: '1',
  window: '1',
  timelineSlices: '20000',
};

/** The compare parameters from the form, or the list of what is wrong with it (the engine checks the rest). */
export function compareParams(f: SimForm): { params?: CompareParams; errors: string[] } {
  const errors: string[] = [];
  const number = (label: string, text: string, o: { min?: number; max?: number; int?: boolean; positive?: boolean }): number | undefined => {
    const v = Number(text.trim());
    if (text.trim() === '' || !Number.isFinite(v)) {
      errors.push(`${label}: enter a number`);
      return undefined;
    }
    if (o.int && !Number.isInteger(v)) errors.push(`${label}: a whole number`);
    else if (o.positive && !(v > 0)) errors.push(`${label}: must be > 0`);
    else if (o.min !== undefined && v < o.min) errors.push(`${label}: at least ${o.min}`);
    else if (o.max !== undefined && v > o.max) errors.push(`${label}: at most ${o.max}`);
    return v;
  };
  if (!f.scenario) errors.push('Choose a scenario');
  if (f.policies.length === 0) errors.push('Choose at least one policy');
  const seeds = number('Seeds', f.seeds, { int: true, min: 1, max: 1000 });
  const durationSec = number('Duration', f.durationSec, { positive: true, max: 3600 });
  const load = f.load.trim() === '' ? undefined : number('Load', f.load, { positive: true, max: 1000 });
  const latencyNoise = number('Latency noise', f.latencyNoise, { min: 0, max: 10 });
  const jobNoise = number('Job noise', f.jobNoise, { min: 0, max: 10 });
  const seed = number('First seed', f.seed, { int: true, min: 0 });
  const window = number('SLO window', f.window, { positive: true, max: 60 });
  const timelineSlices = number('Timeline slices', f.timelineSlices, { int: true, min: 1, max: 200_000 });
  if (errors.length) return { errors };
  const params: CompareParams = {
    scenario: f.scenario,
    policies: f.policies,
    seeds: seeds!,
    seed: seed!,
    durationSec: durationSec!,
    latencyNoise: latencyNoise!,
    jobNoise: jobNoise!,
    // Groups go as the engine's granularity (the simulator then dispatches group by group).
    preemption: f.preemption === 'model' ? 'model' : 'layer',
    ...(f.preemption.startsWith('group:') ? { granularity: f.preemption } : {}),
    dropLate: f.dropLate,
    window: window!,
    timelineSlices: timelineSlices!,
  };
  if (load !== undefined) params.load = load;
  // A library scenario goes to the engine even without profiles: its error names what to do.
  if (!isSynthetic(f.scenario) && f.profiles.length) params.profiles = f.profiles;
  const lanes = f.lanes.split(',').map((l) => l.trim()).filter(Boolean);
  if (!isSynthetic(f.scenario) && lanes.length) params.lanes = lanes;
  if (f.policies.includes('dream')) params.timelinePolicy = 'dream';
  return { params, errors };
}

/** The latency source in words, for the results header. */
export function latencySourceText(c: Comparison): { kind: 'measured' | 'synthetic'; text: string } {
  const s = c.latencySource as { kind: 'measured' | 'synthetic'; profileId?: string; detail?: string };
  if (s.kind === 'measured') return { kind: 'measured', text: `measured profiles: ${s.profileId ?? ''}${s.detail ? ` (${s.detail})` : ''}` };
  return { kind: 'synthetic', text: s.detail ?? 'generated latency table: not measured' };
}

/** A size for download notes. */
export { fmtBytes as sizeText } from '../format';

/** A remembered form (renderer/remember.ts) as far as it still fits this version: the rest from the defaults. */
export function validSimForm(raw: unknown): SimForm | undefined {
  const f = pickLike(raw, { ...DEFAULT_FORM, policies: [...DEFAULT_POLICIES] } as SimForm & Record<string, unknown>, { preemption: SIM_GRANULARITIES });
  return f && f.scenario ? f : undefined;
}

/** The last result kept for a reload: its params and the result as the engine sent it. */
export function validLastResult(raw: unknown): { params: CompareParams; result: SimulateResult } | undefined {
  if (!isRecord(raw) || !isRecord(raw.params) || !isRecord(raw.result)) return undefined;
  const p = raw.params;
  const r = raw.result;
  if (typeof p.scenario !== 'string' || !isStringArray(p.policies) || typeof p.durationSec !== 'number') return undefined;
  if (typeof r.scenario !== 'string' || !isRecord(r.comparison) || !Array.isArray(r.comparison.rows) || !isRecord(r.summary)) return undefined;
  return raw as unknown as { params: CompareParams; result: SimulateResult };
}

/**
 * The scenario Simulate opens on when the user brought none and has none remembered: a library
 * scenario whose every model has a stored profile (measured here, so its lanes fit this machine);
 * else the synthetic XRBench workload, skewed to the GPU only where this machine has a hardware GPU
 * lane (skewed to a GPU the machine lacks shows a contention that cannot happen here).
 */
export function defaultScenario(o: {
  synthetic: string[];
  scenarios: { id: string; error?: string; tenants: { model: string }[] }[];
  profiles: { id: string; model: string; error?: string; status?: string }[];
  hardwareGpu: boolean;
}): { scenario: string; profiles: string[]; why: string } {
  const usable = o.profiles.filter((p) => !p.error && (p.status === undefined || p.status === 'complete'));
  for (const s of o.scenarios) {
    if (s.error || !s.tenants.length) continue;
    const models = [...new Set(s.tenants.map((t) => t.model))];
    const picked = suggestProfiles(models, usable);
    const base = (m: string) => m.split('/').pop()!.replace(/\.onnx$/, '');
    const covered = models.every((m) => usable.some((p) => picked.includes(p.id) && (p.model === m || base(p.model) === base(m))));
    if (covered) return { scenario: s.id, profiles: picked, why: `${s.id}: every model has a stored profile measured on this machine` };
  }
  const pick = (ref: string) => (o.synthetic.includes(ref) ? ref : o.synthetic[0] ?? ref);
  if (o.hardwareGpu) return { scenario: pick('synthetic:vr_gaming:skewed'), profiles: [], why: 'synthetic workload skewed to the GPU: this machine has a GPU lane' };
  return { scenario: pick('synthetic:vr_gaming'), profiles: [], why: 'no hardware GPU lane here and no scenario with every model profiled: the balanced synthetic workload (its lanes are generated, not this machine\'s)' };
}

/** Whether lanes.list shows a GPU/NPU lane that works and is not a software rasteriser. */
export function hasHardwareAccelerator(lanes: readonly { ep: string; error?: string; adapter?: { software?: boolean } }[]): boolean {
  return lanes.some((l) => l.ep !== 'cpu' && !l.error && !l.adapter?.software);
}

// ---------------------------------------------------------------------------------------------
// Layer-variant use and the policy's model switches (scheduler/core/variant-use.ts, PolicyEvent):
// the same tables for a simulation's rows and a live run's report (live-model.ts re-exports them).

/** A tenant's variant use as it arrives over JSON (NaN may be null). */
export interface VariantUseLike {
  tenant: string;
  runs: Record<string, number>;
  approximateShare: number | null;
  framesApproximate: number | null;
  meanSpent: number | null;
  maxSpent: number | null;
  rule: 'budget' | 'whitelist' | 'none';
  allowance: number | null;
  spentShare: number | null;
}

export interface VariantUseRow {
  tenant: string;
  /** "original 120 · fp16 30", most runs first. */
  runs: string;
  approximate: string;
  frames: string;
  spent: string;
  allowance: string;
  /** The mean spent is above the allowance (cannot happen within the rules: shown as a problem). */
  over: boolean;
}

/**
 * Rows of the variant-use table; `none` when no tenant ran anything but its original layers (one
 * line instead of a table of zeros); undefined when the run had no variants at all.
 */
export function variantUseView(use: readonly VariantUseLike[] | undefined): { rows: VariantUseRow[]; none?: string } | undefined {
  if (!use?.length) return undefined;
  const ran = use.some((u) => Object.entries(u.runs).some(([id, n]) => id !== 'original' && n > 0));
  if (!ran) return { rows: [], none: 'Layer variants were offered, but every layer ran its original implementation.' };
  return {
    rows: use.map((u) => {
      const allowance = num(u.allowance);
      const spent = num(u.meanSpent);
      return {
        tenant: u.tenant,
        runs: Object.entries(u.runs).sort((a, b) => b[1] - a[1]).map(([id, n]) => `${id} ${n}`).join(' · ') || DASH,
        approximate: pct(u.approximateShare),
        frames: pct(u.framesApproximate),
        spent: spent === undefined ? DASH : `${sig(spent)} mean, ${sig(u.maxSpent)} max`,
        allowance: u.rule === 'none' ? 'exact variants only' : `${sig(allowance)} (${u.rule === 'whitelist' ? 'largest verified combination' : 'accuracy budget'})${allowance && spent !== undefined ? `, ${sig((100 * spent) / allowance, 2)}% used` : ''}`,
        over: allowance !== undefined && allowance > 0 && spent !== undefined && spent > allowance * (1 + 1e-9),
      };
    }),
  };
}

export interface PolicyEventLike {
  time: number;
  tenant: number;
  kind: string;
  detail: string;
}

export interface SwitchRow {
  at: string;
  tenant: string;
  from: string;
  to: string;
  why: string;
}

/**
 * DREAM's model switches as rows, in time order: from/to follow each tenant's previous switch
 * (a tenant starts on its original model); the reason is the detail's parenthesis.
 */
export function switchRows(events: readonly PolicyEventLike[] | undefined, tenants: readonly string[]): SwitchRow[] {
  const current = new Map<number, string>();
  return [...(events ?? [])].sort((a, b) => a.time - b.time).map((e) => {
    const m = /->\s*(.*?)(?:\s+\((.*)\))?$/.exec(e.detail);
    const to = m?.[1] || (e.kind === 'model-variant-off' ? 'original model' : 'model variant');
    const from = current.get(e.tenant) ?? 'original model';
    current.set(e.tenant, to);
    return { at: `${fixed(e.time, 2)} s`, tenant: tenants[e.tenant] ?? `tenant ${e.tenant}`, from, to, why: m?.[2] ?? e.detail };
  });
}
