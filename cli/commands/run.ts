// `tessera run SCENARIO --policy P --duration 30s`: a live run on this machine's lanes through the
// engine's live.start job. A one-line summary on stderr at most once a second; with --json the
// report (per-tenant metrics, predicted vs measured, trace path) on stdout. Ctrl-C stops the run and
// keeps what was measured.
import { hostname } from 'node:os';
import { explainDivergence, PREDICTION_TOLERANCE } from '../../scheduler/core/divergence';
import { TOPICS } from '../../engine/api';
import { localClient } from '../../engine/local';
import { describeDrops } from '../../scheduler/core/jobs';
import { formatVariantUse } from '../../scheduler/core/variant-use';
import type { LiveReport, TelemetryBatch } from '../../scheduler/live';
import { optionalNumber, parseChoice, parseDuration, parseGranularityOption, parseList, parseNonEmptyList, parseNumber } from '../args';
import { UsageError, type CliCommand } from '../command';

/** "--fail-lane cpu:1@2.5" (lane id or index @ seconds). */
function parseFaults(v: unknown): { lane: string | number; at: number }[] | undefined {
  return parseList(v)?.map((s) => {
    const m = /^(.+)@(\d+(?:\.\d+)?)s?$/.exec(s);
    if (!m) throw new UsageError(`--fail-lane must look like LANE@SECONDS, e.g. cpu:1@2.5 (got ${s})`);
    return { lane: /^\d+$/.test(m[1]) ? Number(m[1]) : m[1], at: Number(m[2]) };
  });
}

/** "--switch edf@5s" (repeatable, or comma-separated): switch to POLICY at SECONDS of run time. */
export function parseSwitches(v: unknown): { policy: string; at: number }[] | undefined {
  if (v === undefined) return undefined;
  const items = (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(','));
  return items
    .map((s) => {
      const m = /^([A-Za-z0-9_-]+)@(.+)$/.exec(s.trim());
      if (!m) throw new UsageError(`--switch must look like POLICY@TIME, e.g. edf@5s (got ${s})`);
      let at: number;
      try {
        at = m[2].trim() === '0' ? 0 : parseDuration(m[2]);
      } catch {
        throw new UsageError(`--switch ${s}: the time must look like 5s, 500ms or 2m`);
      }
      return { policy: m[1], at };
    })
    .sort((a, b) => a.at - b.at);
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const msf = (x: number) => (Number.isFinite(x) ? x.toFixed(x >= 100 ? 0 : 2) : '-');

export function summaryLine(b: TelemetryBatch, duration: number): string {
  let released = 0;
  let finished = 0;
  let late = 0;
  let dropped = 0;
  for (const t of b.tenants) {
    released += t.released;
    finished += t.finished;
    late += t.late;
    dropped += t.dropped;
  }
  const ended = finished + dropped;
  const lanes = b.lanes.map((l) => `${l.id} ${l.alive ? `${Math.round(100 * l.utilisation)}%` : 'FAILED'}`).join(' ');
  const weights = b.policyState ? ' ' + Object.entries(b.policyState).slice(0, 4).map(([k, v]) => `${k[0]}=${v.toFixed(2)}`).join(' ') : '';
  const est = b.power.source.kind === 'estimated' ? ' (est.)' : '';
  return `${b.phase} ${b.t.toFixed(1)}/${duration}s  frames ${released} done ${finished} late ${late} dropped ${dropped} (miss ${ended ? pct((late + dropped) / ended) : '-'})  ${lanes}  ${b.power.watts.toFixed(1)} W${est}  ${b.policy}${weights}  loop max ${b.loop.maxMs.toFixed(1)} ms`;
}

export function formatReport(r: LiveReport): string {
  const out: string[] = [];
  out.push(`Live run ${r.runId}: ${r.scenario}, policy ${r.policy}${r.policySwitches.length ? ` (then ${r.policySwitches.map((s) => `${s.policy} at ${s.at.toFixed(1)} s`).join(', ')})` : ''}, ${r.granularity} granularity, seed ${r.seed}, scale ${r.scale}: ${r.status}${r.error ? ` (${r.error})` : ''}, ${r.elapsedSec.toFixed(1)} s`);
  out.push(`Lanes: ${r.lanes.map((l) => `${l.id} ${l.alive ? '' : 'FAILED '}busy ${pct(l.utilisation)}, ${l.runs} runs, dispatch ${l.dispatchOverheadUs.toFixed(0)} µs`).join('; ')}`);
  out.push(`Latency predictions: ${r.latencySource}`);
  out.push(`Energy: ${r.energy.joules.toFixed(2)} J, ${r.energy.averageWatts.toFixed(2)} W average, ${r.energy.source.kind === 'estimated' ? 'ESTIMATE' : 'measured'}: ${r.energy.source.detail}`);
  out.push(...energyAttributionLines(r));
  out.push('');
  out.push(`${'tenant'.padEnd(14)} ${'frames'.padStart(7)} ${'mean ms'.padStart(16)} ${'p95 ms'.padStart(16)} ${'miss rate'.padStart(17)}     (measured / predicted)`);
  for (const c of r.comparison ?? []) {
    out.push(
      `${c.tenant.padEnd(14)} ${String(c.measured.released).padStart(7)} ${`${msf(c.measured.meanLatencyMs)} / ${msf(c.predicted.meanLatencyMs)}`.padStart(16)} ${`${msf(c.measured.p95LatencyMs)} / ${msf(c.predicted.p95LatencyMs)}`.padStart(16)} ${`${pct(c.measured.missRate)} / ${pct(c.predicted.missRate)}`.padStart(17)}`,
    );
  }
  if (!r.comparison) for (const t of r.metrics.perTenant) out.push(`${t.tenant.padEnd(14)} ${String(t.released).padStart(7)} ${msf(t.meanLatency * 1000).padStart(16)} ${msf(t.p95Latency * 1000).padStart(16)} ${pct(t.missRate).padStart(17)}`);
  const d = explainDivergence({ comparison: r.comparison, hindsight: r.hindsight, lanes: r.lanes, ratios: r.adaptation.ratios, latencySource: r.latencySource, eventLoopDelayMaxMs: r.overload.eventLoopDelayMs.max, switches: r.policySwitches.length, faults: r.faults.length, thisHost: hostname() });
  if (d.beyond.length) {
    out.push(`Beyond the tolerance (±${PREDICTION_TOLERANCE.latencyRel * 100}% latency, ±${PREDICTION_TOLERANCE.ratePts} points rates): ${d.beyond.join('; ')}`);
    for (const reason of d.reasons) out.push(`  likely: ${reason}`);
  }
  out.push(...calibrationLines(r));
  const h = r.hindsight?.comparison.at(-1);
  if (h) out.push(`Hindsight (re-simulated with the latencies learnt online; not a prediction): mean ${msf(h.predicted.meanLatencyMs)} ms, miss ${pct(h.predicted.missRate)} (measured ${msf(h.measured.meanLatencyMs)} ms, ${pct(h.measured.missRate)})`);
  out.push('');
  out.push(`Transfers between lanes: ${r.transfers.count} (mean ${r.transfers.meanUs.toFixed(0)} µs); drops by cause: ${r.drops ? describeDrops(r.drops) : `${r.overload.queueDrops} queue, ${r.overload.policyDrops} policy`}; event-loop delay max ${r.overload.eventLoopDelayMs.max.toFixed(1)} ms`);
  out.push(...formatVariantUse(r.variantUse, r.variantSessions));
  for (const m of r.modelVariants ?? []) out.push(`Model variant ${m.tenant} ${m.id}: accuracy cost ${m.accuracyDelta.toPrecision(3)} (end-to-end relL2), ${(m.modelBytes / 2 ** 20).toFixed(1)} MiB; ${m.source}`);
  for (const e of r.policyEvents ?? []) out.push(`Policy switch at ${e.time.toFixed(2)} s: ${e.detail}`);
  for (const f of r.faults) out.push(`Lane ${f.lane} failed at ${f.at.toFixed(2)} s (${f.reason}); ${f.rescheduledJobs} job(s) rescheduled`);
  if (r.adaptation.policyState) out.push(`Policy state: ${JSON.stringify(r.adaptation.policyState)}`);
  for (const w of r.warnings) out.push(`warning: ${w}`);
  if (r.files) out.push(`Trace: ${r.files.trace} (open in https://ui.perfetto.dev)\nReport: ${r.files.report}`);
  return out.join('\n') + '\n';
}

/** The prediction with and without the calibration beside the measured figures, and how much error it removes. */
export function calibrationLines(r: LiveReport): string[] {
  const c = r.calibration;
  if (!c) return [];
  const out: string[] = [];
  out.push(`Calibration: ${c.machine ? `machine calibration ${c.machine.key} (${c.machine.createdAt})` : 'no machine calibration (run `tessera calibrate`)'}; ${c.applied.join('; ')}`);
  if (c.loadTarget) out.push(`Load target ${pct(c.loadTarget.load)} busiest lane -> rates x${c.loadTarget.scale}; measured lanes busy ${r.lanes.map((l) => `${l.id} ${pct(l.utilisation)}`).join(', ')}`);
  if (c.uncalibrated && r.comparison) {
    out.push(`${'tenant'.padEnd(14)} ${'mean ms meas / uncal / cal'.padStart(28)} ${'miss % meas / uncal / cal'.padStart(28)}`);
    r.comparison.forEach((w, i) => {
      const u = c.uncalibrated![i];
      if (!u) return;
      out.push(`${w.tenant.padEnd(14)} ${`${msf(w.measured.meanLatencyMs)} / ${msf(u.predicted.meanLatencyMs)} / ${msf(w.predicted.meanLatencyMs)}`.padStart(28)} ${`${(100 * w.measured.missRate).toFixed(1)} / ${(100 * u.predicted.missRate).toFixed(1)} / ${(100 * w.predicted.missRate).toFixed(1)}`.padStart(28)}`);
    });
    const e = c.errorRemoved;
    const f = (x: number | null | undefined) => (x === null || x === undefined ? '- (nothing to remove)' : `${(100 * x).toFixed(0)}%`);
    out.push(`Error removed by the calibration: mean latency ${f(e?.meanLatency)}, miss rate ${f(e?.missRate)}`);
    const d = c.dispatcher;
    if (d?.errorRemoved) {
      out.push(`Dispatcher model: ${d.serviceUs?.toFixed(0)} µs per dispatch, ${pct(d.utilisation ?? 0)} of a core, ${d.waited ?? 0} predicted waits (mean ${(d.meanWaitUs ?? 0).toFixed(0)} µs); error it removes over the calibrated prediction without it: mean latency ${f(d.errorRemoved.meanLatency)}, miss rate ${f(d.errorRemoved.missRate)}`);
    } else if (d) out.push(`Dispatcher: ${d.note}`);
  }
  return out;
}

/** Measured energy per tenant (regression on the lanes' busy time), or why there is none. */
export function energyAttributionLines(r: LiveReport): string[] {
  const out: string[] = [];
  const j = (e: { value: number; lo: number; hi: number }) => `${e.value.toFixed(2)} J [${e.lo.toFixed(2)}, ${e.hi.toFixed(2)}]`;
  for (const a of r.energy.attribution ?? []) {
    if (a.attribution === 'unavailable') {
      out.push(`Energy per tenant: not available (${a.reason})`);
      continue;
    }
    out.push(`Energy per tenant, attributed by regression on ${a.meter} (${a.samples} samples, R² ${a.r2.toFixed(2)}, 95% intervals): ${a.tenants.map((t) => `${t.tenant} ${j(t.joules)}`).join(', ')}; baseline (idle ${a.idleWatts.value.toFixed(1)} W, other processes included) ${j(a.baselineJoules)} of ${a.measuredJoules.toFixed(2)} J measured`);
  }
  return out;
}

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'Run a scenario live on this machine under a scheduling policy: real models, real timers, per-tenant metrics, predicted vs measured, a Perfetto trace.',
  usage:
    'tessera run SCENARIO --policy P [--duration 30s] [--lanes cpu:1,cpu:1] [--granularity model|layer|group:K] [--scale S] [--load X] [--seed N] [--profile ID,...] [--max-queue N] [--isolation thread|process] [--fail-lane LANE@SEC] [--switch POLICY@TIME (repeatable)] [--variants KINDS] [--model-variants KINDS|none] [--uncalibrated] [--json]\n' +
    '  --uncalibrated: predict without the stored machine calibration (`tessera calibrate`)\n' +
    '  --load 0.7: scale the rates so the busiest lane is 70% busy (every layer on its fastest lane, by the latencies the run measures first)\n' +
    '  --switch edf@5s: switch the policy to edf 5 s into the run (as the app\'s Switch button does); the report lists the switches\n' +
    '  --variants exact,fp16,lowrank: generate and verify layer variants of every model (with --granularity layer), load them on every lane, and let the policy choose them within each tenant\'s accuracyBudget or whitelist (maxOutputRelErr; task level: maxTop1Drop, minMapIoU, maxDecisionChange)\n' +
    '  --model-variants resolution=0.75,arch-prune: make these model-level variants of every model again (model granularity), verify them end to end, load them on every lane; tenants with whitelist limits may run a frame on one (DREAM switches to it under overload). Default: the kinds the given profiles list (--profile), whose hashes must match; "none": off\n' +
    '  SCENARIO: a scenario file (workloads format), or "demo" / "demo:tiny" (synthetic builder-made models)',
  options: {
    policy: { type: 'string', default: 'dream' },
    duration: { type: 'string', default: '30s' },
    lanes: { type: 'string' },
    granularity: { type: 'string', default: 'model' },
    scale: { type: 'string' },
    load: { type: 'string' },
    seed: { type: 'string', default: '1' },
    profile: { type: 'string' },
    'max-queue': { type: 'string' },
    isolation: { type: 'string' },
    'fail-lane': { type: 'string' },
    switch: { type: 'string', multiple: true },
    variants: { type: 'string' },
    'model-variants': { type: 'string' },
    uncalibrated: { type: 'boolean' },
  },
  async run(ctx) {
    const scenario = ctx.positionals[0];
    if (!scenario) throw new UsageError('give a scenario file, or "demo"');
    const duration = parseDuration(ctx.values.duration);
    const granularity = parseGranularityOption(ctx.values.granularity);
    const seed = parseNumber(ctx.values.seed, '--seed', { integer: true, minInclusive: true });
    const isolation = ctx.values.isolation === undefined ? undefined : parseChoice(ctx.values.isolation, '--isolation', ['thread', 'process'] as const);
    const maxQueue = optionalNumber(ctx.values['max-queue'], '--max-queue', { integer: true });
    const { client, close } = localClient();
    let last = 0;
    const tty = Boolean((process.stderr as { isTTY?: boolean }).isTTY);
    const off = client.on(TOPICS.liveTelemetry, (b) => {
      // Model-variant switches are shown as they happen, not thinned like the summary line.
      for (const sw of b.modelSwitches ?? []) ctx.stderr(`${tty ? '\r\x1b[2K' : ''}model switch at ${sw.t.toFixed(2)} s: ${sw.detail}\n`);
      const now = performance.now();
      if (now - last < 1000 && b.phase !== 'done') return;
      last = now;
      ctx.stderr(tty ? `\r\x1b[2K${summaryLine(b, duration)}` : `${summaryLine(b, duration)}\n`);
    });
    try {
      const report = await client.call(
        'live.start',
        {
          scenario,
          policy: String(ctx.values.policy),
          durationSec: duration,
          lanes: parseNonEmptyList(ctx.values.lanes, '--lanes', 'cpu:1,cpu:1')?.join(','),
          granularity,
          scale: optionalNumber(ctx.values.scale, '--scale'),
          load: optionalNumber(ctx.values.load, '--load'),
          seed,
          profiles: parseList(ctx.values.profile),
          maxQueuePerTenant: maxQueue,
          isolation,
          faults: parseFaults(ctx.values['fail-lane']),
          switches: parseSwitches(ctx.values.switch),
          variants: ctx.values.variants === undefined ? undefined : String(ctx.values.variants),
          modelVariants: ctx.values['model-variants'] === undefined ? undefined : String(ctx.values['model-variants']),
          ...(ctx.values.uncalibrated === true ? { machineCalibration: false } : {}),
        },
        {
          signal: ctx.signal,
          onProgress: (p) => {
            if ((p.detail as { phase?: string } | undefined)?.phase === 'setup') ctx.stderr(`${p.message}\n`);
          },
        },
      );
      if (tty) ctx.stderr('\n');
      if (ctx.json) ctx.stdout(JSON.stringify(report, null, 2) + '\n');
      else ctx.stdout(formatReport(report));
      return report.status === 'failed' ? 1 : 0;
    } finally {
      off();
      close();
    }
  },
};
