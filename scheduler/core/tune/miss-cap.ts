// UXCost's miss caps (search.ts phase 3). UXCost rewards dropping frames (a dropped frame costs no
// energy), so a schedule ranks after every one within the caps when it misses more frames than the
// least-missing untuned policy in all, or more of one tenant's frames than that policy misses of
// that tenant's or of all frames, whichever is more. The total alone let a schedule drop every frame
// of a rare, costly tenant (reading_assistant's OCR: 2 frames a second among ~95) and still count as
// missing little. The tenant's own rate alone is too strict: where the untuned policy gives up one
// tenant (vr_gaming's FBNet, 96% missed) to serve the others perfectly, a schedule that serves all
// three nearly as well would be ranked last. So misses may move between tenants, but no tenant is
// pushed beyond what the untuned policy already accepts. Pure and small: the Tune view imports it.
import type { EvalResult } from './evaluate';

/** How many more frames (a fraction) than the least-missing untuned policy a schedule may miss and still rank by UXCost. */
export const MISS_CAP_SLACK = 0.005;

/**
 * One tenant's cap: its miss rate under the least-missing untuned policy, plus MISS_CAP_SLACK or
 * two binomial standard errors of that rate over the frames it released in all seeds, whichever
 * is larger (a tenant releasing few frames has a noisy rate: 3 frames of 60 is 5 points).
 */
export function tenantMissCap(missRate: number, framesReleased: number): number {
  const se = framesReleased > 0 ? Math.sqrt((missRate * (1 - missRate)) / framesReleased) : 0;
  return missRate + Math.max(MISS_CAP_SLACK, 2 * se);
}

export interface MissCaps {
  total: number;
  perTenant: number[];
}

/** The caps from the untuned policies' runs (one array of seeds' results each), from the least-missing one, whose index is `baseline`: its total + slack, and per tenant the larger of that and tenantMissCap. */
export function missCaps(baseRuns: EvalResult[][]): MissCaps & { baseline: number } {
  const misses = baseRuns.map((rs) => avg(rs.map((r) => r.missRate)));
  const baseline = misses.indexOf(Math.min(...misses));
  const rs = baseRuns[baseline];
  const total = misses[baseline] + MISS_CAP_SLACK;
  const perTenant = rs[0].perTenant.map((_, t) => Math.max(total, tenantMissCap(avg(rs.map((r) => r.perTenant[t].missRate)), rs.reduce((a, r) => a + r.perTenant[t].released, 0))));
  return { total, perTenant, baseline };
}

/** 0 within the caps; above any (in all or for one tenant), 1e3 x (1 + the excess), so it ranks after every candidate within them, the further above the later. */
export function missPenalty(caps: MissCaps, rs: EvalResult[]): number {
  let excess = Math.max(0, avg(rs.map((r) => r.missRate)) - caps.total);
  caps.perTenant.forEach((cap, t) => (excess += Math.max(0, avg(rs.map((r) => r.perTenant[t].missRate)) - cap)));
  return excess > 0 ? 1e3 * (1 + excess) : 0;
}

/** The miss caps in words, for the CLI and the Tune view (undefined: this objective has none). */
export function missCapRule(t: { missCap?: number; tenantMissCaps?: { tenant: string; missCap: number }[]; missCapBaseline?: { policy: string; granularity: string } }, pct: (x: number) => string): string | undefined {
  if (t.missCap === undefined) return undefined;
  const by = t.missCapBaseline ? ` (${t.missCapBaseline.policy} at ${t.missCapBaseline.granularity} granularity)` : '';
  const tenants = (t.tenantMissCaps ?? []).map((x) => `${x.tenant} ${pct(x.missCap)}`).join(', ');
  return `A schedule missing more than ${pct(t.missCap)} of frames (the least-missing untuned policy${by} + ${100 * MISS_CAP_SLACK} points), or more of one tenant's frames than that policy misses of that tenant's (+ ${100 * MISS_CAP_SLACK} points or two standard errors) or of all frames, whichever is more (${tenants}), is over the miss cap and ranks after every one that is not: UXCost alone would reward dropping frames.`;
}

const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
