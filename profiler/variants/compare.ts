// Error figures of a variant's outputs against the original's, and task-level figures of whole-model
// outputs. Pure functions over tensors ({type, dims, data}).
import { asNumbers } from '../onnx/values';

export interface TensorLike {
  type: string;
  dims: readonly number[];
  data: unknown;
}

/**
 * How exactness is judged: normwise, max|a - b| / max|b| over each output tensor. Splitting a
 * reduction reorders float sums, so elements near zero can differ by more than 1e-5 of their own
 * value while the tensor agrees to float rounding; the element-wise figure is reported beside it.
 */
export const EXACT_TOLERANCE = 1e-5;
export const EXACT_DEFINITION = 'maxRelError = max|a - b| / max|b| per output tensor (max over outputs); a = variant, b = original layer, on the sample activations';

export interface ErrorFigures {
  /** Normwise: max|a-b| / max|b| (see EXACT_DEFINITION). */
  maxRelError: number;
  /** Element-wise: max |a-b| / max(|b|, 1e-6 max|b|), as the cut's verification defines it. */
  maxElementRelError: number;
  maxAbsError: number;
  /** ||a-b|| / ||b||. */
  relL2: number;
  cosine: number;
  /** 20 log10(||b|| / ||a-b||), dB (Infinity when equal). */
  snrDb: number;
}

/** Figures over several output tensors (worst max figures; L2 figures over all elements together). */
export function errorFigures(pairs: { actual: TensorLike; expected: TensorLike }[]): ErrorFigures {
  let maxRel = 0;
  let maxElem = 0;
  let maxAbs = 0;
  let dd = 0;
  let bb = 0;
  let aa = 0;
  let ab = 0;
  for (const { actual, expected } of pairs) {
    if (actual.dims.length !== expected.dims.length || actual.dims.some((d, i) => d !== expected.dims[i])) {
      return { maxRelError: Infinity, maxElementRelError: Infinity, maxAbsError: Infinity, relL2: Infinity, cosine: NaN, snrDb: -Infinity };
    }
    const a = asNumbers(actual);
    const b = asNumbers(expected);
    let scale = 0;
    for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
    const floor = Math.max(1e-6 * scale, 1e-30);
    let tAbs = 0;
    for (let i = 0; i < b.length; i++) {
      const d = Math.abs(a[i] - b[i]);
      if (Number.isNaN(d)) {
        if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue;
        return { maxRelError: Infinity, maxElementRelError: Infinity, maxAbsError: Infinity, relL2: Infinity, cosine: NaN, snrDb: -Infinity };
      }
      tAbs = Math.max(tAbs, d);
      maxElem = Math.max(maxElem, d / Math.max(Math.abs(b[i]), floor));
      dd += d * d;
      bb += b[i] * b[i];
      aa += a[i] * a[i];
      ab += a[i] * b[i];
    }
    maxAbs = Math.max(maxAbs, tAbs);
    maxRel = Math.max(maxRel, scale > 0 ? tAbs / scale : tAbs > 0 ? Infinity : 0);
  }
  const relL2 = bb > 0 ? Math.sqrt(dd / bb) : dd > 0 ? Infinity : 0;
  return {
    maxRelError: maxRel,
    maxElementRelError: maxElem,
    maxAbsError: maxAbs,
    relL2,
    cosine: aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : aa === bb ? 1 : 0,
    snrDb: dd === 0 ? Infinity : 10 * Math.log10(bb / dd),
  };
}

/** A task-level comparison of a model's outputs, where the output's shape says what the task is. */
export interface TaskFigure {
  task: 'classifier-top1' | 'ctc-text' | 'probability-map-iou' | 'speech-decision';
  /** What was assumed from the output's shape. */
  assumption: string;
  output: string;
  /** top-1 agreement, text-unchanged or decision-unchanged fraction (0..1), or IoU (0..1). */
  value: number;
}

function argmaxRows(t: TensorLike): number[] {
  const x = asNumbers(t);
  const c = t.dims[t.dims.length - 1];
  const out: number[] = [];
  for (let r = 0; r < x.length / c; r++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (x[r * c + j] > x[r * c + best]) best = j;
    out.push(best);
  }
  return out;
}

/**
 * Task figures by output shape: [N, C] with C >= 10: classifier top-1 agreement; [N, T, C] with
 * C >= 10: greedy CTC decode (blank 0, repeats collapsed) unchanged (PP-OCR rec); [N, 1, H, W]:
 * probability-map IoU at threshold 0.3 (PP-OCR det); [N, 1] or [N, 1, 1] whose original values all lie
 * in [0, 1]: a speech probability (Silero VAD), the share of speech/no-speech decisions at 0.5 left
 * unchanged. Other outputs have none.
 */
export function taskFigure(name: string, actual: TensorLike, expected: TensorLike): TaskFigure | undefined {
  if (expected.type !== 'float32' || actual.dims.join() !== expected.dims.join()) return undefined;
  const d = expected.dims;
  if (d.length === 2 && d[1] >= 10) {
    const a = argmaxRows(actual);
    const b = argmaxRows(expected);
    return { task: 'classifier-top1', assumption: `output [${d}] read as class scores`, output: name, value: a.filter((v, i) => v === b[i]).length / b.length };
  }
  if (d.length === 3 && d[2] >= 10) {
    const a = argmaxRows(actual);
    const b = argmaxRows(expected);
    const decode = (ids: number[], s: number) => {
      const out: number[] = [];
      for (let t = 0; t < d[1]; t++) {
        const v = ids[s * d[1] + t];
        if (v !== 0 && (t === 0 || v !== ids[s * d[1] + t - 1])) out.push(v);
      }
      return out.join(',');
    };
    let same = 0;
    for (let s = 0; s < d[0]; s++) if (decode(a, s) === decode(b, s)) same++;
    return { task: 'ctc-text', assumption: `output [${d}] read as per-step character scores, greedy CTC with blank 0`, output: name, value: same / d[0] };
  }
  if (d.length === 4 && d[1] === 1) {
    const a = asNumbers(actual);
    const b = asNumbers(expected);
    let inter = 0;
    let union = 0;
    for (let i = 0; i < b.length; i++) {
      const x = a[i] > 0.3;
      const y = b[i] > 0.3;
      if (x && y) inter++;
      if (x || y) union++;
    }
    return { task: 'probability-map-iou', assumption: `output [${d}] read as a probability map, IoU of the > 0.3 regions`, output: name, value: union === 0 ? 1 : inter / union };
  }
  if ((d.length === 2 && d[1] === 1) || (d.length === 3 && d[1] === 1 && d[2] === 1)) {
    const a = asNumbers(actual);
    const b = asNumbers(expected);
    // A [N, 1] output outside [0, 1] is a score or a regression, not a probability: no figure.
    if (b.length === 0) return undefined;
    for (let i = 0; i < b.length; i++) if (!(b[i] >= 0 && b[i] <= 1)) return undefined;
    let same = 0;
    for (let i = 0; i < b.length; i++) if (a[i] > 0.5 === b[i] > 0.5) same++;
    return { task: 'speech-decision', assumption: `output [${d}] read as a speech probability (VAD), decision speech = > 0.5`, output: name, value: same / b.length };
  }
  return undefined;
}
