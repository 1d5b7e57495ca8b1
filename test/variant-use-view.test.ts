// The variant-use and model-switch rows of the Simulate and Live views (simulate-model.ts, re-exported
// by live-model.ts) and the Live form's variants check.
import { describe, expect, it } from 'vitest';
import { switchRows, variantUseView, type VariantUseLike } from '../renderer/views/simulate-model';
import { startErrorHint, variantsProblem, variantUseView as liveVariantUseView } from '../renderer/views/live-model';

const use = (o: Partial<VariantUseLike>): VariantUseLike => ({
  tenant: 'det', runs: { original: 90, fp16: 30 }, approximateShare: 0.25, framesApproximate: 0.5, meanSpent: 0.002, maxSpent: 0.004, rule: 'budget', allowance: 0.01, spentShare: 0.2, ...o,
});

describe('variantUseView', () => {
  it('shows runs per variant (most first), the shares and the spent vs allowance', () => {
    const v = variantUseView([use({}), use({ tenant: 'rec', runs: { original: 10, 'split-out(g=2)': 40 }, approximateShare: 0, framesApproximate: 0, meanSpent: 0, maxSpent: 0, rule: 'none', allowance: 0 })])!;
    expect(v.none).toBeUndefined();
    expect(v.rows[0]).toMatchObject({ tenant: 'det', runs: 'original 90 · fp16 30', approximate: '25.0%', frames: '50.0%', spent: '0.00200 mean, 0.00400 max', allowance: '0.0100 (accuracy budget), 20% used', over: false });
    expect(v.rows[1]).toMatchObject({ runs: 'split-out(g=2) 40 · original 10', allowance: 'exact variants only' });
  });

  it('names whitelists and flags a mean spent over the allowance', () => {
    const [row] = variantUseView([use({ rule: 'whitelist', allowance: 0.001, meanSpent: 0.002 })])!.rows;
    expect(row.allowance).toMatch(/largest verified combination/);
    expect(row.over).toBe(true);
  });

  it('says in one line when only originals ran, and nothing when there were no variants', () => {
    const v = variantUseView([use({ runs: { original: 50 } }), use({ tenant: 'rec', runs: { original: 5 } })])!;
    expect(v.rows).toEqual([]);
    expect(v.none).toMatch(/original implementation/);
    expect(variantUseView(undefined)).toBeUndefined();
    expect(variantUseView([])).toBeUndefined();
  });

  it('survives NaN turned to null over JSON (a dash, never "null")', () => {
    const [row] = variantUseView([use({ approximateShare: null, meanSpent: null, allowance: null })])!.rows;
    expect(row.approximate).toBe('\u2013');
    expect(row.spent).toBe('\u2013');
    expect(JSON.stringify(row)).not.toMatch(/null|NaN|undefined/);
  });

  it('is the same function for the Live view', () => {
    expect(liveVariantUseView).toBe(variantUseView);
  });
});

describe('switchRows', () => {
  // The details as scheduler/core/policies/model-switch.ts writes them.
  const on = (time: number, tenant: number, id: string) => ({ time, tenant, kind: 'model-variant-on', detail: `${['det', 'rec'][tenant]} -> model variant ${id} (window miss rate 40% >= 20%)` });
  const off = (time: number, tenant: number) => ({ time, tenant, kind: 'model-variant-off', detail: `${['det', 'rec'][tenant]} -> original model (3 windows at miss rate <= 5%)` });

  it('lists switches in time order with from/to per tenant and the reason', () => {
    const rows = switchRows([off(2.5, 0), on(1.25, 0, 'det@fp16'), on(1.5, 1, 'rec@half')], ['det', 'rec']);
    expect(rows).toEqual([
      { at: '1.25 s', tenant: 'det', from: 'original model', to: 'model variant det@fp16', why: 'window miss rate 40% >= 20%' },
      { at: '1.50 s', tenant: 'rec', from: 'original model', to: 'model variant rec@half', why: 'window miss rate 40% >= 20%' },
      { at: '2.50 s', tenant: 'det', from: 'model variant det@fp16', to: 'original model', why: '3 windows at miss rate <= 5%' },
    ]);
  });

  it('keeps a variant id with parentheses whole (model:resolution(s=0.4))', () => {
    const [row] = switchRows([on(0.5, 0, 'model:resolution(s=0.4)')], ['det']);
    expect(row).toMatchObject({ to: 'model variant model:resolution(s=0.4)', why: 'window miss rate 40% >= 20%' });
  });

  it('keeps an unparsed detail whole and names an unknown tenant by index', () => {
    const [row] = switchRows([{ time: 0.1, tenant: 7, kind: 'model-variant-on', detail: 'something else' }], ['det']);
    expect(row).toMatchObject({ tenant: 'tenant 7', to: 'model variant', why: 'something else' });
    expect(switchRows(undefined, [])).toEqual([]);
  });
});

describe('the Live form variants field', () => {
  it('needs layer granularity (the runtime rule) and lets an empty field through', () => {
    expect(variantsProblem('', 'model')).toBeUndefined();
    expect(variantsProblem('exact,fp16', 'layer')).toBeUndefined();
    expect(variantsProblem('fp16', 'model')?.message).toMatch(/granularity "layer"/);
  });

  it('points an unknown kind from the engine at the field', () => {
    expect(startErrorHint('bad-params', "tenant \"det\": variants bogus: unknown variant kind 'bogus': use exact, fp16")).toMatch(/Layer variants field/);
  });
});
