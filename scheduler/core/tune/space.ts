// What the tuner searches: a Candidate is one complete schedule configuration (policy + its
// parameters, lane layout, granularity, queue bound, late-drop admission, tenant pinning); the
// search space says which values each may take. Pure: no Node, no I/O.
import { DREAM_DEFAULT_WEIGHTS, createPolicy, policyNames, policySpec, type DreamWeights } from '../policies';
import type { Policy, SimWorkload } from '../types';
import type { Assignment, ParamDef } from './tpe';

export type Granularity = 'layer' | 'model';

export interface Candidate {
  policy: string;
  /** Index into the problem's lane layouts. */
  layout: number;
  /** 'layer': the policy picks every layer (preemption at layer boundaries); 'model': a started frame keeps its lane. */
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
}

export interface TuneSpace {
  /** Policies to search over (default TUNABLE_POLICIES). */
  policies: string[];
  granularities: Granularity[];
  queueBounds: number[];
  dropLate: boolean[];
  /** Search over pinning tenants to lanes. */
  pinning: boolean;
}

/** Policies worth tuning by default: the parametrised Tessera ones and the strongest baselines. */
export const TUNABLE_POLICIES = ['edf', 'lsf', 'heft', 'dysta', 'dream', 'dream_static', 'terastal'];

export const DEFAULT_SPACE: TuneSpace = { policies: TUNABLE_POLICIES, granularities: ['layer', 'model'], queueBounds: [1, 2, 4, 8, 32], dropLate: [false, true], pinning: true };

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
  if (space.queueBounds.some((q) => !(Number.isInteger(q) && q >= 1))) throw new Error(`tune: queue bounds must be integers >= 1 (got ${space.queueBounds.join(', ')})`);
  if (layouts < 1) throw new Error('tune: no lane layout to search');
}

const W_KEYS = Object.keys(DREAM_DEFAULT_WEIGHTS) as (keyof DreamWeights)[];
const isDream = (p: unknown) => p === 'dream' || p === 'dream_static';

/** The optimizer's parameters for a space, a layout count and a tenant count. */
export function paramsOf(space: TuneSpace, layouts: number, tenants: number, maxLanes: number): ParamDef[] {
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
  return a;
}

/** Four significant decimals: keys stay short and a schedule file reads well. */
const round = (x: number) => Math.round(x * 1e4) / 1e4;

/** A stable identity of a candidate (same configuration, same key). */
export function candidateKey(c: Candidate): string {
  return JSON.stringify([c.policy, c.layout, c.granularity, c.maxQueuePerTenant, c.dropLate, c.dream ?? null, c.terastal ?? null, c.pins ?? null]);
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

/**
 * The workload with each pinned tenant's layers restricted to its lane (lane index modulo the
 * lane count). A layer that cannot run there keeps its other lanes, so pinning never makes a
 * workload invalid.
 */
export function applyPins(w: SimWorkload, pins: (number | null)[] | undefined): SimWorkload {
  if (!pins?.some((p) => p !== null)) return w;
  const nL = w.lanes.length;
  return {
    ...w,
    tenants: w.tenants.map((t, ti) => {
      const pin = pins[ti];
      if (pin === null || pin === undefined) return t;
      const lane = pin % nL;
      return {
        ...t,
        layers: t.layers.map((layer) => (layer.variants.some((v) => v.cost[lane]) ? { ...layer, variants: layer.variants.map((v) => ({ ...v, cost: v.cost.map((c, l) => (l === lane ? c : null)) })) } : layer)),
      };
    }),
  };
}

/** One line for tables and logs. */
export function describeCandidate(c: Candidate, layoutIds?: string[]): string {
  const parts = [c.policy, `lanes ${layoutIds?.[c.layout] ?? `#${c.layout}`}`, c.granularity === 'model' ? 'model granularity' : 'layer granularity', `queue ${c.maxQueuePerTenant}`];
  if (c.dropLate) parts.push('drop late');
  if (c.dream) parts.push(`weights ${W_KEYS.map((k) => `${k[0]}=${c.dream!.weights[k].toFixed(2)}`).join(' ')} margin ${c.dream.dropMargin.toFixed(2)}`);
  if (c.terastal) parts.push(`budget share ${c.terastal.budgetShare.toFixed(2)}`);
  if (c.pins) parts.push(`pins ${c.pins.map((p) => (p === null ? '-' : String(p))).join(',')}`);
  return parts.join(', ');
}
