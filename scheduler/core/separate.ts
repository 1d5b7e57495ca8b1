// Finding a load at which scheduling policies differ. At a light load every policy meets nearly every
// deadline and a comparison shows a tie; far past overload every policy misses. The simulator probes
// a ladder of loads (the busiest lane's utilisation, every layer on its fastest lane) with short runs
// and this module picks the probe where the policies' miss rates are furthest apart while the best
// policy still keeps up. Pure: the caller runs the probes.

/** Loads probed, lightest first (1 = the busiest lane is busy all the time with every layer on its fastest lane). */
export const LOAD_LADDER = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0];

/** The best policy must miss at most this share of frames at the chosen load (beyond it, every policy fails). */
export const MAX_BEST_MISS = 0.3;

/** Below this spread of miss rates (max - min), the policies count as tied. */
export const MIN_SPREAD = 0.02;

export interface LoadProbe {
  load: number;
  /** Deadline-miss rate per policy at this load. */
  missRate: Record<string, number>;
}

export interface SeparatingLoad {
  load: number;
  /** max - min miss rate over the policies at that load. */
  spread: number;
  best: { policy: string; missRate: number };
  worst: { policy: string; missRate: number };
  /** False when no probed load separates the policies by MIN_SPREAD (the widest is returned). */
  separates: boolean;
  probes: LoadProbe[];
  reason: string;
}

function extremes(p: LoadProbe): { best: [string, number]; worst: [string, number] } {
  const e = Object.entries(p.missRate);
  if (e.length === 0) throw new Error(`load probe ${p.load} has no policies`);
  let best = e[0];
  let worst = e[0];
  for (const x of e) {
    if (x[1] < best[1]) best = x;
    if (x[1] > worst[1]) worst = x;
  }
  return { best, worst };
}

/** The probe with the widest spread among those the best policy keeps up with (ties: the lighter load). */
export function pickSeparatingLoad(probes: LoadProbe[]): SeparatingLoad {
  if (probes.length === 0) throw new Error('no load probes to choose from');
  const sorted = [...probes].sort((a, b) => a.load - b.load);
  const scored = sorted.map((p) => {
    const { best, worst } = extremes(p);
    return { p, best, worst, spread: worst[1] - best[1] };
  });
  const feasible = scored.filter((s) => s.best[1] <= MAX_BEST_MISS);
  const pool = feasible.length ? feasible : [scored[0]];
  let pick = pool[0];
  for (const s of pool) if (s.spread > pick.spread + 1e-9) pick = s;
  const separates = pick.spread >= MIN_SPREAD;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const reason = !feasible.length
    ? `every policy misses more than ${pct(MAX_BEST_MISS)} of frames even at load ${pick.p.load}: the lanes cannot keep up with this scenario`
    : separates
      ? `at load ${pick.p.load} the miss rates range from ${pct(pick.best[1])} (${pick.best[0]}) to ${pct(pick.worst[1])} (${pick.worst[0]}): the widest spread among the loads where the best policy misses at most ${pct(MAX_BEST_MISS)}`
      : `no load from ${sorted[0].load} to ${sorted.at(-1)!.load} separates these policies by ${pct(MIN_SPREAD)} of frames; load ${pick.p.load} separates them most (${pct(pick.spread)})`;
  return {
    load: pick.p.load,
    spread: pick.spread,
    best: { policy: pick.best[0], missRate: pick.best[1] },
    worst: { policy: pick.worst[0], missRate: pick.worst[1] },
    separates,
    probes: sorted,
    reason,
  };
}
