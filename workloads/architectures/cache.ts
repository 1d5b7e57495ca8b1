// On-disk cache of generated architectures: <cacheDir>/<key>.onnx plus <key>.json (info, input
// shapes, compute layers), each written atomically (temporary file + rename), reused when present.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATOR_VERSION, buildArchitecture, resolveOptions } from './build';
import type { ArchitectureInfo, ArchitectureName, ArchitectureOptions, ComputeLayer } from './types';

export interface CachedArchitecture {
  /** The ONNX file. */
  path: string;
  key: string;
  inputShapes: Record<string, number[]>;
  inputTypes: Record<string, 'float32' | 'int64'>;
  info: ArchitectureInfo;
  computeLayers: ComputeLayer[];
  /** True when reused from the cache, false when generated now. */
  cached: boolean;
}

interface Sidecar {
  generatorVersion: number;
  key: string;
  bytes: number;
  inputShapes: Record<string, number[]>;
  inputTypes: Record<string, 'float32' | 'int64'>;
  info: ArchitectureInfo;
  computeLayers: ComputeLayer[];
}

/** A content key for name + resolved options + generator version (first 24 hex digits of SHA-256). */
export function architectureKey(name: ArchitectureName, options: ArchitectureOptions = {}): string {
  const resolved = resolveOptions(name, options);
  const text = JSON.stringify({ v: GENERATOR_VERSION, name, options: resolved });
  return `${name}-${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
}

function writeAtomic(file: string, data: Uint8Array | string): void {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

function readSidecar(file: string, key: string, onnxFile: string): Sidecar | undefined {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as Sidecar;
    if (s.generatorVersion !== GENERATOR_VERSION || s.key !== key) return undefined;
    if (!existsSync(onnxFile)) return undefined;
    if (statSync(onnxFile).size !== s.bytes) return undefined;
    return s;
  } catch {
    return undefined;
  }
}

/**
 * Returns the architecture's ONNX file in `cacheDir`, generating it on first use. Safe against
 * concurrent writers (each writes its own temporary file; rename is atomic; the contents are identical).
 */
export function cachedArchitecture(name: ArchitectureName, options: ArchitectureOptions, cacheDir: string): CachedArchitecture {
  const key = architectureKey(name, options);
  const onnxFile = join(cacheDir, `${key}.onnx`);
  const jsonFile = join(cacheDir, `${key}.json`);
  const hit = existsSync(jsonFile) ? readSidecar(jsonFile, key, onnxFile) : undefined;
  if (hit) return { path: onnxFile, key, inputShapes: hit.inputShapes, inputTypes: hit.inputTypes, info: hit.info, computeLayers: hit.computeLayers, cached: true };
  mkdirSync(cacheDir, { recursive: true });
  const built = buildArchitecture(name, options);
  writeAtomic(onnxFile, built.bytes);
  const sidecar: Sidecar = { generatorVersion: GENERATOR_VERSION, key, bytes: built.bytes.byteLength, inputShapes: built.inputShapes, inputTypes: built.inputTypes, info: built.info, computeLayers: built.computeLayers };
  writeAtomic(jsonFile, JSON.stringify(sidecar));
  return { path: onnxFile, key, inputShapes: built.inputShapes, inputTypes: built.inputTypes, info: built.info, computeLayers: built.computeLayers, cached: false };
}
