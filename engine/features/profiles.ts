// The stored profiles: list, get, diff, export (the store is profiler/store.ts; its errors get
// their codes in engine/error-map.ts).
import { z } from 'zod';
import { diffProfiles, exportProfile, listProfiles, loadProfile, type ProfileDiff, type ProfileSummary } from '../../profiler/store';
import type { Profile } from '../../profiler/types';
import { method } from '../feature';

export const profilesFeature = {
  name: 'profiles',
  methods: {
    'profiles.list': method({
      summary: 'Stored profiles, newest first.',
      params: z.object({}).strict(),
      run: async (): Promise<ProfileSummary[]> => listProfiles(),
    }),
    'profiles.get': method({
      summary: 'One stored profile by id (or path).',
      params: z.object({ id: z.string().min(1) }).strict(),
      run: async ({ id }): Promise<Profile> => loadProfile(id),
    }),
    'profiles.diff': method({
      summary: 'Compare two profiles per layer and lane; changes beyond both medians\u2019 95% CIs are flagged.',
      params: z.object({ a: z.string().min(1), b: z.string().min(1) }).strict(),
      run: async ({ a, b }): Promise<ProfileDiff> => diffProfiles(loadProfile(a), loadProfile(b)),
    }),
    'profiles.export': method({
      summary: 'Export a profile as CSV (one row per layer and lane) or JSON.',
      params: z.object({ id: z.string().min(1), format: z.enum(['csv', 'json']).default('json') }).strict(),
      run: async ({ id, format }): Promise<{ id: string; format: 'csv' | 'json'; filename: string; content: string }> => {
        const p = loadProfile(id);
        return { id: p.id, format, filename: `${p.id}.${format}`, content: exportProfile(p, format) };
      },
    }),
  },
};
