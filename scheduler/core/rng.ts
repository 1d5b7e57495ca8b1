// Seeded randomness. Two kinds:
// - rng(seed): a sequential stream (mulberry32), for things drawn in a fixed order;
// - hashUniform/hashGaussian(seed, a, b, c): a value fixed by its coordinates (e.g. tenant, frame,
//   layer), so that the same frame gets the same jitter, noise and cascade outcome under every
//   policy (common random numbers: policy comparisons are not blurred by sampling luck).

/** Sequential PRNG (mulberry32). Returns numbers in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal sample from a uniform stream (Box-Muller). */
export function gaussian(next: () => number): number {
  const u = Math.max(next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hash4(seed: number, a: number, b: number, c: number): number {
  let h = fmix32((seed >>> 0) ^ 0x9e3779b9);
  h = fmix32(h ^ Math.imul(a + 1, 0xcc9e2d51));
  h = fmix32(h ^ Math.imul(b + 1, 0x1b873593));
  h = fmix32(h ^ Math.imul(c + 1, 0xe6546b64));
  return h;
}

/** A uniform number in [0, 1) fixed by (seed, a, b, c). */
export function hashUniform(seed: number, a: number, b: number, c: number): number {
  return hash4(seed, a, b, c) / 4294967296;
}

/** A standard normal number fixed by (seed, a, b, c). */
export function hashGaussian(seed: number, a: number, b: number, c: number): number {
  return gaussianOfHash(hash4(seed, a, b, c));
}

/**
 * The hash state after (seed, a, b): hashGaussianAt(hashPrefix(seed, a, b), c) === hashGaussian(seed,
 * a, b, c), bit for bit, with one mixing round per c instead of four (for many c under one (seed, a, b),
 * e.g. every layer of a frame). An int32.
 */
export function hashPrefix(seed: number, a: number, b: number): number {
  let h = fmix32((seed >>> 0) ^ 0x9e3779b9);
  h = fmix32(h ^ Math.imul(a + 1, 0xcc9e2d51));
  return fmix32(h ^ Math.imul(b + 1, 0x1b873593)) | 0;
}

/** hashGaussian(seed, a, b, c) from prefix = hashPrefix(seed, a, b). */
export function hashGaussianAt(prefix: number, c: number): number {
  return gaussianOfHash(fmix32(prefix ^ Math.imul(c + 1, 0xe6546b64)));
}

/**
 * The standard normal quantile of the hash's uniform (h + 0.5) / 2^32, by Acklam's rational
 * approximation (P. J. Acklam, "An algorithm for computing the inverse normal cumulative
 * distribution function", 2003; relative error < 1.2e-9, test/rng.test.ts checks it against
 * reference quantiles): one hash per number, and no log, sqrt or cos in the central 95% (Box-Muller
 * needed a second hash and all three). Simulated layer noise draws one number per layer execution.
 */
function gaussianOfHash(h: number): number {
  const p = (h + 0.5) / 4294967296;
  if (p > 0.02425 && p < 0.97575) {
    // Central region: a rational function of (p - 0.5)^2, times p - 0.5.
    const q = p - 0.5;
    const r = q * q;
    const num = (((((-39.69683028665376 * r + 220.9460984245205) * r - 275.9285104469687) * r + 138.357751867269) * r - 30.66479806614716) * r + 2.506628277459239) * q;
    const den = ((((-54.47609879822406 * r + 161.5858368580409) * r - 155.6989798598866) * r + 66.80131188771972) * r - 13.28068155288572) * r + 1;
    return num / den;
  }
  // Tails: a rational function of sqrt(-2 ln(tail probability)), mirrored for the upper tail.
  const low = p < 0.5;
  const q = Math.sqrt(-2 * Math.log(low ? p : 1 - p));
  const num = ((((-0.007784894002430293 * q - 0.3223964580411365) * q - 2.400758277161838) * q - 2.549732539343734) * q + 4.374664141464968) * q + 2.938163982698783;
  const den = (((0.007784695709041462 * q + 0.3224671290700398) * q + 2.445134137142996) * q + 3.754408661907416) * q + 1;
  return low ? num / den : -num / den;
}

/** The standard normal quantile at p in (0, 1), as the hashed numbers are drawn (for its test). */
export function normalQuantile(p: number): number {
  return gaussianOfHash(p * 4294967296 - 0.5);
}
