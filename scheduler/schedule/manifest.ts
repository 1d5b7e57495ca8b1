// What schedule files and bundles share without importing file.ts: the error every check raises, and
// the bundle manifest (the folder form, bundle.ts, and the archive form, archive.ts).
import { z } from 'zod';

/** A schedule that must not run; the message names the file or field and what to do. */
export class ScheduleError extends Error {
  constructor(
    message: string,
    readonly code: 'bad-schedule' | 'hash-mismatch' | 'missing-model' | 'unknown-version' | 'missing-lane' | 'no-result' | 'not-found',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ScheduleError';
  }
}

// Bundles: a folder or an archive with the schedule, its model files and a manifest of every file's
// sha256, so another machine can replay, validate or embed the schedule (bundle.ts writes them).
export const BUNDLE_MANIFEST = 'manifest.json';
export const BUNDLE_SCHEDULE = 'schedule.json';
export const BundleManifest = z
  .object({
    kind: z.literal('tessera-schedule-bundle'),
    bundleVersion: z.literal(1),
    createdAt: z.string(),
    schedule: z.string().describe('The schedule file, relative to the bundle folder.'),
    files: z.array(z.object({ path: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().min(0), tenant: z.string().optional() }).strict()).min(1),
  })
  .strict();
export type BundleManifest = z.infer<typeof BundleManifest>;

