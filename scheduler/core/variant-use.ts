// Per tenant: how often each layer variant ran and how much of the accuracy budget the frames spent
// (issue 11's report), the same for the simulator and the live runtime: both count layer starts in
// the job book (jobs.ts variantRuns) and read accuracyUsed from the job records. Pure.
import type { SimWorkload } from './types';

export interface VariantUse {
  tenant: string;
  /** Layer runs per variant id ('original' included), over all layers. */
  runs: Record<string, number>;
  /** Layer runs that used an approximate variant / all layer runs. */
  approximateShare: number;
  /** Finished frames that ran at least one approximate variant / finished frames. */
  framesApproximate: number;
  /** Accuracy spent per finished frame (additive: the sum of its variants' costs; whitelist: the smallest verified combination holding them). */
  meanSpent: number;
  maxSpent: number;
  /** The allowance: 'budget' (accuracyBudget, additive), 'whitelist' (combinations verified together) or 'none' (exact variants only). */
  rule: 'budget' | 'whitelist' | 'none';
  /** accuracyBudget, or the largest whitelisted combination's cost. */
  allowance: number;
  /** meanSpent / allowance (0 when the allowance is 0). */
  spentShare: number;
}

/** runs[tenant][layer][variant]: layer starts (JobBook.variantRuns). */
export function variantUse(w: SimWorkload, runs: readonly (readonly (readonly number[])[])[], jobs: readonly { tenant: number; dropped: boolean; accuracyUsed: number }[]): VariantUse[] {
  return w.tenants.map((t, ti) => {
    const byId: Record<string, number> = {};
    let all = 0;
    let approx = 0;
    t.layers.forEach((layer, li) => {
      layer.variants.forEach((v, vi) => {
        const n = runs[ti]?.[li]?.[vi] ?? 0;
        if (!n) return;
        byId[v.id] = (byId[v.id] ?? 0) + n;
        all += n;
        if (v.accuracyDelta > 0) approx += n;
      });
    });
    let finished = 0;
    let withApprox = 0;
    let sum = 0;
    let max = 0;
    for (const j of jobs) {
      if (j.tenant !== ti || j.dropped) continue;
      finished++;
      if (j.accuracyUsed > 0) withApprox++;
      sum += j.accuracyUsed;
      if (j.accuracyUsed > max) max = j.accuracyUsed;
    }
    const rule = t.whitelist ? 'whitelist' : (t.accuracyBudget ?? 0) > 0 ? 'budget' : 'none';
    const allowance = t.whitelist ? t.whitelist.combos.reduce((a, c) => Math.max(a, c.cost), 0) : (t.accuracyBudget ?? 0);
    const meanSpent = finished ? sum / finished : 0;
    return {
      tenant: t.id, runs: byId, approximateShare: all ? approx / all : 0, framesApproximate: finished ? withApprox / finished : 0,
      meanSpent, maxSpent: max, rule, allowance, spentShare: allowance > 0 ? meanSpent / allowance : 0,
    };
  });
}

/** Text lines for the CLI: per tenant, variant runs and the budget spent (and each lane's variant sessions, live). */
export function formatVariantUse(use?: VariantUse[], sessions?: { lane: string; sessions: number; modelBytes: number; rssGrowthBytes: number; refused: string[] }[]): string[] {
  if (!use?.length && !sessions?.length) return [];
  const out = ['Layer variants (per tenant: layer runs per variant; accuracy spent per finished frame):'];
  for (const u of use ?? []) {
    const runs = Object.entries(u.runs).sort((a, b) => b[1] - a[1]).map(([id, n]) => `${id} ${n}`).join(', ');
    const rule = u.rule === 'whitelist' ? `whitelist (largest combination ${u.allowance.toPrecision(3)})` : u.rule === 'budget' ? `budget ${u.allowance}` : 'exact only';
    out.push(`  ${u.tenant}: ${runs || 'none'}; approximate ${(100 * u.approximateShare).toFixed(1)}% of layer runs, in ${(100 * u.framesApproximate).toFixed(1)}% of frames; spent mean ${u.meanSpent.toPrecision(3)}, max ${u.maxSpent.toPrecision(3)} of ${rule}`);
  }
  for (const s of sessions ?? []) {
    out.push(`  lane ${s.lane}: ${s.sessions} variant sessions loaded before the run, ${(s.modelBytes / 2 ** 20).toFixed(1)} MiB of models, process resident memory +${(s.rssGrowthBytes / 2 ** 20).toFixed(1)} MiB while loading them${s.refused.length ? `; refused: ${s.refused.join('; ')}` : ''}`);
  }
  return out;
}

/** Several seeds' use: runs summed, shares and means averaged over the seeds, maxima kept. */
export function mergeVariantUse(seeds: VariantUse[][]): VariantUse[] | undefined {
  if (!seeds.length) return undefined;
  const n = seeds.length;
  return seeds[0].map((first, ti) => {
    const all = seeds.map((s) => s[ti]);
    const runs: Record<string, number> = {};
    for (const u of all) for (const [id, c] of Object.entries(u.runs)) runs[id] = (runs[id] ?? 0) + c;
    const mean = (f: (u: VariantUse) => number) => all.reduce((a, u) => a + f(u), 0) / n;
    return {
      ...first, runs, approximateShare: mean((u) => u.approximateShare), framesApproximate: mean((u) => u.framesApproximate),
      meanSpent: mean((u) => u.meanSpent), maxSpent: Math.max(...all.map((u) => u.maxSpent)), spentShare: mean((u) => u.spentShare),
    };
  });
}
