// Tiny ONNX models for the profiler tests, generated with the GraphBuilder (no binaries committed).
import { GraphBuilder, seededWeights, f } from '../../profiler/onnx/builder';

/**
 * A small CNN: Conv+Relu, Conv+Relu, Conv(1x1)+residual Add, GlobalAveragePool, Flatten, Gemm,
 * Softmax. `dynamic` makes batch and spatial dims symbolic (so --shape is required).
 */
export function tinyCnn(opts: { channels?: number; size?: number; dynamic?: boolean; name?: string } = {}): Uint8Array {
  const c = opts.channels ?? 8;
  const s = opts.size ?? 16;
  const g = new GraphBuilder(opts.name ?? 'tiny_cnn', { opset: 13 });
  const x = g.input('x', opts.dynamic ? ['N', c, 'H', 'W'] : [1, c, s, s]);
  const w1 = g.initializer('w1', [c, c, 3, 3], seededWeights(c * c * 9, 1, c * 9));
  const b1 = g.initializer('b1', [c], new Float32Array(c).fill(0.01));
  const w2 = g.initializer('w2', [c, c, 3, 3], seededWeights(c * c * 9, 2, c * 9));
  const w3 = g.initializer('w3', [c, c, 1, 1], seededWeights(c * c, 3, c));
  const wf = g.initializer('wf', [c, 4], seededWeights(c * 4, 4, c));
  const bf = g.initializer('bf', [4], new Float32Array(4));
  const a1 = g.op('Relu', [g.op('Conv', [x, w1, b1], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }, 'conv1')], {}, 'relu1');
  const a2 = g.op('Relu', [g.op('Conv', [a1, w2], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }, 'conv2')], {}, 'relu2');
  const a3 = g.op('Add', [g.op('Conv', [a2, w3], { kernel_shape: [1, 1] }, 'conv3'), a1], {}, 'residual');
  const pooled = g.op('GlobalAveragePool', [a3], {}, 'gap');
  const flat = g.op('Flatten', [pooled], { axis: 1 }, 'flatten');
  const logits = g.op('Gemm', [flat, wf, bf], { alpha: f(1.0) }, 'fc');
  g.node('Softmax', [logits], ['y'], { axis: 1 }, { name: 'softmax' });
  g.output('y', [opts.dynamic ? 'N' : 1, 4]);
  return g.toBytes();
}

/** A chain of `layers` Conv+Relu blocks: many small layers, so a profiling run lasts long enough to cancel. */
export function deepCnn(layers: number, opts: { channels?: number; size?: number; name?: string } = {}): Uint8Array {
  const c = opts.channels ?? 16;
  const s = opts.size ?? 32;
  const g = new GraphBuilder(opts.name ?? 'deep_cnn', { opset: 13 });
  let x = g.input('x', [1, c, s, s]);
  for (let i = 0; i < layers; i++) {
    const w = g.initializer(`w${i}`, [c, c, 3, 3], seededWeights(c * c * 9, 10 + i, c * 9));
    x = g.op('Relu', [g.op('Conv', [x, w], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }, `conv${i}`)], {}, `relu${i}`);
  }
  g.node('Identity', [x], ['y'], {}, { name: 'out' });
  g.output('y', [1, c, s, s]);
  return g.toBytes();
}

/** A fully convolutional net with a probability-map output [1, 1, s, s] (a DBNet-like head). */
export function segNet(s: number, fixedFlatten = false): Uint8Array {
  const g = new GraphBuilder(fixedFlatten ? 'flat_net' : 'seg_net', { opset: 13 });
  const x = g.input('x', [1, 3, s, s]);
  const w1 = g.initializer('w1', [8, 3, 3, 3], seededWeights(8 * 27, 1, 27));
  const w2 = g.initializer('w2', [1, 8, 1, 1], seededWeights(8, 2, 8));
  const a = g.op('Relu', [g.op('Conv', [x, w1], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }, 'conv1')], {}, 'relu1');
  const m = g.op('Conv', [a, w2], { kernel_shape: [1, 1] }, 'conv2');
  if (fixedFlatten) {
    // A fixed Reshape to the full-size element count: VGG's FC6 problem.
    const shape = g.initializer('shape', [2], new BigInt64Array([1n, BigInt(s * s)]));
    g.node('Reshape', [m, shape], ['y'], {}, { name: 'flat' });
    g.output('y', [1, s * s]);
  } else {
    g.node('Sigmoid', [m], ['y'], {}, { name: 'sigmoid' });
    g.output('y', [1, 1, s, s]);
  }
  return g.toBytes();
}
