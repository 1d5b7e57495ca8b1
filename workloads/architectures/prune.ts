// Weight pruning on [out, in, kernel]-ordered tensors: magnitude (unstructured), N:M along the input
// channel dimension, and L1-norm output-channel selection. Everything is exact and deterministic.

export function countZeros(w: ArrayLike<number>): number {
  let z = 0;
  for (let i = 0; i < w.length; i++) if (w[i] === 0) z++;
  return z;
}

/** The k-th smallest value (0-based) of `a`; reorders `a` (Hoare quickselect, median of three). */
function quickselect(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // median of three as pivot
    const x = a[lo], y = a[mid], z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : (x < z ? x : y < z ? z : y);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i]; a[i] = a[j]; a[j] = t;
        i++; j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/**
 * Zeroes exactly round(sparsity * length) weights of smallest magnitude (or keeps the zeros already
 * there if there are more). Ties at the threshold are broken by index. Returns the zero count.
 */
export function applyUnstructured(w: Float32Array, sparsity: number): number {
  const k = Math.round(sparsity * w.length);
  if (k <= 0) return countZeros(w);
  if (k >= w.length) { w.fill(0); return w.length; }
  const mags = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) mags[i] = Math.abs(w[i]);
  const t = quickselect(mags, k - 1);
  let zeroed = 0;
  for (let i = 0; i < w.length; i++) if (Math.abs(w[i]) < t) { w[i] = 0; zeroed++; }
  for (let i = 0; i < w.length && zeroed < k; i++) if (Math.abs(w[i]) === t && (w[i] !== 0 || t === 0)) { w[i] = 0; zeroed++; }
  return countZeros(w);
}

/**
 * N:M: for every output channel and kernel position, every group of M consecutive input channels keeps
 * its N largest-magnitude weights (ties: lower index kept). `inPer` must be a multiple of M.
 * Layout: index ((o * inPer + i) * kernel + k).
 */
export function applyNm(w: Float32Array, out: number, inPer: number, kernel: number, n: number, m: number): void {
  if (inPer % m !== 0) throw new Error(`N:M pruning needs the input-channel count (${inPer}) to be a multiple of ${m}`);
  const idx = new Int32Array(m);
  const mag = new Float64Array(m);
  for (let o = 0; o < out; o++) {
    for (let k = 0; k < kernel; k++) {
      for (let g = 0; g < inPer; g += m) {
        for (let j = 0; j < m; j++) {
          idx[j] = ((o * inPer + g + j) * kernel) + k;
          mag[j] = Math.abs(w[idx[j]]);
        }
        // zero the m - n smallest (ties: the higher index goes first, so lower indices are kept)
        for (let z = 0; z < m - n; z++) {
          let best = -1;
          for (let j = m - 1; j >= 0; j--) if (mag[j] >= 0 && (best < 0 || mag[j] < mag[best])) best = j;
          w[idx[best]] = 0;
          mag[best] = -1;
        }
      }
    }
  }
}

/** Checks the N:M pattern: every group has at most N non-zeros. Returns the number of violating groups. */
export function nmViolations(w: ArrayLike<number>, out: number, inPer: number, kernel: number, n: number, m: number): number {
  let bad = 0;
  for (let o = 0; o < out; o++) {
    for (let k = 0; k < kernel; k++) {
      for (let g = 0; g < inPer; g += m) {
        let nz = 0;
        for (let j = 0; j < m; j++) if (w[((o * inPer + g + j) * kernel) + k] !== 0) nz++;
        if (nz > n) bad++;
      }
    }
  }
  return bad;
}

/** Rows (output channels) with the largest L1 norm, `keep` of them, in ascending index order. */
export function selectChannels(w: Float32Array, rows: number, rowLen: number, keep: number): number[] {
  const norms = Array.from({ length: rows }, (_, r) => {
    let s = 0;
    for (let i = r * rowLen; i < (r + 1) * rowLen; i++) s += Math.abs(w[i]);
    return s;
  });
  return Array.from({ length: rows }, (_, r) => r)
    .sort((a, b) => norms[b] - norms[a] || a - b)
    .slice(0, Math.min(rows, keep))
    .sort((a, b) => a - b);
}
