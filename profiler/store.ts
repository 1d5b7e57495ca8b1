// Profiles on disk: <dataDir>/profiles/<id>.json, written atomically (temp file + fsync + rename +
// directory fsync), with a schema version checked on load. A run in progress is checkpointed as a
// profile with status 'partial' after every (layer, lane); a rerun with the same resume key (model
// hash, lanes, granularity, shapes) continues it. Also: listing, diffing two profiles against their
// noise, CSV/JSON export, and the machine fingerprint.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import si from 'systeminformation';
import { FileAccessError, MAX_DOCUMENT_BYTES, parseJsonText, readCheckedText } from '../base/files';
import { dataDir } from '../base/paths';
import { deriveLatencyFigures } from './stats';
import { separateNotes } from './notes';
import { PROFILE_MIN_SCHEMA_VERSION, PROFILE_SCHEMA_VERSION, type LaneMeasurement, type LaneSpec, type MachineFingerprint, type Profile } from './types';

export class ProfileStoreError extends Error {
  constructor(
    message: string,
    readonly code: 'not-found' | 'schema' | 'corrupt' | 'io' = 'io',
  ) {
    super(message);
    this.name = 'ProfileStoreError';
  }
}

export function profilesDir(root: string = dataDir()): string {
  return join(root, 'profiles');
}

/**
 * Writes `data` to `path` atomically: a temp file in the same directory, fsync, rename over the
 * target, fsync of the directory. A reader sees the old file or the new one, never a partial one;
 * if writing fails (or the process dies) the temp file is removed (or left with a .tmp- name that
 * listing ignores).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | Iterable<string>): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(tmp, 'w', 0o644);
  let ok = false;
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) writeAll(fd, data);
    else for (const chunk of data) writeAll(fd, chunk);
    fsyncSync(fd);
    ok = true;
  } finally {
    closeSync(fd);
    if (!ok) rmSync(tmp, { force: true });
  }
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  try {
    const dfd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Directory fsync is not supported everywhere (e.g. Windows); the rename is still atomic.
  }
}

function writeAll(fd: number, data: string | Uint8Array): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/** A file-name-safe id: <model>-<yyyymmddThhmmss>-<6 hex>. */
export function newProfileId(modelName: string, date = new Date()): string {
  const safe = modelName.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._-]+/, '').slice(0, 60) || 'model';
  const stamp = date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '');
  return `${safe}-${stamp}-${randomBytes(3).toString('hex')}`;
}

function checkId(id: string): void {
  if (!/^[A-Za-z0-9._-]+$/.test(id) || id.includes('..')) throw new ProfileStoreError(`bad profile id "${id}"`, 'not-found');
}

export function profilePath(id: string, dir = profilesDir()): string {
  checkId(id);
  return join(dir, `${id}.json`);
}

export function saveProfile(profile: Profile, dir = profilesDir()): string {
  const path = profilePath(profile.id, dir);
  writeFileAtomic(path, JSON.stringify(profile, null, 1));
  return path;
}

/** Validates a parsed profile's envelope; throws a ProfileStoreError naming the file and the problem. */
export function validateProfile(raw: unknown, where: string): Profile {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ProfileStoreError(`${where}: not a Tessera profile (not a JSON object)`, 'corrupt');
  const p = raw as Partial<Profile>;
  if (p.schemaVersion === undefined) throw new ProfileStoreError(`${where}: not a Tessera profile (no schemaVersion)`, 'schema');
  if (typeof p.schemaVersion !== 'number' || p.schemaVersion < PROFILE_MIN_SCHEMA_VERSION || p.schemaVersion > PROFILE_SCHEMA_VERSION) {
    const newer = typeof p.schemaVersion === 'number' && p.schemaVersion > PROFILE_SCHEMA_VERSION;
    throw new ProfileStoreError(
      `${where}: profile schema version ${String(p.schemaVersion)} is not supported by this Tessera (it reads versions ${PROFILE_MIN_SCHEMA_VERSION} to ${PROFILE_SCHEMA_VERSION}); ${newer ? 'it was written by a newer Tessera: upgrade' : 'profile the model again to regenerate it'}`,
      'schema',
    );
  }
  for (const k of ['id', 'model', 'lanes', 'layers', 'machine'] as const) {
    if (p[k] === undefined) throw new ProfileStoreError(`${where}: not a valid profile (missing "${k}")`, 'corrupt');
  }
  // Profiles from before `notes` kept the model's library note among the warnings.
  separateNotes(p as Profile);
  return p as Profile;
}

/** Loads a profile by id (from the store) or by path (anything ending in .json or containing a slash). */
export function loadProfile(idOrPath: string, dir = profilesDir()): Profile {
  const isPath = idOrPath.endsWith('.json') || idOrPath.includes('/') || idOrPath.includes('\\');
  const path = isPath ? resolve(idOrPath) : profilePath(idOrPath, dir);
  let text: string;
  try {
    text = readCheckedText(path, { what: 'profile', maxBytes: MAX_DOCUMENT_BYTES });
  } catch (e) {
    if (e instanceof FileAccessError && e.code === 'not-found') {
      const hint = isPath ? '' : ` (no ${idOrPath}.json in ${dir}; \`tessera profiles list\` shows the ids)`;
      throw new ProfileStoreError(`profile ${idOrPath} not found${hint}`, 'not-found');
    }
    throw e;
  }
  let raw: unknown;
  try {
    raw = parseJsonText(text, path);
  } catch (e) {
    throw new ProfileStoreError((e as Error).message, 'corrupt');
  }
  return withDerivedFigures(validateProfile(raw, path));
}

/**
 * Profiles written before throughput was shown only for resolved latencies (a throughput figure
 * without latencyCiMs or unresolved) get it re-checked by the rule (stats.ts) on load: a layer under
 * the timer's resolution no longer shows thousands of GFLOP/s. Anything else loads as saved.
 */
function withDerivedFigures(p: Profile): Profile {
  if (!Array.isArray(p.lanes) || !Array.isArray(p.layers)) return p;
  const lanes = new Map(p.lanes.map((l) => [l.id, l]));
  const fix = (m: LaneMeasurement, flops?: number) => {
    const lane = lanes.get(m?.lane);
    if (lane && m.raw && m.achievedGflops !== undefined && m.latencyCiMs === undefined && m.unresolved === undefined) deriveLatencyFigures(m, lane, flops);
  };
  const total = p.layers.reduce((a, l) => a + (l.flops ?? 0), 0);
  for (const m of Array.isArray(p.wholeModel) ? p.wholeModel : []) fix(m, total);
  for (const layer of p.layers) for (const m of Array.isArray(layer?.lanes) ? layer.lanes : []) fix(m, layer.flops);
  return p;
}

export interface ProfileSummary {
  id: string;
  createdAt: string;
  status: Profile['status'];
  model: string;
  sha256: string;
  granularity: Profile['granularity'];
  lanes: string[];
  layers: number;
  machine: string;
  ortVersion: string;
  /** The whole model's latency (baseline-subtracted median) per lane where it was measured, ms. */
  wholeModel?: { lane: string; ms: number }[];
  /** Set when the file could not be read as a profile. */
  error?: string;
}

/** Every profile in the store, newest first; unreadable files are listed with their error. */
export function listProfiles(dir = profilesDir()): ProfileSummary[] {
  if (!existsSync(dir)) return [];
  const out: ProfileSummary[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json') || f.includes('.tmp-')) continue;
    const id = f.slice(0, -5);
    try {
      const p = loadProfile(id, dir);
      out.push({
        id: p.id,
        createdAt: p.createdAt,
        status: p.status,
        model: p.model.name,
        sha256: p.model.sha256,
        granularity: p.granularity,
        lanes: p.lanes.map((l) => l.id),
        layers: p.layers.length,
        machine: `${p.machine.cpu} (${p.machine.id.slice(0, 8)})`,
        ortVersion: p.ortVersion,
        wholeModel: (Array.isArray(p.wholeModel) ? p.wholeModel : []).filter((m) => typeof m.latencyMs === 'number').map((m) => ({ lane: m.lane, ms: m.latencyMs! })),
      });
    } catch (e) {
      out.push({ id, createdAt: '', status: 'partial', model: '?', sha256: '', granularity: 'group', lanes: [], layers: 0, machine: '', ortVersion: '', error: (e as Error).message });
    }
  }
  return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** What makes two runs the same measurement task: model bytes, lanes and their settings, granularity, input shapes. */
export function resumeKey(parts: { sha256: string; lanes: LaneSpec[]; granularity: Profile['granularity']; inputShapes: Record<string, number[]>; inputValues?: Record<string, number | number[]> }): string {
  const lanes = parts.lanes.map((l) => ({ id: l.id, ep: l.ep, threads: l.threads ?? null, options: l.options ?? null }));
  const shapes = Object.keys(parts.inputShapes)
    .sort()
    .map((k) => [k, parts.inputShapes[k]]);
  const values = parts.inputValues && Object.keys(parts.inputValues).length ? Object.keys(parts.inputValues).sort().map((k) => [k, parts.inputValues![k]]) : undefined;
  return createHash('sha256').update(JSON.stringify({ sha: parts.sha256, lanes, g: parts.granularity, shapes, values })).digest('hex').slice(0, 32);
}

/** The newest partial profile with this resume key on this machine, if any. */
export function findResumable(key: string, machineId: string, dir = profilesDir()): Profile | undefined {
  const candidates = listProfiles(dir).filter((s) => s.status === 'partial' && !s.error);
  for (const s of candidates) {
    const p = loadProfile(s.id, dir);
    if (p.resumeKey === key && p.machine.id === machineId) return p;
  }
  return undefined;
}

export function deleteProfile(id: string, dir = profilesDir()): void {
  rmSync(profilePath(id, dir), { force: true });
}

// ---------------------------------------------------------------------------------------------
// Machine fingerprint

let cachedMachine: Promise<MachineFingerprint> | undefined;

export function machineFingerprint(): Promise<MachineFingerprint> {
  if (!cachedMachine) {
    cachedMachine = (async () => {
      const [cpu, mem, os, graphics] = await Promise.all([si.cpu(), si.mem(), si.osInfo(), si.graphics().catch(() => ({ controllers: [] as { vendor: string; model: string }[] }))]);
      const fields = {
        hostname: os.hostname,
        cpu: `${cpu.manufacturer} ${cpu.brand}`.trim(),
        cores: cpu.cores,
        memoryGiB: Math.round((mem.total / 1024 ** 3) * 10) / 10,
        os: `${os.distro} ${os.release} (${os.platform} ${os.arch}, kernel ${os.kernel})`,
        gpus: graphics.controllers.map((c) => `${c.vendor} ${c.model}`.trim()).filter(Boolean),
      };
      // The hash leaves out the kernel/OS patch level so a routine update does not make it a different machine.
      const id = createHash('sha256')
        .update(JSON.stringify([fields.hostname, fields.cpu, fields.cores, fields.memoryGiB, os.platform, os.arch, fields.gpus]))
        .digest('hex')
        .slice(0, 16);
      return { id, ...fields };
    })();
    cachedMachine.catch(() => (cachedMachine = undefined));
  }
  return cachedMachine;
}

// ---------------------------------------------------------------------------------------------
// Diff

export interface DiffRow {
  /** Layer index, or -1 for the whole model. */
  layer: number;
  name: string;
  lane: string;
  aMs?: number;
  bMs?: number;
  /** b / a. */
  ratio?: number;
  /** Half-widths of the two 95% CIs of the medians added, ms: the change must exceed this to count. */
  noiseMs?: number;
  change: 'slower' | 'faster' | 'same' | 'missing' | 'error';
  note?: string;
}

export interface ProfileDiff {
  a: { id: string; createdAt: string; machine: string; ortVersion: string };
  b: { id: string; createdAt: string; machine: string; ortVersion: string };
  sameModel: boolean;
  sameMachine: boolean;
  rows: DiffRow[];
  summary: { compared: number; slower: number; faster: number; same: number; missing: number };
  /** Geometric mean of b/a over layers measured in both, per lane. */
  geomeanRatio: Record<string, number>;
  warnings: string[];
  method: string;
}

function halfWidthMs(m: LaneMeasurement): number {
  return m.raw ? m.raw.median * m.raw.ciHalfWidthRel : 0;
}

function compare(layer: number, name: string, lane: string, ma: LaneMeasurement | undefined, mb: LaneMeasurement | undefined): DiffRow {
  if (!ma || !mb || ma.latencyMs === undefined || mb.latencyMs === undefined) {
    const err = ma?.error ?? mb?.error;
    return { layer, name, lane, aMs: ma?.latencyMs, bMs: mb?.latencyMs, change: err ? 'error' : 'missing', note: err };
  }
  const noise = halfWidthMs(ma) + halfWidthMs(mb);
  const delta = mb.latencyMs - ma.latencyMs;
  const ratio = ma.latencyMs > 0 ? mb.latencyMs / ma.latencyMs : mb.latencyMs > 0 ? Infinity : 1;
  const change = Math.abs(delta) <= noise ? 'same' : delta > 0 ? 'slower' : 'faster';
  return { layer, name, lane, aMs: ma.latencyMs, bMs: mb.latencyMs, ratio: Number.isFinite(ratio) ? ratio : undefined, noiseMs: noise, change };
}

/**
 * Compares two profiles layer by layer and lane by lane (lanes matched by id, layers by index and
 * name). A change counts only when it exceeds the sum of both medians' 95% CI half-widths, i.e.
 * when the two intervals do not overlap.
 */
export function diffProfiles(a: Profile, b: Profile): ProfileDiff {
  const warnings: string[] = [];
  const sameModel = a.model.sha256 === b.model.sha256;
  if (!sameModel) warnings.push(`different models (${a.model.name} ${a.model.sha256.slice(0, 12)} vs ${b.model.name} ${b.model.sha256.slice(0, 12)}): layers are matched by index and name`);
  if (JSON.stringify(a.granularity) !== JSON.stringify(b.granularity)) warnings.push(`different granularity (${a.granularity} vs ${b.granularity})`);
  if (a.ortVersion !== b.ortVersion) warnings.push(`ONNX Runtime ${a.ortVersion} vs ${b.ortVersion}`);
  const sameMachine = a.machine.id === b.machine.id;
  if (!sameMachine) warnings.push(`different machines (${a.machine.cpu} vs ${b.machine.cpu})`);
  if (a.status !== 'complete' || b.status !== 'complete') warnings.push('at least one profile is partial');
  const lanes = a.lanes.map((l) => l.id).filter((id) => b.lanes.some((l) => l.id === id));
  for (const l of a.lanes) if (!lanes.includes(l.id)) warnings.push(`lane ${l.id} only in ${a.id}`);
  for (const l of b.lanes) if (!lanes.includes(l.id)) warnings.push(`lane ${l.id} only in ${b.id}`);
  const rows: DiffRow[] = [];
  for (const lane of lanes) {
    rows.push(compare(-1, 'whole model', lane, a.wholeModel.find((m) => m.lane === lane), b.wholeModel.find((m) => m.lane === lane)));
  }
  const geo: Record<string, { s: number; n: number }> = {};
  for (const la of a.layers) {
    const lb = b.layers.find((x) => x.index === la.index && x.name === la.name);
    for (const lane of lanes) {
      const row = compare(la.index, la.name, lane, la.lanes.find((m) => m.lane === lane), lb?.lanes.find((m) => m.lane === lane));
      if (!lb) row.note = `layer not in ${b.id}`;
      rows.push(row);
      if (row.ratio !== undefined && row.ratio > 0) {
        const g = (geo[lane] ??= { s: 0, n: 0 });
        g.s += Math.log(row.ratio);
        g.n++;
      }
    }
  }
  const layerRows = rows.filter((r) => r.layer >= 0);
  const count = (c: DiffRow['change']) => layerRows.filter((r) => r.change === c).length;
  return {
    a: { id: a.id, createdAt: a.createdAt, machine: a.machine.cpu, ortVersion: a.ortVersion },
    b: { id: b.id, createdAt: b.createdAt, machine: b.machine.cpu, ortVersion: b.ortVersion },
    sameModel,
    sameMachine,
    rows,
    summary: { compared: layerRows.filter((r) => r.ratio !== undefined).length, slower: count('slower'), faster: count('faster'), same: count('same'), missing: count('missing') + count('error') },
    geomeanRatio: Object.fromEntries(Object.entries(geo).map(([k, g]) => [k, Math.exp(g.s / g.n)])),
    warnings,
    method: 'change = |b - a| > sum of the two 95% CI half-widths of the medians (distribution-free order-statistic CIs); latencies are baseline-subtracted medians',
  };
}

// ---------------------------------------------------------------------------------------------
// Export

const CSV_COLUMNS = [
  'profile_id', 'model', 'model_sha256', 'layer_index', 'layer_name', 'op_types', 'lane', 'latency_ms', 'raw_median_ms', 'p5_ms', 'p95_ms', 'cv', 'n',
  'ci_half_width_rel', 'converged', 'in_graph_ms', 'flops', 'bytes_moved', 'achieved_gflops', 'peak_fraction', 'latency_ci_ms', 'unresolved', 'preferred_lane', 'gap_to_preferred',
  'energy_j_per_run', 'energy_watts', 'energy_kind', 'energy_source', 'fallback_nodes', 'error',
] as const;

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per (layer, lane), plus the whole model per lane (layer_index -1). Energy rows carry their kind (measured / estimated). */
export function profileToCsv(p: Profile): string {
  const lines = [CSV_COLUMNS.join(',')];
  const row = (layerIndex: number, name: string, opTypes: string, m: LaneMeasurement, extra: { inGraph?: number; flops?: number; bytes?: number; preferred?: string; gap?: number }) =>
    [
      p.id, p.model.name, p.model.sha256, layerIndex, name, opTypes, m.lane, m.latencyMs, m.raw?.median, m.raw?.p5, m.raw?.p95, m.raw?.cv, m.raw?.n,
      m.raw?.ciHalfWidthRel, m.raw?.converged, extra.inGraph, extra.flops, extra.bytes, m.achievedGflops, m.peakFraction, m.latencyCiMs, m.unresolved, extra.preferred, extra.gap,
      m.energy?.joulesPerRun, m.energy?.watts, m.energy?.source.kind, m.energy ? `${m.energy.source.meter}: ${m.energy.source.detail}` : undefined,
      m.fallbackNodes?.join(' '), m.error,
    ]
      .map(csvCell)
      .join(',');
  for (const m of p.wholeModel) lines.push(row(-1, 'whole model', '', m, {}));
  for (const l of p.layers) {
    for (const m of l.lanes) {
      lines.push(row(l.index, l.name, l.opTypes.join(' '), m, { inGraph: l.inGraphMs?.[m.lane], flops: l.flops, bytes: l.bytesMoved, preferred: l.preferredLane, gap: l.gapToPreferred?.[m.lane] }));
    }
  }
  return lines.join('\n') + '\n';
}

export function exportProfile(p: Profile, format: 'json' | 'csv'): string {
  return format === 'csv' ? profileToCsv(p) : JSON.stringify(p, null, 2) + '\n';
}
