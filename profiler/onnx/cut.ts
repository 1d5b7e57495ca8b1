// Cutting a model into layers: standalone ONNX sub-models whose inputs and outputs are the tensors
// that cross each cut, with shapes resolved by running the whole model once, and verified by
// running the layers in chain.
import * as ort from 'onnxruntime-node';
import type { TensorInfo } from '../types';
import type { LoadedModel } from './model';
import type { InputValue } from './shapes';

export type Granularity = 'node' | 'group' | number;

/** A tensor captured from the sample run (graph inputs, intermediates, outputs). */
export interface CapturedTensor {
  /** onnxruntime-node type string. */
  type: string;
  dims: number[];
  data: ort.Tensor['data'];
}

export interface CutLayer {
  index: number;
  /** e.g. "L007_Conv_12" (first compute node of the layer). */
  name: string;
  /** Canonical names (LoadedModel.nodeNames) of this layer's nodes, in graph order; duplicated Constant nodes are not listed. */
  nodes: string[];
  opTypes: string[];
  /** Constant nodes copied into this layer because its nodes consume them. */
  constants: string[];
  /** Tensors that cross the cut into this layer (graph inputs or outputs of earlier layers), resolved. */
  inputs: TensorInfo[];
  /** Tensors this layer produces that later layers consume, or that are graph outputs. */
  outputs: TensorInfo[];
  /** The layer as a standalone ONNX model. */
  bytes: Uint8Array;
  /** FLOPs of the layer's nodes (see flops.ts for the rules). */
  flops: number;
  /** Bytes read and written at the layer's boundary: inputs + outputs + weights. */
  bytesMoved: number;
  /** Initializers and Constant tensors the layer uses, bytes. */
  weightBytes: number;
}

export interface CutOptions {
  granularity?: Granularity;
  /** Shapes for inputs with dynamic dims (see resolveInputShapes). */
  shapes?: Record<string, number[]>;
  /** Seed of the sample input (default 1). */
  seed?: number;
  inputValues?: Record<string, InputValue>;
  /** Verify by running the layers in chain (default true). */
  verify?: boolean;
  /** Tolerance of the verification (default rel 1e-5). */
  tolerance?: { rel: number };
  /** ORT optimization level of every session the cut runs (default 'disabled'). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  intraOpNumThreads?: number;
}

export interface Verification {
  maxAbsError: number;
  maxRelError: number;
  passed: boolean;
  tolerance: { rel: number };
  /** Per graph output. */
  perOutput: { name: string; maxAbsError: number; maxRelError: number }[];
  /** The ORT graph optimization level both the whole model and the layers ran with. */
  graphOptimizationLevel: string;
  /** How the relative error is defined. */
  relErrorDefinition: string;
}

export interface CutResult {
  model: { name: string; path?: string; sha256: string; opsets: Record<string, number>; irVersion: number; nodeCount: number };
  granularity: Granularity;
  inputShapes: Record<string, number[]>;
  layers: CutLayer[];
  /** Sample tensors by name: graph inputs and every intermediate and output of the whole-model run. */
  tensors: Map<string, CapturedTensor>;
  verification: Verification;
  timings: { captureMs: number; cutMs: number; verifyMs: number };
  warnings: string[];
}

export async function cutModel(_model: LoadedModel, _opts: CutOptions = {}): Promise<CutResult> {
  throw new Error('cutModel: work in progress');
}

/** ort.Tensor feeds for one layer, from the captured sample tensors. */
export function layerFeeds(cut: CutResult, layerIndex: number): Record<string, ort.Tensor> {
  const layer = cut.layers[layerIndex];
  if (!layer) throw new Error(`layerFeeds: ${cut.model.name} has no layer ${layerIndex} (it has ${cut.layers.length})`);
  const feeds: Record<string, ort.Tensor> = {};
  for (const inp of layer.inputs) {
    const t = cut.tensors.get(inp.name);
    if (!t) throw new Error(`layerFeeds: ${cut.model.name} layer ${layerIndex} input '${inp.name}' was not captured`);
    feeds[inp.name] = new ort.Tensor(t.type as ort.Tensor.Type, t.data as never, t.dims);
  }
  return feeds;
}
