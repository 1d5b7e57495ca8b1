// One history: stored profiles, simulations and live runs together (scheduler/history/history.ts),
// and a side-by-side comparison of any two of them: two profiles per layer and lane
// (profiler/store.ts diffProfiles, as profiles.diff), or two results among simulations and live
// runs, overall and per tenant (scheduler/history/compare.ts).
import { z } from 'zod';
import { diffProfiles, listProfiles, loadProfile, type ProfileDiff } from '../../profiler/store';
import { CompareError, compareResults, type ResultComparison } from '../../scheduler/history/compare';
import { historyItems, type HistoryItem } from '../../scheduler/history/history';
import { listSimulations, readSimulation } from '../../scheduler/history/simulations-store';
import { listRuns, readRunReport } from '../../scheduler/live/runs-store';
import { method } from '../feature';

const ref = z
  .object({
    kind: z.enum(['profile', 'simulation', 'run']),
    id: z.string().min(1).max(300),
    /** A simulation's policy to compare (default: chosen to match the other side). */
    policy: z.string().min(1).optional(),
  })
  .strict();

type Ref = z.infer<typeof ref>;

export type HistoryComparison = { kind: 'profiles'; diff: ProfileDiff } | { kind: 'results'; comparison: ResultComparison };

async function resultOf(r: Ref) {
  return r.kind === 'simulation' ? { sim: readSimulation(r.id), policy: r.policy } : { run: await readRunReport(r.id) };
}

export const historyFeature = {
  name: 'history',
  methods: {
    'history.list': method({
      summary: 'Stored profiles, simulations and live runs in one list, newest first: kind, id, title, scenario, time, headline figure.',
      params: z.object({ kinds: z.array(z.enum(['profile', 'simulation', 'run'])).optional() }).strict(),
      run: async ({ kinds }): Promise<HistoryItem[]> => {
        const want = (k: HistoryItem['kind']) => !kinds || kinds.includes(k);
        const [simulations, runs] = await Promise.all([want('simulation') ? listSimulations() : [], want('run') ? listRuns() : []]);
        return historyItems({ profiles: want('profile') ? listProfiles() : [], simulations, runs });
      },
    }),
    'history.compare': method({
      summary: 'Compare two stored items side by side: two profiles (per layer and lane, against their noise), or two of simulations and live runs (overall and per tenant: miss rate, mean/p95/p99 latency, energy; deltas b - a).',
      params: z.object({ a: ref, b: ref }).strict(),
      run: async ({ a, b }): Promise<HistoryComparison> => {
        if (a.kind === 'profile' && b.kind === 'profile') return { kind: 'profiles', diff: diffProfiles(loadProfile(a.id), loadProfile(b.id)) };
        if (a.kind === 'profile' || b.kind === 'profile') {
          throw new CompareError(`a profile compares only with another profile (got ${a.kind} ${a.id} and ${b.kind} ${b.id}); simulations and live runs compare with each other`);
        }
        return { kind: 'results', comparison: compareResults(await resultOf(a), await resultOf(b)) };
      },
    }),
  },
};
