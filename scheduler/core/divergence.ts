// Why a live run differs from its prediction. The live report puts the simulator's prediction beside
// what was measured; where a difference is beyond the tolerance, this module names the likely reasons
// from what the run recorded: lanes slower than calibrated (background load), several CPU lanes
// slowing each other (interference), profiles from another machine, event-loop stalls, a policy switch
// or a lane failure the prediction does not model, and whether the hindsight re-simulation (with the
// latencies learnt online) closes the gap. Pure: the CLI and the app both call it on a report.

/** Beyond these, a measured figure differs from its prediction (the app colours the same bounds). */
export const PREDICTION_TOLERANCE = { latencyRel: 0.25, ratePts: 5 };

interface Figures { meanLatencyMs: number; p95LatencyMs: number; missRate: number; dropRate: number }
export interface ComparedTenant { tenant: string; measured: Figures; predicted: Figures; diff: { meanLatencyRel: number; p95LatencyRel: number; missRatePts: number; dropRatePts: number } }

export interface DivergenceInput {
  comparison?: ComparedTenant[];
  hindsight?: { comparison: ComparedTenant[] };
  lanes: { id: string; ep: string }[];
  /** Observed / expected latency per tenant x lane, as the run learnt online (0 or missing: never ran there). */
  ratios: number[][];
  latencySource: string;
  eventLoopDelayMaxMs: number;
  switches: number;
  faults: number;
  /** The host the run is read on, to tell profiles from another machine (optional). */
  thisHost?: string;
}

export interface Divergence {
  /** "tenant: figure measured vs predicted" for each figure beyond the tolerance. */
  beyond: string[];
  /** Likely reasons, most telling first (empty when nothing is beyond the tolerance). */
  reasons: string[];
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function beyondOf(c: ComparedTenant): string[] {
  const t = PREDICTION_TOLERANCE;
  const out: string[] = [];
  const ok = (x: number) => Number.isFinite(x);
  if (ok(c.diff.meanLatencyRel) && Math.abs(c.diff.meanLatencyRel) > t.latencyRel) out.push(`mean latency ${c.measured.meanLatencyMs.toFixed(2)} ms vs ${c.predicted.meanLatencyMs.toFixed(2)} ms predicted`);
  if (ok(c.diff.p95LatencyRel) && Math.abs(c.diff.p95LatencyRel) > t.latencyRel) out.push(`p95 latency ${c.measured.p95LatencyMs.toFixed(2)} ms vs ${c.predicted.p95LatencyMs.toFixed(2)} ms predicted`);
  if (ok(c.diff.missRatePts) && Math.abs(c.diff.missRatePts) > t.ratePts) out.push(`miss rate ${pct(c.measured.missRate)} vs ${pct(c.predicted.missRate)} predicted`);
  if (ok(c.diff.dropRatePts) && Math.abs(c.diff.dropRatePts) > t.ratePts) out.push(`drop rate ${pct(c.measured.dropRate)} vs ${pct(c.predicted.dropRate)} predicted`);
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
}

export function explainDivergence(r: DivergenceInput): Divergence {
  const beyond = (r.comparison ?? []).filter((c) => c.tenant !== '(all)').flatMap((c) => beyondOf(c).map((b) => `${c.tenant}: ${b}`));
  if (beyond.length === 0) return { beyond, reasons: [] };
  const reasons: string[] = [];
  if (r.faults) reasons.push('a lane failed during the run; the prediction assumes every lane stays up');
  if (r.switches) reasons.push('the policy was switched mid-run; the prediction runs the initial policy throughout');
  const host = /measured [^;)]* on ([^;)]+)[;)]/.exec(r.latencySource)?.[1]?.trim();
  if (host && r.thisHost && host !== r.thisHost) reasons.push(`the latencies come from profiles measured on another machine (${host}), not on this one (${r.thisHost}): profile the models here`);
  // Per lane: the median observed/expected ratio over the tenants that ran there.
  const perLane = r.lanes.map((l, li) => ({ lane: l, ratio: median(r.ratios.map((row) => row[li]).filter((x) => Number.isFinite(x) && x > 0)) }));
  const slow = perLane.filter((p) => p.ratio > 1 + PREDICTION_TOLERANCE.latencyRel);
  const fast = perLane.filter((p) => p.ratio < 1 / (1 + PREDICTION_TOLERANCE.latencyRel));
  const cpuLanes = r.lanes.filter((l) => l.ep === 'cpu').length;
  if (slow.length) {
    const list = slow.map((p) => `${p.lane.id} ×${p.ratio.toFixed(2)}`).join(', ');
    reasons.push(`layers ran slower than predicted (${list}): other load on the machine (background processes) or a lower clock than when the latencies were measured`);
    if (cpuLanes >= 2 && slow.some((p) => p.lane.ep === 'cpu')) reasons.push(`interference: ${cpuLanes} CPU lanes share the cores, caches and memory bandwidth and slow each other down more than the calibration saw`);
  }
  if (fast.length) reasons.push(`layers ran faster than predicted (${fast.map((p) => `${p.lane.id} ×${p.ratio.toFixed(2)}`).join(', ')}): the latencies were measured under more load, or before the caches and clocks warmed up`);
  if (r.eventLoopDelayMaxMs > 20) reasons.push(`the engine's event loop stalled for up to ${r.eventLoopDelayMaxMs.toFixed(0)} ms (a busy machine): frames were released and dispatched late`);
  const hindsightBeyond = r.hindsight ? r.hindsight.comparison.filter((c) => c.tenant !== '(all)').some((c) => beyondOf(c).length > 0) : undefined;
  if (hindsightBeyond === false) reasons.push('re-simulated with the latencies learnt during the run, the prediction matches (hindsight): the latency table was off, not the scheduling model');
  else if (hindsightBeyond === true && !slow.length && !fast.length) reasons.push('even with the latencies learnt during the run the simulator differs: effects it does not model (dispatch and transfer costs, queueing in the event loop)');
  if (reasons.length === 0) reasons.push('no cause the run recorded (latencies as predicted, no stalls): chance over a short run; run longer or with more frames');
  return { beyond, reasons };
}
