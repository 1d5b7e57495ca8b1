// Concrete input shapes and sample input data for a loaded model.
import * as ort from 'onnxruntime-node';
import { elemBytes, type LoadedModel, type ModelIO } from './model';
import { seededRandom } from './random';

export { seededRandom };

/** A shape or input-value problem; the message names the model, the input and the dimension. */
export class ShapeError extends Error {
  constructor(readonly input: string, message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}

const fmt = (dims: readonly (number | string | null)[] | null): string =>
  dims === null ? '(unknown rank)' : `[${dims.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;

function example(io: ModelIO, partial?: number[]): string {
  const dims = io.dims ?? partial ?? [1];
  const concrete = dims.map((d) => (typeof d === 'number' && d >= 0 ? d : 1));
  return `--shape ${io.name}=${concrete.length ? concrete.join('x') : 'scalar'}`;
}

/**
 * Parses CLI shape arguments: "x=1x3x224x224", "sr=scalar" (or "sr=" ) for a scalar; several may be
 * separated by commas or given as an array.
 */
export function parseShapeArgs(args: string | string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  const parts = (Array.isArray(args) ? args : [args]).flatMap((a) => a.split(/,(?=[^,=]+=)/));
  for (const part of parts) {
    const eq = part.lastIndexOf('=');
    if (eq <= 0) throw new ShapeError(part, `bad --shape '${part}': expected NAME=DxDxD, e.g. --shape input=1x3x224x224`);
    const name = part.slice(0, eq).trim();
    const spec = part.slice(eq + 1).trim();
    if (spec === '' || spec === 'scalar' || spec === '[]') {
      out[name] = [];
      continue;
    }
    const dims = spec.split(/[x×*,]/).map((s) => Number(s.trim()));
    if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw new ShapeError(name, `bad --shape '${part}': dimensions must be non-negative integers, e.g. --shape ${name}=1x3x224x224`);
    out[name] = dims;
  }
  return out;
}

/**
 * Parses CLI input-value arguments, one per argument: "sr=16000" (fills the input with 16000) or
 * "ids=1,2,3" (every element, in order). Booleans may be written true/false.
 */
export function parseValueArgs(args: string | string[]): Record<string, number | number[]> {
  const out: Record<string, number | number[]> = {};
  for (const part of Array.isArray(args) ? args : [args]) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim();
    const spec = part.slice(eq + 1).trim();
    const values = spec.split(',').map((v) => (v.trim() === 'true' ? 1 : v.trim() === 'false' ? 0 : Number(v.trim())));
    if (eq <= 0 || spec === '' || values.some((v) => !Number.isFinite(v))) {
      throw new ShapeError(name || part, `bad input value '${part}': expected NAME=NUMBER or NAME=N1,N2,..., e.g. sr=16000`);
    }
    out[name] = values.length === 1 ? values[0] : values;
  }
  return out;
}

/**
 * Concrete shapes for every model input. Fixed dims are taken from the model; every dynamic dim
 * (symbolic or unnamed) must be given. Errors (ShapeError) name the input, the dimension (index and
 * symbolic name) and how to pass it; a given shape with the wrong rank or conflicting with a fixed dim
 * names both. Scalars ([]) are fine. Given names that are not model inputs are errors too.
 */
export function resolveInputShapes(model: LoadedModel, given: Record<string, number[]> = {}): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  const names = new Set(model.inputs.map((i) => i.name));
  for (const key of Object.keys(given)) {
    if (!names.has(key)) {
      throw new ShapeError(key, `${model.name}: --shape names '${key}', which is not an input of the model (inputs: ${model.inputs.map((i) => i.name).join(', ')})`);
    }
  }
  for (const io of model.inputs) {
    const g = given[io.name];
    if (g !== undefined) {
      if (!Array.isArray(g) || g.some((d) => !Number.isInteger(d) || d < 0)) {
        throw new ShapeError(io.name, `${model.name}: shape given for input '${io.name}' must be non-negative integers, got ${JSON.stringify(g)}`);
      }
      if (io.dims !== null) {
        if (g.length !== io.dims.length) {
          throw new ShapeError(io.name, `${model.name}: input '${io.name}' has rank ${io.dims.length} ${fmt(io.dims)} but the given shape ${fmt(g)} has rank ${g.length}`);
        }
        io.dims.forEach((d, k) => {
          if (typeof d === 'number' && d >= 0 && d !== g[k]) {
            throw new ShapeError(io.name, `${model.name}: input '${io.name}' dimension ${k} is fixed to ${d} in the model ${fmt(io.dims)}, but the given shape ${fmt(g)} has ${g[k]} there`);
          }
        });
      }
      out[io.name] = checkSize(model.name, io, [...g], 'the given shape');
      continue;
    }
    if (io.dims === null) {
      throw new ShapeError(io.name, `${model.name}: input '${io.name}' has no declared shape (unknown rank); pass it, e.g. ${example(io)}`);
    }
    const missing = io.dims.map((d, k) => ({ d, k })).filter(({ d }) => typeof d !== 'number');
    if (missing.length > 0) {
      const which = missing.map(({ d, k }) => `dimension ${k}${d === null ? ' (unnamed)' : ` ('${d}')`}`).join(', ');
      throw new ShapeError(io.name, `${model.name}: input '${io.name}' ${fmt(io.dims)} has dynamic ${which}; give a concrete shape, e.g. ${example(io)}`);
    }
    const negative = io.dims.findIndex((d) => typeof d === 'number' && d < 0);
    if (negative >= 0) {
      throw new ShapeError(
        io.name,
        `${model.name}: input '${io.name}' ${fmt(io.dims)} declares dimension ${negative} as ${io.dims[negative]}, which is not a size (ONNX dims are 0 or more; a dynamic dim is written as a name, dim_param); give a concrete shape, e.g. ${example(io)}`,
      );
    }
    out[io.name] = checkSize(model.name, io, io.dims as number[], 'its declared shape');
  }
  return out;
}

/** Largest sample tensor Tessera makes for one input: typed arrays and ORT both fail past this with unhelpful errors. */
export const MAX_INPUT_BYTES = 2 * 1024 ** 3;

/** An input whose shape needs more memory than one tensor may hold: say which input, which dim and how much. */
function checkSize(modelName: string, io: ModelIO, dims: number[], source: string): number[] {
  const elements = dims.reduce((a, b) => a * b, 1);
  const bytes = elements * Math.max(1, elemBytes(io.elemType));
  if (bytes <= MAX_INPUT_BYTES) return dims;
  const largest = dims.reduce((best, d, k) => (d > dims[best] ? k : best), 0);
  throw new ShapeError(
    io.name,
    `${modelName}: input '${io.name}' with ${source} ${fmt(dims)} has ${elements.toExponential(2)} elements of ${io.type} and would need ${gib(bytes)} of memory, over the ${gib(MAX_INPUT_BYTES)} limit for one input (its largest dimension is ${largest}, = ${dims[largest]}); give a smaller shape, e.g. ${example(io).replace(/=.*/, '=')}${dims.map((d, k) => (k === largest ? 1 : d)).join('x')}`,
  );
}

function gib(bytes: number): string {
  return bytes >= 1024 ** 4 ? `${(bytes / 1024 ** 4).toFixed(1)} TiB` : `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

/** A value for one input: one number fills the tensor; an array or typed array gives every element. */
export type InputValue = number | bigint | boolean | string | readonly (number | bigint | boolean | string)[] | ArrayBufferView;

export interface SampleInputOptions {
  /** Seed for the pseudo-random float data (default 1). */
  seed?: number;
  /** Explicit values per input name; these win over the defaults below. */
  inputValues?: Record<string, InputValue>;
  /** Range of the uniform random float data (default [-1, 1)). */
  floatRange?: [number, number];
}


/** float32 → IEEE half bits (round to nearest even). */
export function toHalf(v: number): number {
  const f32 = new Float32Array([v]);
  const x = new Uint32Array(f32.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  if (exp >= 0x1f) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = sign | (exp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return half;
}

const count = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

function fromValue(io: ModelIO, dims: number[], value: InputValue, modelName: string): ort.Tensor {
  const n = count(dims);
  const type = io.type as ort.Tensor.Type;
  const list: unknown[] = ArrayBuffer.isView(value) ? Array.from(value as unknown as ArrayLike<unknown>) : Array.isArray(value) ? [...value] : Array.from({ length: n }, () => value);
  if (list.length !== n) {
    throw new ShapeError(io.name, `${modelName}: inputValues for '${io.name}' has ${list.length} elements but shape ${fmt(dims)} needs ${n}`);
  }
  return makeTensor(type, dims, list, io.name, modelName);
}

function makeTensor(type: ort.Tensor.Type, dims: number[], list: unknown[], name: string, modelName: string): ort.Tensor {
  const numbers = () => list.map((v) => Number(v));
  switch (type) {
    case 'float32': return new ort.Tensor(type, Float32Array.from(numbers()), dims);
    case 'float64': return new ort.Tensor(type, Float64Array.from(numbers()), dims);
    case 'float16': return new ort.Tensor(type, Uint16Array.from(numbers().map(toHalf)), dims);
    case 'int8': return new ort.Tensor(type, Int8Array.from(numbers()), dims);
    case 'uint8': return new ort.Tensor(type, Uint8Array.from(numbers()), dims);
    case 'int16': return new ort.Tensor(type, Int16Array.from(numbers()), dims);
    case 'uint16': return new ort.Tensor(type, Uint16Array.from(numbers()), dims);
    case 'int32': return new ort.Tensor(type, Int32Array.from(numbers()), dims);
    case 'uint32': return new ort.Tensor(type, Uint32Array.from(numbers()), dims);
    case 'int64': return new ort.Tensor(type, BigInt64Array.from(list.map((v) => BigInt(typeof v === 'bigint' ? v : Math.trunc(Number(v))))), dims);
    case 'uint64': return new ort.Tensor(type, BigUint64Array.from(list.map((v) => BigInt(typeof v === 'bigint' ? v : Math.trunc(Number(v))))), dims);
    case 'bool': return new ort.Tensor(type, Uint8Array.from(list.map((v) => (v ? 1 : 0))), dims);
    case 'string': return new ort.Tensor(type, list.map((v) => String(v)), dims);
    default:
      throw new ShapeError(name, `${modelName}: input '${name}' has element type ${type}, for which Tessera cannot make sample data; pass inputValues`);
  }
}

/**
 * Sample input tensors for the given concrete shapes. Defaults, when `inputValues` does not name the input:
 * - float32/float64/float16: uniform pseudo-random in floatRange (default [-1, 1)), seeded (default seed 1),
 *   each input drawing from its own stream (seed + input index);
 * - integer types: 0 everywhere (a valid index, length or flag for most models; models that need a
 *   specific value, e.g. Silero VAD's sample rate `sr`, must get it through inputValues);
 * - bool: false; string: ''.
 * `warnings` lists every non-float input that got a default, so callers can tell the user.
 */
export function sampleInputs(model: LoadedModel, shapes: Record<string, number[]>, opts: SampleInputOptions = {}): { feeds: Record<string, ort.Tensor>; warnings: string[] } {
  const feeds: Record<string, ort.Tensor> = {};
  const warnings: string[] = [];
  const [lo, hi] = opts.floatRange ?? [-1, 1];
  for (const key of Object.keys(opts.inputValues ?? {})) {
    if (!model.inputs.some((i) => i.name === key)) throw new ShapeError(key, `${model.name}: inputValues names '${key}', which is not an input of the model`);
  }
  model.inputs.forEach((io, idx) => {
    const dims = shapes[io.name];
    if (!dims) throw new ShapeError(io.name, `${model.name}: no shape for input '${io.name}'`);
    const given = opts.inputValues?.[io.name];
    if (given !== undefined) {
      feeds[io.name] = fromValue(io, dims, given, model.name);
      return;
    }
    const n = count(dims);
    if (io.type === 'float32' || io.type === 'float64' || io.type === 'float16') {
      const rnd = seededRandom((opts.seed ?? 1) * 7919 + idx);
      feeds[io.name] = makeTensor(io.type, dims, Array.from({ length: n }, () => lo + (hi - lo) * rnd()), io.name, model.name);
      return;
    }
    const fill = io.type === 'bool' ? false : io.type === 'string' ? '' : 0;
    feeds[io.name] = makeTensor(io.type as ort.Tensor.Type, dims, Array.from({ length: n }, () => fill), io.name, model.name);
    warnings.push(`input '${io.name}' (${io.type}${dims.length ? ` ${fmt(dims)}` : ', scalar'}) was filled with ${JSON.stringify(fill)}; pass inputValues (e.g. { ${io.name}: ... }) if the model needs a specific value`);
  });
  return { feeds, warnings };
}
