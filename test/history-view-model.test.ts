// The History view's pure logic (renderer/views/history-model.ts): filtering, picking two, where
// Open goes, the stored-result route parameter, and the comparison as display rows.
import { describe, expect, it } from 'vitest';
import { changeBadge, displayRows, filterItems, pickProblem, reopenRoute, savedId, savedParam, togglePick, type HistoryItem } from '../renderer/views/history-model';
import type { CompareRow } from '../scheduler/history/compare';

const item = (kind: HistoryItem['kind'], id: string, title: string, scenario?: string): HistoryItem => ({ kind, id, title, scenario, when: '2026-01-01T00:00:00Z', headline: `headline of ${id}` });
const items = [item('profile', 'p1', 'yolo.onnx'), item('simulation', 's1', 'xrbench/vr_gaming: edf, dream', 'xrbench/vr_gaming'), item('run', 'r1', 'demo:tiny: edf', 'demo:tiny')];

describe('History view model', () => {
  it('filters by kind and by every word of the text, case-insensitively', () => {
    expect(filterItems(items, { kind: 'all', text: '' })).toHaveLength(3);
    expect(filterItems(items, { kind: 'run', text: '' }).map((i) => i.id)).toEqual(['r1']);
    expect(filterItems(items, { kind: 'all', text: 'EDF' }).map((i) => i.id)).toEqual(['s1', 'r1']);
    expect(filterItems(items, { kind: 'all', text: 'edf vr_gaming' }).map((i) => i.id)).toEqual(['s1']);
    expect(filterItems(items, { kind: 'profile', text: 'edf' })).toEqual([]);
    expect(filterItems(items, { kind: 'all', text: 'headline of p1' }).map((i) => i.id)).toEqual(['p1']);
  });

  it('keeps at most two picks, a third replacing the first; says why a pair cannot be compared', () => {
    let p = togglePick([], items[0]);
    expect(pickProblem(p)).toMatch(/one more/);
    p = togglePick(p, items[1]);
    expect(pickProblem(p)).toMatch(/profile compares only with another profile/);
    p = togglePick(p, items[2]);
    expect(p).toEqual([{ kind: 'simulation', id: 's1' }, { kind: 'run', id: 'r1' }]);
    expect(pickProblem(p)).toBeUndefined();
    expect(togglePick(p, items[1])).toEqual([{ kind: 'run', id: 'r1' }]);
    expect(pickProblem([])).toMatch(/Pick two/);
    expect(pickProblem([{ kind: 'profile', id: 'a' }, { kind: 'profile', id: 'b' }])).toBeUndefined();
  });

  it('reopens each kind in its own view; the saved: parameter round-trips and leaves scenarios alone', () => {
    expect(reopenRoute(items[0])).toEqual({ view: 'profiles', param: 'p1' });
    expect(reopenRoute(items[1])).toEqual({ view: 'simulate', param: 'saved:s1' });
    expect(reopenRoute(items[2])).toEqual({ view: 'live', param: 'saved:r1' });
    expect(savedId(savedParam('sim-x-1'))).toBe('sim-x-1');
    for (const scenario of ['xrbench/vr_gaming', 'synthetic:vr_gaming:skewed', 'demo:tiny', 'saved:', undefined]) expect(savedId(scenario)).toBeUndefined();
  });

  it('groups the rows by tenant, with values in their units and the delta as shown', () => {
    const rows: CompareRow[] = [
      { tenant: '(all)', metric: 'missRate', a: 0.1, b: 0.05, delta: -0.05, change: 'better' },
      { tenant: '(all)', metric: 'energyPerFrameJ', a: 0.00123, b: 0.002, delta: 0.00077, rel: 0.626, change: 'worse' },
      { tenant: 't1', metric: 'p99LatencyMs', a: 12.345, b: undefined, change: 'missing' },
    ];
    const d = displayRows(rows);
    expect(d.map((r) => [r.tenant, r.first, r.span])).toEqual([['whole run', true, 2], ['whole run', false, 2], ['t1', true, 1]]);
    expect(d[0]).toMatchObject({ figure: 'miss rate', a: '10.0%', b: '5.0%', delta: '-5.0 pts' });
    expect(d[1]).toMatchObject({ a: '0.00123 J', b: '0.00200 J', delta: '+62.6%' });
    expect(d[2]).toMatchObject({ a: '12.3 ms', b: '-', delta: '-' });
    expect(changeBadge('better')).toEqual({ text: 'B better', kind: 'ok' });
    expect(changeBadge('missing').kind).toBe('warn');
  });
});
