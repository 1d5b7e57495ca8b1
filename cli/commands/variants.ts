// `tessera variants MODEL|PROFILE` and `tessera variants show PROFILE`: layer variants generated,
// verified on real activations and measured per lane, through the engine's variants.run job.
import { ApiCallError } from '../../engine/client';
import { localClient } from '../../engine/local';
import type { VariantsSummary } from '../../engine/features/variants';
import type { LaneMeasurement, Profile } from '../../profiler/types';
import { VARIANT_KINDS } from '../../profiler/variants/kinds';
import { checkKinds, MODEL_KINDS } from '../../profiler/variants/model-kinds';
import type { VariantsProgress } from '../../profiler/variants/run';
import { UsageError, type CliCommand } from '../command';
import { parseDuration } from '../args';
import { parseInputFlag, parseShapeFlag } from './profile';

const lane = (m: LaneMeasurement & { speedup?: number }) => ({
  lane: m.lane,
  ...(m.latencyMs !== undefined ? { medianMs: m.latencyMs, rawMedianMs: m.raw?.median, ciHalfWidthRel: m.raw?.ciHalfWidthRel, n: m.raw?.n, converged: m.raw?.converged } : {}),
  ...(m.speedup !== undefined ? { speedup: m.speedup } : {}),
  ...(m.error ? { error: m.error } : {}),
});

/** The --json shape: per layer, the original and every variant with verification and per-lane medians (baseline subtracted). */
export function variantsJson(p: Profile, summary: VariantsSummary): unknown {
  return {
    profile: p.id,
    model: p.model.name,
    run: p.variantRun,
    summary,
    layers: p.layers.filter((l) => l.variants).map((l) => ({
      layer: l.index,
      name: l.name,
      opTypes: l.opTypes,
      preferredLane: l.variants!.preferredLane,
      original: l.variants!.original.map(lane),
      variants: l.variants!.variants.map((v) => ({
        id: v.id, kind: v.kind, family: v.family, exact: v.exact, param: v.param, targets: v.targets, notes: v.notes,
        verification: v.verification, generateMs: v.generateMs, verifyMs: v.verifyMs,
        lanes: v.lanes.map(lane),
      })),
      inapplicable: l.variants!.inapplicable,
      gaps: l.variants!.gaps ?? [],
    })),
    // Model-level variants: whole other models (kind, exact: false, verification, whole-model latency per lane).
    modelVariants: (p.modelVariants?.variants ?? []).map((v) => ({
      id: v.id, kind: v.kind, family: v.family, exact: v.exact, param: v.param, notes: v.notes, bytesSize: v.bytesSize, sha256: v.sha256,
      verification: v.verification, generateMs: v.generateMs, verifyMs: v.verifyMs,
      lanes: v.lanes.map((m) => ({ ...lane(m), ...(m.originalMs !== undefined ? { originalRawMedianMs: m.originalMs } : {}) })),
      layerTable: v.layers ? { layers: v.layers.length, charged: 'each variant layer to the original layer sharing its ONNX node names (Resize nodes to their neighbour)' } : { error: v.layerError ?? 'not measured' },
    })),
    modelInapplicable: p.modelVariants?.inapplicable ?? [],
  };
}

const fx = (x: number | undefined, d = 2) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
const fe = (x: number | undefined) => (x === undefined ? '-' : !Number.isFinite(x) ? String(x) : x.toExponential(1));

export function formatVariants(p: Profile, s: VariantsSummary): string {
  const out: string[] = [];
  const lanes = s.lanes;
  const r = p.variantRun;
  out.push(`${p.model.name}: layer variants (${r?.status ?? 'none'}, profile ${p.id}); lanes ${lanes.join(', ')}; budget ${r?.budgetSec ?? '-'} s per lane`);
  if (r) out.push(`  activations: ${r.samples}`, `  time: cut ${fx(r.timings.cutSec, 1)} s, generate ${fx(r.timings.generateSec, 1)} s, verify ${fx(r.timings.verifySec, 1)} s, measure ${fx(r.timings.measureSec, 1)} s`);
  out.push('', `  ${'kind'.padEnd(24)} ${'applies'.padStart(9)} ${'verified'.padStart(8)} ${lanes.map((l) => `speed-up ${l}`.padStart(18)).join(' ')} ${'layer relL2'.padStart(11)} ${'e2e relL2'.padStart(9)} ${'gen+ver s'.padStart(9)}`);
  for (const k of s.kinds) {
    out.push(`  ${k.kind.padEnd(24)} ${`${k.applicable}/${k.tried}`.padStart(9)} ${String(k.verified).padStart(8)} ${lanes.map((l) => (k.medianSpeedup[l] !== undefined ? `x${fx(k.medianSpeedup[l])}` : '-').padStart(18)).join(' ')} ${fe(k.medianRelL2).padStart(11)} ${fe(k.medianEndToEndRelL2).padStart(9)} ${fx(k.generateVerifyMs / 1000, 1).padStart(9)}`);
  }
  out.push('  speed-up = median over layers of original / variant latency on the lane (both from this run, baseline subtracted).');
  if (s.gaps.length) {
    out.push('', '  latency gap (Terastal): lane / preferred lane, original vs best verified implementation, median over the layers that prefer another lane');
    for (const g of s.gaps) out.push(`    ${g.lane.padEnd(10)} ${g.layers} layers: original gap x${fx(g.medianOriginalGap)}; exact variants x${fx(g.medianBestExactGap)} (reduction x${fx(g.medianExactReduction)}); any verified variant x${fx(g.medianBestGap)} (reduction x${fx(g.medianReduction)})`);
  } else out.push(lanes.length > 1 ? '  latency gap: no layer has variants measured on two lanes' : '  latency gap: needs two or more lanes');
  const rejected = p.layers.flatMap((l) => (l.variants?.variants ?? []).filter((v) => !v.verification.passed).map((v) => `layer ${l.index} ${l.name}: ${v.id}: ${v.verification.error}`));
  if (rejected.length) out.push('', `  ${rejected.length} variants rejected or refused:`, ...rejected.slice(0, 12).map((x) => `    ${x}`), ...(rejected.length > 12 ? [`    … ${rejected.length - 12} more (--json)`] : []));
  const none = p.layers.filter((l) => l.variants && l.variants.variants.length === 0);
  if (none.length) {
    out.push('', `  ${none.length} layers no kind applies to (reasons per kind in --json), e.g.:`);
    for (const l of none.slice(0, 5)) out.push(`    layer ${l.index} ${l.name}: ${l.variants!.inapplicable.map((x) => `${x.kind}: ${x.reason}`).join('; ').slice(0, 220)}`);
  }
  const mv = p.modelVariants;
  if (mv) {
    out.push('', '  model variants (whole models; speed-up = the profile\'s original whole-model median / the variant\'s, raw, not paired):');
    for (const v of mv.variants) {
      const e = v.verification.endToEnd;
      const task = e?.task?.map((t) => `${t.task} ${t.value.toFixed(3)}`).join(', ');
      const lanesTxt = v.lanes.map((m) => (m.error ? `${m.lane} ${m.error}` : `${m.lane} ${fx(m.raw?.median)} ms${m.speedup !== undefined ? ` (x${fx(m.speedup)})` : ''}`)).join('; ');
      out.push(`    ${v.id.padEnd(24)} ${v.verification.passed ? `e2e relL2 ${fe(e?.relL2)}${task ? `, ${task}` : ''}` : `FAILED: ${v.verification.error}`}; ${lanesTxt || 'not measured'}${v.layers ? `; ${v.layers.length} layers` : v.layerError ? `; layer table: ${v.layerError}` : ''}`);
      for (const n of v.notes) out.push(`      ${n}`);
    }
    for (const x of mv.inapplicable) out.push(`    ${x.kind.padEnd(24)} does not apply: ${x.reason}`);
  }
  for (const w of r?.warnings ?? []) out.push(`  warning: ${w}`);
  return out.join('\n') + '\n';
}

export const variantsCommand: CliCommand = {
  name: 'variants',
  summary: 'Generate layer variants (exact: split-out, tile-h, conv-matmul, split-k, reshape; approximate: fp16, int8, int8-static, lowrank, prune) and model variants (resolution, arch-prune), verify them on real activations and measure them per lane.',
  usage:
    `tessera variants MODEL|PROFILE [--kinds exact,fp16,int8,lowrank,prune,reshape | KIND[=PARAM],...] [--lanes cpu:1,cpu:1] [--budget 30s] [--samples DIR] [--shape x=1x3x224x224] [--input sr=16000] [--layers 0,3,5] [--json]\n` +
    `       tessera variants show PROFILE [--json]\n` +
    `  MODEL: an .onnx file or a model library id (tessera scenario models); PROFILE: a stored profile id. Kinds: ${VARIANT_KINDS.map((k) => `${k.id}${k.param ? `=${k.param.name}` : ''}`).join(', ')}.\n` +
    `  Model-level kinds (only when named; a list of only these keeps the profile's layer variants): ${MODEL_KINDS.map((k) => `${k.id}=${k.param.name}`).join(', ')}.\n` +
    `  --samples DIR: <input>.json or <input>.bin files (the activations the variants are verified and fitted on).`,
  options: {
    kinds: { type: 'string' },
    lanes: { type: 'string' },
    budget: { type: 'string', default: '30s' },
    samples: { type: 'string' },
    shape: { type: 'string', multiple: true },
    input: { type: 'string', multiple: true },
    layers: { type: 'string' },
  },
  async run(ctx) {
    const [first, ...rest] = ctx.positionals;
    if (!first) throw new UsageError('give a model (ONNX file or library id) or a profile id; or `variants show PROFILE`');
    const { client, close } = localClient();
    try {
      if (first === 'show') {
        if (rest.length !== 1) throw new UsageError('variants show needs a profile id');
        const { profile, summary } = await client.call('variants.get', { id: rest[0] });
        ctx.stdout(ctx.json ? JSON.stringify(variantsJson(profile, summary), null, 2) + '\n' : formatVariants(profile, summary));
        return 0;
      }
      if (rest.length) throw new UsageError(`one model or profile at a time (got ${ctx.positionals.join(' ')})`);
      const shapes = parseShapeFlag(ctx.values.shape);
      const list = (v: unknown) => (v ? String(v).split(',').map((s) => s.trim()).filter(Boolean) : undefined);
      try {
        checkKinds(list(ctx.values.kinds));
      } catch (e) {
        throw new UsageError(`--kinds: ${(e as Error).message}`);
      }
      const layers = list(ctx.values.layers)?.map((s) => {
        if (!/^\d+$/.test(s)) throw new UsageError(`--layers takes layer indices, e.g. 0,3,5 (got ${s})`);
        return Number(s);
      });
      const tty = Boolean(process.stderr.isTTY);
      let last = 0;
      const call = client.call('variants.run', {
        target: first, kinds: list(ctx.values.kinds), lanes: list(ctx.values.lanes), budgetSec: ctx.values.budget === undefined ? undefined : parseDuration(ctx.values.budget, '--budget'),
        samplesDir: ctx.values.samples ? String(ctx.values.samples) : undefined, shapes, layers,
        inputValues: parseInputFlag(ctx.values.input),
      }, {
        signal: ctx.signal,
        onProgress: (pr) => {
          const p = pr.detail as VariantsProgress | undefined;
          if (!p) return;
          const line = `[${(p.fraction * 100).toFixed(0).padStart(3)}%] ${p.message}`;
          if (tty) ctx.stderr(`\r\x1b[2K${line.slice(0, (process.stderr.columns || 120) - 1)}`);
          else if (Date.now() - last > 2000 || p.phase === 'done') {
            ctx.stderr(line + '\n');
            last = Date.now();
          }
        },
      });
      const { profile, summary } = await call.catch((e: unknown) => {
        if (e instanceof ApiCallError && e.code === 'bad-shape') throw new UsageError(e.message);
        throw e;
      });
      if (tty) ctx.stderr('\n');
      ctx.stdout(ctx.json ? JSON.stringify(variantsJson(profile, summary), null, 2) + '\n' : formatVariants(profile, summary));
      return ctx.signal.aborted ? 130 : 0;
    } finally {
      close();
    }
  },
};
