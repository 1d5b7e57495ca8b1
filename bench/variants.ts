// `npm run bench -- variants [--json] [--quick] [--lanes cpu:1,cpu:2] [--budget 20s] [--models id,id] [--kinds ...]`
//
// Per model (PP-OCRv4 det and rec, Silero VAD v5, ResNet-50 and BERT-base from
// workloads/architectures) and per kind: layers where the kind applies, variants verified, median
// speed-up per lane, latency-gap reduction, generation + verification time; from real runs of
// `tessera variants` (profiler/variants/run.ts) in a temporary store. --quick: every 4th layer (at
// most 8 per model), small budgets.
//
// Then the simulator on the measured tables: one tenant per model (periodic, deadline = period,
// accuracy budget --budget-acc), frame rates scaled so the busiest lane is --load busy (default 1.2:
// overloaded), misses and UXCost of terastal and dream with the measured variants against without
// (scheduler/sim-workload.ts profileWorkload, 5 seeds). Rules: none; layer variants within an
// additive budget; a whitelist of layer combinations verified together; the same plus the
// model-level variants (--kinds ...,resolution,arch-prune) at --budget-acc and at each
// --model-budget (maxOutputRelErr), so the accuracy a model variant costs is in the row.
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

/** One tenant per profiled model, rates scaled so the busiest lane (originals on their fastest lanes) is `load` busy. */
export function simulateWithVariants(profiles: Profile[], load: number, accuracyBudget: number, log: (s: string) => void, modelBudgets: number[] = []) {
  const scenario = (fps: number[], whitelist = false, limit = accuracyBudget): Scenario => ({
    schemaVersion: SCENARIO_SCHEMA_VERSION,
    name: `bench variants (${profiles.length} tenants, load ${load})`,
    tenants: profiles.map((p, i) => ({
      id: p.model.name, model: { kind: 'file' as const, path: p.model.path ?? `${p.model.name}.onnx` }, arrival: { type: 'periodic' as const, fps: fps[i] }, deadlineMs: 1000 / fps[i],
      // The same allowance, as an additive budget or as a whitelist of combinations verified together.
      ...(whitelist ? { maxOutputRelErr: limit } : { accuracyBudget }),
    })),
  });
  // Base rates: each tenant alone would use 1/n of its best lane; then one factor for the load.
  const base = profiles.map((p) => {
    const ms = p.layers.reduce((a, l) => a + Math.min(...l.lanes.filter((m) => m.raw).map((m) => m.raw!.median)), 0);
    return 1000 / ms / profiles.length;
  });
  const w0 = profileWorkload(scenario(base), profiles, undefined, { variants: false });
  const factor = load / busiestUtilisation(w0);
  const fps = base.map((f) => f * factor);
  type Rule = 'none' | 'budget' | 'whitelist' | 'model';
  const rows: { policy: string; variants: boolean; rule: Rule; limit?: number; missRate: number; uxcost: number; accuracyUsed: number; combos?: number; modelCombos?: string[]; modelSwitches?: number }[] = [];
  const runs: { rule: Rule; limit: number }[] = [
    { rule: 'none', limit: accuracyBudget }, { rule: 'budget', limit: accuracyBudget }, { rule: 'whitelist', limit: accuracyBudget },
    ...[accuracyBudget, ...modelBudgets.filter((b) => b !== accuracyBudget)].map((limit) => ({ rule: 'model' as const, limit })),
  ];
  for (const { rule, limit } of runs) {
    const variants = rule !== 'none';
    const w = profileWorkload(scenario(fps, rule === 'whitelist' || rule === 'model', limit), profiles, undefined, { variants, modelVariants: rule === 'model' });
    const n = w.tenants.reduce((a, t) => a + t.layers.reduce((b, l) => b + l.variants.filter((v) => !v.id.startsWith('model:')).length - 1, 0), 0);
    const combos = w.tenants.reduce((a, t) => a + (t.whitelist?.combos.length ?? 0), 0);
    const modelCombos = w.tenants.flatMap((t) => (t.whitelist?.combos ?? []).filter((c) => c.whole).map((c) => `${t.id} ${c.id.replace(/^model:/, '')} (relL2 ${c.cost.toFixed(3)})`));
    log(`simulating ${variants ? `with ${n} measured layer variants (${rule === 'budget' ? `additive budget ${accuracyBudget}` : `whitelists: ${combos} combinations verified together within maxOutputRelErr ${limit}${rule === 'model' ? `, model variants: ${modelCombos.join(', ') || 'none within the limit'}` : ''}`})` : 'without variants'} at load ${load}`);
    const c = comparePolicies(w, ['terastal', 'dream'], { duration: 10, seeds: [1, 2, 3, 4, 5] });
    for (const r of c.rows) {
      rows.push({
        policy: r.policy, variants, rule, ...(rule === 'model' || rule === 'whitelist' ? { limit } : {}), missRate: r.missRate.mean, uxcost: r.uxcost.mean,
        // Over the tenants that finished frames (a tenant that finished none has no mean accuracy).
        accuracyUsed: meanOf(r.perTenant.map((t) => 1 - t.meanAccuracy.mean).filter(Number.isFinite)),
        ...(rule === 'whitelist' || rule === 'model' ? { combos } : {}), ...(rule === 'model' ? { modelCombos } : {}),
      });
    }
  }
  return { load, accuracyBudget, fps, rows };
}

const meanOf = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

const MODELS = ['npm/ppocr-v4-det', 'npm/ppocr-v4-rec', 'npm/silero-vad-v5', 'architecture/resnet50', 'architecture/bert-base-s128'];

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean' }, quick: { type: 'boolean' },
      lanes: { type: 'string', default: 'cpu:1,cpu:2' }, budget: { type: 'string' }, models: { type: 'string' }, kinds: { type: 'string' },
      load: { type: 'string', default: '1.2' }, 'budget-acc': { type: 'string', default: '0.05' }, store: { type: 'string' }, resimulate: { type: 'boolean' },
      'model-budget': { type: 'string' },
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
  try {
    const modelBudgets = values['model-budget'] ? String(values['model-budget']).split(',').map(Number) : [];
    sim = simulateWithVariants(profiles.filter((p) => p.status === 'complete'), Number(values.load), Number(values['budget-acc']), log, modelBudgets);
  } catch (e) {
    sim = { error: (e as Error).message };
  }
  if (values.json) process.stdout.write(JSON.stringify({ models: results, simulation: sim }, null, 1) + '\n');
  else if ('error' in sim) process.stdout.write(`\nsimulation on the measured tables failed: ${sim.error}\n`);
  else {
    process.stdout.write(`\n== simulator on the measured tables: ${profiles.length} tenants, busiest lane at load ${sim.load}, accuracy budget ${sim.accuracyBudget} (approximate variants cost their end-to-end relative L2), 5 seeds x 10 s\n`);
    for (const policy of ['terastal', 'dream']) {
      const off = sim.rows.find((r) => r.policy === policy && !r.variants)!;
      for (const on of sim.rows.filter((r) => r.policy === policy && r.variants)) {
        const fewer = off.missRate > 0 ? (1 - on.missRate / off.missRate) * 100 : 0;
        const how = on.rule === 'model' ? `layer whitelist + model variants within maxOutputRelErr ${on.limit} (${on.modelCombos?.join(', ') || 'none within it'})` : on.rule === 'whitelist' ? `whitelist of ${on.combos} combinations` : 'additive budget';
        process.stdout.write(`  ${policy.padEnd(9)} misses ${(off.missRate * 100).toFixed(1)}% -> ${(on.missRate * 100).toFixed(1)}% with ${how} (${fewer.toFixed(0)}% fewer), UXCost ${off.uxcost.toFixed(3)} -> ${on.uxcost.toFixed(3)}, mean accuracy used ${Number.isFinite(on.accuracyUsed) ? on.accuracyUsed.toFixed(4) : 'n/a (no frame finished)'}\n`);
      }
    }
  }
  return 0;
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
