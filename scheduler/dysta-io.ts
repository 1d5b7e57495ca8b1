// Reads and writes folders in the format of Dysta's public simulator (../shared/dysta-parity):
// lut.json, requests_seed{S}_rate{R}.csv, and the reference tasks_/decisions_ CSVs (gzipped), the
// per-seed results and the summary. Every error names the file, and the row or field, at fault.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pyFloat, type DystaDecision, type DystaLut, type DystaModelLut, type DystaRequest, type DystaTaskResult } from './core/dysta';

export class ParityFolderError extends Error {
  override name = 'ParityFolderError';
}

/** The reference writes its CSVs with CRLF line ends (pandas' default on its machine). */
const EOL = '\r\n';
export const TASKS_COLUMNS = ['task_id', 'reqst_time', 'target_time', 'finish_time', 'real_isolated_time', 'violated'];
export const DECISIONS_COLUMNS = ['step', 'sys_time_before', 'task_id', 'layer_idx', 'layer_lat'];
export const REQUESTS_COLUMNS = ['idx', 'reqst_time', 'target_lat_base', 'model', 'priority', 'sample_id'];

export interface RequestFileEntry {
  seed: number;
  rate: number;
  file: string;
}

export interface ReferenceFileEntry {
  seed: number;
  rate: number;
  slo: number;
  scheduler: string;
  file: string;
}

export interface ParityFolder {
  dir: string;
  lut: DystaLut;
  requestFiles: RequestFileEntry[];
  seeds: number[];
  rates: number[];
  /** Reference outputs, where the folder has them (only cnn_rates3-4 in ../shared). */
  referenceTasks: ReferenceFileEntry[];
  referenceDecisions: ReferenceFileEntry[];
  resultsPerSeedFile?: string;
  summaryFile?: string;
}

// ---------- lut.json ----------

function numberArray(value: unknown, where: string, length?: number): number[] {
  if (!Array.isArray(value)) throw new ParityFolderError(`${where} must be an array of numbers`);
  for (let i = 0; i < value.length; i++) {
    if (typeof value[i] !== 'number' || !Number.isFinite(value[i])) throw new ParityFolderError(`${where}[${i}] is not a finite number (${JSON.stringify(value[i])})`);
  }
  if (length !== undefined && value.length !== length) throw new ParityFolderError(`${where} has ${value.length} entries, num_layers is ${length}`);
  return value as number[];
}

function perSampleTable(value: unknown, where: string, layers: number): Record<string, number[]> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ParityFolderError(`${where} must be an object keyed by sample id`);
  const table = value as Record<string, unknown>;
  if (Object.keys(table).length === 0) throw new ParityFolderError(`${where} has no samples`);
  for (const [sample, row] of Object.entries(table)) numberArray(row, `${where}["${sample}"]`, layers);
  return table as Record<string, number[]>;
}

export function parseLut(text: string, file = 'lut.json'): DystaLut {
  let raw: any;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ParityFolderError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null) throw new ParityFolderError(`${file}: expected an object with "model_order" and "models"`);
  const order = raw.model_order;
  if (!Array.isArray(order) || order.length === 0 || order.some((m: unknown) => typeof m !== 'string')) throw new ParityFolderError(`${file}: "model_order" must be a non-empty array of model names`);
  if (typeof raw.models !== 'object' || raw.models === null) throw new ParityFolderError(`${file}: missing "models"`);
  const lut: DystaLut = { modelOrder: order, models: {} };
  for (const name of order as string[]) {
    const m = raw.models[name];
    const where = `${file}: models["${name}"]`;
    if (typeof m !== 'object' || m === null) throw new ParityFolderError(`${where}: listed in model_order but has no entry in "models"`);
    for (const field of ['num_layers', 'lat_lut', 'sparsity_lut', 'avg_lat_per_pattern', 'avg_lat_per_model', 'avg_sparsity']) {
      if (m[field] === undefined || m[field] === null) throw new ParityFolderError(`${where} lacks field "${field}"`);
    }
    const layers = m.num_layers;
    if (!Number.isInteger(layers) || layers < 1) throw new ParityFolderError(`${where}.num_layers must be a positive integer (${JSON.stringify(layers)})`);
    const model: DystaModelLut = {
      numLayers: layers,
      latLut: perSampleTable(m.lat_lut, `${where}.lat_lut`, layers),
      sparsityLut: perSampleTable(m.sparsity_lut, `${where}.sparsity_lut`, layers),
      avgLatPerPattern: numberArray(m.avg_lat_per_pattern, `${where}.avg_lat_per_pattern`, layers),
      avgLatPerModel: numberArray(m.avg_lat_per_model, `${where}.avg_lat_per_model`, layers),
      avgSparsity: numberArray(m.avg_sparsity, `${where}.avg_sparsity`, layers),
    };
    for (const sample of Object.keys(model.latLut)) {
      if (!model.sparsityLut[sample]) throw new ParityFolderError(`${where}.sparsity_lut lacks sample "${sample}" that lat_lut has`);
    }
    lut.models[name] = model;
  }
  return lut;
}

export function loadLut(file: string): DystaLut {
  if (!existsSync(file)) throw new ParityFolderError(`${file} is missing: a parity folder needs lut.json`);
  return parseLut(readFileSync(file, 'utf8'), file);
}

// ---------- CSV ----------

function readText(file: string): string {
  if (!existsSync(file)) throw new ParityFolderError(`${file} is missing`);
  const buf = readFileSync(file);
  if (!file.endsWith('.gz')) return buf.toString('utf8');
  try {
    return gunzipSync(buf).toString('utf8');
  } catch (e) {
    throw new ParityFolderError(`${file} is not a valid gzip file: ${(e as Error).message}`);
  }
}

/** Rows of a simple CSV (the reference writes no quoted cells) after checking its header. */
function parseCsv(file: string, expected: string[]): string[][] {
  const lines = readText(file).split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const header = lines[0]?.split(',') ?? [];
  if (header.length !== expected.length || expected.some((c, i) => header[i] !== c)) {
    throw new ParityFolderError(`${file}: expected columns ${expected.join(',')}, found ${header.join(',') || '(empty file)'}`);
  }
  return lines.slice(1).map((l, i) => {
    const cells = l.split(',');
    if (cells.length !== expected.length) throw new ParityFolderError(`${file}: row ${i + 2} has ${cells.length} cells, expected ${expected.length} ("${l}")`);
    return cells;
  });
}

function num(file: string, row: number, column: string, cell: string, integer = false): number {
  const v = cell.trim() === '' ? NaN : Number(cell);
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) throw new ParityFolderError(`${file}: row ${row}: field ${column} is not ${integer ? 'an integer' : 'a number'} ("${cell}")`);
  return v;
}

/** A request trace; with a LUT, each row's model and sample are checked against it. */
export function loadRequests(file: string, lut?: DystaLut): DystaRequest[] {
  const rows = parseCsv(file, REQUESTS_COLUMNS);
  if (rows.length === 0) throw new ParityFolderError(`${file} has no requests`);
  return rows.map((r, i) => {
    const row = i + 2;
    const req: DystaRequest = {
      idx: num(file, row, 'idx', r[0], true),
      reqstTime: num(file, row, 'reqst_time', r[1]),
      targetLatBase: num(file, row, 'target_lat_base', r[2]),
      model: r[3],
      priority: num(file, row, 'priority', r[4]),
      sampleId: num(file, row, 'sample_id', r[5], true),
    };
    if (!req.model) throw new ParityFolderError(`${file}: row ${row}: field model is empty`);
    if (lut) {
      const m = lut.models[req.model];
      if (!m) throw new ParityFolderError(`${file}: row ${row}: field model: "${req.model}" is not in lut.json (known: ${lut.modelOrder.join(', ')})`);
      if (!m.latLut[String(req.sampleId)]) throw new ParityFolderError(`${file}: row ${row}: field sample_id: sample ${req.sampleId} of "${req.model}" is not in lut.json's lat_lut`);
    }
    return req;
  });
}

export function loadReferenceTasks(file: string): DystaTaskResult[] {
  return parseCsv(file, TASKS_COLUMNS).map((r, i) => {
    const row = i + 2;
    if (r[5] !== '0' && r[5] !== '1') throw new ParityFolderError(`${file}: row ${row}: field violated is not 0 or 1 ("${r[5]}")`);
    return {
      taskId: r[0],
      reqstTime: num(file, row, 'reqst_time', r[1]),
      targetTime: num(file, row, 'target_time', r[2]),
      finishTime: num(file, row, 'finish_time', r[3]),
      realIsolatedTime: num(file, row, 'real_isolated_time', r[4]),
      violated: r[5] === '1',
    };
  });
}

export function loadReferenceDecisions(file: string): DystaDecision[] {
  return parseCsv(file, DECISIONS_COLUMNS).map((r, i) => {
    const row = i + 2;
    return {
      step: num(file, row, 'step', r[0], true),
      sysTimeBefore: num(file, row, 'sys_time_before', r[1]),
      taskId: r[2],
      layerIdx: num(file, row, 'layer_idx', r[3], true),
      layerLat: num(file, row, 'layer_lat', r[4]),
    };
  });
}

export interface ReferenceMetricsRow {
  seed?: number;
  rate: number;
  slo: number;
  scheduler: string;
  violationRate: number;
  stp: number;
  antt: number;
  nSeeds?: number;
}

/** results_per_seed.json: [{seed, rate, slo_mult, scheduler, vio_rate, stp, antt}]. */
export function loadReferenceResultsPerSeed(file: string): ReferenceMetricsRow[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readText(file));
  } catch (e) {
    if (e instanceof ParityFolderError) throw e;
    throw new ParityFolderError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(raw)) throw new ParityFolderError(`${file}: expected an array of results`);
  return raw.map((r: any, i) => {
    for (const k of ['seed', 'rate', 'slo_mult', 'vio_rate', 'stp', 'antt']) {
      if (typeof r?.[k] !== 'number') throw new ParityFolderError(`${file}: entry ${i}: field ${k} is not a number`);
    }
    if (typeof r.scheduler !== 'string') throw new ParityFolderError(`${file}: entry ${i}: field scheduler is not a string`);
    return { seed: r.seed, rate: r.rate, slo: r.slo_mult, scheduler: r.scheduler, violationRate: r.vio_rate, stp: r.stp, antt: r.antt };
  });
}

/** summary_mean_over_seeds.csv: rate, slo_mult, scheduler, vio_rate, stp, antt, n_seeds. */
export function loadReferenceSummary(file: string): ReferenceMetricsRow[] {
  return parseCsv(file, ['rate', 'slo_mult', 'scheduler', 'vio_rate', 'stp', 'antt', 'n_seeds']).map((r, i) => {
    const row = i + 2;
    return {
      rate: num(file, row, 'rate', r[0]),
      slo: num(file, row, 'slo_mult', r[1]),
      scheduler: r[2],
      violationRate: num(file, row, 'vio_rate', r[3]),
      stp: num(file, row, 'stp', r[4]),
      antt: num(file, row, 'antt', r[5]),
      nSeeds: num(file, row, 'n_seeds', r[6], true),
    };
  });
}

// ---------- the folder ----------

const NUM = '(\\d+(?:\\.\\d+)?)';
const REQUESTS_RE = new RegExp(`^requests_seed(\\d+)_rate${NUM}\\.csv$`);
const REFERENCE_RE = new RegExp(`^(tasks|decisions)_seed(\\d+)_rate${NUM}_slo${NUM}_([a-z0-9_]+)\\.csv(?:\\.gz)?$`);

export function openParityFolder(dir: string): ParityFolder {
  if (!existsSync(dir)) throw new ParityFolderError(`Parity folder ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new ParityFolderError(`${dir} is not a folder`);
  const names = readdirSync(dir).sort();
  const requestFiles: RequestFileEntry[] = [];
  const referenceTasks: ReferenceFileEntry[] = [];
  const referenceDecisions: ReferenceFileEntry[] = [];
  for (const name of names) {
    const req = REQUESTS_RE.exec(name);
    if (req) requestFiles.push({ seed: Number(req[1]), rate: Number(req[2]), file: join(dir, name) });
    const ref = REFERENCE_RE.exec(name);
    if (ref) {
      const entry = { seed: Number(ref[2]), rate: Number(ref[3]), slo: Number(ref[4]), scheduler: ref[5], file: join(dir, name) };
      (ref[1] === 'tasks' ? referenceTasks : referenceDecisions).push(entry);
    }
  }
  const lut = loadLut(join(dir, 'lut.json'));
  if (requestFiles.length === 0) throw new ParityFolderError(`${dir} has no requests_seed{S}_rate{R}.csv files`);
  const seeds = [...new Set(requestFiles.map((r) => r.seed))].sort((a, b) => a - b);
  const rates = [...new Set(requestFiles.map((r) => r.rate))].sort((a, b) => a - b);
  const optional = (name: string) => (names.includes(name) ? join(dir, name) : undefined);
  return { dir, lut, requestFiles, seeds, rates, referenceTasks, referenceDecisions, resultsPerSeedFile: optional('results_per_seed.json'), summaryFile: optional('summary_mean_over_seeds.csv') };
}

export function requestFileFor(folder: ParityFolder, seed: number, rate: number): string {
  const entry = folder.requestFiles.find((r) => r.seed === seed && r.rate === rate);
  if (!entry) throw new ParityFolderError(`${folder.dir} has no requests_seed${seed}_rate${rate}.csv (seeds there: ${folder.seeds.join(', ')}; rates: ${folder.rates.join(', ')})`);
  return entry.file;
}

// ---------- writing ----------

/** The reference's file name for one run's tasks. */
export function tasksFileName(seed: number, rate: number, slo: number, scheduler: string): string {
  return `tasks_seed${seed}_rate${rate}_slo${slo}_${scheduler}.csv`;
}

/** The tasks CSV exactly as the reference writes it: its columns, request order, Python float repr, CRLF. */
export function formatTasksCsv(tasks: readonly DystaTaskResult[]): string {
  const lines = [TASKS_COLUMNS.join(',')];
  for (const t of tasks) lines.push(`${t.taskId},${pyFloat(t.reqstTime)},${pyFloat(t.targetTime)},${pyFloat(t.finishTime)},${pyFloat(t.realIsolatedTime)},${t.violated ? 1 : 0}`);
  return lines.join(EOL) + EOL;
}

export function formatDecisionsCsv(decisions: readonly DystaDecision[]): string {
  const lines = [DECISIONS_COLUMNS.join(',')];
  for (const d of decisions) lines.push(`${d.step},${pyFloat(d.sysTimeBefore)},${d.taskId},${d.layerIdx},${pyFloat(d.layerLat)}`);
  return lines.join(EOL) + EOL;
}

/** Writes atomically (temp file + rename) so an interrupted run leaves no half file. */
export function writeTextFile(dir: string, name: string, text: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, basename(name));
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
  return file;
}

export function writeTasksCsv(dir: string, name: string, tasks: readonly DystaTaskResult[]): string {
  return writeTextFile(dir, name, formatTasksCsv(tasks));
}
