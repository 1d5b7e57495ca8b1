// The policy registry: name -> factory, with a description and the source of each policy.
// Every policy implements types.ts's Policy and runs unchanged in the simulator and the live runtime.
import type { Policy } from '../types';
import { edf, fcfs, leastSlack, roundRobin, sjf } from './baselines';
import { convergo } from './convergo';
import { tesseraDream, type DreamOptions } from './dream';
import { dysta } from './dysta';
import { heft } from './heft';
import { planaria } from './planaria';
import { prema } from './prema';
import { sdrm3 } from './sdrm3';
import { terastal, type TerastalOptions } from './terastal';

export { edf, fcfs, leastSlack, roundRobin, sjf } from './baselines';
export { convergo } from './convergo';
export { tesseraDream, DREAM_DEFAULT_WEIGHTS, type DreamOptions, type DreamWeights } from './dream';
export { dysta, type DystaForm } from './dysta';
export { heft } from './heft';
export { planaria } from './planaria';
export { prema } from './prema';
export { sdrm3 } from './sdrm3';
export { terastal, type TerastalOptions } from './terastal';

export type PolicyFamily = 'baseline' | 'published' | 'tessera';

export interface PolicyInfo {
  name: string;
  label: string;
  family: PolicyFamily;
  description: string;
  source: string;
  /** Uses variants (joint lane + variant choice). */
  variants: boolean;
  /** Drops frames on its own. */
  drops: boolean;
  /** Adapts online (observe()). */
  adaptive: boolean;
  create: () => Policy;
}

const registry: PolicyInfo[] = [
  { name: 'fcfs', label: 'FCFS', family: 'baseline', description: 'First come, first served; each job on its fastest idle lane', source: 'classic baseline (as in Dysta, Band, DREAM)', variants: false, drops: false, adaptive: false, create: fcfs },
  { name: 'rr', label: 'Round robin', family: 'baseline', description: 'Round robin over tenants; each job on its fastest idle lane', source: 'classic baseline', variants: false, drops: false, adaptive: false, create: roundRobin },
  { name: 'edf', label: 'EDF', family: 'baseline', description: 'Earliest deadline first; each job on its fastest idle lane', source: 'Liu & Layland, JACM 1973', variants: false, drops: false, adaptive: false, create: edf },
  { name: 'sjf', label: 'SJF', family: 'baseline', description: 'Shortest remaining estimated time first; each job on its fastest idle lane', source: 'classic baseline (as in Dysta\'s artifact)', variants: false, drops: false, adaptive: false, create: sjf },
  { name: 'lsf', label: 'Least slack first', family: 'baseline', description: 'Least slack (deadline - now - remaining estimate) first; each job on its fastest idle lane', source: 'least laxity; baseline in Band (Jeong et al., MobiSys 2022)', variants: false, drops: false, adaptive: false, create: leastSlack },
  { name: 'heft', label: 'HEFT', family: 'published', description: 'Upward-rank order; each layer on the lane with the earliest finish time, waiting for a busy lane if it is better', source: 'Topcuoglu et al., IEEE TPDS 2002; per layer as in Band (MobiSys 2022)', variants: false, drops: false, adaptive: false, create: heft },
  { name: 'prema', label: 'PREMA', family: 'published', description: 'Tokens by priority class (1/3/9) x waited time; above the threshold, shortest job first', source: 'Choi & Rhu, HPCA 2020 (as in Dysta\'s artifact)', variants: false, drops: false, adaptive: false, create: prema },
  { name: 'planaria', label: 'Planaria', family: 'published', description: 'Priority / slack, highest first', source: 'Ghodrati et al., MICRO 2020 (as in Dysta\'s artifact)', variants: false, drops: false, adaptive: false, create: planaria },
  { name: 'sdrm3', label: 'SDRM3', family: 'published', description: 'Urgency min(1, R/(D-t)) + fairness (t-t_last)/L_next, alpha = 1, highest first', source: 'Kim et al., arXiv 2212.03414 v1 (DREAM v1), as in Dysta\'s artifact', variants: false, drops: false, adaptive: false, create: () => sdrm3() },
  { name: 'dysta', label: 'Dysta', family: 'published', description: 'g R + beta (slack term + fairness term), beta = 0.01, lowest first; g refined per job from observed layer times', source: 'Fan et al., MICRO 2023', variants: false, drops: false, adaptive: true, create: () => dysta('dysta') },
  { name: 'dysta_naive', label: 'Dysta (naive)', family: 'published', description: 'Dysta with g = 1: the static predictor only', source: 'Fan et al., MICRO 2023', variants: false, drops: false, adaptive: false, create: () => dysta('dysta_naive') },
  { name: 'dysta_oracle', label: 'Dysta (oracle)', family: 'published', description: 'Dysta with the real remaining latencies (simulator only; the live runtime falls back to refined predictions)', source: 'Fan et al., MICRO 2023', variants: false, drops: false, adaptive: false, create: () => dysta('dysta_oracle') },
  { name: 'dream', label: 'Tessera-DREAM', family: 'tessera', description: 'Score per (job, lane): urgency on that lane, fairness, energy preference, lane fit; drops frames that cannot make it (and their cascade dependents); retunes its weights online from the UXCost of recent windows', source: 'Tessera, after DREAM (Kim et al., ASPLOS 2023)', variants: false, drops: true, adaptive: true, create: () => tesseraDream() },
  { name: 'dream_static', label: 'Tessera-DREAM (fixed weights)', family: 'tessera', description: 'Tessera-DREAM without online retuning (ablation)', source: 'Tessera, after DREAM (Kim et al., ASPLOS 2023)', variants: false, drops: true, adaptive: false, create: () => tesseraDream({ adapt: false }) },
  { name: 'terastal', label: 'Terastal-style', family: 'tessera', description: 'Per-layer virtual budgets set offline; online joint choice of lane and variant within the accuracy budget; drops hopeless frames', source: 'Tessera, after Wu, Song & Bozorgzadeh, RTCSA 2026 (arXiv 2606.06818)', variants: true, drops: true, adaptive: false, create: () => terastal() },
  { name: 'convergo', label: 'Convergo-style', family: 'tessera', description: 'Serves the tenant closest to violating an accuracy, throughput or latency SLO; variants within the accuracy floor', source: 'Tessera, after Convergo (IEEE 2025)', variants: true, drops: true, adaptive: true, create: convergo },
];

/** Every policy, in display order (descriptions and sources, without the factories). */
export function listPolicies(): Omit<PolicyInfo, 'create'>[] {
  return registry.map(({ create: _create, ...info }) => info);
}

export function policyNames(): string[] {
  return registry.map((p) => p.name);
}

export function policyInfo(name: string): PolicyInfo | undefined {
  return registry.find((p) => p.name === name);
}

/**
 * A fresh instance of a policy (policies may keep state between calls). Unknown name: an error
 * naming the known ones. A name may carry parameters as JSON: `dream{"weights":{"urgency":1.4},"dropMargin":0.4}`,
 * `terastal{"budgetShare":0.8}` (what tuned schedules record, so the simulator and the live runtime
 * build the same policy from one string).
 */
export function createPolicy(name: string, options?: DreamOptions): Policy {
  const spec = /^([a-z0-9_]+)(\{.*\})$/s.exec(name);
  if (spec) return configured(spec[1], spec[2]);
  const info = policyInfo(name);
  if (!info) throw new Error(`unknown policy "${name}"; known policies: ${policyNames().join(', ')}`);
  if (options && (name === 'dream' || name === 'dream_static')) return tesseraDream({ ...options, adapt: name === 'dream' && options.adapt !== false });
  return info.create();
}

/** `name` + JSON parameters as one string (see createPolicy); no parameters: the bare name. */
export function policySpec(name: string, params?: Record<string, unknown>): string {
  return params && Object.keys(params).length ? `${name}${JSON.stringify(params)}` : name;
}

function configured(name: string, json: string): Policy {
  let params: Record<string, unknown>;
  try {
    params = JSON.parse(json) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`policy "${name}": parameters ${json} are not JSON (${(e as Error).message})`, { cause: e });
  }
  const allowed = (keys: string[]) => {
    const bad = Object.keys(params).filter((k) => !keys.includes(k));
    if (bad.length) throw new Error(`policy "${name}": unknown parameter${bad.length > 1 ? 's' : ''} ${bad.join(', ')} (it takes ${keys.join(', ') || 'none'})`);
  };
  if (name === 'dream' || name === 'dream_static') {
    allowed(['weights', 'dropMargin', 'periodWindows', 'modelSwitch']);
    return tesseraDream({ ...(params as DreamOptions), adapt: name === 'dream' });
  }
  if (name === 'terastal') {
    allowed(['budgetShare']);
    return terastal(params as TerastalOptions);
  }
  allowed([]);
  return createPolicy(name);
}

/** Kept for callers of the first version. */
export const POLICIES: readonly PolicyInfo[] = registry;
