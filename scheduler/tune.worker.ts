// A tuner worker: simulates (candidate, seed) pairs on the layouts it was started with
// (scheduler/tune-run.ts posts the requests, one at a time per worker, and collects the results).
import { workerPort } from '../base/worker-side';
import { evaluateCandidate, type EvalRequest, type SimSettings, type TuneLayout } from './core/tune';

const port = workerPort();
const { layouts, sim } = port.data as { layouts: TuneLayout[]; sim: SimSettings };
port.onMessage((m: { id: number; request: EvalRequest }) => {
  try {
    const r = m.request;
    port.post({ id: m.id, result: evaluateCandidate(layouts, r.candidate, r.seed, sim, r.referenceJoules, r.isolate) });
  } catch (e) {
    port.post({ id: m.id, error: (e as Error).stack ?? String(e) });
  }
});
