// Stored tuned schedules: <dataDir>/schedules/<id>.json, one per `tune` run that found one, and one
// per schedule file the user opens in the app (schedule.import). The Export view lists them, downloads
// them and replays them; the CLI keeps working on plain files. An unreadable file is listed with why.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir } from '../../base/paths';
import { readSchedule, ScheduleError, writeSchedule } from './file';
import type { Schedule } from './format';

export function schedulesDir(root: string = dataDir()): string {
  return join(root, 'schedules');
}

export interface StoredSchedule {
  id: string;
  file: string;
  /** How it got here: a tune run, or a file opened in the app. */
  origin?: 'tune' | 'opened';
  scenario?: string;
  policy?: string;
  lanes?: string[];
  createdAt?: string;
  objective?: string;
  /** Predicted overall miss rate (mean over the tuner's seeds). */
  predictedMissRate?: number | null;
  /** vs the best untuned policy, (baseline - tuned) / |baseline| of the objective. */
  improvement?: number | null;
  machine?: string;
  validations?: number;
  /** Why it cannot be read (the other fields are then absent). */
  error?: string;
}

const ID_RE = /^[A-Za-z0-9._-]{1,160}$/;

/** Stores a schedule under a new id (time, scenario, content hash); returns its entry. */
export function storeSchedule(s: Schedule, origin: 'tune' | 'opened', root?: string): StoredSchedule {
  const dir = schedulesDir(root);
  mkdirSync(dir, { recursive: true });
  const hash = createHash('sha256').update(JSON.stringify(s)).digest('hex').slice(0, 8);
  const stamp = (s.createdAt || new Date().toISOString()).replace(/[-:]/g, '').replace(/\..*$/, '');
  const id = `${stamp}-${s.scenario.definition.name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60)}-${origin}-${hash}`;
  const file = join(dir, `${id}.json`);
  writeSchedule(file, s);
  return summary(id, file, s, origin);
}

function summary(id: string, file: string, s: Schedule, origin?: 'tune' | 'opened'): StoredSchedule {
  return {
    id,
    file,
    origin: origin ?? (id.includes('-opened-') ? 'opened' : 'tune'),
    scenario: s.scenario.ref,
    policy: s.policy.spec,
    lanes: s.lanes,
    createdAt: s.createdAt,
    objective: s.provenance.objective.kind,
    predictedMissRate: s.predicted.overall.missRate.mean,
    improvement: s.predicted.improvement,
    machine: s.machine.hostname,
    validations: s.provenance.validation.length,
  };
}

/** Every stored schedule, newest first. */
export function listStoredSchedules(root?: string): StoredSchedule[] {
  const dir = schedulesDir(root);
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  const out = files.map((f) => {
    const id = f.slice(0, -5);
    const file = join(dir, f);
    try {
      return { entry: summary(id, file, readSchedule(file)), mtime: statSync(file).mtimeMs };
    } catch (e) {
      return { entry: { id, file, error: (e as Error).message }, mtime: statSync(file).mtimeMs };
    }
  });
  return out.sort((a, b) => (b.entry.createdAt ?? '').localeCompare(a.entry.createdAt ?? '') || b.mtime - a.mtime).map((x) => x.entry);
}

/** The file of a stored schedule id (ScheduleError when there is none). */
export function storedScheduleFile(id: string, root?: string): string {
  const file = join(schedulesDir(root), `${id}.json`);
  if (!ID_RE.test(id) || !existsSync(file)) throw new ScheduleError(`no stored schedule "${id}" (the Export view and schedule.list list them)`, 'not-found');
  return file;
}
