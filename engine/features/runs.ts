// Past live runs: the runs stored under the engine's data directory (runs/<id>/report.json and
// trace.json, written when a run ends), listed newest first, one run's report, and a run's file for
// a download (the report, or the Perfetto / Chrome trace JSON).
import { z } from 'zod';
import type { LiveReport } from '../../scheduler/live';
import { compareResults, type ResultComparison } from '../../scheduler/history/compare';
import { listRuns, readRunFile, readRunReport, type RunFile, type StoredRunSummary } from '../../scheduler/live/runs-store';
import { method } from '../feature';

const runId = z.string().min(1).max(300);

export const runsFeature = {
  name: 'runs',
  methods: {
    'runs.list': method({
      summary: 'Stored live runs, newest first: id, scenario, policy and switches, status, times, lanes, overall miss rate, energy source, files; unreadable ones with an error.',
      params: z.object({}).strict(),
      run: async (): Promise<StoredRunSummary[]> => listRuns(),
    }),
    'runs.get': method({
      summary: 'One stored live run\u2019s report (as live.start returned it).',
      params: z.object({ id: runId }).strict(),
      run: async ({ id }): Promise<LiveReport> => readRunReport(id),
    }),
    'runs.diff': method({
      summary: 'Compare two stored live runs side by side, overall and per tenant: miss rate, drop rate, mean/p95/p99 latency, energy (deltas b - a).',
      params: z.object({ a: runId, b: runId }).strict(),
      run: async ({ a, b }): Promise<ResultComparison> => compareResults({ run: await readRunReport(a) }, { run: await readRunReport(b) }),
    }),
    'runs.export': method({
      summary: 'A stored live run\u2019s report JSON or Perfetto trace JSON, as a file to save.',
      params: z.object({ id: runId, file: z.enum(['report', 'trace']) }).strict(),
      run: async ({ id, file }): Promise<{ id: string; file: RunFile; filename: string; bytes: number; content: string }> => {
        const r = await readRunFile(id, file);
        return { id: r.id, file: r.file, filename: r.filename, bytes: r.bytes, content: r.content };
      },
    }),
  },
};
