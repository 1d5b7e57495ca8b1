// `npm run bench -- variants [--json] [--quick] [--lanes cpu:1,cpu:2] [--budget 20s] [--models id,id] [--kinds ...]`
//
// Per model (PP-OCRv4 det and rec, Silero VAD v5, ResNet-50 and BERT-base from
// workloads/architectures) and per kind: layers where the kind applies, variants verified, median
// speed-up per lane, latency-gap reduction, generation + verification time; from real runs of
// `tessera variants` (profiler/variants/run.ts) in a temporary store. --quick: every 4th layer (at
// most 8 per model), small budgets.
//
// Then the simulator on the measured tables: one tenant per model (periodic, deadline = period),
// misses and UXCost of terastal and dream with the measured variants against without
// (scheduler/sim-workload.ts profileWorkload, 5 seeds x --duration s, default 30: at 10 s a tenant
// near 1 fps releases ~10 frames per seed). Accuracy budget per tenant,
// at task level by default (taskBudget): PP-OCR det minMapIoU 0.9, a classifier maxTop1Drop 0.01,
// PP-OCR rec text unchanged, VAD maxDecisionChange 0.01, a model with no task figure maxOutputRelErr
// --budget-acc; each a whitelist of combinations verified together (Terastal: variants do not
// compose). Rules: none; layer variants; layer + model variants (--kinds ...,resolution,arch-prune);
// with --model-budget, also layer + model variants within maxOutputRelErr (the older proxy rule).
// Accuracy spent = 1 - mean accuracy of finished frames, in the budget's terms (the task loss).
//
// Load rule: frame rates scaled so the busiest lane (originals on their fastest lanes) is --load
// busy, swept over 0.8, 1, 1.2 by default. Deadline = period ties a tenant's deadline to its rate:
// with n tenants a deadline is n / load x its isolated latency, so at loads near n or above the
// originals miss every frame and at low loads none; the target (>= 30% fewer misses within the
// budget) is judged only at the loads where the originals miss 5%..95% of frames, and every load is
// printed.
//
// PP-OCRv4 det is fed a rendered page of text (textPage) instead of noise: on noise its probability
// map is empty and the IoU figure says nothing.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadProfile } from '../profiler/store';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatVariants, variantsJson } from '../cli/commands/variants';
import { resolveProfileModels } from '../engine/features/profile';
import { variantsSummary } from '../engine/features/variants';
import { loadModel } from '../profiler/onnx/model';
import type { Profile } from '../profiler/types';
import { runVariants } from '../profiler/variants/run';
import { comparePolicies } from '../scheduler/core/compare';
import { busiestUtilisation, profileWorkload } from '../scheduler/sim-workload';
import { SCENARIO_SCHEMA_VERSION, type Scenario } from '../workloads/scenario';

/** A tenant's whitelist limits (scenario fields). */
type Limits = Pick<Scenario['tenants'][number], 'maxOutputRelErr' | 'maxTop1Drop' | 'minMapIoU' | 'maxDecisionChange'>;

/** The task-level budgets the bench states by default, per task figure (see taskBudget). */
export interface TaskBudgets {
  /** PP-OCR det: smallest probability-map IoU at 0.3. */
  minMapIoU: number;
  /** Classifier: largest top-1 drop. */
  classifierTop1Drop: number;
  /** PP-OCR rec: largest share of CTC texts changed (0: text unchanged). */
  textChange: number;
  /** VAD: largest share of speech/no-speech decisions changed. */
  maxDecisionChange: number;
  /** A model with no task figure: largest end-to-end relative L2. */
  maxOutputRelErr: number;
}

export const DEFAULT_TASK_BUDGETS: TaskBudgets = { minMapIoU: 0.9, classifierTop1Drop: 0.01, textChange: 0, maxDecisionChange: 0.01, maxOutputRelErr: 0.05 };

/**
 * A tenant's accuracy budget at task level: by the task figure its verified variants carry
 * (profiler/variants/compare.ts taskFigure); the output-error limit only for a model with none.
 */
export function taskBudget(p: Profile, b: TaskBudgets = DEFAULT_TASK_BUDGETS): { limits: Limits; label: string } {
  const tasks = new Set<string>();
  const add = (e?: { task?: { task: string }[] }) => e?.task?.forEach((t) => tasks.add(t.task));
  for (const l of p.layers) for (const v of l.variants?.variants ?? []) add(v.verification.endToEnd);
  for (const c of p.variantRun?.combinations ?? []) add(c.endToEnd);
  for (const v of p.modelVariants?.variants ?? []) add(v.verification.endToEnd);
  if (tasks.has('probability-map-iou')) return { limits: { minMapIoU: b.minMapIoU }, label: `minMapIoU ${b.minMapIoU}` };
  if (tasks.has('ctc-text')) return { limits: { maxTop1Drop: b.textChange }, label: b.textChange === 0 ? 'text unchanged (maxTop1Drop 0)' : `maxTop1Drop ${b.textChange} (texts)` };
  if (tasks.has('classifier-top1')) return { limits: { maxTop1Drop: b.classifierTop1Drop }, label: `maxTop1Drop ${b.classifierTop1Drop}` };
  if (tasks.has('speech-decision')) return { limits: { maxDecisionChange: b.maxDecisionChange }, label: `maxDecisionChange ${b.maxDecisionChange}` };
  return { limits: { maxOutputRelErr: b.maxOutputRelErr }, label: `maxOutputRelErr ${b.maxOutputRelErr} (no task figure)` };
}

type Rule = 'none' | 'task' | 'task+model' | 'relL2+model';

export interface VariantSimRow {
  load: number;
  policy: string;
  rule: Rule;
  /** maxOutputRelErr of a relL2+model row. */
  limit?: number;
  missRate: number;
  uxcost: number;
  perTenant: { tenant: string; budget: string; missRate: number; spent: number; spentAs: string; combos: number; modelVariants: string[] }[];
}

/**
 * One tenant per profiled model, rates scaled so the busiest lane (originals on their fastest lanes)
 * is `load` busy, deadline = period. Per load: without variants; with layer variants within each
 * tenant's task-level budget (whitelists of combinations verified together); the same plus model
 * variants; and, per `relL2Limits`, layer + model variants within maxOutputRelErr (the older rule).
 */
export function simulateWithVariants(profiles: Profile[], loads: number[], log: (s: string) => void, o: { budgets?: TaskBudgets; relL2Limits?: number[]; seeds?: number[]; duration?: number } = {}) {
  const budgets = profiles.map((p) => taskBudget(p, o.budgets));
  const scenario = (fps: number[], limits?: (ti: number) => Limits): Scenario => ({
    schemaVersion: SCENARIO_SCHEMA_VERSION,
    name: `bench variants (${profiles.length} tenants)`,
    tenants: profiles.map((p, i) => ({
      id: p.model.name, model: { kind: 'file' as const, path: p.model.path ?? `${p.model.name}.onnx` }, arrival: { type: 'periodic' as const, fps: fps[i] }, deadlineMs: 1000 / fps[i],
      ...(limits ? limits(i) : {}),
    })),
  });
  // Base rates: each tenant alone would use 1/n of its best lane; then one factor per load.
  const base = profiles.map((p) => {
    const ms = p.layers.reduce((a, l) => a + Math.min(...l.lanes.filter((m) => m.raw).map((m) => m.raw!.median)), 0);
    return 1000 / ms / profiles.length;
  });
  const busiest0 = busiestUtilisation(profileWorkload(scenario(base), profiles, undefined, { variants: false }));
  const rows: VariantSimRow[] = [];
  const duration = o.duration ?? 10;
  const seeds = o.seeds ?? [1, 2, 3, 4, 5];
  const rates: { load: number; fps: number[] }[] = [];
  const runs: { rule: Rule; limit?: number }[] = [{ rule: 'none' }, { rule: 'task' }, { rule: 'task+model' }, ...(o.relL2Limits ?? []).map((limit) => ({ rule: 'relL2+model' as const, limit }))];
  for (const load of loads) {
    const fps = base.map((f) => (f * load) / busiest0);
    rates.push({ load, fps });
    for (const { rule, limit } of runs) {
      const limits = rule === 'none' ? undefined : rule === 'relL2+model' ? () => ({ maxOutputRelErr: limit }) : (ti: number) => budgets[ti].limits;
      const w = profileWorkload(scenario(fps, limits), profiles, undefined, { variants: rule !== 'none', modelVariants: rule !== 'none' && rule !== 'task' });
      const info = w.tenants.map((t, ti) => ({
        tenant: t.id,
        budget: rule === 'none' ? 'originals only' : rule === 'relL2+model' ? `maxOutputRelErr ${limit}` : budgets[ti].label,
        combos: t.whitelist?.combos.length ?? 0,
        modelVariants: (t.whitelist?.combos ?? []).filter((c) => c.whole).map((c) => c.id.replace(/^model:/, '')),
        spentAs: t.whitelist?.costLabel ?? '-',
      }));
      log(`load ${load}, ${rule}${limit !== undefined ? ` ${limit}` : ''}: ${info.map((x) => `${x.tenant} ${x.budget}: ${x.combos} combinations${x.modelVariants.length ? ` (model: ${x.modelVariants.join(', ')})` : ''}`).join('; ')}`);
      const c = comparePolicies(w, ['terastal', 'dream'], { duration, seeds });
      for (const r of c.rows) {
        rows.push({
          load, policy: r.policy, rule, ...(limit !== undefined ? { limit } : {}), missRate: r.missRate.mean, uxcost: r.uxcost.mean,
          // Spent: 1 - mean accuracy of finished frames, in the whitelist's cost terms (task loss under task-level limits).
          perTenant: info.map((x, ti) => ({ ...x, missRate: r.perTenant[ti].missRate.mean, spent: 1 - r.perTenant[ti].meanAccuracy.mean })),
        });
      }
    }
  }
  return { loads, duration, seeds: seeds.length, rates, budgets: budgets.map((b, i) => ({ tenant: profiles[i].model.name, budget: b.label })), rows };
}

/** The bench's verdict line per policy and load: misses without -> with variants within the task-level budget. */
export function fewerMisses(off: number, on: number): number {
  return off > 0 ? (1 - on / off) * 100 : 0;
}

const MODELS = ['npm/ppocr-v4-det', 'npm/ppocr-v4-rec', 'npm/silero-vad-v5', 'architecture/resnet50', 'architecture/bert-base-s128'];

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean' }, quick: { type: 'boolean' },
      lanes: { type: 'string', default: 'cpu:1,cpu:2' }, budget: { type: 'string' }, models: { type: 'string' }, kinds: { type: 'string' },
      load: { type: 'string', default: DEFAULT_LOADS.join(',') }, 'budget-acc': { type: 'string', default: String(DEFAULT_TASK_BUDGETS.maxOutputRelErr) }, store: { type: 'string' }, resimulate: { type: 'boolean' },
      'model-budget': { type: 'string' }, duration: { type: 'string', default: '30' }, 'min-iou': { type: 'string' }, 'max-top1-drop': { type: 'string' }, 'max-text-change': { type: 'string' }, 'max-decision-change': { type: 'string' },
    },
  });
  const quick = Boolean(values.quick);
  const budgetSec = values.budget ? Number(String(values.budget).replace(/s$/, '')) : quick ? 6 : 30;
  const lanes = String(values.lanes).split(',');
  const models = values.models ? String(values.models).split(',') : MODELS;
  const log = (s: string) => process.stderr.write(s + '\n');
  // --store DIR keeps the profiles (and re-simulates them with --resimulate, no generation).
  const dir = values.store ? String(values.store) : mkdtempSync(join(tmpdir(), 'tessera-bench-variants-'));
  const results: unknown[] = [];
  const profiles: Profile[] = [];
  try {
    if (values.resimulate) {
      if (!values.store) throw new Error('--resimulate needs --store DIR (the profiles of an earlier run)');
      for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) profiles.push(loadProfile(f.replace(/\.json$/, ''), dir));
      log(`re-simulating ${profiles.length} stored profiles from ${dir}: ${profiles.map((p) => p.model.name).join(', ')}`);
    }
    for (const id of values.resimulate ? [] : models) {
      const t0 = performance.now();
      const [m] = await resolveProfileModels([id]);
      const loaded = await loadModel(m.source, { name: m.name });
      let layers: number[] | undefined;
      if (quick) {
        // Every 4th layer, at most 8: enough to see each kind on each kind of layer.
        const { cutModel } = await import('../profiler/onnx/cut');
        const cut = await cutModel(loaded, { shapes: m.shapes, inputValues: m.inputValues, verify: false });
        layers = cut.layers.map((l) => l.index).filter((i) => i % 4 === 0).slice(0, 8);
      }
      log(`${id}: variants on ${layers ? `${layers.length} layers` : 'every layer'}, lanes ${lanes.join(', ')}, budget ${budgetSec} s per lane`);
      // PP-OCR det: a synthetic page rather than noise (see the header).
      const text = id === 'npm/ppocr-v4-det' && m.shapes?.x ? await textPage(m.shapes.x) : undefined;
      const page: Record<string, number[]> = text ? { x: text } : {};
      if (text) log(`${id}: sample input = a rendered page of English text (DejaVu Sans, dark on light grey, ImageNet-normalised), not a photo`);
      else if (id === 'npm/ppocr-v4-det') log(`${id}: no system font to render a text page: the library's noise input is used, and the det IoU figure says little`);
      const p = await runVariants({ model: m.source }, {
        name: m.name, shapes: m.shapes, inputValues: { ...(m.inputValues ?? {}), ...page }, lanes, budgetSec, layers, storeDir: dir, kinds: values.kinds,
        onProgress: (x) => (x.phase === 'done' || x.phase === 'profile' ? undefined : process.stderr.write(`\r\x1b[2K${x.message.slice(0, 110)}`)),
      });
      process.stderr.write('\n');
      profiles.push(p);
      const s = variantsSummary(p);
      const wall = (performance.now() - t0) / 1000;
      results.push({ model: id, wallSec: wall, ...(variantsJson(p, s) as object) });
      if (!values.json) process.stdout.write(`\n== ${id} (${wall.toFixed(0)} s wall)\n${formatVariants(p, s)}`);
    }
  } finally {
    if (!values.store) rmSync(dir, { recursive: true, force: true });
  }
  let sim: ReturnType<typeof simulateWithVariants> | { error: string };
  const num = (v: unknown, d: number) => (v === undefined ? d : Number(v));
  const budgets: TaskBudgets = {
    minMapIoU: num(values['min-iou'], DEFAULT_TASK_BUDGETS.minMapIoU), classifierTop1Drop: num(values['max-top1-drop'], DEFAULT_TASK_BUDGETS.classifierTop1Drop),
    textChange: num(values['max-text-change'], DEFAULT_TASK_BUDGETS.textChange), maxDecisionChange: num(values['max-decision-change'], DEFAULT_TASK_BUDGETS.maxDecisionChange),
    maxOutputRelErr: num(values['budget-acc'], DEFAULT_TASK_BUDGETS.maxOutputRelErr),
  };
  const loads = String(values.load).split(',').map(Number);
  try {
    const relL2Limits = values['model-budget'] ? String(values['model-budget']).split(',').map(Number) : [];
    sim = simulateWithVariants(profiles.filter((p) => p.status === 'complete'), loads, log, { budgets, relL2Limits, duration: Number(String(values.duration).replace(/s$/, '')) });
  } catch (e) {
    sim = { error: (e as Error).message };
  }
  if (values.json) process.stdout.write(JSON.stringify({ models: results, simulation: sim }, null, 1) + '\n');
  else if ('error' in sim) process.stdout.write(`\nsimulation on the measured tables failed: ${sim.error}\n`);
  else process.stdout.write(formatSimulation(sim));
  return 0;
}

/** Loads swept by default: below, at and above saturation of the busiest lane (see the header). */
export const DEFAULT_LOADS = [0.8, 1, 1.2];

/** The simulation's table: per load and policy, misses and UXCost without -> with variants, and the accuracy spent per tenant. */
export function formatSimulation(sim: ReturnType<typeof simulateWithVariants>): string {
  const out: string[] = [];
  out.push(`\n== simulator on the measured tables: ${sim.budgets.length} tenants, deadline = period, ${sim.seeds} seeds x ${sim.duration} s, loads ${sim.loads.join(', ')} (busiest lane, originals on their fastest lanes)`);
  out.push(`   accuracy budget per tenant, task level: ${sim.budgets.map((b) => `${b.tenant} ${b.budget}`).join('; ')}`);
  out.push('   target: >= 30% fewer misses with variants within that budget, judged at each load where the originals miss a real share (5%..95% of frames)');
  out.push('   spent = 1 - mean accuracy of finished frames in the budget\'s terms (the whitelist charges a frame its combination\'s task loss: 1 - map IoU, top-1 drop)');
  for (const load of sim.loads) {
    const fps = sim.rates.find((r) => r.load === load)?.fps ?? [];
    out.push(`  load ${load}: ${sim.budgets.map((b, i) => `${b.tenant} ${fps[i]?.toFixed(2)} fps (deadline ${(1000 / fps[i]).toFixed(0)} ms, ${Math.round(fps[i] * sim.duration)} frames per seed)`).join('; ')}`);
    for (const policy of ['terastal', 'dream']) {
      const off = sim.rows.find((r) => r.load === load && r.policy === policy && r.rule === 'none');
      if (!off) continue;
      const judged = off.missRate >= 0.05 && off.missRate <= 0.95;
      for (const on of sim.rows.filter((r) => r.load === load && r.policy === policy && r.rule !== 'none')) {
        const how = on.rule === 'task' ? 'layer variants, task budget' : on.rule === 'task+model' ? 'layer + model variants, task budget' : `layer + model variants, maxOutputRelErr ${on.limit} (NOT the task budget)`;
        const fewer = fewerMisses(off.missRate, on.missRate);
        const verdict = on.rule === 'relL2+model' ? '' : !judged ? ' [not judged: originals miss ' + (off.missRate < 0.05 ? '< 5%' : '> 95%') + ']' : fewer >= 30 ? ' [target met]' : ' [target not met]';
        out.push(`  load ${String(load).padEnd(4)} ${policy.padEnd(9)} misses ${(off.missRate * 100).toFixed(1)}% -> ${(on.missRate * 100).toFixed(1)}% (${fewer.toFixed(0)}% fewer), UXCost ${off.uxcost.toFixed(3)} -> ${on.uxcost.toFixed(3)}; ${how}${verdict}`);
        out.push(`       per tenant: ${on.perTenant.map((t, i) => `${t.tenant} misses ${(100 * off.perTenant[i].missRate).toFixed(1)}% -> ${(100 * t.missRate).toFixed(1)}%, spent ${Number.isFinite(t.spent) ? t.spent.toFixed(4) : 'n/a (no frame finished)'} of ${t.budget} [${t.combos} combos${t.modelVariants.length ? `, model: ${t.modelVariants.join(', ')}` : ''}]`).join('; ')}`);
      }
    }
  }
  return out.join('\n') + '\n';
}


/**
 * A page of real text at `dims` [1, 3, H, W], ImageNet-normalised CHW: lines of English words
 * rendered with @resvg/resvg-js (a dev dependency) in a system font (DejaVu here). Without a font
 * resvg draws nothing: then undefined, and the caller says so.
 */
export async function textPage(dims: number[]): Promise<number[] | undefined> {
  const [, , h, w] = dims;
  // Loaded at run time, not bundled (a native module; a dev dependency, as scripts/icons.mjs uses it).
  const name = '@resvg/resvg-js';
  const { Resvg } = (await import(name)) as typeof import('@resvg/resvg-js');
  const words = 'the quick brown fox jumps over a lazy dog while seven tired scheduling engineers measure every layer on two lanes and write down what they saw'.split(' ');
  const size = Math.round(h / 22);
  const lines: string[] = [];
  for (let i = 0, y = size * 2; y < h - size; i++, y += Math.round(size * 2.2)) {
    const text = Array.from({ length: 6 }, (_, k) => words[(i * 5 + k * 3) % words.length]).join(' ');
    lines.push(`<text x="${Math.round(w / 20)}" y="${y}" font-family="DejaVu Sans" font-size="${size}" fill="#1e1e1e">${text}</text>`);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="#ebebeb"/>${lines.join('')}</svg>`;
  const img = new Resvg(svg, { font: { loadSystemFonts: true }, fitTo: { mode: 'width', value: w } }).render();
  const px = img.pixels;
  let dark = 0;
  for (let i = 0; i < h * w; i++) if (px[i * 4] < 128) dark++;
  if (dark === 0) return undefined;
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const out = new Array<number>(3 * h * w);
  for (let c = 0; c < 3; c++) for (let i = 0; i < h * w; i++) out[c * h * w + i] = (px[i * 4 + c] / 255 - mean[c]) / std[c];
  return out;
}
