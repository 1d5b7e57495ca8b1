// A live run's hindsight in words (CLI tune and replay output, the Tune view): the run's own frames
// re-simulated with the latencies it learnt. Pure; the renderer imports it.

export interface HindsightFigures {
  measuredMissRate: number;
  hindsightMissRate?: number;
  /** Smallest and largest observed/expected latency ratio the run learnt. */
  learntRatios?: [number, number];
}

/** Undefined when the run re-simulated nothing. */
export function hindsightText(x: HindsightFigures, pct: (v: number) => string): string | undefined {
  if (x.hindsightMissRate === undefined) return undefined;
  const r = x.learntRatios;
  const range = r ? (Math.abs(r[1] - r[0]) < 0.05 ? `x${r[0].toFixed(2)}` : `x${r[0].toFixed(2)}-${r[1].toFixed(2)}`) : undefined;
  return `re-simulated with the latencies this run learnt${range ? ` (${range} the predicted)` : ''}: ${pct(x.hindsightMissRate)} miss`;
}
