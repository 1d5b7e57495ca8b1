// The scheduling policies (scheduler/core/policies: the registry), as the simulator and the live
// runtime know them.
import { z } from 'zod';
import { listPolicies } from '../../scheduler/core/policies';
import { method } from '../feature';

export const policiesFeature = {
  name: 'policies',
  methods: {
    'policies.list': method({
      summary: 'The scheduling policies: name, label, family, what they do, their source, and whether they use variants, drop frames or adapt online.',
      params: z.object({}).strict(),
      run: async () => listPolicies(),
    }),
  },
};
