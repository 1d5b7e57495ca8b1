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

export function matmul(a: Mat, b: Mat): Mat {
  return fromM(toM(a).mmul(toM(b)));
}

function orthonormal(m: Matrix): Matrix {
  return new QrDecomposition(m).orthogonalMatrix.subMatrix(0, m.rows - 1, 0, Math.min(m.rows, m.columns) - 1);
}

/** Data-aware rank-r factors: W ~ A B with A = W V_r [K, r], B = V_r^T [r, N], fitted on X [rows, K]. */
export function lowRankFit(x: Mat, w: Mat, r: number, seed = 1): { a: Mat; b: Mat; energyKept: number } {
  const W = toM(w);
  const Y = toM(x).mmul(W); // rows x N
  const n = w.cols;
  const l = Math.min(r + 10, n, Y.rows);
  const rnd = seededRandom(seed);
  const omega = Matrix.from1DArray(n, l, Array.from({ length: n * l }, () => rnd() * 2 - 1));
  let q = orthonormal(Y.mmul(omega));
  for (let it = 0; it < 2; it++) q = orthonormal(Y.mmul(Y.transpose().mmul(q)));
  const small = q.transpose().mmul(Y); // l x N
  const svd = new SingularValueDecomposition(small, { autoTranspose: true });
  const v = svd.rightSingularVectors.subMatrix(0, n - 1, 0, Math.min(r, l) - 1); // N x r
  const sv = svd.diagonal;
  const total = Y.norm('frobenius') ** 2;
  const kept = sv.slice(0, r).reduce((s, x) => s + x * x, 0);
  return { a: fromM(W.mmul(v)), b: fromM(v.transpose()), energyKept: total > 0 ? kept / total : 1 };
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
  const X = toM(x);
  const Y = X.mmul(toM(w));
  const xs = X.subMatrixColumn(kept);
  const g = xs.transpose().mmul(xs);
  let tr = 0;
  for (let i = 0; i < g.rows; i++) tr += g.get(i, i);
  const ridge = Math.max(1e-12, (1e-6 * tr) / Math.max(1, g.rows));
  for (let i = 0; i < g.rows; i++) g.set(i, i, g.get(i, i) + ridge);
  const chol = new CholeskyDecomposition(g);
  return fromM(chol.solve(xs.transpose().mmul(Y)));
}
