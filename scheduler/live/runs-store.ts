// Past live runs on disk: every run writes <dataDir>/runs/<run id>/report.json and trace.json when it
// ends (scheduler/live/report.ts), and while it goes an events file and report snapshots with status
// 'running' (run-journal.ts). A snapshot whose process is gone (or that stopped being refreshed) is
// read as 'interrupted', with what was measured up to it. This lists them (newest first, a summary each; a run whose report is
// missing or unreadable is listed with an `error`, never breaks the list), reads one run's report, and
// reads a run's file for export. Run ids are checked before they touch a path: [A-Za-z0-9._-] only.
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { dataDir } from '../../base/paths';
import type { LiveReport } from './types';

export type RunFile = 'report' | 'trace';

export const RUN_FILES: Record<RunFile, string> = { report: 'report.json', trace: 'trace.json' };

/** The append-only record a run writes as it goes (run-journal.ts). */
export const EVENTS_FILE = 'events.ndjson';

/** Files larger than this are not read into memory for an export: copy them from the run's folder. */
export const MAX_EXPORT_BYTES = 128 * 1024 * 1024;

export class RunStoreError extends Error {
  constructor(
    message: string,
    /** bad-id: not a valid run id; not-found: no such run; missing-file: the run lacks that file; corrupt: unreadable; too-large: over MAX_EXPORT_BYTES. */
    readonly code: 'bad-id' | 'not-found' | 'missing-file' | 'corrupt' | 'too-large' | 'io',
  ) {
    super(message);
    this.name = 'RunStoreError';
  }
}

export interface StoredRunSummary {
  id: string;
  /** The run's folder. */
  dir: string;
  scenario?: string;
  /** The policy the run started with, then its switches (run time in s). */
  policy?: string;
  policySwitches?: { at: number; policy: string }[];
  status?: LiveReport['status'];
  /** When report.json was written (the run's end): the file's modification time, ISO 8601. */
  endedAt?: string;
  /** endedAt minus the elapsed run time: when the first frame was released (setup came before). */
  startedAt?: string;
  /** Seconds of frame releases asked for. */
  durationSec?: number;
  /** Seconds the run lasted, drain included (less when stopped). */
  elapsedSec?: number;
  granularity?: LiveReport['granularity'];
  lanes?: string[];
  tenants?: string[];
  /** Overall miss rate ((finished late + dropped) / released); null where the run released no frame. */
  missRate?: number | null;
  released?: number;
  /** Whether the energy figure was read from a meter or estimated. */
  energySource?: 'measured' | 'estimated';
  /** Which files the folder holds, with their sizes in bytes. */
  files: { report: boolean; trace: boolean; reportBytes?: number; traceBytes?: number };
  /** Set when the report is missing or unreadable: what is wrong. */
  error?: string;
}

export function runsDir(root: string = dataDir()): string {
  return join(root, 'runs');
}

const ID = /^[A-Za-z0-9._-]{1,200}$/;

/** Throws a RunStoreError('bad-id') unless `id` is a plain run id (no separators, no "..", at most 200 characters). */
export function checkRunId(id: string): void {
  if (typeof id !== 'string' || !ID.test(id) || id.includes('..') || id === '.') {
    throw new RunStoreError(`bad run id "${String(id).slice(0, 200)}": a run id has only letters, digits, ".", "_" and "-" (no path); \`tessera runs list\` shows the ids`, 'bad-id');
  }
}

export function runDir(id: string, dir = runsDir()): string {
  checkRunId(id);
  return join(dir, id);
}

async function sizeOf(path: string): Promise<{ bytes: number; mtimeMs: number } | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? { bytes: s.size, mtimeMs: s.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return !!x && typeof x === 'object' && !Array.isArray(x);
}

/** Checks the parts of a parsed report the list and the views rely on; throws naming what is wrong. */
export function validateReport(raw: unknown, where: string): LiveReport {
  if (!isObject(raw)) throw new RunStoreError(`${where}: not a live run report (not a JSON object)`, 'corrupt');
  const need: [string, (v: unknown) => boolean][] = [
    ['runId', (v) => typeof v === 'string'],
    ['scenario', (v) => typeof v === 'string'],
    ['policy', (v) => typeof v === 'string'],
    ['status', (v) => v === 'completed' || v === 'stopped' || v === 'failed' || v === 'running' || v === 'interrupted'],
    ['lanes', Array.isArray],
    ['tenants', Array.isArray],
    ['metrics', (v) => isObject(v) && isObject(v.overall)],
    ['energy', (v) => isObject(v) && isObject(v.source)],
  ];
  for (const [k, ok] of need) {
    if (!ok(raw[k])) throw new RunStoreError(`${where}: not a valid live run report (${k in raw ? `bad "${k}"` : `missing "${k}"`})`, 'corrupt');
  }
  return raw as unknown as LiveReport;
}

/** Whether process `pid` exists (EPERM: it exists, owned by someone else). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A 'running' snapshot is still running only if its process exists and the snapshot was refreshed
 * recently (ten intervals, at least a minute: a live run refreshes it every few seconds); otherwise
 * the run was interrupted. Pure given `alive` (tests pass their own).
 */
export function snapshotStatus(r: Pick<LiveReport, 'status' | 'snapshot'>, writtenMs: number, nowMs: number, alive: (pid: number) => boolean = pidAlive): LiveReport['status'] {
  if (r.status !== 'running') return r.status;
  const s = r.snapshot;
  const staleMs = Math.max(60_000, 10_000 * (s?.intervalSec ?? 2));
  return s && typeof s.pid === 'number' && alive(s.pid) && nowMs - writtenMs < staleMs ? 'running' : 'interrupted';
}

/** An interrupted run's report says so (status and a warning); others are returned as they are. */
function markInterrupted(r: LiveReport, writtenMs: number): LiveReport {
  const status = snapshotStatus(r, writtenMs, Date.now());
  if (status !== 'interrupted' || r.status === 'interrupted') return r;
  const at = r.snapshot?.at ?? new Date(writtenMs).toISOString();
  const warning = `interrupted: the run's process ended without finishing it (killed or crashed); this is its last snapshot (${at}, ${r.elapsedSec.toFixed(1)} s into the run), counting the frames that had ended (${r.snapshot?.inFlight ?? 0} were in flight); the run's ${EVENTS_FILE} holds the frames that ended after it`;
  return { ...r, status, warnings: [...(Array.isArray(r.warnings) ? r.warnings : []), warning] };
}

async function parseReport(path: string): Promise<LiveReport> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new RunStoreError(`${path}: cannot be read (${(e as Error).message})`, 'io');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RunStoreError(`${path}: not valid JSON (${(e as Error).message}); the run may have been cut off while writing it`, 'corrupt');
  }
  return validateReport(raw, path);
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** One run's summary from its folder; never throws (problems go to `error`). */
export async function summarizeRun(id: string, dir = runsDir()): Promise<StoredRunSummary> {
  const folder = join(dir, id);
  const [rep, tr] = await Promise.all([sizeOf(join(folder, RUN_FILES.report)), sizeOf(join(folder, RUN_FILES.trace))]);
  const s: StoredRunSummary = { id, dir: folder, files: { report: !!rep, trace: !!tr, reportBytes: rep?.bytes, traceBytes: tr?.bytes } };
  const time = rep?.mtimeMs ?? tr?.mtimeMs;
  if (time !== undefined) s.endedAt = new Date(time).toISOString();
  if (!ID.test(id) || id.includes('..')) {
    s.error = 'the folder name is not a valid run id (only letters, digits, ".", "_" and "-"): not a run Tessera wrote';
    return s;
  }
  if (!rep) {
    s.error = `no ${RUN_FILES.report} in ${folder}${tr ? ' (only the trace is there)' : ''}: the run did not finish writing its files, or they were removed`;
    return s;
  }
  try {
    const r = markInterrupted(await parseReport(join(folder, RUN_FILES.report)), rep.mtimeMs);
    s.scenario = r.scenario;
    s.policy = r.policy;
    s.policySwitches = Array.isArray(r.policySwitches) ? r.policySwitches : [];
    s.status = r.status;
    s.durationSec = num(r.durationSec);
    s.elapsedSec = num(r.elapsedSec);
    // Reports from before startedAt was recorded: the report's write time minus the run's length.
    if (typeof r.startedAt === 'string') s.startedAt = r.startedAt;
    else if (s.endedAt && s.elapsedSec !== undefined) s.startedAt = new Date(rep.mtimeMs - s.elapsedSec * 1000).toISOString();
    s.granularity = r.granularity;
    s.lanes = r.lanes.map((l) => String((l as { id?: unknown }).id ?? '?'));
    s.tenants = r.tenants.map((t) => String((t as { id?: unknown }).id ?? '?'));
    s.released = num(r.metrics.overall.released);
    s.missRate = s.released ? (num(r.metrics.overall.missRate) ?? null) : null;
    s.energySource = r.energy.source.kind === 'measured' ? 'measured' : 'estimated';
    if (r.runId !== id) s.error = `the report names run "${r.runId}", not its folder "${id}"`;
  } catch (e) {
    s.error = (e as Error).message;
  }
  return s;
}

/** The stored runs, newest first (by the time their files were written). A missing runs folder is an empty list. */
export async function listRuns(dir = runsDir()): Promise<StoredRunSummary[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new RunStoreError(`cannot list ${dir}: ${(e as Error).message}`, 'io');
  }
  const runs = await Promise.all(entries.filter((e) => e.isDirectory()).map((e) => summarizeRun(e.name, dir)));
  return runs.sort((a, b) => (b.endedAt ?? '').localeCompare(a.endedAt ?? '') || b.id.localeCompare(a.id));
}

async function existingRun(id: string, dir: string): Promise<string> {
  const folder = runDir(id, dir);
  try {
    if ((await stat(folder)).isDirectory()) return folder;
  } catch {
    // fall through
  }
  throw new RunStoreError(`no stored live run "${id}" in ${dir}: \`tessera runs list\` (or runs.list, the Export view) lists the stored runs`, 'not-found');
}

/** One run's report as it was written. */
export async function readRunReport(id: string, dir = runsDir()): Promise<LiveReport> {
  const folder = await existingRun(id, dir);
  const path = join(folder, RUN_FILES.report);
  const size = await sizeOf(path);
  if (!size) throw new RunStoreError(`run "${id}" has no ${RUN_FILES.report} (in ${folder})`, 'missing-file');
  return markInterrupted(await parseReport(path), size.mtimeMs);
}

export interface RunExport {
  id: string;
  file: RunFile;
  /** A download name: <run id>.report.json or <run id>.trace.json. */
  filename: string;
  path: string;
  bytes: number;
  content: string;
}

/** A run's file as stored (report JSON, or the Perfetto / Chrome trace JSON), for a download. */
export async function readRunFile(id: string, file: RunFile, dir = runsDir()): Promise<RunExport> {
  if (!(file in RUN_FILES)) throw new RunStoreError(`unknown run file "${String(file)}": report or trace`, 'bad-id');
  const folder = await existingRun(id, dir);
  const path = join(folder, RUN_FILES[file]);
  const size = await sizeOf(path);
  if (!size) throw new RunStoreError(`run "${id}" has no ${RUN_FILES[file]} (in ${folder})`, 'missing-file');
  if (size.bytes > MAX_EXPORT_BYTES) {
    throw new RunStoreError(`${path} is ${(size.bytes / 2 ** 20).toFixed(0)} MiB, more than the ${MAX_EXPORT_BYTES / 2 ** 20} MiB an export carries: copy the file from that folder`, 'too-large');
  }
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (e) {
    throw new RunStoreError(`${path}: cannot be read (${(e as Error).message})`, 'io');
  }
  return { id, file, filename: `${id}.${file}.json`, path, bytes: size.bytes, content };
}
