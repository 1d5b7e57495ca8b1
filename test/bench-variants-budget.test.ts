// The variants bench states each tenant's accuracy budget at task level (bench/variants.ts
// taskBudget): by the task figure its verified variants carry, the output-error limit only for a
// model with none; and the verdict arithmetic.
import { describe, expect, it } from 'vitest';
import { DEFAULT_TASK_BUDGETS, fewerMisses, taskBudget } from '../bench/variants';
import type { Profile } from '../profiler/types';

/** A profile whose one layer has one verified approximate variant with these task figures. */
const profileWith = (task: { task: string; value: number }[]) =>
  ({ layers: [{ index: 0, variants: { variants: [{ id: 'fp16', exact: false, verification: { passed: true, endToEnd: { relL2: 0.1, task } } }] } }] }) as unknown as Profile;

describe('bench variants: task-level budget per tenant', () => {
  it('det: minMapIoU; rec: text unchanged; classifier: maxTop1Drop; VAD: maxDecisionChange; none: maxOutputRelErr', () => {
    expect(taskBudget(profileWith([{ task: 'probability-map-iou', value: 1 }])).limits).toEqual({ minMapIoU: 0.9 });
    expect(taskBudget(profileWith([{ task: 'ctc-text', value: 1 }]))).toEqual({ limits: { maxTop1Drop: 0 }, label: 'text unchanged (maxTop1Drop 0)' });
    expect(taskBudget(profileWith([{ task: 'classifier-top1', value: 1 }])).limits).toEqual({ maxTop1Drop: 0.01 });
    expect(taskBudget(profileWith([{ task: 'speech-decision', value: 1 }])).limits).toEqual({ maxDecisionChange: 0.01 });
    expect(taskBudget(profileWith([])).limits).toEqual({ maxOutputRelErr: DEFAULT_TASK_BUDGETS.maxOutputRelErr });
    expect(taskBudget(profileWith([{ task: 'probability-map-iou', value: 1 }]), { ...DEFAULT_TASK_BUDGETS, minMapIoU: 0.8 }).limits).toEqual({ minMapIoU: 0.8 });
  });
  it('fewer misses in percent; none when the originals miss nothing', () => {
    expect(fewerMisses(0.5, 0.3)).toBeCloseTo(40, 9);
    expect(fewerMisses(0.2, 0.3)).toBeCloseTo(-50, 9);
    expect(fewerMisses(0, 0)).toBe(0);
  });
});
