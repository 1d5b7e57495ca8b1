// Built-in demo models and a demo scenario, made with the GraphBuilder at run time (no model file is
// committed). They are small synthetic networks (MLP and 3x3-convolution stacks with seeded weights),
// NOT real trained models: they exist so that `tessera run demo` and the tests work on any machine.
// Each demo model comes whole, as its layers and as groups of k layers (standalone sub-models whose
// chain reproduces it).
import { GraphBuilder, seededWeights } from '../../profiler/onnx/builder';
import type { TensorInfo } from '../../profiler/types';
import type { ExecModel, ExecUnit, LiveScenario } from './types';

interface LayerStep {
  /** Adds the layer's nodes reading `input`; returns the output name. */
  add(g: GraphBuilder, input: string, output: string): void;
  outDims: number[];
}

/** A demo model whole, as its layers, and as groups of k consecutive layers (one sub-model each). */
export interface DemoModel {
  whole: ExecModel;
  layers: ExecModel;
  groups(k: number): ExecModel;
}

function chain(name: string, inDims: number[], steps: LayerStep[]): DemoModel {
  const info = (n: string, dims: number[]): TensorInfo => ({ name: n, type: 'float32', dims });
  const inputs = [info('x', inDims)];
  const tname = (i: number) => (i === 0 ? 'x' : i === steps.length ? 'y' : `h${i}`);
  const dimsOf = (i: number) => (i === 0 ? inDims : steps[i - 1].outDims);
  // Whole model.
  const g = new GraphBuilder(name);
  g.input('x', inDims);
  steps.forEach((s, i) => s.add(g, tname(i), tname(i + 1)));
  g.output('y', steps[steps.length - 1].outDims);
  const wholeUnit: ExecUnit = { name, bytes: g.toBytes(), inputs, outputs: [info('y', steps[steps.length - 1].outDims)] };
  // One standalone model per run of layers [from, to), same weights.
  const unit = (from: number, to: number, unitName: string): ExecUnit => {
    const lg = new GraphBuilder(`${name}_L${from}${to - from > 1 ? `_${to - 1}` : ''}`);
    lg.input(tname(from), dimsOf(from));
    for (let i = from; i < to; i++) steps[i].add(lg, tname(i), tname(i + 1));
    lg.output(tname(to), dimsOf(to));
    return { name: unitName, bytes: lg.toBytes(), inputs: [info(tname(from), dimsOf(from))], outputs: [info(tname(to), dimsOf(to))] };
  };
  const units: ExecUnit[] = steps.map((_, i) => unit(i, i + 1, `${name}.L${i}`));
  return {
    whole: { name, inputs, units: [wholeUnit], granularity: 'whole model' },
    layers: { name, inputs, units, granularity: 'demo layers (one per MatMul/Conv + activation)' },
    groups(k: number): ExecModel {
      if (k <= 1) return this.layers;
      const grouped: ExecUnit[] = [];
      for (let from = 0; from < steps.length; from += k) {
        const to = Math.min(steps.length, from + k);
        grouped.push(unit(from, to, to - from > 1 ? `${name}.L${from}-${to - 1}` : `${name}.L${from}`));
      }
      return { name, inputs, units: grouped, granularity: `demo layers in groups of ${k}` };
    },
  };
}

/** An MLP: `layers` x (MatMul [width x width] + Add bias + Relu) on a [batch, width] input. */
export function demoMlp(name: string, batch: number, width: number, layers: number, seed = 1) {
  const steps: LayerStep[] = Array.from({ length: layers }, (_, i) => ({
    outDims: [batch, width],
    add(g, input, output) {
      const w = g.initializer(`w${i}`, [width, width], seededWeights(width * width, seed * 100 + i, width));
      const b = g.initializer(`b${i}`, [width], new Float32Array(width).fill(0.01));
      g.node('Relu', [g.op('Add', [g.op('MatMul', [input, w]), b])], [output]);
    },
  }));
  return chain(name, [batch, width], steps);
}

/** A conv stack: `layers` x (Conv 3x3, pad 1, `channels` -> `channels` + Relu) on [1, channels, size, size]. */
export function demoConv(name: string, channels: number, size: number, layers: number, seed = 1) {
  const steps: LayerStep[] = Array.from({ length: layers }, (_, i) => ({
    outDims: [1, channels, size, size],
    add(g, input, output) {
      const w = g.initializer(`w${i}`, [channels, channels, 3, 3], seededWeights(channels * channels * 9, seed * 100 + i, channels * 9));
      const b = g.initializer(`b${i}`, [channels], new Float32Array(channels).fill(0.01));
      g.node('Relu', [g.op('Conv', [input, w, b], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })], [output]);
    },
  }));
  return chain(name, [1, channels, size, size], steps);
}

const NAMED: Record<string, string> = {
  // Sizes chosen for about 0.2-5 ms per run on one current x86 core (60-230 MFLOP for the larger ones).
  conv: 'conv:32:56:4',
  mlp: 'mlp:32:768:3',
  'mlp-small': 'mlp:16:512:4',
  kws: 'mlp:8:384:3',
  'tiny-mlp': 'mlp:4:96:3',
  'tiny-conv': 'conv:4:16:3',
};

/** "demo:mlp", "demo:conv", "demo:tiny-mlp" or parameterised "demo:mlp:BATCH:WIDTH:LAYERS" / "demo:conv:CHANNELS:SIZE:LAYERS". */
export function demoModel(ref: string): DemoModel {
  const body = ref.replace(/^demo:/, '');
  const spec = NAMED[body] ?? body;
  const m = /^(mlp|conv):(\d+):(\d+):(\d+)$/.exec(spec);
  if (!m) throw new Error(`unknown demo model "${ref}": use ${Object.keys(NAMED).map((k) => `demo:${k}`).join(', ')}, demo:mlp:BATCH:WIDTH:LAYERS or demo:conv:CHANNELS:SIZE:LAYERS`);
  const [a, b, c] = [Number(m[2]), Number(m[3]), Number(m[4])];
  if (!(a > 0 && b > 0 && c > 0 && a * b <= 1 << 22 && c <= 64)) throw new Error(`demo model "${ref}": sizes out of range`);
  const name = `demo-${body.replace(/:/g, '-')}`;
  return m[1] === 'mlp' ? demoMlp(name, a, b, c) : demoConv(name, a, b, c);
}

/**
 * The same demo model with `factor` x its layers (1 to 64 layers): more work per frame at the same
 * frame rate. The live runtime deepens the demo's models to reach a load target instead of raising
 * the rates: faster rates shorten the deadlines that follow the frame period, and past a few thousand
 * frames per second the dispatching thread, not the lanes, is the bottleneck. Undefined for a ref that is not a demo model.
 */
export function deepenDemoRef(ref: string, factor: number): string | undefined {
  const body = ref.replace(/^demo:/, '');
  const spec = NAMED[body] ?? body;
  const m = /^(mlp|conv):(\d+):(\d+):(\d+)$/.exec(spec);
  if (!isDemoRef(ref) || !m) return undefined;
  const layers = Math.max(1, Math.min(64, Math.round(Number(m[4]) * factor)));
  return `demo:${m[1]}:${m[2]}:${m[3]}:${layers}`;
}

export function isDemoRef(ref: string): boolean {
  return ref.startsWith('demo:');
}

/**
 * The demo scenario: an XR-like mix of synthetic builder-made models (not real networks): a detector
 * at 30 fps, a classifier cascaded on it (p = 0.5), a tracker at 60 fps and a Poisson keyword spotter.
 */
export function demoScenario(variant: 'demo' | 'tiny' = 'demo'): LiveScenario {
  if (variant === 'tiny') {
    return {
      name: 'demo:tiny (synthetic builder-made models)',
      tenants: [
        { id: 'detector', model: 'demo:tiny-conv', arrival: { type: 'periodic', fps: 40, jitter: 0.001 }, priority: 9 },
        { id: 'classifier', model: 'demo:tiny-mlp', arrival: { type: 'periodic', fps: 40 }, deadline: 0.025, priority: 3, cascade: { upstream: 'detector', probability: 0.5 } },
        { id: 'tracker', model: 'demo:tiny-mlp', arrival: { type: 'poisson', ratePerSec: 30 }, deadline: 0.05, priority: 1 },
      ],
    };
  }
  return {
    name: 'demo (synthetic builder-made models)',
    tenants: [
      { id: 'detector', model: 'demo:conv', arrival: { type: 'periodic', fps: 30, jitter: 0.001 }, priority: 9 },
      { id: 'classifier', model: 'demo:mlp', arrival: { type: 'periodic', fps: 30 }, deadline: 1 / 30, priority: 3, cascade: { upstream: 'detector', probability: 0.5 } },
      { id: 'tracker', model: 'demo:mlp-small', arrival: { type: 'periodic', fps: 60, jitter: 0.001 }, priority: 9 },
      { id: 'keyword', model: 'demo:kws', arrival: { type: 'poisson', ratePerSec: 20 }, deadline: 0.05, priority: 1 },
    ],
  };
}
