// Tuned schedule files: made from a tuning outcome, written atomically, and loaded with every check
// the issue asks for before anything runs: known schema version, valid shape, every model present
// with the recorded sha256 (a mismatch names the file), and every lane available on this machine.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { writeFileAtomic } from '../../profiler/store';
import type { MachineFingerprint } from '../../profiler/types';
import { resolveModel } from '../../workloads/library';
import type { ModelRef, Scenario } from '../../workloads/scenario';
import { fromScenario } from '../live/scenario';
import { LiveSetupError } from '../live/models';
import type { LiveScenario } from '../live/types';
import { candidatePolicy, describeCandidate, measuredLane, OBJECTIVES, pickableAt, staticVariantPicks, type Granularity, type CandidateSummary, type Interval, type VariantChoice } from '../core/tune';
import type { TenantDef } from '../core/types';
import type { TuneOutcome, TuneProblem } from '../tune-run';
import { SCHEDULE_SCHEMA_VERSIONS, Schedule, scheduleVersionFor } from './format';
import { BUNDLE_MANIFEST, BundleManifest, ScheduleError } from './manifest';
import { isArchivePath, openBundleArchive } from './archive';

export { BUNDLE_MANIFEST, BUNDLE_SCHEDULE, BundleManifest, ScheduleError } from './manifest';

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

const fin = (x: number) => (Number.isFinite(x) ? x : null);
const iv = (i: Interval) => ({ mean: fin(i.mean), sd: fin(i.sd), lo: fin(i.lo), hi: fin(i.hi), n: i.n });
const metrics = (s: CandidateSummary) => ({ objective: iv(s.objective), missRate: iv(s.missRate), energyJ: iv(s.energyJ), averageWatts: iv(s.averageWatts), uxcost: iv(s.uxcost), xrbench: iv(s.xrbench), p99Ms: iv(s.p99Ms) });

/** The schedule of a tuning outcome's best candidate. Resolves every model to record its file and sha256. */
export async function makeSchedule(problem: TuneProblem, outcome: TuneOutcome, o: { tesseraVersion: string; scenarioBaseDir?: string; /** Where the simulated speed drift comes from, in words (engine tune.run: speed-drift.ts's detail). */ speedDriftBasis?: string; /** Another summarised candidate than the best (e.g. the best baseline, to validate it live). */ pick?: CandidateSummary }): Promise<Schedule> {
  const r = outcome.result;
  if (r.status === 'infeasible') throw new ScheduleError(`no schedule: the scenario is infeasible (${(r.infeasible ?? []).map((t) => `${t.tenant} needs ${t.bestIsolatedMs.toFixed(1)} ms alone, deadline ${t.deadlineMs.toFixed(1)} ms`).join('; ')})`, 'no-result');
  const best = o.pick ?? r.best;
  if (!best || !r.bestBaseline) throw new ScheduleError('no schedule: the search finished no candidate on every seed (give it a larger budget)', 'no-result');
  const c = best.candidate;
  const layout = problem.layouts[c.layout];
  const p0 = problem.profiles[0];
  const models = [];
  const definition: Scenario = structuredClone(problem.scenario);
  for (const [i, t] of definition.tenants.entries()) {
    const resolved = await resolveModel(t.model, { baseDir: o.scenarioBaseDir });
    if (t.model.kind === 'file' && resolved.path) t.model = { ...t.model, path: resolved.path };
    models.push({ tenant: t.id, model: resolved.name, ref: t.model, ...(resolved.path ? { path: resolved.path } : {}), sha256: resolved.sha256, profileId: problem.profiles[i].id });
  }
  const laneInfo = (id: string) => p0.lanes.find((l) => l.id === measuredLane(id));
  const eps = [...new Set(layout.lanes.map(measuredLane))].map((id) => {
    const l = laneInfo(id)!;
    return { id, ep: l.ep, ...(l.threads ? { threads: l.threads } : {}), ...(l.options ? { options: l.options } : {}) };
  });
  const spec = candidatePolicy(c);
  const params = c.dream ? { weights: c.dream.weights, dropMargin: c.dream.dropMargin } : c.terastal ? { budgetShare: c.terastal.budgetShare } : undefined;
  const w = layout.workload;
  const opts = outcome.options;
  const schedule: Schedule = {
    $schema: 'https://tessera.dev/schemas/schedule-v1.json',
    schemaVersion: scheduleVersionFor(c.granularity),
    kind: 'tessera-schedule',
    createdAt: new Date().toISOString(),
    tessera: o.tesseraVersion,
    machine: p0.machine,
    ortVersion: p0.ortVersion,
    executionProviders: eps,
    scenario: { ref: problem.scenarioRef, rateScale: problem.rateScale, definition },
    models,
    ...(r.infeasible?.length ? { infeasible: r.infeasible.map((t) => ({ tenant: t.tenant, bestIsolatedMs: t.bestIsolatedMs, deadlineMs: t.deadlineMs, ...(t.withVariantsMs !== undefined ? { withVariantsMs: t.withVariantsMs } : {}) })) } : {}),
    lanes: layout.lanes,
    policy: { name: c.policy, spec, ...(params ? { params } : {}) },
    options: { granularity: c.granularity, maxQueuePerTenant: c.maxQueuePerTenant, dropLate: c.dropLate },
    ...(c.pins ? { pins: c.pins.map((p) => (p === null ? null : layout.lanes[p % layout.lanes.length])) } : {}),
    variants: definition.tenants.map((t, i) => variantEntry(t.id, c.variants?.[i] ?? 'policy', w.tenants[i], c.granularity)),
    predicted: {
      source: `simulator (${describeCandidate(c, problem.layouts.map((l) => l.lanes.join('+')))}); latencies: ${w.latencySource.kind} (${w.latencySource.kind === 'measured' ? w.latencySource.profileId : w.latencySource.detail})${problem.calibration ? `, with machine calibration ${problem.calibration[c.layout]?.key} applied` : ''}; energy: ${w.energySource.kind}: ${w.energySource.detail}`,
      seeds: r.simSeeds,
      simulation: { durationSec: opts.sim.duration, latencyNoise: opts.sim.latencyNoise, jobNoise: opts.sim.jobNoise, window: opts.sim.window, ...(opts.sim.speedDrift !== undefined ? { speedDrift: opts.sim.speedDrift } : {}), ...(o.speedDriftBasis ? { speedDriftBasis: o.speedDriftBasis } : {}) },
      overall: metrics(best),
      perTenant: best.perTenant.map((t) => ({ tenant: t.tenant, missRate: iv(t.missRate), p99Ms: iv(t.p99Ms) })),
      baseline: { policy: r.bestBaseline.candidate.policy, overall: metrics(r.bestBaseline) },
      improvement: r.improvement !== undefined && Number.isFinite(r.improvement) ? r.improvement : null,
    },
    provenance: {
      objective: { ...r.objective, definition: OBJECTIVES[r.objective.kind] },
      searchSpace: { ...opts.space },
      layouts: problem.layouts.map((l) => l.lanes),
      budget: { candidates: opts.maxCandidates ?? 64, seconds: opts.budgetSec ?? null },
      seed: opts.seed ?? 1,
      rungs: r.rungs,
      candidatesTried: r.candidatesTried,
      simulations: r.simulations,
      wallSec: outcome.wallSec,
      workers: outcome.workers,
      status: r.status === 'stopped' ? 'stopped' : 'done',
      referencePolicy: r.referencePolicy,
      referenceJoules: r.referenceJoules,
      ...(r.missCap !== undefined && r.missCapBaseline ? { missCaps: { total: r.missCap, perTenant: r.tenantMissCaps ?? [], baseline: `${r.missCapBaseline.policy} at ${r.missCapBaseline.granularity} granularity` } } : {}),
      validation: [],
    },
  };
  return Schedule.parse(schedule);
}

/** A tenant's variant choice as the file records it; 'fastest' lists the layers that do not run the original. */
function variantEntry(tenant: string, choice: VariantChoice, tenantDef: TenantDef, granularity: Granularity): Schedule['variants'][number] {
  if (choice !== 'fastest') return { tenant, variant: choice };
  const t = pickableAt(tenantDef, granularity);
  const picks = staticVariantPicks(t);
  return { tenant, variant: choice, layers: picks.flatMap((k, i) => (k > 0 ? [{ layer: t.layers[i].name, variant: t.layers[i].variants[k].id }] : [])) };
}

export function writeSchedule(path: string, s: Schedule): void {
  writeFileAtomic(path, `${JSON.stringify(Schedule.parse(s), null, 2)}\n`);
}

// ---------------------------------------------------------------------------------------------
// Bundles: a folder (or one archive, archive.ts) with the schedule, its model files and a manifest of
// every file's sha256, so another machine can replay, validate or embed the schedule (bundle.ts
// writes them).

/**
 * A bundle folder (or its manifest), or a bundle archive (.tgz, .tar.gz, .tar: checked member by
 * member, then written to a private folder), given where a schedule file is expected: its folder,
 * else undefined.
 */
export function bundleDir(path: string): string | undefined {
  if (existsSync(path) && statSync(path).isDirectory()) return path;
  if (isArchivePath(path)) return openBundleArchive(path);
  if (basename(path) === BUNDLE_MANIFEST && existsSync(path)) return dirname(path);
  return undefined;
}

/** Checks every file a bundle's manifest lists (present, inside the folder, same sha256); returns the schedule file's path. */
export function verifyBundle(dir: string): string {
  const mf = join(dir, BUNDLE_MANIFEST);
  if (!existsSync(mf)) throw new ScheduleError(`${dir}: a folder but not a schedule bundle (no ${BUNDLE_MANIFEST}; \`tessera schedule bundle FILE --out DIR\` makes one)`, 'bad-schedule');
  let manifest: BundleManifest;
  try {
    manifest = BundleManifest.parse(JSON.parse(readFileSync(mf, 'utf8')));
  } catch (e) {
    throw new ScheduleError(`bundle manifest ${mf}: invalid (${(e as Error).message.slice(0, 300)})`, 'bad-schedule', { cause: e });
  }
  const root = resolve(dir);
  for (const f of manifest.files) {
    const file = resolve(root, f.path);
    if (!file.startsWith(root + '/') && !file.startsWith(root + '\\')) throw new ScheduleError(`bundle manifest ${mf}: file ${f.path} is outside the bundle folder`, 'bad-schedule');
    if (!existsSync(file)) throw new ScheduleError(`bundle ${dir}: ${file} is missing (listed in ${BUNDLE_MANIFEST}${f.tenant ? ` for tenant "${f.tenant}"` : ''}); copy the whole folder`, 'missing-model');
    const actual = sha256File(file);
    if (actual !== f.sha256) throw new ScheduleError(`bundle ${dir}: ${file}: sha256 ${actual} does not match the manifest's ${f.sha256}${f.tenant ? ` (tenant "${f.tenant}")` : ''}: the file changed after bundling; restore it or bundle again`, 'hash-mismatch');
  }
  return resolve(root, manifest.schedule);
}

/** File model paths relative to the schedule's folder (bundles) made absolute, so every reader resolves them alike. */
function absolutePaths(s: Schedule, dir: string): Schedule {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(dir, p));
  const ref = (r: ModelRef): ModelRef => (r.kind === 'file' ? { ...r, path: abs(r.path) } : r);
  for (const m of s.models) {
    if (m.path) m.path = abs(m.path);
    m.ref = ref(m.ref);
  }
  for (const t of s.scenario.definition.tenants) t.model = ref(t.model);
  return s;
}

/**
 * Reads and validates the file's shape and version; no model hashes or lanes checked (see
 * loadSchedule). A bundle folder (or its manifest) or archive is accepted: every file it lists is checked first.
 */
export function readSchedule(path: string): Schedule {
  const bundle = bundleDir(path);
  if (bundle) return readSchedule(verifyBundle(bundle));
  if (!existsSync(path)) throw new ScheduleError(`schedule ${path}: no such file`, 'bad-schedule');
  return absolutePaths(parseSchedule(readFileSync(path, 'utf8'), path), dirname(resolve(path)));
}

/** A schedule from its JSON text (`path` names it in errors): kind, known version, valid shape. */
export function parseSchedule(text: string, path: string): Schedule {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ScheduleError(`schedule ${path}: not JSON (${(e as Error).message})`, 'bad-schedule', { cause: e });
  }
  const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
  if ((raw as { kind?: unknown } | null)?.kind !== 'tessera-schedule') throw new ScheduleError(`schedule ${path}: not a Tessera schedule (kind must be "tessera-schedule"; \`tessera tune\` writes one)`, 'bad-schedule');
  if (typeof version !== 'number' || !SCHEDULE_SCHEMA_VERSIONS.includes(version)) throw new ScheduleError(`schedule ${path}: schemaVersion ${JSON.stringify(version)} is unknown; this Tessera reads version${SCHEDULE_SCHEMA_VERSIONS.length > 1 ? 's' : ''} ${SCHEDULE_SCHEMA_VERSIONS.join(', ')} (update Tessera, or re-tune)`, 'unknown-version');
  const parsed = Schedule.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new ScheduleError(`schedule ${path}: invalid: ${issues.join('; ')}`, 'bad-schedule');
  }
  return parsed.data;
}

export interface ScheduleCheck {
  /** Per model: the file checked and its state. */
  models: { tenant: string; file: string; ok: boolean; problem?: string }[];
  /** Per lane id: why it is not available here (undefined: available). */
  lanes: { id: string; ok: boolean; problem?: string }[];
}

export interface CheckOptions {
  /** Why a lane is not available on this machine (undefined: it is). Default: CPU lanes by core count, others probed. */
  laneProblem?: (lane: { id: string; ep: string; threads?: number }) => Promise<string | undefined>;
}

/** Every model's hash and every lane's availability, without throwing. */
export async function checkSchedule(s: Schedule, o: CheckOptions = {}): Promise<ScheduleCheck> {
  const models = [];
  for (const m of s.models) {
    let file = m.path;
    let actual: string | undefined;
    let problem: string | undefined;
    try {
      if (file && existsSync(file)) actual = sha256File(file);
      else {
        // Not at the recorded path (another machine): resolve the reference here.
        const r = await resolveModel(m.ref);
        file = r.path ?? `${m.model} (generated)`;
        actual = r.sha256;
      }
    } catch (e) {
      problem = `model of tenant "${m.tenant}" is missing: ${m.path ?? m.model} not found and ${(e as Error).message}`;
    }
    if (actual !== undefined && actual !== m.sha256) problem = `${file}: sha256 ${actual} does not match the schedule's ${m.sha256} (tenant "${m.tenant}"): the model changed since it was tuned; re-tune or restore the file`;
    models.push({ tenant: m.tenant, file: file ?? m.model, ok: !problem, ...(problem ? { problem } : {}) });
  }
  const laneProblem = o.laneProblem ?? defaultLaneProblem;
  const lanes = [];
  for (const id of s.lanes) {
    const ep = s.executionProviders.find((e) => e.id === measuredLane(id));
    const problem = ep ? await laneProblem(ep) : `lane ${id} has no execution provider entry in the schedule`;
    lanes.push({ id, ok: !problem, ...(problem ? { problem } : {}) });
  }
  return { models, lanes };
}

let probed: Promise<Map<string, string | undefined>> | undefined;
async function defaultLaneProblem(lane: { id: string; ep: string; threads?: number }): Promise<string | undefined> {
  if (lane.ep === 'cpu') {
    const cores = availableParallelism();
    return (lane.threads ?? 1) > cores ? `lane ${lane.id} needs ${lane.threads} CPU threads; this machine has ${cores} cores` : undefined;
  }
  probed ??= import('../../profiler/measure').then(async (m) => new Map((await m.listLanes({ probe: true })).map((l) => [l.ep, l.error])));
  const found = await probed;
  if (!found.has(lane.ep)) return `lane ${lane.id}: execution provider ${lane.ep} is not available in this ONNX Runtime build (tessera devices lists what is)`;
  return found.get(lane.ep);
}

/** Loads a schedule and refuses it (ScheduleError naming the file or lane) unless every check passes. */
export async function loadSchedule(path: string, o: CheckOptions = {}): Promise<{ schedule: Schedule; check: ScheduleCheck }> {
  const schedule = readSchedule(path);
  const check = await checkSchedule(schedule, o);
  const badModel = check.models.find((m) => !m.ok);
  if (badModel) throw new ScheduleError(`schedule ${path}: ${badModel.problem}`, /sha256/.test(badModel.problem ?? '') ? 'hash-mismatch' : 'missing-model');
  const badLanes = check.lanes.filter((l) => !l.ok);
  if (badLanes.length) throw new ScheduleError(`schedule ${path}: this machine lacks lane${badLanes.length > 1 ? 's' : ''} ${badLanes.map((l) => `${l.id} (${l.problem})`).join(', ')}; re-tune here`, 'missing-lane');
  return { schedule, check };
}

/**
 * The schedule's scenario for the live runtime, every model resolved and its bytes checked against
 * the recorded sha256 again (what runs is exactly what was checked).
 */
export async function liveScenarioOf(s: Schedule): Promise<LiveScenario> {
  const scenario = await fromScenario(s.scenario.definition);
  scenario.tenants.forEach((t, i) => {
    const m = s.models.find((x) => x.tenant === t.id);
    const bytes = typeof t.model === 'object' && 'bytes' in t.model ? t.model.bytes : undefined;
    if (!m || !bytes) throw new LiveSetupError(`tenant "${t.id}" has no model entry in the schedule`);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== m.sha256) throw new ScheduleError(`${m.path ?? m.model}: sha256 ${actual} does not match the schedule's ${m.sha256} (tenant "${s.scenario.definition.tenants[i].id}")`, 'hash-mismatch');
  });
  return scenario;
}

/** What differs between the machine / ORT the schedule was tuned on and this one. */
export function environmentDiff(s: Schedule, machine: MachineFingerprint, ortVersion: string): string[] {
  const out: string[] = [];
  if (s.machine.id !== machine.id) {
    for (const k of ['hostname', 'cpu', 'cores', 'memoryGiB', 'os'] as const) if (String(s.machine[k]) !== String(machine[k])) out.push(`machine ${k}: tuned on ${s.machine[k]}, here ${machine[k]}`);
    if (s.machine.gpus.join(', ') !== machine.gpus.join(', ')) out.push(`GPUs: tuned on ${s.machine.gpus.join(', ') || 'none'}, here ${machine.gpus.join(', ') || 'none'}`);
    if (!out.length) out.push(`machine fingerprint: tuned on ${s.machine.id}, here ${machine.id}`);
  }
  if (s.ortVersion !== ortVersion) out.push(`ONNX Runtime: tuned with ${s.ortVersion}, here ${ortVersion}`);
  return out;
}

/** Field-by-field differences of two schedules (paths into the JSON), ignoring createdAt. */
export function diffSchedules(a: Schedule, b: Schedule): { path: string; a: unknown; b: unknown }[] {
  const out: { path: string; a: unknown; b: unknown }[] = [];
  const walk = (x: unknown, y: unknown, path: string) => {
    if (path === 'createdAt' || path === '$schema') return;
    if (x && y && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x) === !Array.isArray(y)) {
      const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
      for (const k of keys) walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      return;
    }
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push({ path, a: x, b: y });
  };
  walk(a, b, '');
  return out;
}

/** Absolute path of a user-given schedule file. */
export const schedulePath = (p: string) => (isAbsolute(p) ? p : resolve(process.cwd(), p));
