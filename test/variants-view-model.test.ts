// The Variants view's figures (renderer/views/variants-model.ts), from a profile with variants.
import { describe, expect, it } from 'vitest';
import type { LayerVariantInfo, Profile } from '../profiler/types';
import { combinationRows, paretoFront, scatterPoints, variantRows, variantsRunRequest } from '../renderer/views/variants-model';
import { fakeProfile } from './support/fake-profile';

const v = (id: string, exact: boolean, err: number, ms: number, passed = true): LayerVariantInfo => ({
  id, kind: id, family: 'x', exact, description: '', targets: [], notes: [], bytesSize: 1, generateMs: 0, verifyMs: 0,
  verification: { passed, maxRelError: exact ? err : 0.1, definition: '', ...(exact ? {} : { endToEnd: { maxRelError: err, maxAbsError: err, relL2: err, cosine: 1, snrDb: 30, task: [{ task: 'classifier-top1', assumption: '', output: 'y', value: 1 - err }] } }) },
  lanes: [{ lane: 'cpu:1', latencyMs: ms, latencyCiMs: 0.01, speedup: 1 / ms }],
});

function profile(): Profile {
  const p = fakeProfile('p', 'm', ['cpu:1'], [[1], [1]]);
  p.layers[0].variants = { original: [{ lane: 'cpu:1', latencyMs: 1 }], variants: [v('split', true, 1e-7, 0.9), v('fp16', false, 0.01, 0.5), v('int8', false, 0.02, 0.6), v('bad', false, 0.5, 0.1, false)], inapplicable: [] };
  p.layers[1].variants = { original: [{ lane: 'cpu:1', latencyMs: 2 }], variants: [v('fp16', false, 0.03, 0.4)], inapplicable: [] };
  p.variantRun = {
    createdAt: '', kinds: [], lanes: [{ id: 'cpu:1', ep: 'cpu' }], budgetSec: 1, samples: '', status: 'complete', timings: { cutSec: 0, generateSec: 0, verifySec: 0, measureSec: 0 }, warnings: [],
    combinations: [{ id: 'fp16x2', rule: '', members: [{ layer: 0, variant: 'fp16' }, { layer: 1, variant: 'fp16' }], sumOfSingles: 0.04, verifyMs: 0, endToEnd: { maxRelError: 0.1, maxAbsError: 0.1, relL2: 0.07, cosine: 1, snrDb: 20, task: [{ task: 'classifier-top1', assumption: '', output: 'y', value: 0.9 }] } }],
  };
  return p;
}

describe('Variants view model', () => {
  it('rows per layer and variant with the lane cells, points, Pareto front and the whitelist under limits', () => {
    const p = profile();
    const rows = variantRows(p);
    expect(rows.map((r) => `${r.layer}:${r.variant}`)).toEqual(['0:original', '0:split', '0:fp16', '0:int8', '0:bad', '1:original', '1:fp16']);
    expect(rows[2]).toMatchObject({ error: 0.01, errorKind: 'end-to-end rel L2', lanes: [{ lane: 'cpu:1', ms: 0.5, ciMs: 0.01 }] });
    expect(rows[1].errorKind).toBe('layer max rel');
    const pts = scatterPoints(rows);
    expect(pts.map((q) => q.label)).toEqual(['L0 split', 'L0 fp16', 'L0 int8', 'L1 fp16']); // the rejected one is left out
    expect(pts.find((q) => q.label === 'L1 fp16')!.relLatency).toBeCloseTo(0.2, 12);
    // split (1e-7, 0.9), fp16 L0 (0.01, 0.5), L1 fp16 (0.03, 0.2); int8 (0.02, 0.6) is dominated.
    expect(paretoFront(pts).map((q) => q.label)).toEqual(['L0 split', 'L0 fp16', 'L1 fp16']);
    const c = combinationRows(p, { maxOutputRelErr: 0.05 });
    expect(c[0]).toMatchObject({ id: 'fp16x2', members: 2, relL2: 0.07, sumOfSingles: 0.04 });
    expect(c[0].outside).toMatch(/maxOutputRelErr 0.05/);
    expect(c.filter((x) => !x.outside).map((x) => x.id)).toEqual(['L0:fp16', 'L0:int8', 'L1:fp16']);
    expect(combinationRows(p, { maxTop1Drop: 0.05 }).find((x) => x.id === 'fp16x2')!.outside).toMatch(/top-1 drop 10.0%/);
  });
});

describe('the Variants view\'s run form', () => {
  it('turns the typed fields into variants.run parameters, ranges expanded', () => {
    expect(variantsRunRequest({ target: ' npm/ppocr-v4-rec ', kinds: 'exact, reshape,int8-static', lanes: 'cpu:1,cpu:2', budgetSec: '2', layers: '5,0-2' })).toEqual({
      errors: [], params: { target: 'npm/ppocr-v4-rec', kinds: ['exact', 'reshape', 'int8-static'], lanes: ['cpu:1', 'cpu:2'], budgetSec: 2, layers: [0, 1, 2, 5] },
    });
    expect(variantsRunRequest({ target: 'm', kinds: '', lanes: '', budgetSec: '', layers: '' }).params).toEqual({ target: 'm' });
  });
  it('names what to fix', () => {
    const r = variantsRunRequest({ target: '', kinds: '', lanes: '', budgetSec: '-1', layers: '3-1,x' });
    expect(r.params).toBeUndefined();
    expect(r.errors.join(' | ')).toMatch(/Give a model.*\| Budget must be a positive.*\| Layers: '3-1'.*\| Layers: 'x'/);
  });
});
