// Which combinations of approximate layer variants to verify together (pure). Terastal found that
// independently made variants do not compose: the error of several substituted at once is not the
// sum of their own errors, so a whitelist must rest on combinations measured end to end
// (generate.ts verifyCombinations), never on per-layer figures added up.
//
// Candidates are nested chains, so that their prefixes (subsets a frame may run) are verified too:
//   - per approximate variant id (fp16, int8, lowrank(r=..), ...): the layers where it verified and
//     saves time, ordered by time saved per unit of its own end-to-end error, prefixes of 2, 4, 8,
//     ... layers and all of them;
//   - "best": per layer the approximate variant saving the most time per unit of error, same chain.
// Time saved = the largest (original - variant) latency over the lanes measured (the scheduler can
// use the variant where it helps most); layers not measured count by error alone.
import type { LayerVariants } from '../types';

export interface ProposedCombination {
  id: string;
  rule: string;
  members: { layer: number; variant: string }[];
  sumOfSingles: number;
}

interface Cand {
  layer: number;
  variant: string;
  err: number;
  saved: number;
}

/** At most this many combinations per model (each is one whole-model run). */
export const MAX_COMBINATIONS = 24;

function candidates(layers: { index: number; variants?: LayerVariants }[]): Cand[] {
  const out: Cand[] = [];
  for (const l of layers) {
    const lv = l.variants;
    if (!lv) continue;
    for (const v of lv.variants) {
      const e2e = v.verification.endToEnd;
      if (v.exact || !v.verification.passed || !e2e || !Number.isFinite(e2e.relL2)) continue;
      let saved = 0;
      v.lanes.forEach((m) => {
        const o = lv.original.find((x) => x.lane === m.lane)?.latencyMs;
        if (o !== undefined && m.latencyMs !== undefined && !m.error) saved = Math.max(saved, o - m.latencyMs);
      });
      out.push({ layer: l.index, variant: v.id, err: e2e.relL2, saved });
    }
  }
  return out;
}

const merit = (c: Cand) => (c.saved > 0 ? c.saved : 1e-9) / Math.max(c.err, 1e-12);

function chain(name: string, rule: string, cs: Cand[], out: ProposedCombination[]): void {
  const sorted = [...cs].sort((a, b) => merit(b) - merit(a) || a.layer - b.layer);
  const sizes: number[] = [];
  for (let k = 2; k < sorted.length; k *= 2) sizes.push(k);
  if (sorted.length >= 2) sizes.push(sorted.length);
  for (const k of sizes) {
    const m = sorted.slice(0, k).sort((a, b) => a.layer - b.layer);
    out.push({
      id: `${name}x${k}`,
      rule: `${rule}: the ${k} layer(s) saving the most time per unit of error`,
      members: m.map((c) => ({ layer: c.layer, variant: c.variant })),
      sumOfSingles: m.reduce((a, c) => a + c.err, 0),
    });
  }
}

/** The combinations to verify for one model's layers (after measurement, so time saved is known). */
export function proposeCombinations(layers: { index: number; variants?: LayerVariants }[], max = MAX_COMBINATIONS): ProposedCombination[] {
  const cs = candidates(layers).filter((c) => c.saved > 0 || !layers.some((l) => l.variants?.original.some((m) => m.latencyMs !== undefined)));
  const out: ProposedCombination[] = [];
  const best = new Map<number, Cand>();
  for (const c of cs) {
    const b = best.get(c.layer);
    if (!b || merit(c) > merit(b)) best.set(c.layer, c);
  }
  chain('best', 'per layer the approximate variant saving the most time per unit of error', [...best.values()], out);
  const byId = new Map<string, Cand[]>();
  for (const c of cs) byId.set(c.variant, [...(byId.get(c.variant) ?? []), c]);
  for (const [id, list] of [...byId].sort((a, b) => a[0].localeCompare(b[0]))) chain(id, id, list, out);
  // Same member sets from different chains are verified once.
  const seen = new Set<string>();
  return out.filter((c) => {
    const key = c.members.map((m) => `${m.layer}:${m.variant}`).join('|');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  }).slice(0, max);
}
