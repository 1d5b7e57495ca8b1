// A tensor's values as plain numbers, for error figures and comparisons (the cut's verification,
// the variants' error figures): float16 bits decoded, 64-bit integers as numbers. Pure, no ORT.

/** IEEE half bits -> number (subnormals, infinities and NaN included). */
export function fromHalf(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** The values of a tensor ({type, data} as ORT gives them) as numbers; string tensors have none. */
export function asNumbers(t: { type: string; data: unknown }): ArrayLike<number> {
  if (t.type === 'float16') return Array.from(t.data as Uint16Array, fromHalf);
  if (t.type === 'int64' || t.type === 'uint64') return Array.from(t.data as BigInt64Array, (v) => Number(v));
  if (t.type === 'bool') return Array.from(t.data as Uint8Array);
  if (t.type === 'string') throw new Error('string tensors have no numeric values: compare them for equality');
  return t.data as ArrayLike<number>;
}
