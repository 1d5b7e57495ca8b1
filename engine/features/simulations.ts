// Stored simulations: every simulate.compare result is stored (scheduler/history/simulations-store.ts,
// under the data directory); list, get, delete, and compare two (scheduler/history/compare.ts).
import { z } from 'zod';
import { compareResults, type ResultComparison } from '../../scheduler/history/compare';
import { deleteSimulation, listSimulations, readSimulation, type SimulationSummary, type StoredSimulation } from '../../scheduler/history/simulations-store';
import { method } from '../feature';

const simId = z.string().min(1).max(300);

export const simulationsFeature = {
  name: 'simulations',
  methods: {
    'simulations.list': method({
      summary: 'Stored simulations, newest first: id, scenario, policies, lanes, load, seeds, time, the best policy\u2019s miss rate; unreadable ones with an error.',
      params: z.object({}).strict(),
      run: async (): Promise<SimulationSummary[]> => listSimulations(),
    }),
    'simulations.get': method({
      summary: 'One stored simulation: what was asked (scenario, policies, lanes, load, seeds, parameters), when, and the full simulate.compare result.',
      params: z.object({ id: simId }).strict(),
      run: async ({ id }): Promise<StoredSimulation> => readSimulation(id),
    }),
    'simulations.delete': method({
      summary: 'Remove a stored simulation.',
      params: z.object({ id: simId }).strict(),
      run: async ({ id }): Promise<{ id: string; deleted: true }> => {
        await deleteSimulation(id);
        return { id, deleted: true };
      },
    }),
    'simulations.diff': method({
      summary: 'Compare two stored simulations side by side: one policy of each overall and per tenant (miss rate, mean/p95/p99 latency, energy), and every policy both ran.',
      params: z.object({ a: simId, b: simId, policyA: z.string().min(1).optional(), policyB: z.string().min(1).optional() }).strict(),
      run: async ({ a, b, policyA, policyB }): Promise<ResultComparison> => compareResults({ sim: readSimulation(a), policy: policyA }, { sim: readSimulation(b), policy: policyB }),
    }),
  },
};
