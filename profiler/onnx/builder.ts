// A small, typed builder for ONNX graphs, used to generate models at build/test time (layer-shape
// replicas, reference architectures, micro-benchmarks, probes) so that no model binary is committed.
import { onnx } from 'onnx-proto';
import { seededRandom } from './random';

export const DataType = onnx.TensorProto.DataType;
export type Dim = number | string; // a string is a symbolic (dynamic) dimension
export type AttrValue = number | string | number[] | string[] | { float: number } | { floats: number[] } | onnx.ITensorProto | onnx.IGraphProto;

/** Marks a number attribute as FLOAT (plain numbers are INT unless not integral). */
export const f = (value: number): { float: number } => ({ float: value });
export const fs = (values: number[]): { floats: number[] } => ({ floats: values });

export function valueInfo(name: string, elemType: number, shape?: Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: shape ? { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined,
      },
    },
  };
}

export function tensor(name: string, dims: number[], data: Float32Array | Int32Array | BigInt64Array | number[], elemType?: number): onnx.ITensorProto {
  if (data instanceof Float32Array) {
    return { name, dims, dataType: DataType.FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  }
  if (data instanceof BigInt64Array) {
    return { name, dims, dataType: DataType.INT64, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  }
  if (data instanceof Int32Array) {
    return { name, dims, dataType: DataType.INT32, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  }
  const type = elemType ?? DataType.INT64;
  if (type === DataType.INT64) {
    return { name, dims, dataType: type, rawData: new Uint8Array(BigInt64Array.from(data.map((v) => BigInt(v))).buffer) };
  }
  if (type === DataType.FLOAT) return tensor(name, dims, Float32Array.from(data));
  if (type === DataType.INT32) return tensor(name, dims, Int32Array.from(data));
  throw new Error(`tensor(): unsupported element type ${type} for ${name}`);
}

function attribute(name: string, value: AttrValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: T.INT, i: value } : { name, type: T.FLOAT, f: value };
  }
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) {
    if (value.length > 0 && typeof value[0] === 'string') return { name, type: T.STRINGS, strings: (value as string[]).map((s) => new TextEncoder().encode(s)) };
    return { name, type: T.INTS, ints: value as number[] };
  }
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  if ('floats' in value) return { name, type: T.FLOATS, floats: value.floats };
  if ('node' in value) return { name, type: T.GRAPH, g: value as onnx.IGraphProto };
  return { name, type: T.TENSOR, t: value as onnx.ITensorProto };
}

export interface BuilderOptions {
  opset?: number;
  producer?: string;
  docString?: string;
}

/** Builds one ONNX graph; `toModel()`/`toBytes()` wrap it in a ModelProto. */
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly inputs: onnx.IValueInfoProto[] = [];
  readonly outputs: onnx.IValueInfoProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  readonly metadata: Record<string, string> = {};
  private counter = 0;

  constructor(readonly name: string, readonly options: BuilderOptions = {}) {}

  /** A fresh tensor name with the given prefix. */
  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  input(name: string, shape: Dim[], elemType: number = DataType.FLOAT): string {
    this.inputs.push(valueInfo(name, elemType, shape));
    return name;
  }

  output(name: string, shape?: Dim[], elemType: number = DataType.FLOAT): string {
    this.outputs.push(valueInfo(name, elemType, shape));
    return name;
  }

  initializer(name: string, dims: number[], data: Float32Array | Int32Array | BigInt64Array | number[], elemType?: number): string {
    this.initializers.push(tensor(name, dims, data, elemType));
    return name;
  }

  /** Adds a node; returns its output names. `outputs` may be a count or explicit names. */
  node(opType: string, inputs: string[], outputs: number | string[] = 1, attrs: Record<string, AttrValue> = {}, extra: { name?: string; domain?: string } = {}): string[] {
    const outNames = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase())) : outputs;
    this.nodes.push({
      name: extra.name ?? this.fresh(`${opType}`),
      opType,
      domain: extra.domain ?? '',
      input: inputs,
      output: outNames,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outNames;
  }

  /** Convenience: one-output node. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, name?: string): string {
    return this.node(opType, inputs, 1, attrs, { name })[0];
  }

  toGraph(): onnx.IGraphProto {
    return { name: this.name, node: this.nodes, input: this.inputs, output: this.outputs, initializer: this.initializers };
  }

  toModel(): onnx.IModelProto {
    return {
      irVersion: 8,
      producerName: this.options.producer ?? 'tessera',
      producerVersion: '0.1.0',
      docString: this.options.docString ?? '',
      opsetImport: [{ domain: '', version: this.options.opset ?? 17 }],
      graph: this.toGraph(),
      metadataProps: Object.entries(this.metadata).map(([key, value]) => ({ key, value })),
    };
  }

  toBytes(): Uint8Array {
    return onnx.ModelProto.encode(onnx.ModelProto.create(this.toModel())).finish();
  }
}

/** Deterministic pseudo-random weights (mulberry32), scaled like He initialisation. */
export function seededWeights(count: number, seed: number, fanIn: number): Float32Array {
  const next = seededRandom(seed);
  const scale = Math.sqrt(2 / Math.max(1, fanIn));
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (next() * 2 - 1) * scale;
  return out;
}

/** A tiny valid model (MatMul + Relu), used to probe that an execution provider really runs. */
export function probeModel(size = 64): Uint8Array {
  const g = new GraphBuilder('tessera_probe');
  const x = g.input('x', [1, size]);
  const w = g.initializer('w', [size, size], seededWeights(size * size, 1, size));
  const y = g.op('MatMul', [x, w]);
  g.node('Relu', [y], ['y']);
  g.output('y', [1, size]);
  return g.toBytes();
}
