// Closed-form refits for approximate variants, on sample activations (ml-matrix does the numerics).
//   - Low rank: the rank-r weights W_r minimising ||X W - X W_r||_F are W V_r V_r^T, V_r the top r
//     right singular vectors of Y = X W (Eckart-Young on Y; achievable since X W V_r V_r^T = Y_r).
//     So the layer becomes X (W V_r) V_r^T: two MatMuls of K x r and r x N. V_r comes from a
//     randomized range finder with two power iterations (exact when r + 10 covers rank(Y)).
//   - Channel pruning: keep the input channels S with the largest ||X[:,k]|| * ||W[k,:]||, then refit
//     W_S = argmin ||X_S W_S - X W||_F by ridge-regularised normal equations (Cholesky).
import { CholeskyDecomposition, Matrix, QrDecomposition, SingularValueDecomposition } from 'ml-matrix';
import { seededRandom } from '../onnx/random';

/** Row-major [rows, cols] float32 matrix. */
export interface Mat {
  rows: number;
  cols: number;
  data: Float32Array;
}

const toM = (m: Mat): Matrix => Matrix.from1DArray(m.rows, m.cols, Array.from(m.data));
const fromM = (m: Matrix): Mat => ({ rows: m.rows, cols: m.columns, data: Float32Array.from(m.to1DArray()) });

/** At most `max` rows, evenly strided (deterministic). */
export function subsampleRows(x: Mat, max: number): Mat {
  if (x.rows <= max) return x;
  const out = new Float32Array(max * x.cols);
  for (let i = 0; i < max; i++) {
    const r = Math.floor((i * x.rows) / max);
    out.set(x.data.subarray(r * x.cols, (r + 1) * x.cols), i * x.cols);
  }
  return { rows: max, cols: x.cols, data: out };
}

/** a [m, k] x b [k, n] on typed arrays (i-k-j order: ml-matrix's element accessors are ~10x slower at these sizes). */
export function matmul(a: Mat, b: Mat): Mat {
  if (a.cols !== b.rows) throw new Error(`matmul: [${a.rows}, ${a.cols}] x [${b.rows}, ${b.cols}]`);
  const n = b.cols;
  const out = new Float32Array(a.rows * n);
  for (let i = 0; i < a.rows; i++) {
    const row = out.subarray(i * n, (i + 1) * n);
    for (let k = 0; k < a.cols; k++) {
      const v = a.data[i * a.cols + k];
      if (v === 0) continue;
      const br = b.data.subarray(k * n, (k + 1) * n);
      for (let j = 0; j < n; j++) row[j] += v * br[j];
    }
  }
  return { rows: a.rows, cols: n, data: out };
}

export function transposeMat(a: Mat): Mat {
  const out = new Float32Array(a.rows * a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out[j * a.rows + i] = a.data[i * a.cols + j];
  return { rows: a.cols, cols: a.rows, data: out };
}

function orthonormal(m: Mat): Mat {
  const M = toM(m);
  return fromM(new QrDecomposition(M).orthogonalMatrix.subMatrix(0, M.rows - 1, 0, Math.min(M.rows, M.columns) - 1));
}

/** Data-aware rank-r factors: W ~ A B with A = W V_r [K, r], B = V_r^T [r, N], fitted on X [rows, K]; r <= min(rows, N). */
export function lowRankFit(x: Mat, w: Mat, r: number, seed = 1): { a: Mat; b: Mat; energyKept: number } {
  const y = matmul(x, w); // rows x N
  const n = w.cols;
  if (r > Math.min(n, y.rows)) throw new Error(`lowRankFit: rank ${r} is over min(rows ${y.rows}, N ${n})`);
  const l = Math.min(r + 10, n, y.rows);
  const rnd = seededRandom(seed);
  const omega: Mat = { rows: n, cols: l, data: Float32Array.from({ length: n * l }, () => rnd() * 2 - 1) };
  const yt = transposeMat(y);
  let q = orthonormal(matmul(y, omega));
  for (let it = 0; it < 2; it++) q = orthonormal(matmul(y, matmul(yt, q)));
  const small = toM(transposeMat(matmul(yt, q))); // l x N
  const svd = new SingularValueDecomposition(small, { autoTranspose: true });
  const v = fromM(svd.rightSingularVectors.subMatrix(0, n - 1, 0, r - 1)); // N x r
  let total = 0;
  for (const e of y.data) total += e * e;
  const kept = svd.diagonal.slice(0, r).reduce((s, e) => s + e * e, 0);
  return { a: matmul(w, v), b: transposeMat(v), energyKept: total > 0 ? Math.min(1, kept / total) : 1 };
}

/** Input-channel importance ||X[:,k]|| * ||W[k,:]||, and the `keep` most important, ascending. */
export function selectChannels(x: Mat, w: Mat, keep: number): number[] {
  const score = new Float64Array(x.cols);
  for (let k = 0; k < x.cols; k++) {
    let xs = 0;
    for (let i = 0; i < x.rows; i++) xs += x.data[i * x.cols + k] ** 2;
    let ws = 0;
    for (let j = 0; j < w.cols; j++) ws += w.data[k * w.cols + j] ** 2;
    score[k] = Math.sqrt(xs * ws);
  }
  return Array.from(score.keys()).sort((a, b) => score[b] - score[a] || a - b).slice(0, keep).sort((a, b) => a - b);
}

/** Least-squares refit of W on the kept input channels: argmin ||X_S W_S - X W||, ridge 1e-6 * mean diag. */
export function refitKept(x: Mat, w: Mat, kept: number[]): Mat {
  const k = kept.length;
  const xs: Mat = { rows: x.rows, cols: k, data: new Float32Array(x.rows * k) };
  for (let i = 0; i < x.rows; i++) kept.forEach((c, j) => (xs.data[i * k + j] = x.data[i * x.cols + c]));
  const xst = transposeMat(xs);
  const g = matmul(xst, xs);
  const rhs = matmul(xst, matmul(x, w));
  let tr = 0;
  for (let i = 0; i < k; i++) tr += g.data[i * k + i];
  const ridge = Math.max(1e-12, (1e-6 * tr) / Math.max(1, k));
  for (let i = 0; i < k; i++) g.data[i * k + i] += ridge;
  const chol = new CholeskyDecomposition(toM(g));
  return fromM(chol.solve(toM(rhs)));
}
