// What the tuner searches: a Candidate is one complete schedule configuration (policy + its
// parameters, lane layout, granularity, queue bound, late-drop admission, tenant pinning); the
// search space says which values each may take. Pure: no Node, no I/O.
import { DREAM_DEFAULT_WEIGHTS, createPolicy, policyNames, policySpec, type DreamWeights } from '../policies';
import type { Policy, SimWorkload, TenantDef, VariantDef, WhitelistCombo } from '../types';
import { variantUsable } from '../whitelist';
import { describeWorkload } from '../workload';
import type { Assignment, ParamDef } from './tpe';
import { granularityProblem, groupSize, type Granularity } from '../../../common/granularity';

export type { Granularity } from '../../../common/granularity';

/**
 * Per tenant, which implementations of its layers a schedule uses:
 * - 'policy': every measured variant within the tenant's accuracy budget, the policy picks (the default);
 * - 'original': the original layers only;
 * - 'fastest': one fixed implementation per layer: the fastest exact variant, then approximate ones
 *   where they save the most time per unit of accuracy lost, while the frame's total stays within
 *   the budget; on a tenant with a whitelist, the fastest combination verified together (staticVariantPicks).
 */
export type VariantChoice = 'policy' | 'original' | 'fastest';
export const VARIANT_CHOICES: VariantChoice[] = ['policy', 'original', 'fastest'];

export interface Candidate {
  policy: string;
  /** Index into the problem's lane layouts. */
  layout: number;
  /** 'layer': the policy picks every layer (preemption at layer boundaries); 'group:K': every K layers (core/groups.ts); 'model': a started frame keeps its lane. */
  granularity: Granularity;
  /** At most this many not-yet-started frames per tenant (the oldest gives way). */
  maxQueuePerTenant: number;
  /** Drop a waiting frame as soon as its deadline has passed. */
  dropLate: boolean;
  /** dream / dream_static: fixed (starting) weights and drop margin. */
  dream?: { weights: DreamWeights; dropMargin: number };
  /** terastal: share of the deadline split into virtual budgets. */
  terastal?: { budgetShare: number };
  /** Per tenant: index of the lane it is pinned to (modulo the layout's lane count), or null = free. */
  pins?: (number | null)[];
  /** Per tenant: its variant choice; absent = 'policy' for every tenant. */
  variants?: VariantChoice[];
}

export interface TuneSpace {
  /** Policies to search over (default TUNABLE_POLICIES). */
  policies: string[];
  granularities: Granularity[];
  queueBounds: number[];
  dropLate: boolean[];
  /** Search over pinning tenants to lanes. */
  pinning: boolean;
  /** Search each tenant's variant choice (tenants with measured variants within their accuracy budget). */
  variants?: boolean;
  /** The choices searched per tenant (default VARIANT_CHOICES; the live space leaves out 'policy', which the live runtime cannot apply). */
  variantChoices?: VariantChoice[];
}

/** Policies worth tuning by default: the parametrised Tessera ones and the strongest baselines. */
export const TUNABLE_POLICIES = ['edf', 'lsf', 'heft', 'dysta', 'dream', 'dream_static', 'terastal'];

export const DEFAULT_SPACE: TuneSpace = { policies: TUNABLE_POLICIES, granularities: ['layer', 'group:2', 'group:4', 'model'], queueBounds: [1, 2, 4, 8, 32], dropLate: [false, true], pinning: true, variants: true };

/** What the live runtime applies (`--space live`): everything but 'policy' variant choices (the policy picking among profiled variants). */
export const LIVE_SPACE: TuneSpace = { ...DEFAULT_SPACE, variantChoices: ['original', 'fastest'] };

/** The simulator's defaults, as a candidate: what an untuned run of `policy` uses. */
export function defaultCandidate(policy: string, layout = 0): Candidate {
  return { policy, layout, granularity: 'layer', maxQueuePerTenant: 32, dropLate: false };
}

export function checkSpace(space: TuneSpace, layouts: number): void {
  const known = policyNames();
  const bad = space.policies.filter((p) => !known.includes(p));
  if (bad.length) throw new Error(`tune: unknown polic${bad.length > 1 ? 'ies' : 'y'} ${bad.join(', ')}; known: ${known.join(', ')}`);
  if (!space.policies.length) throw new Error('tune: the search space has no policy');
  if (!space.granularities.length || !space.queueBounds.length || !space.dropLate.length) throw new Error('tune: every dimension of the search space needs at least one value');
  const badG = space.granularities.map((g) => granularityProblem(String(g))).find((x) => x);
  if (badG) throw new Error(`tune: ${badG}`);
  if (space.queueBounds.some((q) => !(Number.isInteger(q) && q >= 1))) throw new Error(`tune: queue bounds must be integers >= 1 (got ${space.queueBounds.join(', ')})`);
  if (layouts < 1) throw new Error('tune: no lane layout to search');
}

const W_KEYS = Object.keys(DREAM_DEFAULT_WEIGHTS) as (keyof DreamWeights)[];
const isDream = (p: unknown) => p === 'dream' || p === 'dream_static';

/** The optimizer's parameters for a space, a layout count and a tenant count; `variantTenants`: tenants with a variant choice to make. */
export function paramsOf(space: TuneSpace, layouts: number, tenants: number, maxLanes: number, variantTenants: readonly number[] = []): ParamDef[] {
  const ps: ParamDef[] = [
    { name: 'policy', kind: 'categorical', choices: space.policies },
    { name: 'layout', kind: 'categorical', choices: Array.from({ length: layouts }, (_, i) => i) },
    { name: 'granularity', kind: 'categorical', choices: space.granularities },
    { name: 'queue', kind: 'categorical', choices: space.queueBounds },
    { name: 'dropLate', kind: 'categorical', choices: space.dropLate },
  ];
  if (space.policies.some(isDream)) {
    for (const k of W_KEYS) ps.push({ name: `w.${k}`, kind: 'real', lo: 0, hi: 3 });
    ps.push({ name: 'dropMargin', kind: 'real', lo: 0, hi: 1.5 });
  }
  if (space.policies.includes('terastal')) ps.push({ name: 'budgetShare', kind: 'real', lo: 0.4, hi: 1 });
  if (space.pinning && maxLanes > 1) for (let t = 0; t < tenants; t++) ps.push({ name: `pin.${t}`, kind: 'categorical', choices: ['free', ...Array.from({ length: maxLanes }, (_, i) => i)] });
  if (space.variants === true) for (const t of variantTenants) ps.push({ name: `var.${t}`, kind: 'categorical', choices: space.variantChoices ?? VARIANT_CHOICES });
  return ps;
}

/** Whether a parameter matters for an assignment (conditional parameters). */
export function isActive(name: string, a: Assignment): boolean {
  if (name.startsWith('w.') || name === 'dropMargin') return isDream(a.policy);
  if (name === 'budgetShare') return a.policy === 'terastal';
  return true;
}

export function toCandidate(a: Assignment, tenants: number): Candidate {
  const c: Candidate = { policy: String(a.policy), layout: Number(a.layout), granularity: a.granularity as Granularity, maxQueuePerTenant: Number(a.queue), dropLate: a.dropLate === true };
  if (isDream(c.policy) && a['w.urgency'] !== undefined) {
    c.dream = { weights: Object.fromEntries(W_KEYS.map((k) => [k, round(Number(a[`w.${k}`]))])) as unknown as DreamWeights, dropMargin: round(Number(a.dropMargin)) };
  }
  if (c.policy === 'terastal' && a.budgetShare !== undefined) c.terastal = { budgetShare: round(Number(a.budgetShare)) };
  const pins = Array.from({ length: tenants }, (_, t) => (a[`pin.${t}`] === undefined || a[`pin.${t}`] === 'free' ? null : Number(a[`pin.${t}`])));
  if (pins.some((p) => p !== null)) c.pins = pins;
  const variants = Array.from({ length: tenants }, (_, t) => (a[`var.${t}`] ?? 'policy') as VariantChoice);
  if (variants.some((v) => v !== 'policy')) c.variants = variants;
  return c;
}

/** The optimizer's view of a candidate (for seeding its history with the baselines). */
export function toAssignment(c: Candidate): Assignment {
  const a: Assignment = { policy: c.policy, layout: c.layout, granularity: c.granularity, queue: c.maxQueuePerTenant, dropLate: c.dropLate };
  if (isDream(c.policy)) {
    const w = c.dream?.weights ?? DREAM_DEFAULT_WEIGHTS;
    for (const k of W_KEYS) a[`w.${k}`] = w[k];
    a.dropMargin = c.dream?.dropMargin ?? 0.6;
  }
  if (c.policy === 'terastal') a.budgetShare = c.terastal?.budgetShare ?? 1;
  c.pins?.forEach((p, t) => (a[`pin.${t}`] = p ?? 'free'));
  c.variants?.forEach((v, t) => (a[`var.${t}`] = v));
  return a;
}

/** Four significant decimals: keys stay short and a schedule file reads well. */
const round = (x: number) => Math.round(x * 1e4) / 1e4;

/** A stable identity of a candidate (same configuration, same key). */
export function candidateKey(c: Candidate): string {
  const key: unknown[] = [c.policy, c.layout, c.granularity, c.maxQueuePerTenant, c.dropLate, c.dream ?? null, c.terastal ?? null, c.pins ?? null];
  // Appended only when set, so that checkpoints written before variants were searched still match.
  if (c.variants) key.push(c.variants);
  return JSON.stringify(key);
}

/** The policy of a candidate as one string, with its parameters (createPolicy() builds it; the live runtime takes it). */
export function candidatePolicy(c: Candidate): string {
  if (isDream(c.policy) && c.dream) return policySpec(c.policy, { weights: c.dream.weights, dropMargin: c.dream.dropMargin });
  if (c.policy === 'terastal' && c.terastal) return policySpec(c.policy, { budgetShare: c.terastal.budgetShare });
  return c.policy;
}

/** A fresh policy instance for a candidate. */
export function policyFor(c: Candidate): Policy {
  return createPolicy(candidatePolicy(c));
}

// Pinning is one rule for the simulator and the live runtime: core/workload.ts applyPins.
export { applyPins } from '../workload';

/**
 * A tenant's work on each lane of a layout per second of frames: rate x its isolated latency there,
 * at `granularity` ('model': the measured whole model where the profile has it, as withGranularity
 * charges it; else the sum of its original layers). Infinity where a lane cannot run it whole.
 */
function tenantWork(w: SimWorkload, granularity: Granularity = 'layer'): number[][] {
  const { rate } = describeWorkload(w);
  return w.tenants.map((t) =>
    w.lanes.map((_, l) => {
      const whole = granularity === 'model' ? t.wholeModel?.[l]?.latency : undefined;
      return (whole ?? t.layers.reduce((a, layer) => a + (layer.variants[0].cost[l]?.latency ?? Infinity), 0)) * rate[t.id];
    }),
  );
}

/**
 * Pins that pack tenants onto a layout's lanes, heaviest first, each on the lane least loaded so far
 * (longest-processing-time first, by rate x the tenant's isolated latency on that lane, at
 * `granularity`); a tenant no lane of it can run whole stays free. Where one big tenant starves
 * under a shared queue, giving it a lane of its own is what the floor (each tenant alone) shows is
 * possible: a structured start for the search, which TPE's random start rarely draws among
 * lanes^tenants pin combinations.
 */
export function packedPins(w: SimWorkload, granularity: Granularity = 'layer'): (number | null)[] {
  const nL = w.lanes.length;
  const cost = tenantWork(w, granularity);
  const load = new Float64Array(nL);
  const pins: (number | null)[] = w.tenants.map(() => null);
  const order = w.tenants.map((_, i) => i).sort((a, b) => Math.min(...cost[b]) - Math.min(...cost[a]) || a - b);
  for (const t of order) {
    let best = -1;
    for (let l = 0; l < nL; l++) if (Number.isFinite(cost[t][l]) && (best < 0 || load[l] + cost[t][l] < load[best] + cost[t][best])) best = l;
    if (best < 0) continue;
    pins[t] = best;
    load[best] += cost[t][best];
  }
  return pins;
}

/**
 * Pins that give each of the heaviest (lanes - 1) tenants a lane of its own and put every other
 * tenant on the last lane: the small tenants then never wait behind a heavy one's frame (at model
 * granularity a started frame keeps its lane), whatever the loads add up to. Packing (packedPins)
 * balances the work instead and can put a small tenant beside a heavy one.
 */
export function heavyAlonePins(w: SimWorkload, granularity: Granularity = 'layer'): (number | null)[] {
  const nL = w.lanes.length;
  const cost = tenantWork(w, granularity);
  const pins: (number | null)[] = w.tenants.map(() => null);
  if (nL < 2) return pins;
  const order = w.tenants.map((_, i) => i).sort((a, b) => Math.min(...cost[b]) - Math.min(...cost[a]) || a - b);
  let lane = 0;
  for (const t of order) {
    const l = Math.min(lane, nL - 1);
    if (!Number.isFinite(cost[t][l])) continue;
    pins[t] = l;
    lane++;
  }
  return pins;
}

/**
 * The search's structured start, before TPE's own draws: every policy of the space at its defaults
 * (a) at each granularity with each pin layout (heavyAlonePins, packedPins, costed at that
 * granularity) on every layout with several lanes, model granularity first; (b) unpinned at every
 * granularity and layout the baselines do not cover (group:K; layouts after the first). TPE's
 * random start rarely draws these among lanes^tenants pin combinations x granularities x policies,
 * and they are what the floor (each tenant alone) says a schedule needs where one heavy tenant
 * would otherwise hold every lane (measured: reading_assistant's ocr_det, bench/tune.ts).
 */
export function structuredSeeds(layouts: readonly { workload: SimWorkload }[], space: TuneSpace): Candidate[] {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  const add = (c: Candidate) => {
    const k = candidateKey(c);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(c);
    }
  };
  const grans = [...space.granularities].sort((a, b) => granularityRank(b) - granularityRank(a));
  if (space.pinning)
    for (const g of grans)
      layouts.forEach((l, li) => {
        if (l.workload.lanes.length < 2) return;
        for (const pins of [heavyAlonePins(l.workload, g), packedPins(l.workload, g)]) if (pins.some((p) => p !== null)) for (const policy of space.policies) add({ ...defaultCandidate(policy, li), granularity: g, pins });
      });
  for (const g of grans)
    layouts.forEach((_, li) => {
      if (li === 0 && (g === 'layer' || g === 'model')) return; // the baselines
      for (const policy of space.policies) add({ ...defaultCandidate(policy, li), granularity: g });
    });
  return out;
}

/** Coarser granularities rank higher: model > group:K (larger K first) > layer. */
function granularityRank(g: Granularity): number {
  if (g === 'model') return Infinity;
  return g === 'layer' ? 1 : (groupSize(g) ?? 1);
}

/** One line for tables and logs. */
export function describeCandidate(c: Candidate, layoutIds?: string[]): string {
  const parts = [c.policy, `lanes ${layoutIds?.[c.layout] ?? `#${c.layout}`}`, c.granularity === 'model' ? 'model granularity' : c.granularity === 'layer' ? 'layer granularity' : `${c.granularity} granularity`, `queue ${c.maxQueuePerTenant}`];
  if (c.dropLate) parts.push('drop late');
  if (c.dream) parts.push(`weights ${W_KEYS.map((k) => `${k[0]}=${c.dream!.weights[k].toFixed(2)}`).join(' ')} margin ${c.dream.dropMargin.toFixed(2)}`);
  if (c.terastal) parts.push(`budget share ${c.terastal.budgetShare.toFixed(2)}`);
  if (c.pins) parts.push(`pins ${c.pins.map((p) => (p === null ? '-' : String(p))).join(',')}`);
  if (c.variants) parts.push(`variants ${c.variants.join(',')}`);
  return parts.join(', ');
}

/** Tenants of a workload with at least one measured variant they may run (within their accuracy budget, or in a combination of their whitelist): a variant choice to search. */
export function tenantsWithVariants(w: SimWorkload): number[] {
  return w.tenants.flatMap((t, i) => (t.layers.some((l, li) => l.variants.some((_, k) => k > 0 && variantUsable(t, li, k, (t.accuracyBudget ?? 0) + 1e-12))) ? [i] : []));
}

/** Fastest latency of a variant over the lanes (Infinity when it runs on none). */
const bestLatency = (v: VariantDef) => Math.min(...v.cost.map((c) => (c ? c.latency : Infinity)));

/**
 * 'fastest': per layer, the variant index it uses. Exact variants (accuracy delta 0) are free: the
 * fastest one is taken. Then, on a tenant with a whitelist, the fastest combination verified
 * together as it was verified (fastestCombination); else approximate variants, most time saved per
 * unit of accuracy lost first, while the sum of their deltas stays within the tenant's accuracy budget.
 */
export function staticVariantPicks(t: TenantDef): number[] {
  if (t.whitelist) return fastestCombination(t).picks;
  const budget = t.accuracyBudget ?? 0;
  const picks = exactPicks(t);
  const approx: { layer: number; k: number; gain: number; delta: number }[] = [];
  t.layers.forEach((l, i) =>
    l.variants.forEach((v, k) => {
      const gain = bestLatency(l.variants[picks[i]]) - bestLatency(v);
      if (v.accuracyDelta > 1e-12 && v.accuracyDelta <= budget && gain > 0) approx.push({ layer: i, k, gain, delta: v.accuracyDelta });
    }),
  );
  approx.sort((a, b) => b.gain / b.delta - a.gain / a.delta || a.layer - b.layer || a.k - b.k);
  let spent = 0;
  const taken = new Set<number>();
  for (const a of approx) {
    if (taken.has(a.layer) || spent + a.delta > budget + 1e-12) continue;
    picks[a.layer] = a.k;
    taken.add(a.layer);
    spent += a.delta;
  }
  return picks;
}

/** Per layer, its fastest exact variant (0: the original). */
function exactPicks(t: TenantDef): number[] {
  return t.layers.map((l) => {
    let best = 0;
    l.variants.forEach((v, k) => {
      if (v.accuracyDelta <= 1e-12 && bestLatency(v) < bestLatency(l.variants[best])) best = k;
    });
    return best;
  });
}

/**
 * A whitelist tenant's 'fastest': the combination of its whitelist (verified together end to end)
 * whose frame is fastest, each layer it substitutes at the variant it was verified with, every other
 * layer at its fastest exact variant (exact variants are free under a whitelist). Model-level (whole)
 * combinations are left to DREAM's model switch: the live runtime makes fixed picks layer by layer
 * and cannot make a model variant as one (variant-exec.ts substituteVariants). No combination
 * faster than the exact picks: those, with no combination. Frame time: the sum of each layer's
 * fastest lane, as for the additive rule.
 */
export function fastestCombination(t: TenantDef): { picks: number[]; combo?: WhitelistCombo } {
  const exact = exactPicks(t);
  const frame = (picks: number[]) => picks.reduce((a, k, i) => a + bestLatency(t.layers[i].variants[k]), 0);
  let best: { picks: number[]; combo?: WhitelistCombo } = { picks: exact };
  let bestTime = frame(exact);
  for (const combo of t.whitelist?.combos ?? []) {
    if (combo.whole) continue;
    const picks = exact.map((k, i) => ((combo.variants[i] ?? 0) > 0 ? combo.variants[i] : k));
    const time = frame(picks);
    if (time < bestTime - 1e-12) {
      best = { picks, combo };
      bestTime = time;
    }
  }
  return best;
}

/**
 * The workload as a candidate's variant choices leave it: 'original' keeps each layer's original
 * only; 'fastest' keeps the one static pick per layer (staticVariantPicks), costed by the
 * original on a lane the variant was not measured on; 'policy' changes nothing. A fixed pick is the
 * layer's only implementation, so it stands as variants[0] with no per-frame charge (the simulator
 * charges variants[0] nothing); what the fixed set loses is charged to every frame through the
 * tenant's baseAccuracy instead: the sum of the picks' deltas (additive rule) or, on a whitelist
 * tenant, its combination's verified cost once (the per-layer deltas of a combination do not add
 * up to it). The whitelist goes: it indexes variants no longer there.
 */
export function applyVariantChoice(w: SimWorkload, choices: readonly VariantChoice[] | undefined, granularity: Granularity = 'layer'): SimWorkload {
  if (!choices?.some((c) => c !== 'policy')) return w;
  return {
    ...w,
    tenants: w.tenants.map((tenant, ti) => {
      const choice = choices[ti] ?? 'policy';
      if (choice === 'policy') return tenant;
      const t = pickableAt(tenant, granularity);
      const { whitelist, ...rest } = t;
      if (choice === 'original') return { ...rest, layers: t.layers.map((l) => (l.variants.length > 1 ? { ...l, variants: [l.variants[0]] } : l)) };
      const { picks, combo } = whitelist ? fastestCombination(t) : { picks: staticVariantPicks(t), combo: undefined };
      const lost = whitelist ? (combo?.cost ?? 0) : picks.reduce((a, k, i) => a + t.layers[i].variants[k].accuracyDelta, 0);
      return {
        ...rest,
        ...(lost > 0 ? { baseAccuracy: (t.baseAccuracy ?? 1) - lost } : {}),
        layers: t.layers.map((l, i) => {
          if (picks[i] === 0) return l.variants.length > 1 ? { ...l, variants: [l.variants[0]] } : l;
          const v = l.variants[picks[i]];
          return { ...l, variants: [{ ...v, accuracyDelta: 0, cost: v.cost.map((c, lane) => c ?? l.variants[0].cost[lane]) }] };
        }),
      };
    }),
  };
}

/**
 * The tenant as its fixed picks see it at this granularity: at model granularity the variants that
 * cannot be substituted into its whole model (TenantDef.notInWholeModel) run nowhere (their costs
 * null: no pick takes them, a whitelist combination holding one is never the fastest), as live.
 */
export function pickableAt(t: TenantDef, granularity: Granularity): TenantDef {
  const no = t.notInWholeModel;
  if (granularity !== 'model' || !no?.variantIds.length) return t;
  return { ...t, layers: t.layers.map((l) => (l.variants.some((v) => no.variantIds.includes(v.id)) ? { ...l, variants: l.variants.map((v) => (no.variantIds.includes(v.id) ? { ...v, cost: v.cost.map(() => null) } : v)) } : l)) };
}

/**
 * What of a candidate the live runtime cannot apply (it runs without it). Pins, late drop and
 * fixed ('fastest') or 'original' variant choices it applies; left is the 'policy' choice for a
 * tenant with measured variants (`variantTenants`): in the simulator its policy picks among the
 * profile's variants, live it runs the original layers.
 */
export function simulatorOnlyLevers(c: Candidate, tenantIds?: readonly string[], variantTenants: readonly number[] = []): string[] {
  const vs = variantTenants.filter((t) => (c.variants?.[t] ?? 'policy') === 'policy').map((t) => tenantIds?.[t] ?? `#${t}`);
  return vs.length ? [`variants (${vs.join(', ')}: policy picks)`] : [];
}
