// The tuned schedule file: what the tuner found for a scenario on one machine, what it is expected
// to achieve, and how it was found. Versioned; its JSON Schema (docs/schedule.schema.json) is
// generated from the zod schema below (test/schedule.test.ts checks it is up to date).
// Non-finite figures (a p99 when frames never finished) are written as null.
import { z } from 'zod';
import { ModelRef, Scenario } from '../../workloads/scenario';
import { GRANULARITY_PATTERN } from '../../common/granularity';

/**
 * The newest schema version. 1: granularity layer or model; 2 adds groups of K layers ('group:K').
 * A writer uses the lowest version that holds the file (scheduleVersionFor), so an older Tessera
 * still reads every schedule it can run and refuses the others as an unknown version.
 */
export const SCHEDULE_SCHEMA_VERSION = 2;
export const SCHEDULE_SCHEMA_VERSIONS: readonly number[] = [1, 2];

/** The lowest schema version that holds a schedule with this granularity. */
export const scheduleVersionFor = (granularity: string): 1 | 2 => (granularity.startsWith('group:') ? 2 : 1);
export const SCHEDULE_SCHEMA_ID = 'https://tessera.dev/schemas/schedule-v1.json';

const num = z.number().nullable();
export const Interval = z
  .object({
    mean: num,
    sd: num,
    lo: num.describe('95% confidence interval of the mean over the simulation seeds (Student t).'),
    hi: num,
    n: z.number().int().min(0).describe('Seeds the figure is over.'),
  })
  .strict();

const Lane = z
  .object({
    id: z.string().min(1).describe('Lane id as the profiles measured it, e.g. cpu:1, cpu:2, webgpu; a second copy is cpu:1#1.'),
    ep: z.string().min(1).describe('ONNX Runtime execution provider.'),
    threads: z.number().int().positive().optional(),
    options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional().describe('EP / session options (the adapter, where the profile recorded one).'),
  })
  .strict();

const Metrics = z
  .object({
    objective: Interval,
    missRate: Interval,
    energyJ: Interval,
    averageWatts: Interval,
    uxcost: Interval,
    xrbench: Interval,
    p99Ms: Interval,
  })
  .strict();

export const Schedule = z
  .object({
    $schema: z.string().optional(),
    schemaVersion: z.union([z.literal(1), z.literal(2)]).describe('1: granularity layer or model; 2 adds group:K. Writers use the lowest version that holds the file.'),
    kind: z.literal('tessera-schedule'),
    createdAt: z.string(),
    tessera: z.string().describe('Version of Tessera that wrote it.'),
    machine: z
      .object({ id: z.string(), hostname: z.string(), cpu: z.string(), cores: z.number().int(), memoryGiB: z.number(), os: z.string(), gpus: z.array(z.string()) })
      .strict()
      .describe('Fingerprint of the machine the profiles were measured on.'),
    ortVersion: z.string().describe('ONNX Runtime version of the profiles.'),
    executionProviders: z.array(Lane).describe('Every lane the schedule uses, with its execution provider.'),
    scenario: z
      .object({
        ref: z.string().describe('The scenario as given to the tuner (library id or file).'),
        rateScale: z.number().positive().describe('Every frame rate multiplied by this (the load the schedule was tuned at).'),
        definition: Scenario.describe('The scenario itself (file model paths made absolute).'),
      })
      .strict(),
    models: z
      .array(
        z
          .object({
            tenant: z.string(),
            model: z.string(),
            ref: ModelRef,
            path: z.string().optional().describe('The ONNX file on the tuning machine.'),
            sha256: z.string().regex(/^[0-9a-f]{64}$/),
            profileId: z.string().describe('The stored profile the latencies came from.'),
          })
          .strict(),
      )
      .min(1),
    infeasible: z
      .array(z.object({ tenant: z.string(), bestIsolatedMs: z.number(), deadlineMs: z.number(), withVariantsMs: z.number().optional().describe('The same with its measured layer variants, where the search left them out.') }).strict())
      .optional()
      .describe('Tenants that miss their deadline even alone on this machine, on its fastest lanes (and variants, where the schedule uses them): the schedule cannot meet their deadlines (the others were still tuned).'),
    lanes: z.array(z.string().min(1)).min(1).describe('The lane layout, in order.'),
    policy: z
      .object({
        name: z.string().min(1),
        spec: z.string().min(1).describe('Policy with its parameters as one string, as createPolicy() and `tessera run --policy` take it.'),
        params: z.record(z.string(), z.unknown()).optional(),
      })
      .strict(),
    options: z
      .object({
        granularity: z.string().regex(GRANULARITY_PATTERN).describe("What one dispatch runs: 'layer', 'model', or 'group:K' (K consecutive layers; schemaVersion 2)."),
        maxQueuePerTenant: z.number().int().positive(),
        dropLate: z.boolean(),
      })
      .strict(),
    pins: z.array(z.string().nullable()).optional().describe('Per tenant: the lane it is pinned to, or null. Its layers run only there, where that lane can run them (the simulator and the live runtime apply the same rule).'),
    variants: z
      .array(
        z
          .object({
            tenant: z.string(),
            variant: z.string().describe("'policy': the policy picks among the measured variants within the tenant's accuracy budget; 'original': original layers only; 'fastest': one fixed implementation per layer (see layers)."),
            layers: z.array(z.object({ layer: z.string(), variant: z.string() }).strict()).optional().describe("'fastest': the layers that run a variant, and which (the others run the original)."),
          })
          .strict(),
      )
      .describe("Per tenant: its variant choice. The live runtime applies 'original' and 'fastest' (it makes and verifies the listed variants again and loads them on every lane before the run); for 'policy' it runs the original layers."),
    predicted: z
      .object({
        source: z.string().describe('Simulator, with the profiles\' latencies and the energy source.'),
        seeds: z.array(z.number().int()),
        simulation: z.object({ durationSec: z.number(), latencyNoise: z.number(), jobNoise: z.number(), window: z.number(), speedDrift: z.number().optional(), speedDriftBasis: z.string().optional().describe('Where speedDrift comes from: given, measured from the profiles\' whole-model drift checks, or the default.') }).strict(),
        overall: Metrics,
        perTenant: z.array(z.object({ tenant: z.string(), missRate: Interval, p99Ms: Interval }).strict()),
        baseline: z.object({ policy: z.string(), overall: Metrics }).strict().describe('The best untuned policy on the default lanes, for comparison.'),
        improvement: z.number().nullable().describe('(baseline objective - tuned objective) / |baseline objective|.'),
      })
      .strict(),
    provenance: z
      .object({
        objective: z.object({ kind: z.enum(['uxcost', 'miss-under-cap', 'xrbench', 'p99']), energyCapWatts: z.number().optional(), definition: z.string() }).strict(),
        searchSpace: z.record(z.string(), z.unknown()),
        layouts: z.array(z.array(z.string())),
        budget: z.object({ candidates: z.number().int(), seconds: z.number().nullable() }).strict(),
        seed: z.number().int(),
        rungs: z.array(z.number().int()),
        candidatesTried: z.number().int(),
        simulations: z.number().int(),
        wallSec: z.number(),
        workers: z.number().int(),
        status: z.enum(['done', 'stopped']),
        referencePolicy: z.string(),
        referenceJoules: z.number(),
        /** UXCost: the miss caps candidates were ranked under (scheduler/core/tune/miss-cap.ts), from the least-missing untuned policy. */
        missCaps: z.object({ total: z.number(), perTenant: z.array(z.object({ tenant: z.string(), missCap: z.number() }).strict()), baseline: z.string() }).strict().optional(),
        validation: z
          .array(
            z
              .object({
                runId: z.string(),
                durationSec: z.number(),
                measured: z.object({ missRate: z.number(), energyJ: z.number(), p95LatencyMs: z.number().nullable() }).strict(),
                perTenant: z.array(z.object({ tenant: z.string(), measuredMissRate: z.number(), predictedMissRate: z.number().nullable() }).strict()),
              })
              .strict(),
          )
          .describe('Short live runs of the schedule on the tuning machine (predicted vs measured).'),
      })
      .strict(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.schemaVersion < scheduleVersionFor(s.options.granularity)) ctx.addIssue({ code: 'custom', path: ['options', 'granularity'], message: `granularity ${s.options.granularity} needs schemaVersion ${scheduleVersionFor(s.options.granularity)}` });
  });
export type Schedule = z.infer<typeof Schedule>;

/** The published JSON Schema (draft 2020-12) of a schedule file. */
export function scheduleJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(Schedule, { target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    $id: SCHEDULE_SCHEMA_ID,
    title: `Tessera tuned schedule (schemaVersion ${SCHEDULE_SCHEMA_VERSIONS.join(' or ')})`,
    description: 'A tuned schedule: machine, ONNX Runtime, lanes, every model with its sha256, the policy with its parameters, predicted metrics with confidence intervals and the provenance of the search. Generated from scheduler/schedule/format.ts; do not edit by hand.',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
}
