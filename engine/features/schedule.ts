// Tuned schedule files: schedule.show reads one, schedule.validate checks it (schema version, every
// model's sha256, every lane available here, what differs from the tuning machine), schedule.diff
// compares two, schedule.bundle writes a folder carrying it with its model files (every file's sha256
// in a manifest; any method here takes such a folder), schedule.replay runs one live and compares
// each tenant with its expectations.
// Refused files throw ScheduleError (engine/error-map.ts: bad-schedule).
import * as ort from 'onnxruntime-node';
import { z } from 'zod';
import { machineFingerprint } from '../../profiler/store';
import { checkSchedule, diffSchedules, environmentDiff, loadSchedule, readSchedule, schedulePath } from '../../scheduler/schedule/file';
import type { Schedule } from '../../scheduler/schedule/format';
import { parseTolerance, replaySchedule, type ReplayResult } from '../../scheduler/schedule/replay';
import { writeBundle, type BundleResult } from '../../scheduler/schedule/bundle';
import { EngineError, method } from '../feature';

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
        return { file: schedulePath(file), ok: problems.length === 0, problems, check, differences: environmentDiff(s, await machineFingerprint(), ort.env.versions.common) };
      },
    }),
    'schedule.diff': method({
      summary: 'Field-by-field differences of two tuned schedule files.',
      params: z.object({ a: z.string().min(1), b: z.string().min(1) }).strict(),
      run: async ({ a, b }) => {
        return { a: schedulePath(a), b: schedulePath(b), differences: diffSchedules(readSchedule(schedulePath(a)), readSchedule(schedulePath(b))) };
      },
    }),
    'schedule.bundle': method({
      summary: 'Write a tuned schedule (every check passed) with its model files into a new folder, with a manifest of every file\'s sha256, for another machine: replay, schedule validate and tessera/runtime take the folder.',
      params: z.object({ file: z.string().min(1), out: z.string().min(1) }).strict(),
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
          return await replaySchedule(loaded.schedule, { durationSec: p.durationSec, tolerance, differences, signal: ctx.signal, writeFiles: p.writeFiles, onProgress: (message) => ctx.progress({ message }) });
        } catch (e) {
          throw new EngineError(`replay of ${p.file}: ${(e as Error).message}`, ctx.signal.aborted ? 'cancelled' : 'failed', { cause: e });
        }
      },
    }),
  },
};
