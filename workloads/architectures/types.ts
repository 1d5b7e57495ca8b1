// Public types of the reference-architecture generator (see index.ts).

export type ArchitectureName = 'resnet50' | 'vgg16' | 'mobilenetv2' | 'ssd-mobilenetv2' | 'bert-base';

/**
 * Pruning applied to the generated weights.
 * - unstructured: per tensor, the `sparsity` fraction of smallest-magnitude weights is zeroed (exact count).
 * - nm: in every group of M consecutive weights along the input-channel (reduction) dimension, the M-N
 *   smallest are zeroed (2:4 = 50%). Layers whose reduction group size is not a multiple of M are left dense.
 * - channel: the `sparsity` fraction of prunable output channels (smallest L1 norm) is physically removed,
 *   together with the matching input channels of the consumers, so the graph shrinks and its MACs drop.
 */
export type PruneSpec =
  | { kind: 'unstructured'; sparsity: number }
  | { kind: 'nm'; n?: number; m?: number }
  | { kind: 'channel'; sparsity: number };

export interface ArchitectureOptions {
  /** Spatial input size (CNNs): default 224, 300 for ssd-mobilenetv2. Multiple of 32 for the classifiers. */
  resolution?: number;
  batch?: number;
  /** Weight seed (default 1). Same name + options + seed => byte-identical model. */
  seed?: number;
  /** MobileNetV2 / SSD backbone width multiplier (default 1.0). */
  width?: number;
  /** bert-base: sequence length (128 or 384 are the reference settings; any positive size works). */
  seq?: number;
  /** bert-base: encoder layers (default 12). */
  layers?: number;
  /** bert-base: 'embeddings' (default: input [B, seq, 768], embeddings excluded) or 'tokens' (int64 ids + Gather). */
  bertInput?: 'embeddings' | 'tokens';
  /** bert-base: LayerNormalization op (opset 17, default) or decomposed ReduceMean/Sub/Pow/Sqrt/Div. */
  layerNorm?: 'fused' | 'decomposed';
  /** CNNs: BatchNormalization folded into the conv weights/biases (default) or kept as BatchNormalization nodes. */
  batchNorm?: 'folded' | 'kept';
  /** Classifier classes (default 1000) or detector classes incl. background (default 91). */
  numClasses?: number;
  prune?: PruneSpec;
}

export interface WeightSparsityInfo {
  kind: PruneSpec['kind'];
  /** Stated target: fraction of weights zeroed (unstructured, nm = 1 - N/M) or of prunable channels removed (channel). */
  target: number;
  /** Achieved, counted: zeros / weights over the pruned tensors (unstructured, nm); removed / prunable channels (channel). */
  achieved: number;
  /** Zero weights / all compute-layer weights (pruned or not), counted in the final tensors (0 for channel pruning). */
  achievedOverall: number;
  /** Zeroed weights (unstructured, nm) or removed channels (channel). */
  zeros: number;
  /** Weights in the pruned tensors (unstructured, nm) or prunable channels (channel). */
  total: number;
  /** Weight tensors pruned (unstructured, nm) or layers whose output channels were pruned (channel). */
  prunedTensors: number;
  /** Which tensors were pruned and which were left dense, in words. */
  scope: string;
  /** channel: the unpruned model's MACs and params, for comparison. */
  denseMacs?: number;
  denseParams?: number;
  /** nm: N and M. */
  n?: number;
  m?: number;
}

export interface ArchitectureInfo {
  name: ArchitectureName;
  description: string;
  /** Number of compute layers (Conv, Gemm, MatMul nodes). */
  layers: number;
  /** Multiply-accumulates of the compute layers for one inference of the whole batch, counted from the generated shapes. */
  macs: number;
  /** Float parameters (all float initializers). */
  params: number;
  /** All ONNX nodes. */
  nodes: number;
  opset: number;
  sparsity?: WeightSparsityInfo;
  /** Always true: real architecture, deterministic pseudo-random weights. */
  synthetic: true;
  notes: string[];
  /** The options after defaults were applied. */
  options: ArchitectureOptions;
  outputShapes: Record<string, number[]>;
}

export interface ComputeLayer {
  /** ONNX node name. */
  node: string;
  op: 'Conv' | 'Gemm' | 'MatMul';
  /** The activation tensor feeding it (input 0). */
  input: string;
  output: string;
  inputShape: number[];
  outputShape: number[];
  /** Weight shape, or undefined for activation x activation MatMul (attention). */
  weightShape?: number[];
  macs: number;
  params: number;
  /** Zero weights in its weight tensor (counted). */
  weightZeros: number;
  pruned: boolean;
  /** True when input 0 comes straight from a ReLU / ReLU6 (Clip). */
  afterRelu: boolean;
}

export interface BuiltArchitecture {
  bytes: Uint8Array;
  inputShapes: Record<string, number[]>;
  /** Element type of each input: 'float32' or 'int64'. */
  inputTypes: Record<string, 'float32' | 'int64'>;
  info: ArchitectureInfo;
  computeLayers: ComputeLayer[];
}

export interface ArchitectureListing {
  name: ArchitectureName;
  description: string;
  defaults: ArchitectureOptions;
  /** Options this architecture reads. */
  options: (keyof ArchitectureOptions)[];
  /** Published figures at the default setting, for comparison with `info.macs` / `info.params`. */
  reference: { macs: number; params: number; setting: string; source: string };
}
