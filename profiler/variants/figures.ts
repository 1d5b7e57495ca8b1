// Derived figures of a variant run (pure): per-lane speed-ups, Terastal's latency-gap reduction per
// layer, and the per-kind summary that `tessera variants` and the bench print.
import { median } from '../stats';
import type { LaneMeasurement, LayerProfile, LayerVariants, VariantGap } from '../types';

const ok = (m: LaneMeasurement | undefined): number | undefined => (m && !m.error && m.latencyMs !== undefined ? m.latencyMs : undefined);

/**
 * Fills each variant's per-lane speed-up (original / variant on that lane, both from this run) and
 * the layer's gaps: the preferred lane is where the original is fastest; for every other lane, the
 * original gap (original there / original on the preferred lane) and the best verified
 * implementation's (original or variant) gap; reduction = original gap / best gap; the same over
 * exact variants only (no accuracy cost).
 */
export function deriveVariantFigures(lv: LayerVariants): void {
  const lanes = lv.original.map((m) => m.lane);
  for (const v of lv.variants) {
    for (const m of v.lanes) {
      const o = ok(lv.original.find((x) => x.lane === m.lane));
      const t = ok(m);
      // Both latencies must be above the per-call baseline: a 0 ms original would read as a 0x speed-up.
      if (o !== undefined && t !== undefined && o > 0 && t > 0) m.speedup = o / t;
      else delete m.speedup;
    }
  }
  const measured = lv.original.filter((m) => ok(m) !== undefined);
  if (measured.length === 0) return;
  const pref = measured.reduce((a, b) => (ok(b)! < ok(a)! ? b : a));
  lv.preferredLane = pref.lane;
  const base = ok(pref)!;
  const gaps: VariantGap[] = [];
  // A preferred-lane latency at the per-call baseline (0 ms net) gives no ratio: gaps stay unknown,
  // unless there is no other lane, where there is no gap at all.
  if (base <= 0 && lanes.length > 1) return;
  for (const lane of lanes) {
    if (lane === pref.lane) continue;
    const orig = ok(lv.original.find((m) => m.lane === lane));
    if (orig === undefined) continue;
    const bestOf = (exactOnly: boolean) => {
      let best = orig;
      let id = 'original';
      for (const v of lv.variants) {
        if (!v.verification.passed || (exactOnly && !v.exact)) continue;
        const t = ok(v.lanes.find((m) => m.lane === lane));
        if (t !== undefined && t < best) {
          best = t;
          id = v.id;
        }
      }
      return { best, id };
    };
    const any = bestOf(false);
    const exact = bestOf(true);
    gaps.push({
      lane, originalGap: orig / base,
      bestGap: any.best / base, bestVariant: any.id, reduction: any.best > 0 ? orig / any.best : 1,
      bestExactGap: exact.best / base, bestExactVariant: exact.id, exactReduction: exact.best > 0 ? orig / exact.best : 1,
    });
  }
  lv.gaps = gaps;
}

export interface KindSummary {
  kind: string;
  exact: boolean;
  /** Layers where the kind produced a variant / where it was tried. */
  applicable: number;
  tried: number;
  verified: number;
  /** Median over layers of the per-lane speed-up (original / variant). */
  medianSpeedup: Record<string, number>;
  /** Median layer relative L2 error (approximate kinds). */
  medianRelL2?: number;
  /** Median end-to-end relative L2 error (approximate kinds). */
  medianEndToEndRelL2?: number;
  /** Generation + verification time summed over layers, ms. */
  generateVerifyMs: number;
}

export function summarizeKinds(layers: LayerProfile[]): KindSummary[] {
  const by = new Map<string, KindSummary & { sp: Record<string, number[]>; l2: number[]; e2e: number[] }>();
  const get = (kind: string, exact: boolean) => {
    if (!by.has(kind)) by.set(kind, { kind, exact, applicable: 0, tried: 0, verified: 0, medianSpeedup: {}, generateVerifyMs: 0, sp: {}, l2: [], e2e: [] });
    return by.get(kind)!;
  };
  for (const l of layers) {
    if (!l.variants) continue;
    for (const r of l.variants.inapplicable) get(r.kind, false).tried++;
    for (const v of l.variants.variants) {
      const s = get(v.id, v.exact);
      s.exact = v.exact;
      s.tried++;
      s.applicable++;
      s.generateVerifyMs += v.generateMs + v.verifyMs;
      if (!v.verification.passed) continue;
      s.verified++;
      for (const m of v.lanes) if (m.speedup !== undefined) (s.sp[m.lane] ??= []).push(m.speedup);
      if (!v.exact && v.verification.relL2 !== undefined) s.l2.push(v.verification.relL2);
      if (!v.exact && v.verification.endToEnd) s.e2e.push(v.verification.endToEnd.relL2);
    }
  }
  return [...by.values()].map(({ sp, l2, e2e, ...s }) => ({
    ...s,
    medianSpeedup: Object.fromEntries(Object.entries(sp).map(([k, xs]) => [k, median(xs)])),
    ...(l2.length ? { medianRelL2: median(l2) } : {}),
    ...(e2e.length ? { medianEndToEndRelL2: median(e2e) } : {}),
  }));
}

/** Median gap reduction over layers, per non-preferred lane, and the median original gap. */
export function summarizeGaps(layers: LayerProfile[]): { lane: string; layers: number; medianOriginalGap: number; medianBestGap: number; medianReduction: number; medianBestExactGap: number; medianExactReduction: number }[] {
  const per = new Map<string, VariantGap[]>();
  for (const l of layers) for (const g of l.variants?.gaps ?? []) (per.get(g.lane) ?? per.set(g.lane, []).get(g.lane)!).push(g);
  return [...per].map(([lane, gs]) => ({
    lane,
    layers: gs.length,
    medianOriginalGap: median(gs.map((g) => g.originalGap)),
    medianBestGap: median(gs.map((g) => g.bestGap)),
    medianReduction: median(gs.map((g) => g.reduction)),
    medianBestExactGap: median(gs.map((g) => g.bestExactGap)),
    medianExactReduction: median(gs.map((g) => g.exactReduction)),
  }));
}
