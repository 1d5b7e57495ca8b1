// Stored simulations: every simulate.compare result is saved as <dataDir>/simulations/<id>.json,
// written atomically like profiles and live reports (profiler/store.ts writeFileAtomic: a reader sees
// the old file or the new one, never a partial one). Each record keeps what was asked (scenario,
// policies, lanes, load, seeds, the full parameters), when, and the full result, so the app reopens it
// as it was shown. List (newest first, an unreadable file listed with what is wrong), get, delete.
// Ids are checked before they touch a path: [A-Za-z0-9._-] only.
import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FileAccessError, MAX_DOCUMENT_BYTES, parseJsonText, readCheckedText } from '../../base/files';
import { dataDir } from '../../base/paths';
import { writeFileAtomic } from '../../profiler/store';
import { bestPolicy } from './compare';
import type { SimulateResult, SimulationSummary, StoredSimulation } from './types';

export const SIMULATION_SCHEMA_VERSION = 1;

export type { SimulateResult, SimulationSummary, StoredSimulation, Timeline } from './types';

export class SimulationStoreError extends Error {
  constructor(
    message: string,
    /** bad-id: not a valid id; not-found: no such simulation; corrupt: unreadable or not a stored simulation; io: the disk refused. */
    readonly code: 'bad-id' | 'not-found' | 'corrupt' | 'io',
  ) {
    super(message);
    this.name = 'SimulationStoreError';
  }
}

export function simulationsDir(root: string = dataDir()): string {
  return join(root, 'simulations');
}

const ID = /^[A-Za-z0-9._-]{1,200}$/;

export function checkSimulationId(id: string): void {
  if (typeof id !== 'string' || !ID.test(id) || id.includes('..') || id.includes('.tmp-')) {
    throw new SimulationStoreError(`bad simulation id "${String(id).slice(0, 200)}": an id has only letters, digits, ".", "_" and "-" (no path); \`tessera simulations list\` shows the ids`, 'bad-id');
  }
}

function pathOf(id: string, dir: string): string {
  checkSimulationId(id);
  return join(dir, `${id}.json`);
}

/** A file-name-safe id: sim-<scenario>-<yyyymmddThhmmss>-<6 hex>. */
export function newSimulationId(scenario: string, date = new Date()): string {
  const safe = scenario.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._-]+/, '').slice(0, 60) || 'scenario';
  const stamp = date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '');
  return `sim-${safe}-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Stores a simulate.compare result; returns the record (its id is in record.id and result.savedId). */
export function saveSimulation(params: Record<string, unknown> & { scenario: string; policies: string[]; load?: number }, result: SimulateResult, dir = simulationsDir(), now = new Date()): StoredSimulation {
  const id = newSimulationId(params.scenario, now);
  const c = result.comparison;
  const record: StoredSimulation = {
    schemaVersion: SIMULATION_SCHEMA_VERSION,
    id,
    createdAt: now.toISOString(),
    scenario: params.scenario,
    policies: [...params.policies],
    lanes: result.lanes.map((l) => l.id),
    ...(params.load !== undefined ? { load: params.load } : {}),
    seeds: [...c.seeds],
    durationSec: c.options.duration,
    params: { ...params },
    result: { ...result, savedId: id },
  };
  try {
    writeFileAtomic(pathOf(id, dir), JSON.stringify(record));
  } catch (e) {
    throw new SimulationStoreError(`cannot store the simulation in ${dir}: ${(e as Error).message}`, 'io');
  }
  return record;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return !!x && typeof x === 'object' && !Array.isArray(x);
}

/** Checks the parts of a parsed record the list, the views and the comparison rely on; throws naming what is wrong. */
export function validateSimulation(raw: unknown, where: string): StoredSimulation {
  if (!isObject(raw)) throw new SimulationStoreError(`${where}: not a stored simulation (not a JSON object)`, 'corrupt');
  if (typeof raw.schemaVersion !== 'number' || raw.schemaVersion > SIMULATION_SCHEMA_VERSION || raw.schemaVersion < 1) {
    throw new SimulationStoreError(`${where}: stored simulation schema ${String(raw.schemaVersion)} is not supported (this Tessera reads 1 to ${SIMULATION_SCHEMA_VERSION}); a newer Tessera wrote it, or it is not a stored simulation`, 'corrupt');
  }
  const need: [string, (v: unknown) => boolean][] = [
    ['id', (v) => typeof v === 'string'],
    ['createdAt', (v) => typeof v === 'string'],
    ['scenario', (v) => typeof v === 'string'],
    ['policies', Array.isArray],
    ['lanes', Array.isArray],
    ['seeds', Array.isArray],
    ['result', (v) => isObject(v) && isObject(v.comparison) && Array.isArray(v.comparison.rows) && Array.isArray(v.lanes)],
  ];
  for (const [k, ok] of need) {
    if (!ok(raw[k])) throw new SimulationStoreError(`${where}: not a valid stored simulation (${k in raw ? `bad "${k}"` : `missing "${k}"`})`, 'corrupt');
  }
  return raw as unknown as StoredSimulation;
}

function readRecord(path: string, id: string, dir: string): StoredSimulation {
  let text: string;
  try {
    text = readCheckedText(path, { what: 'stored simulation', maxBytes: MAX_DOCUMENT_BYTES });
  } catch (e) {
    if (e instanceof FileAccessError && e.code === 'not-found') {
      throw new SimulationStoreError(`no stored simulation "${id}" in ${dir}: \`tessera simulations list\` (or the History view) lists them`, 'not-found');
    }
    throw new SimulationStoreError((e as Error).message, 'io');
  }
  let raw: unknown;
  try {
    raw = parseJsonText(text, path);
  } catch (e) {
    throw new SimulationStoreError((e as Error).message, 'corrupt');
  }
  const rec = validateSimulation(raw, path);
  if (rec.id !== id) throw new SimulationStoreError(`${path}: the record names simulation "${rec.id}", not its file's "${id}"`, 'corrupt');
  return rec;
}

/** One stored simulation, as it was saved. */
export function readSimulation(id: string, dir = simulationsDir()): StoredSimulation {
  return readRecord(pathOf(id, dir), id, dir);
}

export function summarize(rec: StoredSimulation, bytes: number): SimulationSummary {
  const c = rec.result.comparison;
  const best = bestPolicy(c);
  return {
    id: rec.id,
    createdAt: rec.createdAt,
    scenario: rec.scenario,
    policies: rec.policies,
    lanes: rec.lanes,
    ...(rec.load !== undefined ? { load: rec.load } : {}),
    seeds: rec.seeds.length,
    durationSec: rec.durationSec,
    latencySource: c.latencySource?.kind,
    ...(best ? { best } : {}),
    bytes,
  };
}

// Records can be large (the timeline): the list keeps each file's summary while its size and time stay the same.
const summaryCache = new Map<string, { mtimeMs: number; size: number; summary: SimulationSummary }>();

/** The stored simulations, newest first; a file that cannot be read is listed with its error. A missing folder is an empty list. */
export async function listSimulations(dir = simulationsDir()): Promise<SimulationSummary[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new SimulationStoreError(`cannot list ${dir}: ${(e as Error).message}`, 'io');
  }
  const out: SimulationSummary[] = [];
  for (const e of entries) {
    if (!e.isFile() || !e.name.endsWith('.json') || e.name.includes('.tmp-')) continue;
    const id = e.name.slice(0, -5);
    const path = join(dir, e.name);
    let st: { mtimeMs: number; size: number };
    try {
      st = await stat(path);
    } catch {
      continue; // removed meanwhile
    }
    const cached = summaryCache.get(path);
    if (cached && cached.mtimeMs === st.mtimeMs && cached.size === st.size) {
      out.push(cached.summary);
      continue;
    }
    let summary: SimulationSummary;
    try {
      checkSimulationId(id);
      summary = summarize(readRecord(path, id, dir), st.size);
    } catch (err) {
      summary = { id, createdAt: new Date(st.mtimeMs).toISOString(), scenario: '?', policies: [], lanes: [], seeds: 0, durationSec: 0, bytes: st.size, error: (err as Error).message };
    }
    summaryCache.set(path, { mtimeMs: st.mtimeMs, size: st.size, summary });
    out.push(summary);
  }
  return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
}

/** Removes a stored simulation; a missing one is an error naming it. */
export async function deleteSimulation(id: string, dir = simulationsDir()): Promise<void> {
  const path = pathOf(id, dir);
  try {
    await stat(path);
  } catch {
    throw new SimulationStoreError(`no stored simulation "${id}" in ${dir}: \`tessera simulations list\` lists them`, 'not-found');
  }
  await rm(path, { force: true });
  summaryCache.delete(path);
}
