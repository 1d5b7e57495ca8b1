/**
 * mulberry32: a small, fast, seedable generator in [0, 1). The one used for generated weights,
 * sample inputs and replica models, so a seed always means the same numbers.
 * (scheduler/core/rng.ts has the same generator for the pure scheduler core, which may not import this layer.)
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
