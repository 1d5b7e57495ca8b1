// Model intake: read any ONNX file (or bytes) into a LoadedModel with its opsets, inputs and
// outputs, external data inlined, and clear errors that name the file for everything that is not a
// usable ONNX model.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve, sep } from 'node:path';
import { onnx } from 'onnx-proto';
import { checkFile, FileAccessError, MAX_MODEL_BYTES, readCheckedFile } from '../../base/files';

/** Lowest default-domain opset Tessera accepts. */
export const MIN_OPSET = 9;

/** Domains that are part of ONNX itself (not custom). */
export const STANDARD_DOMAINS = new Set(['', 'ai.onnx', 'ai.onnx.ml', 'ai.onnx.preview.training']);

/** One graph input or output as declared in the model. */
export interface ModelIO {
  name: string;
  /** onnxruntime-node type string ('float32', 'int64', 'bool', ...); 'unknown' if the model does not say. */
  type: string;
  /** ONNX TensorProto element type number (0 when unknown). */
  elemType: number;
  /**
   * Declared dims: a number for a fixed dim, a string for a symbolic dim (dim_param), null for a dim
   * with neither. `null` for the whole field when the rank itself is unknown (no shape in the model).
   */
  dims: (number | string | null)[] | null;
}

export interface LoadedModel {
  /** File name without `.onnx`, or opts.name, or the graph name. */
  name: string;
  /** Absolute path when loaded from a file. */
  path?: string;
  /** The file bytes exactly as read (sha256 is over these). */
  bytes: Uint8Array;
  sha256: string;
  /** Decoded model. Tensors stored as external data are loaded into rawData here (dataLocation DEFAULT). */
  proto: onnx.ModelProto;
  irVersion: number;
  /** Opset per domain; the default domain is ''. */
  opsets: Record<string, number>;
  /** Graph inputs that are not initializers. */
  inputs: ModelIO[];
  outputs: ModelIO[];
  /** Directory external data was resolved against, when the model has external data. */
  externalDataDir?: string;
  /** Number of tensors (initializers, Constant attributes, subgraph initializers) read from external files. */
  externalTensors: number;
  /** Node domains outside ONNX itself (e.g. com.microsoft, custom ops), with the op types used. */
  customDomains: { domain: string; opTypes: string[] }[];
  /** Top-level node count and op histogram (Constant nodes included). */
  nodeCount: number;
  opCounts: Record<string, number>;
  /**
   * A unique name per top-level node (same order as proto.graph.node): the node's own name when it
   * has a unique one, else `${opType}_${index}` (e.g. unnamed Constant nodes). Cut layers list these.
   */
  nodeNames: string[];
  warnings: string[];
}

export interface LoadModelOptions {
  /** Display name (defaults to the file name). */
  name?: string;
  /** Directory to resolve external data against when loading from bytes (defaults to the file's dir). */
  externalDataDir?: string;
}

export type ModelErrorCode = 'not-a-file' | 'unreadable' | 'corrupt' | 'not-onnx' | 'opset' | 'external-data' | 'invalid-graph';

/** Every intake failure: the message names the file and says what is wrong. */
export class ModelLoadError extends Error {
  constructor(readonly code: ModelErrorCode, readonly file: string, message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

const ORT_TYPES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 16: 'bfloat16', 21: 'uint4', 22: 'int4',
};
const ELEM_BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16, 16: 2, 17: 1, 18: 1, 19: 1, 20: 1 };

/** ONNX element type number → onnxruntime-node type string. */
export function ortTypeOf(elemType: number): string {
  return ORT_TYPES[elemType] ?? `onnx-type-${elemType}`;
}

/** onnxruntime-node type string → ONNX element type number (0 if unknown). */
export function elemTypeOf(ortType: string): number {
  for (const [k, v] of Object.entries(ORT_TYPES)) if (v === ortType) return Number(k);
  return 0;
}

/** Bytes per element for an ONNX element type (0.5 for 4-bit types; 0 for strings/unknown). */
export function elemBytes(elemType: number): number {
  if (elemType === 21 || elemType === 22) return 0.5;
  return ELEM_BYTES[elemType] ?? 0;
}

/** Bytes per element for an onnxruntime-node type string. */
export function typeBytes(ortType: string): number {
  return elemBytes(elemTypeOf(ortType));
}

export function num(x: unknown): number {
  if (x === null || x === undefined) return 0;
  if (typeof x === 'number') return x;
  if (typeof x === 'bigint') return Number(x);
  if (typeof x === 'string') return Number(x);
  const l = x as { toNumber?: () => number };
  return typeof l.toNumber === 'function' ? l.toNumber() : Number(x);
}

/** Declared dims of a value info; null when the rank is unknown. */
export function declaredDims(vi: onnx.IValueInfoProto): (number | string | null)[] | null {
  const shape = vi.type?.tensorType?.shape;
  if (!shape) return null;
  return (shape.dim ?? []).map((d) => {
    if (d.dimParam) return String(d.dimParam);
    if (Object.prototype.hasOwnProperty.call(d, 'dimValue') && d.dimValue !== null && d.dimValue !== undefined) return num(d.dimValue);
    return null;
  });
}

function toIO(vi: onnx.IValueInfoProto): ModelIO {
  const elemType = vi.type?.tensorType?.elemType ?? 0;
  return { name: vi.name ?? '', type: elemType ? ortTypeOf(elemType) : 'unknown', elemType, dims: declaredDims(vi) };
}

/** Visits every graph (the main one and all nested subgraphs). */
export function forEachGraph(graph: onnx.IGraphProto, fn: (g: onnx.IGraphProto, depth: number) => void, depth = 0): void {
  fn(graph, depth);
  for (const node of graph.node ?? []) {
    for (const a of node.attribute ?? []) {
      if (a.g) forEachGraph(a.g, fn, depth + 1);
      for (const sg of a.graphs ?? []) forEachGraph(sg, fn, depth + 1);
    }
  }
}

/** Visits every tensor a model stores: initializers and tensor attributes (Constant values), in all graphs. */
function forEachStoredTensor(graph: onnx.IGraphProto, fn: (t: onnx.ITensorProto) => void): void {
  forEachGraph(graph, (g) => {
    for (const t of g.initializer ?? []) fn(t);
    for (const s of g.sparseInitializer ?? []) {
      if (s.values) fn(s.values);
      if (s.indices) fn(s.indices);
    }
    for (const n of g.node ?? []) {
      for (const a of n.attribute ?? []) {
        if (a.t) fn(a.t);
        for (const t of a.tensors ?? []) fn(t);
      }
    }
  });
}

function loadExternal(t: onnx.ITensorProto, dir: string, file: string, cache: Map<string, Buffer>): void {
  const entries: Record<string, string> = {};
  for (const e of t.externalData ?? []) if (e.key) entries[e.key] = e.value ?? '';
  const loc = entries.location;
  if (!loc) throw new ModelLoadError('external-data', file, `${file}: tensor '${t.name}' is stored externally but has no 'location'`);
  if (isAbsolute(loc) || loc.split(/[\\/]/).includes('..')) {
    throw new ModelLoadError('external-data', file, `${file}: tensor '${t.name}' external data location '${loc}' must be a relative path inside the model's directory`);
  }
  const full = resolve(dir, loc);
  if (!full.startsWith(resolve(dir) + sep) && full !== resolve(dir)) {
    throw new ModelLoadError('external-data', file, `${file}: tensor '${t.name}' external data location '${loc}' escapes the model's directory`);
  }
  let buf = cache.get(full);
  if (!buf) {
    if (!existsSync(full)) throw new ModelLoadError('external-data', file, `${file}: tensor '${t.name}' needs external data file '${loc}', not found in ${dir}`);
    buf = readModelFile(full);
    cache.set(full, buf);
  }
  const offset = entries.offset ? Number(entries.offset) : 0;
  const length = entries.length ? Number(entries.length) : buf.length - offset;
  if (!Number.isFinite(offset) || !Number.isFinite(length) || offset < 0 || length < 0 || offset + length > buf.length) {
    throw new ModelLoadError('external-data', file, `${file}: tensor '${t.name}' external data (${loc}, offset ${offset}, length ${length}) lies outside the ${buf.length}-byte file`);
  }
  const count = (t.dims ?? []).reduce((a: number, d) => a * num(d), 1);
  const expected = count * elemBytes(t.dataType ?? 0);
  if (expected > 0 && expected !== length) {
    throw new ModelLoadError('external-data', file, `${file}: tensor '${t.name}' external data length ${length} does not match its shape [${(t.dims ?? []).map(num).join(',')}] (${expected} bytes)`);
  }
  t.rawData = new Uint8Array(buf.buffer, buf.byteOffset + offset, length);
  t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
  t.externalData = [];
}

function decode(bytes: Uint8Array, file: string): onnx.ModelProto {
  let proto: onnx.ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (e) {
    const head = bytes.subarray(0, 64);
    const text = head.length > 0 && head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
    const kind = text ? (head[0] === 0x7b || head[0] === 0x5b ? ' (it looks like a JSON file)' : ' (it looks like a text file)') : '';
    throw new ModelLoadError('corrupt', file, `${file}: not a readable ONNX model${kind}: the protobuf is truncated or corrupt (${(e as Error).message})`);
  }
  if (!proto.graph || ((proto.graph.node ?? []).length === 0 && (proto.graph.output ?? []).length === 0)) {
    throw new ModelLoadError('not-onnx', file, `${file}: not an ONNX model (no graph)`);
  }
  return proto;
}

function uniqueNodeNames(nodes: onnx.INodeProto[]): string[] {
  const counts = new Map<string, number>();
  for (const n of nodes) if (n.name) counts.set(n.name, (counts.get(n.name) ?? 0) + 1);
  const used = new Set<string>();
  return nodes.map((n, i) => {
    let name = n.name && counts.get(n.name) === 1 ? n.name : `${n.opType}_${i}`;
    while (used.has(name)) name = `${name}_`;
    used.add(name);
    return name;
  });
}

/** Checks the top-level graph is well formed: every tensor used is defined; warns when nodes are not in topological order. */
function checkGraph(g: onnx.IGraphProto, file: string): string[] {
  const warnings: string[] = [];
  const given = new Set<string>(['']);
  for (const i of g.input ?? []) given.add(i.name ?? '');
  for (const t of g.initializer ?? []) given.add(t.name ?? '');
  for (const s of g.sparseInitializer ?? []) given.add(s.values?.name ?? '');
  const produced = new Set<string>();
  for (const [i, n] of (g.node ?? []).entries()) {
    if (!n.opType) throw new ModelLoadError('invalid-graph', file, `${file}: node ${i} has no op type (the file is corrupt or truncated)`);
    for (const o of n.output ?? []) if (o) produced.add(o);
  }
  const defined = new Set(given);
  let unsorted: string | undefined;
  for (const [i, n] of (g.node ?? []).entries()) {
    for (const inp of n.input ?? []) {
      if (defined.has(inp)) continue;
      if (!produced.has(inp)) {
        throw new ModelLoadError('invalid-graph', file, `${file}: node '${n.name || `${n.opType}_${i}`}' uses tensor '${inp}' that nothing defines (the file is corrupt or truncated)`);
      }
      unsorted ??= `node ${n.name || `${n.opType}_${i}`} uses '${inp}' before it is produced`;
    }
    for (const o of n.output ?? []) if (o) defined.add(o);
  }
  if (unsorted) warnings.push(`nodes are not in topological order (${unsorted}); Tessera sorts them`);
  for (const o of g.output ?? []) {
    if (!defined.has(o.name ?? '')) throw new ModelLoadError('invalid-graph', file, `${file}: graph output '${o.name}' is produced by no node (the file is corrupt or truncated)`);
  }
  return warnings;
}

function build(bytes: Uint8Array, file: string, path: string | undefined, opts: LoadModelOptions): LoadedModel {
  const proto = decode(bytes, file);
  const graph = proto.graph!;
  const opsets: Record<string, number> = {};
  for (const o of proto.opsetImport ?? []) opsets[o.domain === 'ai.onnx' ? '' : (o.domain ?? '')] = num(o.version);
  if (!('' in opsets)) {
    if ((proto.opsetImport ?? []).length === 0) throw new ModelLoadError('not-onnx', file, `${file}: not an ONNX model (no opset_import)`);
    throw new ModelLoadError('opset', file, `${file}: the model imports no default-domain (ai.onnx) opset`);
  }
  if (opsets[''] < MIN_OPSET) {
    throw new ModelLoadError('opset', file, `${file}: opset ${opsets['']} is older than ${MIN_OPSET}, the lowest Tessera supports; convert it first (e.g. onnx.version_converter.convert_version(model, ${MIN_OPSET}))`);
  }
  const warnings = checkGraph(graph, file);

  // External data: tensors whose bytes live in files next to the model.
  let externalTensors = 0;
  const extDir = opts.externalDataDir ?? (path ? dirname(path) : undefined);
  const cache = new Map<string, Buffer>();
  forEachStoredTensor(graph, (t) => {
    if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) return;
    if (!extDir) throw new ModelLoadError('external-data', file, `${file}: tensor '${t.name}' is stored as external data; load the model from its file path or pass externalDataDir`);
    loadExternal(t, extDir, file, cache);
    externalTensors++;
  });

  const initNames = new Set((graph.initializer ?? []).map((t) => t.name));
  const opCounts: Record<string, number> = {};
  for (const n of graph.node ?? []) {
    const key = n.domain && !STANDARD_DOMAINS.has(n.domain) ? `${n.domain}:${n.opType}` : (n.opType ?? '');
    opCounts[key] = (opCounts[key] ?? 0) + 1;
  }
  const custom = new Map<string, Set<string>>();
  forEachGraph(graph, (g) => {
    for (const n of g.node ?? []) {
      if (n.domain && !STANDARD_DOMAINS.has(n.domain)) {
        if (!custom.has(n.domain)) custom.set(n.domain, new Set());
        custom.get(n.domain)!.add(n.opType ?? '');
      }
    }
  });
  for (const d of custom.keys()) if (!(d in opsets)) warnings.push(`nodes use domain '${d}' but the model imports no opset for it`);

  const name = opts.name ?? (path ? basename(path).replace(/\.onnx$/i, '') : graph.name || 'model');
  return {
    name,
    path,
    bytes,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    proto,
    irVersion: num(proto.irVersion),
    opsets,
    inputs: (graph.input ?? []).filter((i) => !initNames.has(i.name)).map(toIO),
    outputs: (graph.output ?? []).map(toIO),
    externalDataDir: externalTensors > 0 ? extDir : undefined,
    externalTensors,
    customDomains: [...custom].map(([domain, ops]) => ({ domain, opTypes: [...ops].sort() })),
    nodeCount: (graph.node ?? []).length,
    opCounts,
    nodeNames: uniqueNodeNames(graph.node ?? []),
    warnings,
  };
}

/** Checks a model path (base/files.ts): a regular, non-empty file under the model cap. */
function readChecked(path: string): { abs: string } {
  let checked;
  try {
    checked = checkFile(path, { what: 'model', maxBytes: MAX_MODEL_BYTES });
  } catch (e) {
    if (e instanceof FileAccessError) throw new ModelLoadError(e.code === 'not-found' || e.code === 'not-a-file' ? 'not-a-file' : 'unreadable', path, e.message);
    throw e;
  }
  if (checked.size === 0) throw new ModelLoadError('not-onnx', path, `${path}: not an ONNX model (the file is empty)`);
  return { abs: checked.abs };
}

/** Reads a checked model (or external data) file. */
function readModelFile(path: string): Buffer {
  try {
    return readCheckedFile(path, { what: 'model', maxBytes: MAX_MODEL_BYTES });
  } catch (e) {
    if (e instanceof FileAccessError) throw new ModelLoadError(e.code === 'not-found' || e.code === 'not-a-file' ? 'not-a-file' : 'unreadable', path, e.message);
    throw e;
  }
}

/** Loads an ONNX model from a path or from bytes (synchronous). */
export function loadModelSync(pathOrBytes: string | Uint8Array, opts: LoadModelOptions = {}): LoadedModel {
  if (typeof pathOrBytes !== 'string') return build(pathOrBytes, opts.name ?? '<bytes>', undefined, opts);
  const { abs } = readChecked(pathOrBytes);
  return build(readModelFile(pathOrBytes), pathOrBytes, abs, opts);
}

/** Loads an ONNX model from a path or from bytes. Errors are ModelLoadError and name the file. */
export async function loadModel(pathOrBytes: string | Uint8Array, opts: LoadModelOptions = {}): Promise<LoadedModel> {
  if (typeof pathOrBytes !== 'string') return build(pathOrBytes, opts.name ?? '<bytes>', undefined, opts);
  const { abs } = readChecked(pathOrBytes);
  return build(readModelFile(pathOrBytes), pathOrBytes, abs, opts);
}

/**
 * Bytes ONNX Runtime can load without the file system: the original bytes when nothing was external,
 * else the model re-encoded with its external data inlined (limited to 2 GiB by protobuf).
 * With `canonicalNames`, every top-level node gets its `nodeNames` name (so ORT's profiler events
 * carry the same node names as the cut layers).
 */
export function sessionBytes(model: LoadedModel, opts: { canonicalNames?: boolean } = {}): Uint8Array {
  assertInlineSize(model);
  const rename = opts.canonicalNames && (model.proto.graph?.node ?? []).some((n, i) => n.name !== model.nodeNames[i]);
  if (model.externalTensors === 0 && !rename) return model.bytes;
  const copy = onnx.ModelProto.create({ ...model.proto, graph: onnx.GraphProto.create({ ...model.proto.graph }) });
  if (rename) copy.graph!.node = (model.proto.graph?.node ?? []).map((n, i) => onnx.NodeProto.create({ ...n, name: model.nodeNames[i] }));
  return onnx.ModelProto.encode(copy).finish();
}

/** Protobuf cannot encode a message over 2 GiB. */
const MAX_PROTO_BYTES = 2 ** 31 - 1;

/**
 * Throws a clear error when the model with its external data inlined would exceed protobuf's 2 GiB
 * limit (Tessera runs models from memory; such models would need ORT's path-based external data).
 */
export function assertInlineSize(model: LoadedModel): void {
  if (model.externalTensors === 0) return;
  let total = model.bytes.length;
  forEachGraph(model.proto.graph!, (g) => {
    for (const t of g.initializer ?? []) total += t.rawData?.length ?? 0;
    for (const n of g.node ?? []) for (const a of n.attribute ?? []) total += a.t?.rawData?.length ?? 0;
  });
  if (total > MAX_PROTO_BYTES) {
    throw new Error(`${model.path ?? model.name}: with its external data inlined the model is ${(total / 2 ** 30).toFixed(2)} GiB, over protobuf's 2 GiB limit; models this large are not supported yet`);
  }
}
