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

function gaussianOfHash(h: number): number {
  const u1 = Math.max(h / 4294967296, 1e-12);
  const u2 = fmix32(h ^ 0x27d4eb2f) / 4294967296;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
