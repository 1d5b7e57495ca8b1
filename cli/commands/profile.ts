// `tessera profile MODEL...` (ONNX files or model library ids): per-layer latency (and energy, with its source) on each lane, through
// the engine's profile.run job. Progress bar on stderr; with --json the profile(s) on stdout.
import { ApiCallError } from '../../engine/client';
import { localClient } from '../../engine/local';
import type { ProfileProgress } from '../../profiler/profile';
import type { LaneMeasurement, Profile } from '../../profiler/types';
import { energyLabel } from '../../profiler/energy/estimate';
import { describeAdapter } from '../../profiler/gpu/adapter';
import { parseShapeArgs, parseValueArgs, ShapeError } from '../../profiler/onnx/shapes';
import { parseDuration, parseNonEmptyList } from '../args';
import { RESOLVED_RATIO } from '../../profiler/stats';
import { UsageError, type CliCommand } from '../command';

/** `--shape x=1x3x224x224` (repeatable): shapes of dynamic inputs, or undefined when not given. */
export function parseShapeFlag(v: unknown): Record<string, number[]> | undefined {
  return v ? usageOnShapeError(() => parseShapeArgs(v as string[])) : undefined;
}

/** `--input sr=16000` or `--input mask=1,1,0` (repeatable): sample input values by input name. */
export function parseInputFlag(v: unknown): Record<string, number | number[]> | undefined {
  return v ? usageOnShapeError(() => parseValueArgs(v as string[])) : undefined;
}

function usageOnShapeError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof ShapeError) throw new UsageError(e.message);
    throw e;
  }
}

export function parseGranularity(v: unknown): 'node' | 'group' | number {
  const s = String(v).trim();
  if (s === 'node' || s === 'group') return s;
  if (/^\d+$/.test(s) && Number(s) > 0) return Number(s);
  throw new UsageError(`--granularity must be node, group or a number of layers (got ${v})`);
}

function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return '-';
  return ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3);
}

function cell(m: LaneMeasurement | undefined): string {
  if (!m) return '-';
  if (m.error) return m.error.startsWith('lane unavailable') ? 'n/a' : 'ERR';
  if (m.latencyMs === undefined) return '-';
  const ci = m.raw ? `±${(m.raw.ciHalfWidthRel * 100).toFixed(0)}%${m.raw.converged ? '' : '*'}` : '';
  return `${fmtMs(m.latencyMs)} ${ci}`;
}

/** How many layers the default summary lists (the slowest on their preferred lane). */
export const SUMMARY_LAYERS = 5;

/** A human-readable report of one profile: a summary (lanes, whole model, the slowest layers), or with `layers` the full layer table. */
export function formatProfile(p: Profile, opts: { layers?: boolean } = {}): string {
  const out: string[] = [];
  out.push(`${p.model.name}  (${p.status}, id ${p.id})`);
  out.push(`  sha256 ${p.model.sha256.slice(0, 16)}…  inputs ${Object.entries(p.model.inputShapes).map(([k, v]) => `${k}=${v.join('x') || 'scalar'}`).join(' ')}  granularity ${p.granularity}  ${p.layers.length} layers`);
  out.push(`  machine ${p.machine.cpu}, ${p.machine.cores} cores; ONNX Runtime ${p.ortVersion}`);
  out.push(`  verification: chained layers vs whole model max abs ${p.verification.maxAbsError.toExponential(2)}, max rel ${p.verification.maxRelError.toExponential(2)} (${p.verification.passed ? 'passed' : 'FAILED'}, tolerance rel ${p.verification.tolerance.rel}${p.verification.graphOptimizationLevel ? `, ORT optimisation '${p.verification.graphOptimizationLevel}'` : ''})${(p.verification.otherLevels ?? []).map((o) => `; at '${o.graphOptimizationLevel}': max rel ${o.maxRelError.toExponential(2)}`).join('')}`);
  for (const [id, v] of Object.entries(p.verification.lanes ?? {})) {
    out.push(`  verification on ${id}: chained layers on the lane vs the CPU model max abs ${v.maxAbsError.toExponential(2)}, max rel ${v.maxRelError.toExponential(2)} (${v.passed ? 'passed' : 'FAILED'}, tolerance rel ${v.tolerance.rel})${v.error ? `: ${v.error}` : ''}`);
  }
  out.push('  lanes:');
  for (const l of p.lanes) {
    if (l.error) {
      out.push(`    ${l.id.padEnd(10)} unavailable: ${l.error}`);
      if (l.adapter) out.push(`               adapter ${describeAdapter(l.adapter)}`);
      continue;
    }
    const w = p.wholeModel.find((m) => m.lane === l.id);
    const ig = p.inGraph?.[l.id];
    out.push(
      `    ${l.id.padEnd(10)} baseline ${fmtMs(l.baselineMs)} ms/call, GEMM peak ${l.peakGflops?.toFixed(1) ?? '-'} GFLOP/s; whole model ${cell(w)} ms` +
        (ig ? `, ORT in-graph kernels ${fmtMs(ig.totalKernelMs)} ms` : '') +
        (p.cutOverhead?.[l.id] !== undefined ? `, cut overhead ${p.cutOverhead[l.id].toFixed(3)}x` : '') +
        (w?.energy ? `, ${w.energy.joulesPerRun.toPrecision(3)} J/run ${energyLabel(w.energy)}` : ''),
    );
    if (l.adapter) out.push(`               adapter ${describeAdapter(l.adapter)}`);
    else if (l.adapterNote) out.push(`               ${l.adapterNote}`);
  }
  const laneIds = p.lanes.map((l) => l.id);
  const prefMs = (l: Profile['layers'][number]) => l.lanes.find((m) => m.lane === l.preferredLane)?.latencyMs ?? -1;
  const shown = opts.layers ? p.layers : [...p.layers].sort((a, b) => prefMs(b) - prefMs(a)).slice(0, SUMMARY_LAYERS);
  const nameW = Math.min(34, Math.max(5, ...shown.map((l) => l.name.length)));
  out.push('');
  if (!opts.layers) out.push(`  the ${shown.length} slowest of ${p.layers.length} layers (on their best lane; --layers for the full table):`);
  out.push(`  ${'#'.padStart(4)} ${'layer'.padEnd(nameW)} ${'ops'.padEnd(22)} ${laneIds.map((id) => `${id} ms`.padStart(15)).join(' ')} ${'in-graph'.padStart(9)} ${'GFLOP/s'.padStart(8)} ${'%peak'.padStart(6)}  best`);
  for (const layer of shown) {
    const best = layer.lanes.find((m) => m.lane === layer.preferredLane);
    const ops = layer.opTypes.join('+');
    out.push(
      `  ${String(layer.index).padStart(4)} ${layer.name.slice(0, nameW).padEnd(nameW)} ${(ops.length > 22 ? ops.slice(0, 21) + '…' : ops).padEnd(22)} ${laneIds.map((id) => cell(layer.lanes.find((m) => m.lane === id)).padStart(15)).join(' ')} ${fmtMs(layer.preferredLane ? layer.inGraphMs?.[layer.preferredLane] : undefined).padStart(9)} ${(best?.unresolved ? 'unres.' : (best?.achievedGflops?.toFixed(1) ?? '-')).padStart(8)} ${(best?.peakFraction !== undefined ? (best.peakFraction * 100).toFixed(0) : '-').padStart(6)}  ${layer.preferredLane ?? '-'}${
        layer.lanes.some((m) => m.fallbackNodes?.length) ? '  [CPU fallback]' : ''
      }`,
    );
  }
  const deadLanes = new Set(p.lanes.filter((l) => l.error).map((l) => l.id));
  const errors = p.layers.flatMap((l) => l.lanes.filter((m) => m.error && !deadLanes.has(m.lane)).map((m) => `layer ${l.index} ${l.name} on ${m.lane}: ${m.error}`));
  const energy = p.wholeModel.find((m) => m.energy)?.energy;
  out.push('');
  out.push('  ms = median per call minus the lane baseline (0.000: not above the per-call baseline); ±x% = 95% CI half-width of the median (* = budget ran out before 2%).');
  out.push('  in-graph = ORT profiler kernel time of the layer\'s nodes inside the whole model, on the preferred lane.');
  const unresolved = p.layers.filter((l) => l.lanes.find((m) => m.lane === l.preferredLane)?.unresolved).length;
  if (unresolved) out.push(`  unres. = latency not resolved (under ${RESOLVED_RATIO}x its 95% uncertainty: median CI + baseline CI + timer resolution, or under 6 runs): no GFLOP/s shown; ${unresolved} of ${p.layers.length} layers (--json: "unresolved" says why).`);
  if (energy) out.push(`  energy: ${energy.source.kind === 'estimated' ? 'ESTIMATED, not measured' : 'measured'}: ${energy.source.detail}`);
  if (errors.length) out.push(`  ${errors.length} (layer, lane) errors:`, ...errors.slice(0, 10).map((e) => `    ${e}`), ...(errors.length > 10 ? [`    … ${errors.length - 10} more (see --json)`] : []));
  for (const n of p.notes ?? []) out.push(`  note: ${n}`);
  for (const w of p.warnings) out.push(`  warning: ${w}`);
  return out.join('\n') + '\n';
}

export function progressLine(p: ProfileProgress, width = 24): string {
  const filled = Math.round(p.fraction * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const eta = p.etaSec !== undefined && p.phase !== 'done' ? ` eta ${p.etaSec < 90 ? `${p.etaSec.toFixed(0)}s` : `${(p.etaSec / 60).toFixed(1)}m`}` : '';
  return `${bar} ${p.done}/${p.total} ${p.message}${eta}`;
}

export const profileCommand: CliCommand = {
  name: 'profile',
  summary: 'Profile ONNX models (files or model library ids) layer by layer on each lane (latency statistics, in-graph times, peak, energy with its source).',
  usage:
    'tessera profile MODEL... (MODEL: an .onnx file, or a model library id from `tessera scenario models`, e.g. xrbench/KD_res8_narrow, npm/silero-vad-v5, architecture/resnet50, or xrbench:SCENARIO/NETWORK; library models bring their own input shapes and values, --shape/--input override them) [--lanes cpu:2,webgpu] [--granularity node|group|N] [--shape input=1x3x224x224 (repeatable)] [--input sr=16000 (repeatable)] [--budget 15s (default; per lane)] [--contention] [--energy auto|off] [--fresh] [--layers] [--json]\n  prints a summary per model (lanes, whole model, the 5 slowest layers, verification, warnings); --layers prints every layer; --json the complete profile',
  options: {
    lanes: { type: 'string' },
    granularity: { type: 'string', default: 'group' },
    shape: { type: 'string', multiple: true },
    input: { type: 'string', multiple: true },
    budget: { type: 'string' },
    contention: { type: 'boolean' },
    energy: { type: 'string', default: 'auto' },
    fresh: { type: 'boolean' },
    layers: { type: 'boolean' },
  },
  async run(ctx) {
    if (ctx.positionals.length === 0) throw new UsageError('give at least one model: an ONNX file, or a model library id (tessera scenario models lists them, e.g. xrbench/KD_res8_narrow)');
    const lanes = parseNonEmptyList(ctx.values.lanes, '--lanes', 'cpu:2,webgpu');
    const energy = String(ctx.values.energy);
    if (energy !== 'auto' && energy !== 'off') throw new UsageError(`--energy must be auto or off (got ${energy})`);
    const shapes = parseShapeFlag(ctx.values.shape);
    const inputValues = parseInputFlag(ctx.values.input);
    const params = {
      models: ctx.positionals,
      inputValues,
      lanes,
      granularity: parseGranularity(ctx.values.granularity),
      shapes,
      budgetSec: ctx.values.budget === undefined ? undefined : parseDuration(ctx.values.budget, '--budget'),
      contention: Boolean(ctx.values.contention),
      energy: energy as 'auto' | 'off',
      resume: !ctx.values.fresh,
    };
    const { client, close } = localClient();
    const tty = Boolean(process.stderr.isTTY);
    let lastLine = 0;
    let lastPhase = '';
    try {
      const { profiles } = await client.call('profile.run', params, {
        signal: ctx.signal,
        onProgress: (pr) => {
          const p = pr.detail as ProfileProgress | undefined;
          if (!p) return;
          const line = progressLine(p);
          if (tty) ctx.stderr(`\r\x1b[2K${line.slice(0, (process.stderr.columns || 120) - 1)}`);
          else if (p.phase !== lastPhase || Date.now() - lastLine > 2000 || p.phase === 'done') {
            ctx.stderr(line + '\n');
            lastLine = Date.now();
          }
          lastPhase = p.phase;
        },
      });
      if (tty) ctx.stderr('\n');
      for (const p of profiles) ctx.stderr(`${p.model.name}: ${p.status}, saved as ${p.id}${p.status === 'partial' ? ' (rerun the same command to resume)' : ''}\n`);
      if (ctx.json) ctx.stdout(JSON.stringify(profiles.length === 1 ? profiles[0] : profiles, null, 2) + '\n');
      else for (const p of profiles) ctx.stdout(formatProfile(p, { layers: Boolean(ctx.values.layers) }) + '\n');
      if (ctx.signal.aborted) return 130;
      const failedLanes = profiles.some((p) => p.lanes.length > 0 && p.lanes.every((l) => l.error));
      return failedLanes ? 1 : 0;
    } catch (e) {
      if (tty) ctx.stderr('\n');
      if (e instanceof ApiCallError && e.code === 'bad-shape') throw new UsageError(e.message);
      throw e;
    } finally {
      close();
    }
  },
};
