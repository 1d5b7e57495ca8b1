// `tessera tune SCENARIO ...`: searches a schedule in the simulator on the stored profiles and
// writes the tuned schedule file (engine tune.run); `tessera schedule show|validate|diff` reads and
// checks schedule files; `tessera replay FILE` runs one live and compares it with its expectations,
// exiting 1 beyond the tolerance (a CI gate).
import { ApiCallError } from '../../engine/client';
import { localClient } from '../../engine/local';
import type { TuneRunResult } from '../../engine/features/tune';
import { describeCandidate, missCapRule, OBJECTIVES, type CandidateSummary, type Interval } from '../../scheduler/core/tune';
import type { Schedule } from '../../scheduler/schedule/format';
import type { ReplayResult } from '../../scheduler/schedule/replay';
import { hindsightText } from '../../scheduler/schedule/hindsight';
import { UsageError, type CliCommand, type CliContext } from '../command';
import { parseChoice, parseDuration, parseList, parseNumber } from '../args';

const pct = (x: number | null | undefined) => (typeof x === 'number' && Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '-');
const ci = (i: Pick<Interval, 'mean' | 'lo' | 'hi'> | { mean: number | null; lo: number | null; hi: number | null }, f: (x: number) => string) =>
  i.mean === null || !Number.isFinite(i.mean) ? '-' : `${f(i.mean)} [${i.lo === null || !Number.isFinite(i.lo) ? '-' : f(i.lo)}, ${i.hi === null || !Number.isFinite(i.hi) ? '-' : f(i.hi)}]`;
const n4 = (x: number) => x.toFixed(4);


export function formatTune(r: TuneRunResult): string {
  const out: string[] = [];
  const t = r.result;
  const layouts = r.layouts.map((l) => l.join('+'));
  out.push(`Scenario: ${r.scenario} (frame rates x${+r.rateScale.toFixed(4)}); profiles: ${Object.entries(r.profiles).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  if (r.profiled.length) out.push(`Profiled first (short profiles): ${r.profiled.join(', ')}`);
  out.push(`Lane layouts searched: ${layouts.join(' | ')}`);
  out.push(`Speed drift (each simulated run slowed or sped up as a whole): ${r.speedDrift.detail}`);
  for (const x of r.wholeModelLimits ?? []) out.push(`Fixed variants of ${x.tenant} at model granularity: ${x.reason}; its picks there leave them out, as the live runtime does`);
  for (const c of r.calibration ?? []) out.push(`Machine calibration on ${c.lanes.join('+')}: ${c.key} (${c.createdAt}): ${c.notes.join('; ')}`);
  out.push(`Objective: ${t.objective.kind}${t.objective.energyCapWatts ? ` (cap ${t.objective.energyCapWatts} W)` : ''}: ${OBJECTIVES[t.objective.kind]}${Number.isFinite(t.referenceJoules) ? `; E_ref = ${t.referenceJoules.toFixed(3)} J (${t.referencePolicy})` : ''}`);
  if (t.infeasible?.length) {
    out.push('');
    out.push('INFEASIBLE: no schedule can meet these deadlines. Even alone on the machine, with every layer on its fastest lane (and variant, where the search uses them):');
    for (const x of t.infeasible) out.push(`  ${x.tenant}: needs ${x.bestIsolatedMs.toFixed(2)} ms, deadline ${x.deadlineMs.toFixed(2)} ms${x.withVariantsMs !== undefined ? ` (${x.withVariantsMs.toFixed(2)} ms with its measured layer variants, which this search left out)` : ''}`);
    out.push('Lower its frame rate or resolution, relax its deadline, or add a faster lane.');
    if (t.status === 'infeasible') return out.join('\n') + '\n';
    out.push('The search below still tuned the schedule for the other tenants; the schedule file is marked infeasible for these.');
  }
  out.push(`Search: ${t.candidatesTried} candidates (${t.status}), ${t.simulations} simulations${t.fromCheckpoint ? ` (+${t.fromCheckpoint} from the checkpoint)` : ''}, seeds ${t.simSeeds.join(',')}, successive halving rungs ${t.rungs.join('/')}, ${r.workers} worker threads, ${r.wallSec.toFixed(1)} s`);
  out.push('');
  const row = (s: CandidateSummary) => [describeCandidate(s.candidate, layouts), s.overMissCap ? 'over the miss cap' : ci(s.objective, n4), ci(s.missRate, pct), ci(s.energyJ, (x) => x.toFixed(2)), ci(s.p99Ms, (x) => x.toFixed(1))];
  const table = (rows: string[][]) => {
    const head = ['candidate', 'objective [95% CI]', 'miss rate', 'energy J', 'p99 ms'];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
    return [head, ...rows].map((x) => x.map((c, i) => c.padEnd(w[i])).join('  ')).join('\n');
  };
  out.push('Untuned policies (default lanes, simulator defaults):');
  out.push(table(t.baselines.map(row)));
  out.push('');
  out.push('Best tuned candidates:');
  out.push(table(t.top.slice(0, 5).map(row)));
  out.push('');
  out.push(`Pareto front (miss rate vs energy): ${t.pareto.map((p) => `${pct(p.missRate.mean)} / ${p.energyJ.mean.toFixed(2)} J (${p.candidate.policy})`).join('; ')}`);
  const capRule = missCapRule(t, pct);
  if (capRule) out.push(`Ranking: ${capRule}`);
  if (t.floor) out.push(`Floor (each tenant alone on the machine, same seeds and noise, on lanes ${r.layouts[t.floor.layout ?? 0]?.join('+')}; every frame run on its least-energy lane and implementation there): miss rate ${pct(t.floor.missRate)}, energy ${t.floor.energyJ.toFixed(2)} J, UXCost ${n4(t.floor.uxcost)}${t.floor.headroom !== undefined ? `: ${headroomText(t.floor.headroom)}` : ''}; per tenant ${t.floor.perTenant.map((x) => `${x.tenant} ${pct(x.missRate)}`).join(', ')}`);
  if (t.best && t.bestBaseline) out.push(`Best: ${describeCandidate(t.best.candidate, layouts)}: objective ${n4(t.best.objective.mean)} vs best untuned ${t.bestBaseline.candidate.policy} ${n4(t.bestBaseline.objective.mean)} (${t.improvement !== undefined ? `${(100 * t.improvement).toFixed(1)}% better${t.improvementInterval && t.improvementInterval.n > 1 ? ` [95% CI ${(100 * t.improvementInterval.lo).toFixed(1)}%, ${(100 * t.improvementInterval.hi).toFixed(1)}%] paired seed by seed` : ''}` : '-'})`);
  if (r.validation?.length || r.validationFailed?.length) out.push('', 'Live validation on this machine (predicted by the simulator vs measured):', ...formatValidation(r.validation ?? [], r.validationFailed));
  if (r.out) out.push(`Schedule written to ${r.out} (check it: tessera schedule validate ${r.out}; run it: tessera replay ${r.out})`);
  return out.join('\n') + '\n';
}

/** What the floor allows, in words (negative: the best untuned policy already beats running every frame, by dropping frames). */
export function headroomText(h: number): string {
  return h >= 0 ? `at most ${(100 * h).toFixed(1)}% below the best untuned policy for a schedule that runs every frame` : 'no headroom for a schedule that runs every frame: the best untuned policy spends less by dropping frames';
}

/** One line per live check: the best untuned policy, then the top tuned candidates. */
export function formatValidation(rows: NonNullable<TuneRunResult['validation']>, failed: TuneRunResult['validationFailed'] = []): string[] {
  const failures = failed.map((x) => `  ${x.which === 'untuned' ? 'untuned' : `tuned #${x.rank}`}: ${x.candidate}: FAILED live: ${x.error}`);
  return [...rows.map(
    (x) =>
      `  ${x.which === 'untuned' ? 'untuned' : `tuned #${x.rank}`}: ${x.candidate}: miss rate ${pct(x.predictedMissRate)}${x.predictedMissRange ? ` (one run ${pct(x.predictedMissRange[0])}-${pct(x.predictedMissRange[1])})` : ''} -> ${pct(x.measuredMissRate)}${x.predictedMissRange ? (x.measuredMissRate > x.predictedMissRange[1] + 1e-9 || x.measuredMissRate < x.predictedMissRange[0] - 1e-9 ? ' OUTSIDE the prediction' : ' within it') : ''}, energy ${x.predictedEnergyJ !== null ? x.predictedEnergyJ.toFixed(2) : '-'} -> ${x.measuredEnergyJ.toFixed(2)} J ${x.energySource === 'measured' ? 'measured' : 'ESTIMATE'}` +
      `${x.appliedLive?.length ? `; applied live: ${x.appliedLive.join(', ')}` : ''}${x.notAppliedLive.length ? `; ran live WITHOUT ${x.notAppliedLive.join(', ')}` : ''} (run ${x.runId}); per tenant ${x.perTenant.map((t) => `${t.tenant} ${pct(t.predictedMissRate)} -> ${pct(t.measuredMissRate)}`).join(', ')}${hindsightText(x, pct) ? `; ${hindsightText(x, pct)}` : ''}`,
  ), ...failures];
}

export const tuneCommand: CliCommand = {
  name: 'tune',
  summary: 'Search the best schedule for a scenario in the simulator on its stored profiles; write it as a tuned schedule file.',
  usage:
    'tessera tune SCENARIO [--profile ID,...|--profile-missing] [--objective uxcost|miss-under-cap|xrbench|p99] [--energy-cap W] [--budget 5m] [--candidates N] [--seed N] [--seeds 5] ' +
    '[--duration 10s] [--load X [--load-basis layer|model]|--scale S] [--layouts cpu:1+cpu:1,cpu:2] [--policies a,b] [--simulator-only] [--calibrated] [--speed-drift auto|SD] [--workers N] [--checkpoint FILE [--resume]] [--validate 10s [--validate-top 3]] [--out FILE] [--json]',
  options: {
    profile: { type: 'string' },
    'profile-missing': { type: 'boolean' },
    'profile-budget': { type: 'string', default: '20s' },
    objective: { type: 'string', default: 'uxcost' },
    'energy-cap': { type: 'string' },
    budget: { type: 'string' },
    candidates: { type: 'string' },
    seed: { type: 'string', default: '1' },
    seeds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '10s' },
    load: { type: 'string' },
    'load-basis': { type: 'string', default: 'layer' },
    scale: { type: 'string' },
    layouts: { type: 'string' },
    policies: { type: 'string' },
    'simulator-only': { type: 'boolean' },
    workers: { type: 'string' },
    checkpoint: { type: 'string' },
    resume: { type: 'boolean' },
    validate: { type: 'string' },
    'validate-top': { type: 'string' },
    calibrated: { type: 'boolean' },
    'speed-drift': { type: 'string' },
    out: { type: 'string' },
  },
  async run(ctx) {
    const v = ctx.values;
    const scenario = ctx.positionals[0];
    if (!scenario) throw new UsageError('give a scenario, e.g. tessera tune mixed/reading_assistant --profile-missing --budget 90s --out s.json');
    const objective = parseChoice(v.objective, '--objective', Object.keys(OBJECTIVES) as (keyof typeof OBJECTIVES)[]);
    if (v.profile && v['profile-missing']) throw new UsageError('give --profile or --profile-missing, not both');
    // A time budget (wall clock) and/or a candidate budget (reproducible: same seed, same result).
    const budgetSec = v.budget !== undefined ? parseDuration(v.budget, '--budget') : undefined;
    const candidates = v.candidates !== undefined ? parseNumber(v.candidates, '--candidates', { integer: true, min: 1, minInclusive: true }) : budgetSec !== undefined ? 100_000 : 64;
    const params = {
      scenario,
      profiles: parseList(v.profile),
      profileMissing: !!v['profile-missing'],
      profileBudgetSec: parseDuration(v['profile-budget'], '--profile-budget'),
      objective,
      ...(v['energy-cap'] !== undefined ? { energyCapWatts: parseNumber(v['energy-cap'], '--energy-cap') } : {}),
      candidates,
      ...(budgetSec !== undefined ? { budgetSec } : {}),
      seed: parseNumber(v.seed, '--seed', { integer: true, min: 0, minInclusive: true }),
      simSeeds: parseNumber(v.seeds, '--seeds', { integer: true, min: 1, minInclusive: true, max: 50 }),
      durationSec: parseDuration(v.duration),
      ...(v.load !== undefined ? { load: parseNumber(v.load, '--load'), loadGranularity: parseChoice(v['load-basis'], '--load-basis', ['layer', 'model'] as const) } : {}),
      ...(v.scale !== undefined ? { scale: parseNumber(v.scale, '--scale') } : {}),
      ...(v.layouts !== undefined ? { layouts: String(v.layouts).split(',').map((l) => l.split('+').map((s) => s.trim()).filter(Boolean)) } : {}),
      ...(v.policies !== undefined ? { policies: parseList(v.policies) } : {}),
      simulatorOnly: !!v['simulator-only'],
      ...(v.calibrated ? { machineCalibration: true } : {}),
      // auto (the default): estimated from the profiles' drift checks (speed-drift.ts).
      ...(v['speed-drift'] !== undefined && v['speed-drift'] !== 'auto' ? { speedDrift: parseNumber(v['speed-drift'], '--speed-drift', { min: 0, minInclusive: true, max: 1 }) } : {}),
      ...(v.workers !== undefined ? { workers: parseNumber(v.workers, '--workers', { integer: true, min: 0, minInclusive: true }) } : {}),
      ...(v.checkpoint !== undefined ? { checkpoint: String(v.checkpoint), resume: !!v.resume } : {}),
      ...(v.out !== undefined ? { out: String(v.out) } : {}),
      ...(v.validate !== undefined ? { validateSec: parseDuration(v.validate, '--validate') } : {}),
      ...(v['validate-top'] !== undefined ? { validateTop: parseNumber(v['validate-top'], '--validate-top', { integer: true, min: 1, minInclusive: true, max: 10 }) } : {}),
    };
    const tty = Boolean(process.stderr.isTTY);
    const { client, close } = localClient();
    try {
      ctx.stderr(`tuning ${scenario} (${objective}, budget ${budgetSec !== undefined ? `${budgetSec} s, ` : ''}${candidates} candidates at most, seed ${params.seed})\n`);
      let last = 0;
      const r = await client.call('tune.run', params, {
        signal: ctx.signal,
        onProgress: (p) => {
          const now = Date.now();
          if (tty) ctx.stderr(`\r\x1b[2K  ${p.message}`);
          else if (now - last > 5000) {
            last = now;
            ctx.stderr(`  ${p.message}\n`);
          }
        },
      });
      if (tty) ctx.stderr('\r\x1b[2K');
      ctx.stdout(ctx.json ? JSON.stringify(r, null, 2) + '\n' : formatTune(r));
      return r.result.status === 'infeasible' ? 1 : 0;
    } catch (e) {
      if (e instanceof ApiCallError && ['bad-scenario', 'bad-request', 'bad-profile'].includes(e.code)) throw new UsageError(e.message);
      if (e instanceof ApiCallError && e.code === 'cancelled') return 130;
      throw e;
    } finally {
      close();
    }
  },
};

export function formatSchedule(s: Schedule): string {
  const o = s.predicted.overall;
  const out = [
    `Tuned schedule for ${s.scenario.ref} (${s.scenario.definition.name}, frame rates x${+s.scenario.rateScale.toFixed(4)}), made ${s.createdAt} by Tessera ${s.tessera}`,
    `Machine: ${s.machine.hostname} (${s.machine.cpu}, ${s.machine.cores} cores, ${s.machine.os}${s.machine.gpus.length ? `, ${s.machine.gpus.join(', ')}` : ''}); ONNX Runtime ${s.ortVersion}`,
    `Lanes: ${s.lanes.join(', ')} (${s.executionProviders.map((e) => `${e.id}: ${e.ep}${e.threads ? ` x${e.threads} threads` : ''}`).join('; ')})`,
    `Policy: ${s.policy.spec}; granularity ${s.options.granularity}; queue bound ${s.options.maxQueuePerTenant}${s.options.dropLate ? '; drops late frames' : ''}${s.pins ? `; pins ${s.pins.map((p, i) => `${s.models[i]?.tenant}->${p ?? 'free'}`).join(', ')}` : ''}`,
    `Models: ${s.models.map((m) => `${m.tenant}: ${m.model} sha256 ${m.sha256.slice(0, 12)}... (profile ${m.profileId})`).join('; ')}`,
    ...(s.variants.some((v) => v.variant !== 'policy') ? [`Variants (simulator only so far): ${s.variants.map((v) => `${v.tenant} ${v.variant}${v.layers?.length ? ` (${v.layers.map((l) => `${l.layer}=${l.variant}`).join(', ')})` : ''}`).join('; ')}`] : []),
    ...(s.infeasible ?? []).map((t) => `INFEASIBLE: ${t.tenant} needs ${t.bestIsolatedMs.toFixed(1)} ms alone, deadline ${t.deadlineMs.toFixed(1)} ms: this schedule cannot meet its deadlines`),
    `Predicted (${s.predicted.source}; mean [95% CI] over seeds ${s.predicted.seeds.join(',')}; speed drift ${s.predicted.simulation.speedDriftBasis ?? (s.predicted.simulation.speedDrift !== undefined ? `sd ${s.predicted.simulation.speedDrift}` : 'none')}):`,
    `  objective ${s.provenance.objective.kind} ${ci(o.objective, n4)}; miss rate ${ci(o.missRate, pct)}; energy ${ci(o.energyJ, (x) => `${x.toFixed(2)} J`)}; p99 ${ci(o.p99Ms, (x) => `${x.toFixed(1)} ms`)}; UXCost ${ci(o.uxcost, n4)}; XRBench ${ci(o.xrbench, n4)}`,
    ...s.predicted.perTenant.map((t) => `  ${t.tenant}: miss rate ${ci(t.missRate, pct)}, p99 ${ci(t.p99Ms, (x) => `${x.toFixed(1)} ms`)}`),
    `  best untuned (${s.predicted.baseline.policy}): objective ${ci(s.predicted.baseline.overall.objective, n4)}, miss rate ${ci(s.predicted.baseline.overall.missRate, pct)}; improvement ${s.predicted.improvement === null ? '-' : `${(100 * s.predicted.improvement).toFixed(1)}%`}`,
    `Provenance: seed ${s.provenance.seed}, ${s.provenance.candidatesTried} candidates (${s.provenance.status}), ${s.provenance.simulations} simulations in ${s.provenance.wallSec.toFixed(1)} s on ${s.provenance.workers} workers; budget ${s.provenance.budget.seconds !== null ? `${s.provenance.budget.seconds} s` : `${s.provenance.budget.candidates} candidates`}; layouts ${s.provenance.layouts.map((l) => l.join('+')).join(' | ')}; validation runs: ${s.provenance.validation.length || 'none'}`,
    ...(s.provenance.missCaps ? [`Ranked under miss caps (from ${s.provenance.missCaps.baseline}, untuned): ${pct(s.provenance.missCaps.total)} of all frames; per tenant ${s.provenance.missCaps.perTenant.map((x) => `${x.tenant} ${pct(x.missCap)}`).join(', ')}`] : []),
  ];
  return out.join('\n') + '\n';
}

export const scheduleCommand: CliCommand = {
  name: 'schedule',
  summary: 'Show, validate (hashes, lanes, schema), diff or bundle tuned schedule files.',
  usage: 'tessera schedule show FILE | validate FILE | diff A B | bundle FILE --out DIR|X.tgz|X.tar   [--json]   (FILE may be a bundle folder or archive)',
  options: { out: { type: 'string' } },
  async run(ctx) {
    const [sub, ...args] = ctx.positionals;
    const need = (n: number, what: string) => {
      if (args.length !== n) throw new UsageError(`schedule ${sub} needs ${what}`);
    };
    const { client, close } = localClient();
    try {
      switch (sub) {
        case 'show': {
          need(1, 'a schedule file');
          const s = await client.call('schedule.show', { file: args[0] });
          ctx.stdout(ctx.json ? JSON.stringify(s, null, 2) + '\n' : formatSchedule(s));
          return 0;
        }
        case 'validate': {
          need(1, 'a schedule file');
          const r = await client.call('schedule.validate', { file: args[0] });
          if (ctx.json) ctx.stdout(JSON.stringify(r, null, 2) + '\n');
          else {
            ctx.stdout(`${r.file}: ${r.ok ? (r.warnings.length ? 'OK, WITH WARNINGS' : 'OK') : 'REFUSED'}\n`);
            for (const w of r.warnings) ctx.stdout(`  ${w}\n`);
            for (const m of r.check.models) ctx.stdout(`  model ${m.tenant}: ${m.ok ? `${m.file} sha256 matches` : m.problem}\n`);
            for (const l of r.check.lanes) ctx.stdout(`  lane ${l.id}: ${l.ok ? 'available' : l.problem}\n`);
            for (const d of r.differences) ctx.stdout(`  differs: ${d}\n`);
          }
          return r.ok ? 0 : 1;
        }
        case 'diff': {
          need(2, 'two schedule files');
          const r = await client.call('schedule.diff', { a: args[0], b: args[1] });
          if (ctx.json) ctx.stdout(JSON.stringify(r, null, 2) + '\n');
          else if (!r.differences.length) ctx.stdout('no differences (apart from createdAt)\n');
          else for (const d of r.differences) ctx.stdout(`${d.path}: ${JSON.stringify(d.a)} -> ${JSON.stringify(d.b)}\n`);
          return 0;
        }
        case 'bundle': {
          need(1, 'a schedule file');
          if (!ctx.values.out) throw new UsageError('schedule bundle needs --out DIR (a new folder) or --out X.tgz (one archive; .tar.gz and .tar too)');
          const r = await client.call('schedule.bundle', { file: args[0], out: String(ctx.values.out) });
          if (ctx.json) ctx.stdout(JSON.stringify(r, null, 2) + '\n');
          else {
            ctx.stdout(`Bundle ${r.form === 'archive' ? 'archive' : 'folder'} written to ${r.dir}:\n`);
            for (const f of r.manifest.files) ctx.stdout(`  ${f.path}  ${(f.bytes / 1e6).toFixed(2)} MB  sha256 ${f.sha256}${f.tenant ? `  (${f.tenant})` : ''}\n`);
            ctx.stdout(`Copy the ${r.form === 'archive' ? 'file' : 'folder'}; then: tessera schedule validate ${r.dir}; tessera replay ${r.dir}; or openSchedule('${r.dir}') from tessera/runtime\n`);
          }
          return 0;
        }
        default:
          throw new UsageError(`schedule: unknown subcommand ${sub ?? '(none)'}; ${this.usage}`);
      }
    } catch (e) {
      return reportEngineError(e, ctx);
    } finally {
      close();
    }
  },
};

/** An engine error about the given files or lanes (any code but 'failed', an internal error): its message alone, exit 1. */
function reportEngineError(e: unknown, ctx: CliContext): number {
  if (e instanceof ApiCallError && e.code !== 'failed') {
    ctx.stderr(`${e.message}\n`);
    return 1;
  }
  throw e;
}

export function formatReplay(r: ReplayResult): string {
  const out = [r.differences.length ? `Differs from where it was tuned:\n${r.differences.map((d) => `  ${d}`).join('\n')}` : 'Same machine and ONNX Runtime as tuned.'];
  out.push(`Live run ${r.runId}: ${r.durationSec} s, ${r.report.status}; energy ${r.report.energy.source.kind === 'measured' ? 'measured' : 'ESTIMATE'} ${r.report.energy.joules.toFixed(2)} J; tolerance miss +${(100 * r.tolerance.missPts).toFixed(1)} points, p99 +${(100 * r.tolerance.p99Rel).toFixed(0)}%`);
  const head = ['tenant', 'expected miss [one run up to]', 'measured miss', 'expected p99 ms [one run up to]', 'measured p99 ms', 'verdict'];
  const rows = r.rows.map((x) => [x.tenant, `${pct(x.expected.missRate)} [${pct(x.expected.missRateHi)}]`, `${pct(x.measured.missRate)} of ${x.measured.released}`, x.expected.p99Ms === null ? '-' : `${x.expected.p99Ms.toFixed(1)}${x.expected.p99MsHi != null ? ` [${x.expected.p99MsHi.toFixed(1)}]` : ''}`, x.measured.p99Ms === null ? 'unbounded' : x.measured.p99Ms.toFixed(1), x.pass ? 'ok' : `REGRESSED: ${x.violations.join('; ')}`]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  out.push([head, ...rows].map((x) => x.map((c, i) => c.padEnd(w[i])).join('  ')).join('\n'));
  const hs = hindsightText({ measuredMissRate: r.report.missRate, ...r.report }, pct);
  // A regression the hindsight reproduces is the machine's latencies, not the schedule's model of it.
  if (hs) out.push(`Hindsight: ${hs} (measured ${pct(r.report.missRate)})`);
  out.push(r.pass ? 'PASS: every tenant within the tolerance' : 'FAIL: regressed beyond the tolerance');
  return out.join('\n') + '\n';
}

export const replayCommand: CliCommand = {
  name: 'replay',
  summary: 'Run a tuned schedule live here and compare each tenant with its expectations; exits 1 beyond the tolerance (a CI gate).',
  usage: 'tessera replay FILE [--duration 30s] [--tolerance miss=0.05,p99=0.5] [--json]',
  options: {
    duration: { type: 'string', default: '30s' },
    tolerance: { type: 'string', default: '' },
  },
  async run(ctx) {
    const file = ctx.positionals[0];
    if (!file) throw new UsageError('give a schedule file (tessera tune ... --out FILE writes one)');
    const { client, close } = localClient();
    try {
      const r = await client.call('schedule.replay', { file, durationSec: parseDuration(ctx.values.duration), tolerance: String(ctx.values.tolerance) }, {
        signal: ctx.signal,
        onProgress: (p) => {
          if (p.detail && typeof p.detail === 'object' && 'differences' in p.detail) ctx.stderr(`${p.message}\n`);
        },
      });
      ctx.stdout(ctx.json ? JSON.stringify(r, null, 2) + '\n' : formatReplay(r));
      return r.pass ? 0 : 1;
    } catch (e) {
      if (e instanceof ApiCallError && e.code === 'bad-request') throw new UsageError(e.message);
      if (e instanceof ApiCallError && e.code === 'cancelled') return 130;
      return reportEngineError(e, ctx);
    } finally {
      close();
    }
  },
};
