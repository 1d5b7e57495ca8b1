// Graph surgery on one cut layer (a standalone ONNX model from profiler/onnx/cut.ts): read constant
// weights (initializers or Constant nodes), replace a node by a small subgraph with the same output
// name, add initializers, and emit opset-correct helper nodes (Slice's attribute form before opset
// 10). Unused initializers and Constant nodes are dropped on encode.
import { onnx } from 'onnx-proto';
import { num } from '../onnx/model';
import { fromHalf } from '../onnx/values';

const DT = onnx.TensorProto.DataType;

export interface ConstTensor {
  dims: number[];
  /** Values as float32 (float, float16 and float64 tensors only). */
  data: Float32Array;
}

function rawView(t: onnx.ITensorProto): Uint8Array | undefined {
  const r = t.rawData;
  if (!r || r.length === 0) return undefined;
  return Uint8Array.from(r); // aligned copy
}

/** A float tensor's values, or undefined for other element types. */
export function readFloats(t: onnx.ITensorProto): ConstTensor | undefined {
  const dims = (t.dims ?? []).map(num);
  const count = dims.reduce((a, d) => a * d, 1);
  const raw = rawView(t);
  let data: Float32Array;
  if (t.dataType === DT.FLOAT) data = raw ? new Float32Array(raw.buffer) : Float32Array.from(t.floatData ?? []);
  else if (t.dataType === DT.DOUBLE) data = Float32Array.from(raw ? new Float64Array(raw.buffer) : (t.doubleData ?? []));
  else if (t.dataType === DT.FLOAT16) data = Float32Array.from(raw ? new Uint16Array(raw.buffer) : (t.int32Data ?? []), fromHalf);
  else return undefined;
  if (data.length !== count) return undefined;
  return { dims, data };
}

export function floatTensor(name: string, dims: number[], data: Float32Array): onnx.ITensorProto {
  const copy = Float32Array.from(data);
  return { name, dims, dataType: DT.FLOAT, rawData: new Uint8Array(copy.buffer) };
}

/** float32 values -> half bits, round to nearest even (bulk form of toHalf, no allocation per value). */
export function halfBits(data: Float32Array): Uint16Array {
  const src = Float32Array.from(data);
  const bits = new Uint32Array(src.buffer);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i];
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 0x1f) out[i] = sign | 0x7c00;
    else if (e <= 0) {
      if (e < -10) out[i] = sign;
      else {
        mant |= 0x800000;
        const shift = 14 - e;
        let h = mant >>> shift;
        const rem = mant & ((1 << shift) - 1);
        const half = 1 << (shift - 1);
        if (rem > half || (rem === half && h & 1)) h++;
        out[i] = sign | h;
      }
    } else {
      let h = (e << 10) | (mant >>> 13);
      const rem = mant & 0x1fff;
      if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
      out[i] = sign | h;
    }
  }
  return out;
}

export function halfTensor(name: string, dims: number[], data: Float32Array): onnx.ITensorProto {
  const h = halfBits(data);
  return { name, dims, dataType: DT.FLOAT16, rawData: new Uint8Array(h.buffer) };
}

export function int64Tensor(name: string, dims: number[], values: number[]): onnx.ITensorProto {
  return { name, dims, dataType: DT.INT64, rawData: new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer) };
}

export function int8Tensor(name: string, dims: number[], values: Int8Array | Uint8Array, unsigned = false): onnx.ITensorProto {
  return { name, dims, dataType: unsigned ? DT.UINT8 : DT.INT8, rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) };
}

export function int32Tensor(name: string, dims: number[], values: Int32Array): onnx.ITensorProto {
  return { name, dims, dataType: DT.INT32, rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) };
}

type Attr = number | number[] | { float: number } | string;

function attribute(name: string, v: Attr): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  return { name, type: T.FLOAT, f: v.float };
}

export function attrOf(n: onnx.INodeProto, name: string): onnx.IAttributeProto | undefined {
  return (n.attribute ?? []).find((a) => a.name === name);
}
export function attrInt(n: onnx.INodeProto, name: string, def: number): number {
  const a = attrOf(n, name);
  return a && a.i !== undefined && a.i !== null ? num(a.i) : def;
}
export function attrFloat(n: onnx.INodeProto, name: string, def: number): number {
  const a = attrOf(n, name);
  return a && a.f !== undefined && a.f !== null ? a.f : def;
}
export function attrInts(n: onnx.INodeProto, name: string): number[] | undefined {
  const a = attrOf(n, name);
  return a && a.ints && a.ints.length ? a.ints.map(num) : undefined;
}
export function attrString(n: onnx.INodeProto, name: string, def: string): string {
  const a = attrOf(n, name);
  return a?.s && a.s.length ? new TextDecoder().decode(a.s) : def;
}

/** A decoded layer model with helpers to rewrite it. */
export class LayerGraph {
  readonly proto: onnx.ModelProto;
  readonly graph: onnx.IGraphProto;
  opset: number;
  private counter = 0;

  constructor(bytes: Uint8Array, readonly tag: string) {
    this.proto = onnx.ModelProto.decode(bytes);
    this.graph = this.proto.graph!;
    this.graph.node = [...(this.graph.node ?? [])];
    this.graph.initializer = [...(this.graph.initializer ?? [])];
    const def = (this.proto.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
    this.opset = def ? num(def.version) : 0;
  }

  get nodes(): onnx.INodeProto[] {
    return this.graph.node!;
  }

  fresh(prefix: string): string {
    return `${this.tag}_${prefix}_${this.counter++}`;
  }

  /** Constant float value of a tensor: an initializer or a Constant node's `value`. */
  constFloats(name: string): ConstTensor | undefined {
    const init = this.graph.initializer!.find((t) => t.name === name);
    if (init) return readFloats(init);
    const c = this.nodes.find((n) => n.opType === 'Constant' && (n.output ?? [])[0] === name);
    const t = c ? attrOf(c, 'value')?.t : undefined;
    return t ? readFloats(t) : undefined;
  }

  isConst(name: string): boolean {
    return this.graph.initializer!.some((t) => t.name === name) || this.nodes.some((n) => n.opType === 'Constant' && (n.output ?? [])[0] === name);
  }

  addInit(t: onnx.ITensorProto): string {
    this.graph.initializer!.push(t);
    return t.name!;
  }

  floats(prefix: string, dims: number[], data: Float32Array): string {
    return this.addInit(floatTensor(this.fresh(prefix), dims, data));
  }

  ints(prefix: string, values: number[], dims: number[] = [values.length]): string {
    return this.addInit(int64Tensor(this.fresh(prefix), dims, values));
  }

  node(opType: string, inputs: string[], outputs: string[] | number = 1, attrs: Record<string, Attr> = {}, domain = ''): onnx.INodeProto {
    const out = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase())) : outputs;
    return { name: this.fresh(opType), opType, domain, input: inputs, output: out, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) };
  }

  /** Imports an operator domain (e.g. com.microsoft for ONNX Runtime's contrib ops) if the model lacks it. */
  useDomain(domain: string, version: number): void {
    const imports = (this.proto.opsetImport ??= []);
    if (!imports.some((o) => (o.domain ?? '') === domain)) imports.push({ domain, version });
  }

  /** Raises the layer's ai.onnx opset import (the caller checks that none of its ops changed meaning). */
  setOpset(version: number): void {
    const def = (this.proto.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
    if (def) def.version = version;
    this.opset = version;
  }

  /** Slice x along one axis [start, end); Slice's attribute form before opset 10. */
  slice(x: string, axis: number, start: number, end: number): onnx.INodeProto {
    if (this.opset < 10) return this.node('Slice', [x], 1, { starts: [start], ends: [end], axes: [axis] });
    return this.node('Slice', [x, this.ints('starts', [start]), this.ints('ends', [end]), this.ints('axes', [axis])]);
  }

  /** Replaces `target` by `replacement` (in order, at its position). */
  replace(target: onnx.INodeProto, replacement: onnx.INodeProto[]): void {
    const i = this.nodes.indexOf(target);
    if (i < 0) throw new Error(`${this.tag}: node ${target.name} is not in the layer`);
    this.nodes.splice(i, 1, ...replacement);
  }

  /** Drops initializers and Constant nodes nothing uses any more, and value_info of removed tensors. */
  prune(): void {
    for (;;) {
      const used = new Set<string>();
      for (const n of this.nodes) for (const x of n.input ?? []) used.add(x);
      for (const o of this.graph.output ?? []) used.add(o.name ?? '');
      const before = this.nodes.length + this.graph.initializer!.length;
      this.graph.initializer = this.graph.initializer!.filter((t) => used.has(t.name ?? ''));
      this.graph.node = this.nodes.filter((n) => n.opType !== 'Constant' || (n.output ?? []).some((o) => used.has(o)));
      if (this.nodes.length + this.graph.initializer.length === before) break;
    }
    const produced = new Set<string>();
    for (const n of this.nodes) for (const o of n.output ?? []) produced.add(o);
    this.graph.valueInfo = (this.graph.valueInfo ?? []).filter((v) => produced.has(v.name ?? ''));
  }

  encode(): Uint8Array {
    this.prune();
    return onnx.ModelProto.encode(onnx.ModelProto.create({ ...this.proto, producerName: 'tessera-variants' })).finish();
  }
}

/** Splits n into g contiguous parts of sizes differing by at most 1: [start, end) pairs. */
export function splitRanges(n: number, g: number): [number, number][] {
  const out: [number, number][] = [];
  let s = 0;
  for (let p = 0; p < g; p++) {
    const len = Math.floor(n / g) + (p < n % g ? 1 : 0);
    out.push([s, s + len]);
    s += len;
  }
  return out;
}

/** Copies a block of a row-major tensor along one axis: indices [start, end) of `axis`. */
export function sliceAxis(t: ConstTensor, axis: number, start: number, end: number): ConstTensor {
  const dims = t.dims;
  const outer = dims.slice(0, axis).reduce((a, d) => a * d, 1);
  const inner = dims.slice(axis + 1).reduce((a, d) => a * d, 1);
  const len = end - start;
  const out = new Float32Array(outer * len * inner);
  for (let o = 0; o < outer; o++) {
    const src = (o * dims[axis] + start) * inner;
    out.set(t.data.subarray(src, src + len * inner), o * len * inner);
  }
  const nd = [...dims];
  nd[axis] = len;
  return { dims: nd, data: out };
}

/** 2-D transpose of a [r, c] row-major matrix. */
export function transpose2(t: ConstTensor): ConstTensor {
  const [r, c] = t.dims;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return { dims: [c, r], data: out };
}
