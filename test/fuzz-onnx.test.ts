// Fuzzes model intake, the first stage of `profile`: >= 100 mutated or truncated ONNX files (from
// a generated CNN and the real Silero VAD and PP-OCR classifier from npm) go through loading, input
// shape resolution and, when they get that far, the layer cut (ONNX Runtime sessions). Pass: no
// crash, and every failure is one clear error naming the file (ModelLoadError / ShapeError, or a cut
// error that names the model), never a bare "Invalid array length" or a stack overflow.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../profiler/onnx/builder';
import { cutModel } from '../profiler/onnx/cut';
import { loadModel, loadModelSync, ModelLoadError } from '../profiler/onnx/model';
import { seededRandom } from '../profiler/onnx/random';
import { resolveInputShapes, ShapeError } from '../profiler/onnx/shapes';
import { tinyCnn } from './support/tiny-model';

const dir = mkdtempSync(join(tmpdir(), 'tessera-onnx-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const VAD = join(__dirname, '..', 'node_modules', '@ricky0123', 'vad-web', 'dist', 'silero_vad_v5.onnx');
const CLS = join(__dirname, '..', 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx');

type Mutant = { name: string; bytes: Uint8Array; shapes?: Record<string, number[]> };

/** Re-encodes a model after changing its decoded protobuf. */
function edit(bytes: Uint8Array, change: (m: onnx.ModelProto) => void): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  change(m);
  return onnx.ModelProto.encode(m).finish();
}

function mutants(): Mutant[] {
  const rnd = seededRandom(77);
  const seeds: { name: string; bytes: Uint8Array; shapes?: Record<string, number[]> }[] = [
    { name: 'tiny', bytes: tinyCnn() },
    { name: 'vad', bytes: readFileSync(VAD), shapes: { input: [1, 512], state: [2, 1, 128] } },
    { name: 'cls', bytes: readFileSync(CLS), shapes: { x: [1, 3, 48, 192] } },
  ];
  const out: Mutant[] = [];
  for (const s of seeds) {
    for (let i = 0; i < 14; i++) {
      const cut = Math.floor(rnd() * s.bytes.length);
      out.push({ name: `${s.name}-truncated-${cut}`, bytes: s.bytes.slice(0, cut), shapes: s.shapes });
    }
    for (let i = 0; i < 12; i++) {
      const b = Uint8Array.from(s.bytes);
      const flips = 1 + Math.floor(rnd() * 8);
      // Flip bytes in the first 4 KiB (the structure: graph, nodes, shapes) more often than in weights.
      for (let k = 0; k < flips; k++) b[Math.floor(rnd() * Math.min(b.length, rnd() < 0.7 ? 4096 : b.length))] ^= 1 + Math.floor(rnd() * 255);
      out.push({ name: `${s.name}-flipped-${i}`, bytes: b, shapes: s.shapes });
    }
  }
  const tiny = tinyCnn();
  const dimOf = (m: onnx.ModelProto) => m.graph!.input![0].type!.tensorType!.shape!.dim!;
  const structural: [string, (m: onnx.ModelProto) => void][] = [
    ['huge-dim', (m) => (dimOf(m)[2].dimValue = 3_000_000_000)],
    ['negative-dim', (m) => (dimOf(m)[1].dimValue = -8)],
    ['no-graph', (m) => (m.graph = null)],
    ['no-nodes', (m) => (m.graph!.node = [])],
    ['no-inputs', (m) => (m.graph!.input = [])],
    ['no-outputs', (m) => (m.graph!.output = [])],
    ['unknown-op', (m) => (m.graph!.node![0].opType = 'NoSuchOp')],
    ['opset-0', (m) => (m.opsetImport = [{ domain: '', version: 0 }])],
    ['opset-999', (m) => (m.opsetImport = [{ domain: '', version: 999 }])],
    ['no-opset', (m) => (m.opsetImport = [])],
    ['elem-type-0', (m) => (m.graph!.input![0].type!.tensorType!.elemType = 0)],
    ['elem-type-string', (m) => (m.graph!.input![0].type!.tensorType!.elemType = 8)],
    ['no-shape', (m) => (m.graph!.input![0].type!.tensorType!.shape = null)],
    ['rank-0', (m) => (m.graph!.input![0].type!.tensorType!.shape!.dim = [])],
    ['dangling-input', (m) => (m.graph!.node![0].input = ['nowhere'])],
    ['cycle', (m) => (m.graph!.node![0].input = [m.graph!.node![1].output![0]])],
    ['duplicate-output', (m) => (m.graph!.node![1].output = m.graph!.node![0].output)],
    ['initializer-too-short', (m) => (m.graph!.initializer![0].rawData = new Uint8Array(3))],
    ['initializer-dims-huge', (m) => (m.graph!.initializer![0].dims = [1e9, 1e9])],
    ['external-data-escapes', (m) => ((m.graph!.initializer![0].dataLocation = onnx.TensorProto.DataLocation.EXTERNAL), (m.graph!.initializer![0].externalData = [{ key: 'location', value: '../../etc/passwd' }]))],
    ['external-data-missing', (m) => ((m.graph!.initializer![0].dataLocation = onnx.TensorProto.DataLocation.EXTERNAL), (m.graph!.initializer![0].externalData = [{ key: 'location', value: 'weights.bin' }]))],
    ['external-data-no-location', (m) => ((m.graph!.initializer![0].dataLocation = onnx.TensorProto.DataLocation.EXTERNAL), (m.graph!.initializer![0].externalData = []))],
    ['ir-version-0', (m) => (m.irVersion = 0)],
    ['empty-input-name', (m) => (m.graph!.input![0].name = '')],
    ['bad-attribute', (m) => (m.graph!.node![0].attribute = [{ name: 'kernel_shape', type: onnx.AttributeProto.AttributeType.INTS, ints: [-3, 0] }])],
    ['custom-domain', (m) => (m.graph!.node![0].domain = 'com.example.nope')],
  ];
  for (const [name, change] of structural) out.push({ name: `tiny-${name}`, bytes: edit(tiny, change) });
  out.push({ name: 'empty', bytes: new Uint8Array(0) });
  out.push({ name: 'text', bytes: new TextEncoder().encode('{"not": "onnx"}') });
  out.push({ name: 'zeros', bytes: new Uint8Array(4096) });
  out.push({ name: 'random', bytes: Uint8Array.from({ length: 4096 }, () => Math.floor(rnd() * 256)) });
  const g = new GraphBuilder('dims', { opset: 13 });
  g.node('Relu', [g.input('x', [1, 2_000_000, 1_000_000])], ['y'], {}, { name: 'r' });
  g.output('y', [1, 2_000_000, 1_000_000]);
  out.push({ name: 'declared-huge', bytes: g.toBytes() });
  return out;
}

describe('fuzzing profile intake with mutated ONNX files', () => {
  it('>= 100 mutated or truncated models: no crash, one clear error each naming the file', async () => {
    const all = mutants();
    expect(all.length).toBeGreaterThanOrEqual(100);
    const outcome = { loadError: 0, shapeError: 0, cutError: 0, ok: 0 };
    for (const m of all) {
      const file = join(dir, `${m.name}.onnx`);
      writeFileSync(file, m.bytes);
      let stage = 'load';
      try {
        const model = await loadModel(file);
        stage = 'shapes';
        const shapes = resolveInputShapes(model, m.shapes ?? {});
        stage = 'cut';
        await cutModel(model, { shapes, granularity: 'group', verify: false });
        outcome.ok++;
      } catch (e) {
        const err = e as Error;
        const message = String(err?.message ?? err);
        expect(message, `${m.name} (${stage})`).not.toMatch(/Invalid array length|Maximum call stack|Cannot read properties|is not a function|undefined/);
        expect(message.split('\n')[0], `${m.name} (${stage}): ${message}`).toContain(m.name);
        if (stage === 'load') expect(err, `${m.name}: ${message}`).toBeInstanceOf(ModelLoadError);
        if (stage === 'shapes') expect(err, `${m.name}: ${message}`).toBeInstanceOf(ShapeError);
        if (process.env.FUZZ_VERBOSE) console.log(`${stage}: ${message.split("\n")[0].slice(0, 220)}`);
        outcome[stage === 'load' ? 'loadError' : stage === 'shapes' ? 'shapeError' : 'cutError']++;
      }
    }
    // Every truncation and structural break is refused; a flip inside weight data may still be a valid model.
    expect(outcome.loadError + outcome.shapeError + outcome.cutError).toBeGreaterThan(all.length / 2);
    console.log(`ONNX intake fuzz: ${all.length} files, ${JSON.stringify(outcome)}`);
  }, 240_000);

  it('a huge declared dim names the input, the dim and the memory; a negative dim says what is wrong', () => {
    const huge = join(dir, 'huge-input.onnx');
    const g = new GraphBuilder('huge', { opset: 13 });
    g.node('Relu', [g.input('frames', [1, 2_000_000, 1_000_000])], ['y'], {}, { name: 'r' });
    g.output('y', [1, 2_000_000, 1_000_000]);
    writeFileSync(huge, g.toBytes());
    expect(() => resolveInputShapes(loadModelSync(huge))).toThrow(/input 'frames' with its declared shape \[1, 2000000, 1000000\] has 2\.00e\+12 elements of float32 and would need 7\.3 TiB of memory, over the 2\.0 GiB limit for one input \(its largest dimension is 1, = 2000000\)/);
    const neg = join(dir, 'negative-input.onnx');
    writeFileSync(neg, edit(tinyCnn(), (m) => (m.graph!.input![0].type!.tensorType!.shape!.dim![1].dimValue = -8)));
    expect(() => resolveInputShapes(loadModelSync(neg))).toThrow(/input 'x' \[1, -8, 16, 16\] declares dimension 1 as -8, which is not a size .*give a concrete shape, e\.g\. --shape x=1x1x16x16/);
    // A given shape replaces the negative dim.
    expect(resolveInputShapes(loadModelSync(neg), { x: [1, 8, 16, 16] })).toEqual({ x: [1, 8, 16, 16] });
  });
});

