// `npm run bench -- variants [--json] [--quick] [--lanes cpu:1,cpu:2] [--budget 20s] [--models id,id] [--kinds ...]`
//
// Per model (PP-OCRv4 det and rec, Silero VAD v5, ResNet-50 and BERT-base from
// workloads/architectures) and per kind: layers where the kind applies, variants verified, median
// speed-up per lane, latency-gap reduction, generation + verification time; from real runs of
// `tessera variants` (profiler/variants/run.ts) in a temporary store. --quick: every 4th layer (at
// most 8 per model), small budgets.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatVariants, variantsJson } from '../cli/commands/variants';
import { resolveProfileModels } from '../engine/features/profile';
import { variantsSummary } from '../engine/features/variants';
import { loadModel } from '../profiler/onnx/model';
import { runVariants } from '../profiler/variants/run';

const MODELS = ['npm/ppocr-v4-det', 'npm/ppocr-v4-rec', 'npm/silero-vad-v5', 'architecture/resnet50', 'architecture/bert-base-s128'];

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean' }, quick: { type: 'boolean' },
      lanes: { type: 'string', default: 'cpu:1,cpu:2' }, budget: { type: 'string' }, models: { type: 'string' }, kinds: { type: 'string' },
    },
  });
  const quick = Boolean(values.quick);
  const budgetSec = values.budget ? Number(String(values.budget).replace(/s$/, '')) : quick ? 6 : 30;
  const lanes = String(values.lanes).split(',');
  const models = values.models ? String(values.models).split(',') : MODELS;
  const log = (s: string) => process.stderr.write(s + '\n');
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-variants-'));
  const results: unknown[] = [];
  try {
    for (const id of models) {
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
      const p = await runVariants({ model: m.source }, {
        name: m.name, shapes: m.shapes, inputValues: m.inputValues, lanes, budgetSec, layers, storeDir: dir, kinds: values.kinds,
        onProgress: (x) => (x.phase === 'done' || x.phase === 'profile' ? undefined : process.stderr.write(`\r\x1b[2K${x.message.slice(0, 110)}`)),
      });
      process.stderr.write('\n');
      const s = variantsSummary(p);
      const wall = (performance.now() - t0) / 1000;
      results.push({ model: id, wallSec: wall, ...(variantsJson(p, s) as object) });
      if (!values.json) process.stdout.write(`\n== ${id} (${wall.toFixed(0)} s wall)\n${formatVariants(p, s)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (values.json) process.stdout.write(JSON.stringify(results, null, 1) + '\n');
  return 0;
}
