// The random numbers of a run, fixed by (seed, tenant, frame, layer) so that the simulator and the
// live runtime release the same frames at the same times, fire the same cascades and (in the
// simulator) draw the same latency noise under every policy (common random numbers).
import { hashGaussian, hashGaussianAt, hashPrefix, hashUniform } from './rng';
import type { Arrival } from './types';

/** Salts of the hashed random numbers (the first argument after the seed is tenant * 8 + salt). */
export const SALT = { jitter: 1, poisson: 2, cascade: 3, frame: 4, layer: 5 } as const;

/**
 * Nominal and jittered release of frame k of a source tenant. For Poisson arrivals `prevNominal` is
 * the previous frame's nominal time (0 before the first). The caller clamps the jittered time to
 * [previous release, duration) as the simulator does.
 */
export function frameRelease(seed: number, tenant: number, arrival: Arrival, k: number, prevNominal: number): { nominal: number; time: number } {
  if (arrival.type === 'periodic') {
    const nominal = (arrival.phase ?? 0) + k / arrival.fps;
    const time = arrival.jitter ? nominal + (2 * hashUniform(seed, tenant * 8 + SALT.jitter, k, 0) - 1) * arrival.jitter : nominal;
    return { nominal, time };
  }
  const nominal = prevNominal - Math.log(1 - hashUniform(seed, tenant * 8 + SALT.poisson, k, 0)) / arrival.ratePerSec;
  return { nominal, time: nominal };
}

/** Whether dependent tenant `d`'s frame fires when upstream frame `frame` finishes (or would have). */
export function cascadeFires(seed: number, d: number, frame: number, probability: number): boolean {
  return hashUniform(seed, d * 8 + SALT.cascade, frame, 0) < probability;
}

/** Per-frame real/profiled factor: lognormal with sigma `jobNoise` (1 when 0). */
export function frameFactor(seed: number, tenant: number, frame: number, jobNoise: number): number {
  return jobNoise > 0 ? Math.exp(jobNoise * hashGaussian(seed, tenant * 8 + SALT.frame, frame, 0)) : 1;
}

/** Per-layer real/profiled factor: 1 + noise x N(0, 1), floored at 0.2 (1 when noise is 0). */
export function layerFactor(seed: number, tenant: number, frame: number, layer: number, noise: number): number {
  return layerFactorAt(layerNoiseKey(seed, tenant, frame), layer, noise);
}

/** What layerFactor's numbers of one frame share (computed once per frame; an int32). */
export function layerNoiseKey(seed: number, tenant: number, frame: number): number {
  return hashPrefix(seed, tenant * 8 + SALT.layer, frame);
}

/** layerFactor(seed, tenant, frame, layer, noise), given key = layerNoiseKey(seed, tenant, frame): identical values, a quarter of the hashing. */
export function layerFactorAt(key: number, layer: number, noise: number): number {
  if (!(noise > 0)) return 1;
  const n = 1 + noise * hashGaussianAt(key, layer);
  return n < 0.2 ? 0.2 : n;
}
