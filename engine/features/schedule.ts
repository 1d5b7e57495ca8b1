// Tuned schedule files: schedule.show reads one, schedule.validate checks it (schema version, every
// model's sha256, every lane available here, what differs from the tuning machine), schedule.diff
// compares two, schedule.bundle writes a folder carrying it with its model files (every file's sha256
// in a manifest; any method here takes such a folder), schedule.replay runs one live and compares
// each tenant with its expectations. schedule.exportBundle / exportBundleChunk hand a stored
// schedule's archive bundle to the app in bounded base64 chunks (as uploads come in).
// Refused files throw ScheduleError (engine/error-map.ts: bad-schedule).
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { z } from 'zod';
import { machineFingerprint } from '../../profiler/store';
import { checkSchedule, diffSchedules, environmentDiff, loadSchedule, readSchedule, schedulePath } from '../../scheduler/schedule/file';
import type { Schedule } from '../../scheduler/schedule/format';
import { parseTolerance, replaySchedule, type ReplayResult } from '../../scheduler/schedule/replay';
import { substituteVariants } from '../../scheduler/live/variant-exec';
import { writeBundle, type BundleResult } from '../../scheduler/schedule/bundle';
import { listStoredSchedules, schedulesDir, storedScheduleFile, storeSchedule, type StoredSchedule } from '../../scheduler/schedule/store';
import { parseSchedule } from '../../scheduler/schedule/file';
import { EngineError, method } from '../feature';

/** Bytes of one bundle download chunk (before base64): well inside a message's size limit. */
export const BUNDLE_CHUNK_BYTES = 1024 * 1024;

/** Where a stored schedule's downloadable archive bundle is written (made again on each request). */
const exportedBundle = (id: string) => join(schedulesDir(), 'bundles', `${id}.tgz`);

export const scheduleFeature = {
  name: 'schedule',
  methods: {
    'schedule.show': method({
      summary: 'Read a tuned schedule file (shape and version checked; hashes and lanes: schedule.validate).',
      params: z.object({ file: z.string().min(1) }).strict(),
      run: async ({ file }): Promise<Schedule> => {
        return readSchedule(schedulePath(file));
      },
    }),
    'schedule.validate': method({
      summary: 'Check a tuned schedule file: schema version, shape, every model file\'s sha256, every lane available here, and what differs from the machine and ONNX Runtime it was tuned on.',
      params: z.object({ file: z.string().min(1) }).strict(),
      run: async ({ file }) => {
        const s = readSchedule(schedulePath(file));
        const check = await checkSchedule(s);
        const problems = [...check.models, ...check.lanes].filter((x) => !x.ok).map((x) => x.problem!);
        // Accepted, but never read as meeting every deadline: the tuner marked tenants no schedule can serve in time.
        const warnings = (s.infeasible ?? []).map((t) => `INFEASIBLE: tenant "${t.tenant}" needs ${t.bestIsolatedMs.toFixed(1)} ms alone on its fastest lanes, deadline ${t.deadlineMs.toFixed(1)} ms${t.withVariantsMs !== undefined ? ` (${t.withVariantsMs.toFixed(1)} ms with layer variants the schedule does not use)` : ''}: this schedule cannot meet its deadlines`);
        return { file: schedulePath(file), ok: problems.length === 0, problems, warnings, check, differences: environmentDiff(s, await machineFingerprint(), ort.env.versions.common) };
      },
    }),
    'schedule.diff': method({
      summary: 'Field-by-field differences of two tuned schedule files.',
      params: z.object({ a: z.string().min(1), b: z.string().min(1) }).strict(),
      run: async ({ a, b }) => {
        return { a: schedulePath(a), b: schedulePath(b), differences: diffSchedules(readSchedule(schedulePath(a)), readSchedule(schedulePath(b))) };
      },
    }),
    'schedule.list': method({
      summary: 'The stored tuned schedules (one per tune run that found one, and the files opened in the app), newest first; an unreadable one with why.',
      params: z.object({}).strict(),
      run: async (): Promise<StoredSchedule[]> => listStoredSchedules(),
    }),
    'schedule.import': method({
      summary: 'Store a schedule file\'s text (opened in the app) after checking its kind, version and shape; its models and lanes are checked when it is replayed.',
      params: z.object({ name: z.string().min(1).max(300), text: z.string().min(1).max(4 << 20) }).strict(),
      run: async ({ name, text }): Promise<StoredSchedule> => storeSchedule(parseSchedule(text, name), 'opened'),
    }),
    'schedule.export': method({
      summary: 'A stored schedule\'s file, for download.',
      params: z.object({ id: z.string().min(1) }).strict(),
      run: async ({ id }): Promise<{ filename: string; content: string }> => {
        const file = storedScheduleFile(id);
        return { filename: `schedule-${id}.json`, content: `${JSON.stringify(readSchedule(file), null, 2)}\n` };
      },
    }),
    'schedule.exportBundle': method({
      summary: `Build a stored schedule's archive bundle (.tgz: the schedule, its model files, a manifest of every sha256; every check passed first) for download; returns its size and sha256, then schedule.exportBundleChunk reads it in chunks of ${BUNDLE_CHUNK_BYTES / 1024 / 1024} MiB.`,
      params: z.object({ id: z.string().min(1) }).strict(),
      run: async ({ id }): Promise<{ id: string; filename: string; bytes: number; sha256: string; files: number; chunkBytes: number }> => {
        const { schedule } = await loadSchedule(storedScheduleFile(id));
        const file = exportedBundle(id);
        mkdirSync(join(schedulesDir(), 'bundles'), { recursive: true });
        rmSync(file, { force: true });
        const r = await writeBundle(schedule, file);
        const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
        return { id, filename: `schedule-${id}.tgz`, bytes: statSync(file).size, sha256, files: r.manifest.files.length, chunkBytes: BUNDLE_CHUNK_BYTES };
      },
    }),
    'schedule.exportBundleChunk': method({
      summary: 'One chunk (base64) of the archive bundle schedule.exportBundle built, from a byte offset; done is true at the last one.',
      params: z.object({ id: z.string().min(1), offset: z.number().int().nonnegative() }).strict(),
      run: async ({ id, offset }): Promise<{ offset: number; data: string; done: boolean }> => {
        storedScheduleFile(id);
        const file = exportedBundle(id);
        let size: number;
        try {
          size = statSync(file).size;
        } catch {
          throw new EngineError(`no bundle built for schedule "${id}": call schedule.exportBundle first`, 'not-found');
        }
        if (offset > size) throw new EngineError(`offset ${offset} is past the end of the bundle (${size} bytes)`, 'bad-request');
        const buf = Buffer.alloc(Math.min(BUNDLE_CHUNK_BYTES, size - offset));
        const fd = openSync(file, 'r');
        try {
          readSync(fd, buf, 0, buf.length, offset);
        } finally {
          closeSync(fd);
        }
        return { offset, data: buf.toString('base64'), done: offset + buf.length >= size };
      },
    }),
    'schedule.bundle': method({
      summary: 'Write a tuned schedule (every check passed) with its model files into a new folder, or one archive when out ends in .tgz, .tar.gz or .tar, with a manifest of every file\'s sha256, for another machine: replay, schedule validate and tessera/runtime take the folder or the archive.',
      params: z.object({ file: z.string().min(1), /** A new folder, or an archive file name (.tgz, .tar.gz, .tar). */ out: z.string().min(1) }).strict(),
      run: async ({ file, out }): Promise<BundleResult> => {
        const { schedule } = await loadSchedule(schedulePath(file));
        return writeBundle(schedule, schedulePath(out));
      },
    }),
    'schedule.replay': method({
      summary: 'Run a tuned schedule live on this machine and compare each tenant with its expectations; pass is false beyond the tolerance. Says first what differs from the machine and ONNX Runtime it was tuned on.',
      params: z
        .object({
          file: z.string().min(1),
          durationSec: z.number().positive().max(3600).default(30),
          /** "miss=0.05,p99=0.5": miss-rate points over the expected CI's upper end, p99 share over the expected mean. */
          tolerance: z.string().default(''),
          writeFiles: z.boolean().optional(),
        })
        .strict(),
      job: true,
      run: async (p, ctx): Promise<ReplayResult> => {
        let tolerance;
        try {
          tolerance = parseTolerance(p.tolerance);
        } catch (e) {
          throw new EngineError((e as Error).message, 'bad-request', { cause: e });
        }
        const loaded = await loadSchedule(schedulePath(p.file));
        const differences = environmentDiff(loaded.schedule, await machineFingerprint(), ort.env.versions.common);
        ctx.progress({ fraction: 0, message: differences.length ? `differs from where it was tuned: ${differences.join('; ')}` : 'same machine and ONNX Runtime as tuned', detail: { differences } });
        try {
          return await replaySchedule(loaded.schedule, { durationSec: p.durationSec, tolerance, differences, signal: ctx.signal, writeFiles: p.writeFiles, onProgress: (message) => ctx.progress({ message }), substituteVariants });
        } catch (e) {
          throw new EngineError(`replay of ${p.file}: ${(e as Error).message}`, ctx.signal.aborted ? 'cancelled' : 'failed', { cause: e });
        }
      },
    }),
  },
};

