// Planning a layer-shape replica: the spec has no strides, padding or topology, so the planner
// derives them so that consecutive layers chain (strides, padding, pooling/resize and channel
// adapters), and records every assumption per layer. Pure: no ONNX here (see build.ts).
import type { XrbenchModelOptions } from '../scenario';
import { REPLICA_LABEL, XRBENCH_CITATION, type XrLayerSpec, type XrLayerType, type XrNetworkSpec } from './parse';

type Layout = 'map' | 'seq' | 'vec';
/** An activation: map [N, C, H, W]; seq [N, T = H, C] (W = 1); vec [N, C] (H = W = 1). */
interface Act {
  layout: Layout;
  N: number;
  C: number;
  H: number;
  W: number;
}

export type AdapterOp =
  | { op: 'MaxPool'; kernel: [number, number]; ceil: boolean }
  | { op: 'GlobalAveragePool' }
  | { op: 'Resize'; size: [number, number] }
  | { op: 'SliceChannels'; to: number; axis: number }
  | { op: 'TileChannels'; to: number; axis: number; copies: number }
  | { op: 'MapToSeq' }
  | { op: 'SeqToMap'; size: [number, number] }
  | { op: 'MapToVec' }
  | { op: 'VecToMap' }
  | { op: 'Flatten' }
  | { op: 'ReduceTokens' }
  | { op: 'Excite'; source: number };

export interface PlannedAdapter {
  adapter: AdapterOp;
  /** Shape before and after, as ONNX dims. */
  from: number[];
  to: number[];
  reason: string;
}

export interface PlannedLayer {
  index: number;
  name: string;
  type: XrLayerType;
  /** Spec dims (before any resolution scale). */
  spec: { N: number; K: number; C: number; Y: number; X: number; R: number; S: number };
  /** 'Conv' for CONV/DSCONV; 'Gemm' for a fully connected layer on one vector; 'MatMul' on a token sequence. */
  op: 'Conv' | 'Gemm' | 'MatMul';
  /** Input and output shapes as built (ONNX dims). */
  inputShape: number[];
  outputShape: number[];
  /** Conv only. */
  stride?: [number, number];
  /** Conv only: [top, left, bottom, right]. */
  pads?: [number, number, number, number];
  group: number;
  weightShape: number[];
  /** Multiply-accumulates of this layer as built: N * K * (C / group) * outH * outW * R * S (conv), N * T * C * K (FC). */
  macs: number;
  params: number;
  relu: boolean;
  /** Adapters inserted before this layer (from the previous layer's output to this layer's input). */
  before: PlannedAdapter[];
  /** What was assumed for this layer, in words. */
  assumptions: string[];
}

export interface NetworkPlan {
  network: string;
  options: Required<XrbenchModelOptions>;
  inputShape: number[];
  outputShape: number[];
  layers: PlannedLayer[];
  macs: number;
  params: number;
  /** Counts of adapters by op. */
  adapterCounts: Record<string, number>;
  notes: string[];
}

const DEFAULT_OPTIONS: Required<XrbenchModelOptions> = { resolutionScale: 1, depthwise: 'as-spec', shareWeights: true };

export function resolveXrbenchOptions(o: XrbenchModelOptions = {}): Required<XrbenchModelOptions> {
  const r = { ...DEFAULT_OPTIONS, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) } as Required<XrbenchModelOptions>;
  if (!(r.resolutionScale > 0 && Number.isFinite(r.resolutionScale))) throw new Error(`resolutionScale must be > 0 (got ${r.resolutionScale})`);
  if (r.depthwise !== 'as-spec' && r.depthwise !== 'infer') throw new Error(`depthwise must be 'as-spec' or 'infer' (got ${String(r.depthwise)})`);
  return r;
}

const isFc = (l: XrLayerSpec) => l.type === 'CONV' && l.R === 1 && l.S === 1 && (l.Y === 1 || l.X === 1);

const actDims = (a: Act): number[] => (a.layout === 'map' ? [a.N, a.C, a.H, a.W] : a.layout === 'seq' ? [a.N, a.H, a.C] : [a.N, a.C]);
const hw = (h: number, w: number) => `${h}x${w}`;

/** Smallest total padding P (0 <= P <= k - 1) with which a conv of kernel k and stride s maps size i to size o; undefined if none. */
function padFor(i: number, o: number, k: number, s: number): number | undefined {
  const p = Math.max(0, (o - 1) * s + k - i);
  return p <= k - 1 && Math.floor((i + p - k) / s) + 1 === o ? p : undefined;
}

/** Exact pooling (kernel = stride) from size i to o, with or without ceil_mode; undefined if none. */
function poolFor(i: number, o: number): { k: number; ceil: boolean } | undefined {
  if (i === o) return { k: 1, ceil: false };
  if (o > i || o < 1) return undefined;
  for (const k of [Math.floor(i / o), Math.ceil(i / o)]) {
    if (k < 2) continue;
    if (Math.floor(i / k) === o) return { k, ceil: false };
    if (Math.ceil(i / k) === o) return { k, ceil: true };
  }
  return undefined;
}

/** Scaled spatial/temporal size: sizes of 1 stay 1 (vectors, 1-D signals). */
const scaleDim = (d: number, s: number) => (d === 1 || s === 1 ? d : Math.max(1, Math.round(d * s)));

/**
 * Decides, for every layer of a network, its stride and padding, its ONNX op and shapes, its MACs,
 * and the adapters needed between layers that do not chain; pure (no ONNX, no weights).
 *
 * Rules (each application is recorded in the layer's `assumptions`):
 * - CONV with R = S = 1 and Y or X = 1 is a fully connected layer: Gemm on one vector (Y = X = 1),
 *   else MatMul on T = Y x X tokens of C features. DSCONV is a depthwise conv (group = C).
 * - A conv's output size is the next layer's input size when a stride of 1 or 2 with a padding
 *   below the kernel size gives it exactly (padding split top/left first); otherwise the conv keeps
 *   its size (stride 1, 'same' padding), or uses stride 2 when the next size is at most half, and an
 *   exact MaxPool (kernel = stride) or, failing that, a nearest Resize bridges the rest.
 * - Channel counts that do not chain (the spec lists branches and skips in sequence) are bridged by
 *   taking the first channels (Slice) or repeating them (Concat + Slice): the replica is one chain.
 * - A conv followed by fully connected layers on a vector that lead back to a conv of the same
 *   width and size is a squeeze-and-excitation block: GlobalAveragePool, the FCs, then Sigmoid and
 *   a Mul with the conv's output. Otherwise a map becomes a vector by Flatten (when C x H x W is the
 *   FC's input size) or GlobalAveragePool.
 * - ReLU follows every layer but the last. No biases.
 */
export function planNetwork(spec: XrNetworkSpec, options: XrbenchModelOptions = {}): NetworkPlan {
  const o = resolveXrbenchOptions(options);
  const s = o.resolutionScale;
  const L = spec.layers;
  if (L.length === 0) throw new Error(`network ${spec.name}: no layers`);
  // Scaled sizes. Token counts that equal a conv map's Y x X (flattened grids) follow that map.
  const grids = new Map<number, [number, number]>();
  for (const l of L) if (!isFc(l) && l.Y > 1 && l.X > 1) grids.set(l.Y * l.X, [scaleDim(l.Y, s), scaleDim(l.X, s)]);
  const sized = L.map((l) => {
    if (isFc(l)) {
      const t = l.Y * l.X;
      const g = grids.get(t);
      const T = t === 1 ? 1 : g ? g[0] * g[1] : scaleDim(t, s);
      return { ...l, Y: T, X: 1 };
    }
    return { ...l, Y: scaleDim(l.Y, s), X: scaleDim(l.X, s) };
  });

  const depthwise = (i: number): boolean => {
    const l = L[i];
    if (l.type === 'DSCONV') return true;
    if (o.depthwise !== 'infer' || isFc(l) || l.K !== l.C || l.R * l.S <= 1 || i === 0) return false;
    const p = L[i - 1];
    return !isFc(p) && p.R === 1 && p.S === 1 && p.K === l.C && p.K > p.C;
  };

  const layers: PlannedLayer[] = [];
  const adapterCounts: Record<string, number> = {};
  const first = sized[0];
  let cur: Act = isFc(first)
    ? first.Y === 1
      ? { layout: 'vec', N: first.N, C: first.C, H: 1, W: 1 }
      : { layout: 'seq', N: first.N, C: first.C, H: first.Y, W: 1 }
    : { layout: 'map', N: first.N, C: first.type === 'DSCONV' ? first.C : first.C, H: first.Y, W: first.X };
  const inputShape = actDims(cur);
  /** Conv outputs kept for squeeze-and-excitation: layer index -> its output activation. */
  const seSources = new Map<number, Act>();
  let seOpen: number | undefined;

  for (let i = 0; i < sized.length; i++) {
    const l = sized[i];
    const before: PlannedAdapter[] = [];
    const assumptions: string[] = [];
    const add = (adapter: AdapterOp, to: Act, reason: string) => {
      before.push({ adapter, from: actDims(cur), to: actDims(to), reason });
      adapterCounts[adapter.op] = (adapterCounts[adapter.op] ?? 0) + 1;
      cur = to;
    };
    const fitSpatial = (Y: number, X: number, why: string) => {
      if (cur.H === Y && cur.W === X) return;
      if (Y === 1 && X === 1) {
        add({ op: 'GlobalAveragePool' }, { ...cur, H: 1, W: 1 }, `GlobalAveragePool ${hw(cur.H, cur.W)} -> 1x1 (${why})`);
        return;
      }
      const py = poolFor(cur.H, Y);
      const px = poolFor(cur.W, X);
      if (py && px && Y <= cur.H && X <= cur.W) {
        add({ op: 'MaxPool', kernel: [py.k, px.k], ceil: py.ceil || px.ceil }, { ...cur, H: Y, W: X }, `MaxPool ${py.k}x${px.k}${py.ceil || px.ceil ? ' (ceil mode)' : ''} ${hw(cur.H, cur.W)} -> ${hw(Y, X)} (${why})`);
        return;
      }
      add({ op: 'Resize', size: [Y, X] }, { ...cur, H: Y, W: X }, `Resize (nearest) ${hw(cur.H, cur.W)} -> ${hw(Y, X)} (${why})`);
    };
    const fitChannels = (C: number) => {
      if (cur.C === C) return;
      const axis = cur.layout === 'seq' ? 2 : 1;
      if (C < cur.C) add({ op: 'SliceChannels', to: C, axis }, { ...cur, C }, `first ${C} of ${cur.C} channels taken (the spec's next layer reads ${C}: a branch or skip in the original; the replica stays one chain)`);
      else add({ op: 'TileChannels', to: C, axis, copies: Math.ceil(C / cur.C) }, { ...cur, C }, `${cur.C} channels repeated to ${C} (the spec's next layer reads ${C}: a concatenation or branch in the original; the replica stays one chain)`);
    };
    const toMap = (Y: number, X: number) => {
      if (cur.layout === 'seq') {
        if (cur.H === Y * X) add({ op: 'SeqToMap', size: [Y, X] }, { layout: 'map', N: cur.N, C: cur.C, H: Y, W: X }, `${cur.H} tokens back to a ${hw(Y, X)} map`);
        else add({ op: 'SeqToMap', size: [cur.H, 1] }, { layout: 'map', N: cur.N, C: cur.C, H: cur.H, W: 1 }, `${cur.H} tokens as a ${cur.H}x1 map`);
      } else if (cur.layout === 'vec') {
        add({ op: 'VecToMap' }, { layout: 'map', N: cur.N, C: cur.C, H: 1, W: 1 }, 'vector as a 1x1 map');
      }
      fitSpatial(Y, X, 'next layer input size');
    };

    let op: PlannedLayer['op'];
    let group = 1;
    let stride: [number, number] | undefined;
    let pads: [number, number, number, number] | undefined;
    let outAct: Act;
    let weightShape: number[];
    let macs: number;

    if (isFc(l)) {
      const T = l.Y;
      if (T === 1) {
        // Gemm on one vector.
        if (cur.layout === 'map') {
          if (seOpen !== undefined && cur.H * cur.W > 1) {
            add({ op: 'GlobalAveragePool' }, { ...cur, H: 1, W: 1 }, `squeeze: GlobalAveragePool ${hw(cur.H, cur.W)} -> 1x1 (squeeze-and-excitation block around ${L[seOpen].name})`);
            add({ op: 'MapToVec' }, { layout: 'vec', N: cur.N, C: cur.C, H: 1, W: 1 }, 'to a vector');
          } else if (cur.H * cur.W === 1) add({ op: 'MapToVec' }, { layout: 'vec', N: cur.N, C: cur.C, H: 1, W: 1 }, 'to a vector');
          else if (cur.C * cur.H * cur.W === l.C) add({ op: 'Flatten' }, { layout: 'vec', N: cur.N, C: l.C, H: 1, W: 1 }, `Flatten ${cur.C}x${hw(cur.H, cur.W)} -> ${l.C} features`);
          else {
            add({ op: 'GlobalAveragePool' }, { ...cur, H: 1, W: 1 }, `GlobalAveragePool ${hw(cur.H, cur.W)} -> 1x1 (fully connected layer on a vector)`);
            add({ op: 'MapToVec' }, { layout: 'vec', N: cur.N, C: cur.C, H: 1, W: 1 }, 'to a vector');
          }
        } else if (cur.layout === 'seq') {
          if (cur.H * cur.C === l.C) add({ op: 'Flatten' }, { layout: 'vec', N: cur.N, C: l.C, H: 1, W: 1 }, `Flatten ${cur.H} tokens x ${cur.C} -> ${l.C} features`);
          else add({ op: 'ReduceTokens' }, { layout: 'vec', N: cur.N, C: cur.C, H: 1, W: 1 }, `mean over ${cur.H} tokens (fully connected layer on a vector)`);
        }
        fitChannels(l.C);
        op = 'Gemm';
        weightShape = [l.K, l.C];
        macs = l.N * l.K * l.C;
        outAct = { layout: 'vec', N: l.N, C: l.K, H: 1, W: 1 };
        assumptions.push(`fully connected (CONV with Y = X = 1, R = S = 1): Gemm ${l.C} -> ${l.K}`);
      } else {
        // MatMul on T tokens.
        if (cur.layout === 'map') {
          if (cur.H * cur.W !== T) fitSpatial(...gridFor(T, cur), `fully connected layer on ${T} tokens`);
          add({ op: 'MapToSeq' }, { layout: 'seq', N: cur.N, C: cur.C, H: cur.H * cur.W, W: 1 }, `${hw(cur.H, cur.W)} map as ${cur.H * cur.W} tokens`);
        } else if (cur.layout === 'vec') {
          add({ op: 'VecToMap' }, { layout: 'map', N: cur.N, C: cur.C, H: 1, W: 1 }, 'vector as a 1x1 map');
          fitSpatial(T, 1, `fully connected layer on ${T} tokens`);
          add({ op: 'MapToSeq' }, { layout: 'seq', N: cur.N, C: cur.C, H: T, W: 1 }, `as ${T} tokens`);
        } else if (cur.H !== T) {
          add({ op: 'SeqToMap', size: [cur.H, 1] }, { layout: 'map', N: cur.N, C: cur.C, H: cur.H, W: 1 }, `${cur.H} tokens as a ${cur.H}x1 map`);
          fitSpatial(T, 1, `the next layer reads ${T} tokens`);
          add({ op: 'MapToSeq' }, { layout: 'seq', N: cur.N, C: cur.C, H: T, W: 1 }, `as ${T} tokens`);
        }
        fitChannels(l.C);
        op = 'MatMul';
        weightShape = [l.C, l.K];
        macs = l.N * T * l.C * l.K;
        outAct = { layout: 'seq', N: l.N, C: l.K, H: T, W: 1 };
        assumptions.push(`fully connected (CONV with ${L[i].Y === 1 ? 'Y' : 'X'} = 1, R = S = 1) on ${T} tokens: MatMul [${T}, ${l.C}] x [${l.C}, ${l.K}]`);
      }
    } else {
      // Convolution: bring the input to [N, C, Y, X].
      if (cur.layout === 'vec' && seOpen !== undefined) {
        const src = seSources.get(seOpen)!;
        if (src.H === l.Y && src.W === l.X) {
          if (cur.C !== src.C) fitChannels(src.C);
          add({ op: 'Excite', source: seOpen }, { ...src }, `excite: Sigmoid of the ${cur.C}-vector times ${L[seOpen].name}'s output (${src.C}x${hw(src.H, src.W)}), squeeze-and-excitation`);
        }
        seOpen = undefined;
      }
      if (cur.layout !== 'map' || cur.H !== l.Y || cur.W !== l.X) toMap(l.Y, l.X);
      fitChannels(l.C);
      const dw = depthwise(i);
      group = dw ? l.C : 1;
      const K = l.type === 'DSCONV' ? l.C : l.K;
      op = 'Conv';
      weightShape = [K, l.C / group, l.R, l.S];
      // Output size: what the next layer (or the SE block's return) needs.
      const next = sized[i + 1];
      let want: [number, number] | undefined;
      let seStart = false;
      if (!next) want = [l.Y, l.X];
      else if (!isFc(next)) want = [next.Y, next.X];
      else if (next.Y > 1) {
        const T = next.Y;
        if (T === l.Y * l.X) want = [l.Y, l.X];
        else if (T === Math.ceil(l.Y / 2) * Math.ceil(l.X / 2)) want = [Math.ceil(l.Y / 2), Math.ceil(l.X / 2)];
        else want = [l.Y, l.X];
      } else {
        let j = i + 1;
        while (j < sized.length && isFc(sized[j]) && sized[j].Y === 1) j++;
        const back = sized[j];
        const lastFc = sized[j - 1];
        if (back && !isFc(back) && j - i - 1 >= 1 && lastFc.K === K && sized[i + 1].C === K) {
          want = [back.Y, back.X];
          seStart = true;
        } else if (padFor(l.Y, 1, l.R, 1) !== undefined && padFor(l.X, 1, l.S, 1) !== undefined) want = [1, 1];
        else want = [l.Y, l.X];
      }
      const [wy, wx] = want;
      let sy = 1;
      let sx = 1;
      let py: number | undefined;
      let px: number | undefined;
      for (const s1 of [1, 2]) {
        if (py === undefined && (py = padFor(l.Y, wy, l.R, s1)) !== undefined) sy = s1;
      }
      for (const s1 of [1, 2]) {
        if (px === undefined && (px = padFor(l.X, wx, l.S, s1)) !== undefined) sx = s1;
      }
      let oy: number;
      let ox: number;
      if (py !== undefined && px !== undefined) {
        oy = wy;
        ox = wx;
        assumptions.push(`stride ${sy === sx ? sy : `${sy}x${sx}`}, padding ${py === px ? py : `${py}/${px}`} (total): output ${hw(oy, ox)} = the next layer's input`);
      } else {
        // Same padding; stride 2 in a dimension that must shrink to half or less.
        sy = wy * 2 <= l.Y ? 2 : 1;
        sx = wx * 2 <= l.X ? 2 : 1;
        py = l.R - 1;
        px = l.S - 1;
        oy = Math.ceil(l.Y / sy);
        ox = Math.ceil(l.X / sx);
        if (sy === 2 && !(poolFor(oy, wy) && poolFor(ox, wx))) {
          sy = 1;
          oy = l.Y;
        }
        if (sx === 2 && !(poolFor(ox, wx) && poolFor(oy, wy))) {
          sx = 1;
          ox = l.X;
        }
        assumptions.push(`stride ${sy === sx ? sy : `${sy}x${sx}`}, 'same' padding: output ${hw(oy, ox)}${oy === wy && ox === wx ? '' : `; no stride (1 or 2) and padding give the next layer's ${hw(wy, wx)}, an adapter follows`}`);
      }
      stride = [sy, sx];
      pads = [Math.floor(py / 2), Math.floor(px / 2), py - Math.floor(py / 2), px - Math.floor(px / 2)];
      macs = l.N * K * (l.C / group) * oy * ox * l.R * l.S;
      outAct = { layout: 'map', N: l.N, C: K, H: oy, W: ox };
      if (dw) assumptions.push(l.type === 'DSCONV' ? 'DSCONV: depthwise conv, group = C' : `depthwise inferred (K = C = ${l.C}, ${l.R}x${l.S} kernel after a 1x1 expansion): group = ${l.C}; the spec lists it as a dense CONV`);
      if (seStart) {
        seSources.set(i, outAct);
        seOpen = i;
      }
    }
    layers.push({
      index: i,
      name: l.name,
      type: l.type,
      spec: { N: L[i].N, K: L[i].K, C: L[i].C, Y: L[i].Y, X: L[i].X, R: L[i].R, S: L[i].S },
      op,
      inputShape: actDims(cur),
      outputShape: actDims(outAct),
      ...(stride ? { stride, pads } : {}),
      group,
      weightShape,
      macs,
      params: weightShape.reduce((a, b) => a * b, 1),
      relu: i < sized.length - 1,
      before,
      assumptions: [...before.map((b) => `before: ${b.reason}`), ...assumptions],
    });
    cur = outAct;
  }
  const notes = [
    `${REPLICA_LABEL}. Built from XRBench's layer list (${XRBENCH_CITATION}); strides, padding and the chaining adapters are derived, not given by the spec.`,
    'ReLU after every layer but the last; no biases, no normalisation layers (not in the spec).',
    o.depthwise === 'infer' ? 'depthwise: inferred for K = C layers with a kernel > 1 after a 1x1 expansion (grouped conv); MACs differ from the spec\'s dense CONV.' : 'depthwise: none inferred; every CONV is dense as the spec lists it (XRBench lists the depthwise convs of FBNet / EfficientNet-lite / D2go blocks as dense CONV), so MACs follow the spec.',
    s !== 1 ? `resolutionScale ${s}: every spatial size (and flattened-grid token count) scaled, sizes of 1 kept; other token counts scaled linearly.` : 'Full spec size.',
  ];
  return {
    network: spec.name,
    options: o,
    inputShape,
    outputShape: actDims(cur),
    layers,
    macs: layers.reduce((a, l) => a + l.macs, 0),
    params: layers.reduce((a, l) => a + l.params, 0),
    adapterCounts,
    notes,
  };
}

/** A map size with h x w = T tokens, as close as possible to the current map's aspect (falls back to T x 1). */
function gridFor(T: number, cur: Act): [number, number] {
  const ratio = cur.H / Math.max(1, cur.W);
  let best: [number, number] = [T, 1];
  let bestErr = Infinity;
  for (let h = 1; h <= T; h++) {
    if (T % h) continue;
    const w = T / h;
    const err = Math.abs(Math.log(h / w / ratio));
    if (err < bestErr) {
      bestErr = err;
      best = [h, w];
    }
  }
  return best;
}

/** MACs of the spec's layer list as XRBench's dims give them, for a stride-1 'same' conv (output = input size) and FC = N K C Y X. */
export function specMacsStride1(spec: XrNetworkSpec): number {
  return spec.layers.reduce((a, l) => a + l.N * (l.type === 'DSCONV' ? l.C : l.K) * (l.type === 'DSCONV' ? 1 : l.C) * l.Y * l.X * l.R * l.S, 0);
}
