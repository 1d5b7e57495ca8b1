// How much this machine's speed moves between two runs (SimSettings.speedDrift), estimated from
// what the profiles already measured: each lane of a profile times its whole model before the
// layers and again after them, minutes apart (profiler/profile-lane.ts checkDrift). The log of
// after/before is one sample of exactly what the tuner's drift models: a latency measured at one
// time against the same latency at another. The estimate is their root mean square (the mean
// included: a machine that got steadily faster or slower drifted too).

/** Whole models faster than this are left out: their medians move with dispatch overhead, caches and the timer more than with the machine's speed (silero VAD, 0.4 ms, gave x0.56 on a quiet machine). */
export const DRIFT_CHECK_MIN_MS = 5;
/** Fewer usable checks than this give no estimate: the default is used, and the result says why. */
export const DRIFT_MIN_CHECKS = 4;
/**
 * Used without enough checks. Measured: rms log change of the 10 checks >= 5 ms of a store
 * profiled on a quiet 2-core VM (2026-12-03 03:49-03:51) 0.139, and of one profiled at load 4-8
 * 0.48; 0.1 was the assumption before there was an estimate.
 */
export const DEFAULT_SPEED_DRIFT = 0.1;
/** SimSettings.speedDrift's range (a larger sd is a machine whose runs say nothing about each other). */
export const MAX_SPEED_DRIFT = 1;

/** One lane's drift check in one profile. */
export interface DriftCheck {
  /** Where it comes from, for the explanation (profile id and lane). */
  source: string;
  beforeMs: number;
  afterMs: number;
}

export interface SpeedDriftEstimate {
  /** The log-normal sd to simulate with. */
  sd: number;
  /** 'measured': from the checks; 'default': too few checks; 'given': set by the user. */
  basis: 'measured' | 'default' | 'given';
  /** Checks used (>= DRIFT_CHECK_MIN_MS) and all checks seen. */
  used: number;
  seen: number;
  /** Smallest and largest after/before among the checks used. */
  range?: [number, number];
  /** In words: the basis and the figures behind it. */
  detail: string;
}

/** The speed drift a tune simulates with: `given` when the user set one, else the estimate from `checks`. */
export function speedDrift(checks: readonly DriftCheck[], given?: number): SpeedDriftEstimate {
  const usable = checks.filter((c) => c.beforeMs >= DRIFT_CHECK_MIN_MS && c.afterMs > 0 && Number.isFinite(c.afterMs));
  const base = { used: usable.length, seen: checks.length };
  if (given !== undefined) return { sd: given, basis: 'given', ...base, detail: `sd ${given} as given` };
  if (usable.length < DRIFT_MIN_CHECKS) {
    return {
      sd: DEFAULT_SPEED_DRIFT,
      basis: 'default',
      ...base,
      detail: `sd ${DEFAULT_SPEED_DRIFT} (default): the profiles have ${usable.length} whole-model drift check(s) of at least ${DRIFT_CHECK_MIN_MS} ms, ${DRIFT_MIN_CHECKS} are needed for an estimate (${checks.length} in all)`,
    };
  }
  const ratios = usable.map((c) => c.afterMs / c.beforeMs);
  const rms = Math.sqrt(ratios.reduce((a, r) => a + Math.log(r) ** 2, 0) / ratios.length);
  const sd = Math.min(MAX_SPEED_DRIFT, rms);
  const range: [number, number] = [Math.min(...ratios), Math.max(...ratios)];
  return {
    sd,
    basis: 'measured',
    ...base,
    range,
    detail: `sd ${sd.toFixed(3)} measured: root mean square log change of ${usable.length} whole-model drift checks of the profiles (after/before x${range[0].toFixed(2)} to x${range[1].toFixed(2)}; checks under ${DRIFT_CHECK_MIN_MS} ms left out: ${checks.length - usable.length})`,
  };
}
