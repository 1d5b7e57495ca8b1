// Reads and writes folders in the format of Dysta's public simulator (../shared/dysta-parity):
// lut.json, requests_seed{S}_rate{R}.csv, and reference tasks_/decisions_ CSVs (gzipped).
import { existsSync, readdirSync, readFileSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pyFloat, type DystaDecision, type DystaLut, type DystaRequest, type DystaTaskResult } from './core/dysta/reference';

export class ParityFolderError extends Error {}

export interface ParityFolder {
  dir: string;
  lut: DystaLut;
  /** requests[seed][rate] */
  requestFiles: { seed: number; rate: number; file: string }[];
  seeds: number[];
  rates: number[];
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === null) throw new ParityFolderError(what);
  return value;
}

export function loadLut(file: string): DystaLut {
  if (!existsSync(file)) throw new ParityFolderError(`${file} is missing: a parity folder needs lut.json`);
  let raw: any;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ParityFolderError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  const order: string[] = need(raw.model_order, `${file}: missing "model_order"`);
  const models = need(raw.models, `${file}: missing "models"`);
  const lut: DystaLut = { modelOrder: order, models: {} };
  for (const name of order) {
    const m = need(models[name], `${file}: model "${name}" listed in model_order has no entry in "models"`);
    for (const field of ['lat_lut', 'sparsity_lut', 'avg_lat_per_pattern', 'avg_lat_per_model', 'avg_sparsity', 'num_layers']) {
      need(m[field], `${file}: model "${name}" lacks field "${field}"`);
    }
    lut.models[name] = {
      latLut: m.lat_lut,
      sparsityLut: m.sparsity_lut,
      avgLatPerPattern: m.avg_lat_per_pattern,
      avgLatPerModel: m.avg_lat_per_model,
      avgSparsity: m.avg_sparsity,
      numLayers: m.num_layers,
    };
  }
  return lut;
}

function readText(file: string): string {
  const buf = readFileSync(file);
  return (file.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
}

function parseCsv(file: string, expected: string[]): string[][] {
  const lines = readText(file).split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines[0]?.split(',') ?? [];
  if (expected.some((c, i) => header[i] !== c)) {
    throw new ParityFolderError(`${file}: expected columns ${expected.join(',')}, found ${header.join(',') || '(empty file)'}`);
  }
  return lines.slice(1).map((l) => l.split(','));
}

export function loadRequests(file: string): DystaRequest[] {
  const rows = parseCsv(file, ['idx', 'reqst_time', 'target_lat_base', 'model', 'priority', 'sample_id']);
  return rows.map((r, i) => {
    const req = { idx: Number(r[0]), reqstTime: Number(r[1]), targetLatBase: Number(r[2]), model: r[3], priority: Number(r[4]), sampleId: Number(r[5]) };
    for (const [k, v] of Object.entries(req)) {
      if (typeof v === 'number' && !Number.isFinite(v)) throw new ParityFolderError(`${file}: row ${i + 2}: field ${k} is not a number ("${r.join(',')}")`);
    }
    if (!req.model) throw new ParityFolderError(`${file}: row ${i + 2}: empty model`);
    return req;
  });
}

export function loadReferenceTasks(file: string): DystaTaskResult[] {
  return parseCsv(file, ['task_id', 'reqst_time', 'target_time', 'finish_time', 'real_isolated_time', 'violated']).map((r) => ({
    taskId: r[0],
    reqstTime: Number(r[1]),
    targetTime: Number(r[2]),
    finishTime: Number(r[3]),
    realIsolatedTime: Number(r[4]),
    violated: r[5] === '1' || r[5] === 'True',
  }));
}

export function loadReferenceDecisions(file: string): DystaDecision[] {
  return parseCsv(file, ['step', 'sys_time_before', 'task_id', 'layer_idx', 'layer_lat']).map((r) => ({
    step: Number(r[0]),
    sysTimeBefore: Number(r[1]),
    taskId: r[2],
    layerIdx: Number(r[3]),
    layerLat: Number(r[4]),
  }));
}

export function openParityFolder(dir: string): ParityFolder {
  if (!existsSync(dir)) throw new ParityFolderError(`Parity folder ${dir} does not exist`);
  const lut = loadLut(join(dir, 'lut.json'));
  const requestFiles = readdirSync(dir)
    .map((f) => /^requests_seed(\d+)_rate(\d+(?:\.\d+)?)\.csv$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ seed: Number(m[1]), rate: Number(m[2]), file: join(dir, m[0]) }));
  if (requestFiles.length === 0) throw new ParityFolderError(`${dir} has no requests_seed{S}_rate{R}.csv files`);
  const seeds = [...new Set(requestFiles.map((r) => r.seed))].sort((a, b) => a - b);
  const rates = [...new Set(requestFiles.map((r) => r.rate))].sort((a, b) => a - b);
  return { dir, lut, requestFiles, seeds, rates };
}

/** Writes tasks_seed{S}_rate{R}_slo{X}_{scheduler}.csv in the reference's columns and order. */
export function writeTasksCsv(dir: string, name: string, tasks: DystaTaskResult[]): string {
  mkdirSync(dir, { recursive: true });
  const lines = ['task_id,reqst_time,target_time,finish_time,real_isolated_time,violated'];
  for (const t of tasks) lines.push([t.taskId, pyFloat(t.reqstTime), pyFloat(t.targetTime), pyFloat(t.finishTime), pyFloat(t.realIsolatedTime), t.violated ? 1 : 0].join(','));
  const file = join(dir, name);
  writeFileSync(`${file}.tmp`, lines.join('\n') + '\n');
  renameSync(`${file}.tmp`, file);
  return file;
}
