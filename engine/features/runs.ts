// Past live runs: the runs stored under the engine's data directory (runs/<id>/report.json and
// trace.json, written when a run ends), listed newest first, one run's report, and a run's file for
// a download (the report, or the Perfetto / Chrome trace JSON).
import { z } from 'zod';
import type { LiveReport } from '../../scheduler/live';
import { listRuns, readRunFile, readRunReport, RunStoreError, type RunFile, type StoredRunSummary } from '../../scheduler/live/runs-store';
import { EngineError, method } from '../feature';

/** Maps the store's errors to engine errors with a code the transports understand. */
function wrap<T>(p: Promise<T>): Promise<T> {
  return p.catch((e: unknown) => {
    if (e instanceof RunStoreError) {
      const code = e.code === 'bad-id' ? 'bad-request' : e.code === 'not-found' || e.code === 'missing-file' ? 'not-found' : e.code === 'corrupt' ? 'bad-run' : e.code === 'too-large' ? 'too-large' : 'failed';
      throw new EngineError(e.message, code, { cause: e });
    }
    throw e;
  });
}

const runId = z.string().min(1).max(300);

export const runsFeature = {
  name: 'runs',
  methods: {
    'runs.list': method({
      summary: 'Stored live runs, newest first: id, scenario, policy and switches, status, times, lanes, overall miss rate, energy source, files; unreadable ones with an error.',
      params: z.object({}).strict(),
      run: async (): Promise<StoredRunSummary[]> => wrap(listRuns()),
    }),
    'runs.get': method({
      summary: 'One stored live run\u2019s report (as live.start returned it).',
      params: z.object({ id: runId }).strict(),
      run: async ({ id }): Promise<LiveReport> => wrap(readRunReport(id)),
    }),
    'runs.export': method({
      summary: 'A stored live run\u2019s report JSON or Perfetto trace JSON, as a file to save.',
      params: z.object({ id: runId, file: z.enum(['report', 'trace']) }).strict(),
      run: async ({ id, file }): Promise<{ id: string; file: RunFile; filename: string; bytes: number; content: string }> => {
        const r = await wrap(readRunFile(id, file));
        return { id: r.id, file: r.file, filename: r.filename, bytes: r.bytes, content: r.content };
      },
    }),
  },
};
