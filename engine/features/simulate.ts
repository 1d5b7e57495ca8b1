// The scheduler capability: the policies, and (simulate.compare) comparing policies on a scenario in
// the discrete-event simulator.
import { z } from 'zod';
import { listPolicies } from '../../scheduler/core/policies';
import { method } from '../feature';

export const simulateFeature = {
  name: 'simulate',
  methods: {
    'policies.list': method({
      summary: 'The scheduling policies: name, label, family, what they do, their source, and whether they use variants, drop frames or adapt online.',
      params: z.object({}).strict(),
      run: async () => listPolicies(),
    }),
  },
};
