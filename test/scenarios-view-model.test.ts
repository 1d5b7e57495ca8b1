// The Scenarios view's pure helpers: library grouping, model labels, formats, the cascade graph
// layout and the utilisation chart series.
import { describe, expect, it } from 'vitest';
import { macsText, type LaneDemandLike, groupLibrary, inputShapesText, layoutCascadeGraph, macsRate, padsText, probabilityLabel, rateText, shortLabel, slosText, utilisationSeries } from '../renderer/views/scenarios-model';
import { fmtCompact as num, fmtPct as pct } from '../renderer/format';

describe('library grouping', () => {
  it('groups by source: XRBench usage scenarios, the probability sweep, mixed, user (always shown)', () => {
    const items = [
      { id: 'xrbench/ar_gaming', origin: 'xrbench' },
      { id: 'xrbench/vr_gaming', origin: 'xrbench' },
      { id: 'xrbench/sweep/vr_gaming_25p', origin: 'xrbench' },
      { id: 'mixed/reading_assistant', origin: 'builtin' },
    ];
    const g = groupLibrary(items);
    expect(g.map((x) => [x.key, x.items.map((i) => i.id)])).toEqual([
      ['xrbench', ['xrbench/ar_gaming', 'xrbench/vr_gaming']],
      ['sweep', ['xrbench/sweep/vr_gaming_25p']],
      ['mixed', ['mixed/reading_assistant']],
      ['user', []],
    ]);
    expect(groupLibrary([...items, { id: 'user/mine', origin: 'user' }, { id: 'file:/x.json', origin: 'file' }]).map((x) => x.key)).toEqual(['xrbench', 'sweep', 'mixed', 'user', 'other']);
  });
});

describe('labels and formats', () => {
  it('short model labels', () => {
    expect(shortLabel('layer-shape replica: real layer shapes, synthetic weights')).toBe('layer-shape replica');
    expect(shortLabel('real pretrained model')).toBe('pretrained');
    expect(shortLabel('reference architecture: real layer structure, synthetic weights')).toBe('reference architecture');
    expect(shortLabel('', 'file')).toBe('ONNX file');
    expect(shortLabel(undefined)).toBe('model');
  });

  it('numbers never print NaN or undefined', () => {
    expect(num(60)).toBe('60');
    expect(num(16.666666)).toBe('16.67');
    expect(num(0.0123456)).toBe('0.012');
    expect(num(250.4)).toBe('250');
    expect(num(NaN)).toBe('–');
    expect(num(undefined)).toBe('–');
    expect(macsText(5704806400)).toBe('5.7 G');
    expect(macsText(938393600)).toBe('0.94 G');
    expect(macsText(6756780)).toBe('6.76 M');
    expect(macsText(566281.5)).toBe('0.57 M');
    expect(macsText(null)).toBe('–');
    expect(macsRate(575282099520)).toBe('575.3 GMAC/s');
    expect(macsRate(1.2e12)).toBe('1.2 TMAC/s');
    expect(macsRate(17696296.875)).toBe('17.7 MMAC/s');
    expect(pct(1.008)).toBe('100.8%');
    expect(pct(undefined)).toBe('–');
    expect(rateText({ type: 'periodic', fps: 31.25 })).toBe('31.25 fps');
    expect(rateText({ type: 'poisson', ratePerSec: 2 })).toBe('Poisson 2/s');
    expect(slosText({ maxLatencyMs: 400, minAccuracy: 0.9 })).toBe('p95 latency ≤ 400 ms; accuracy ≥ 90.0%');
    expect(slosText(undefined)).toBe('');
    expect(inputShapesText({ input: [1, 512], state: [2, 1, 128], sr: [] })).toBe('input 1×512, state 2×1×128, sr scalar');
    expect(padsText([1, 1, 1, 1])).toBe('1');
    expect(padsText([0, 0, 1, 1])).toBe('t0 l0 b1 r1');
    expect(probabilityLabel(0.25)).toBe('p = 25%');
    expect(probabilityLabel(1)).toBe('p = 100%');
  });
});

describe('cascade graph layout', () => {
  it('VR gaming: the gaze model one column right of eye segmentation, on its row; hand tracking a second root below', () => {
    const g = layoutCascadeGraph(
      [{ id: 'ES_RITNet', sub: '60 fps' }, { id: 'GE_FBNet_C', sub: '60 fps' }, { id: 'HT_hand_graph_cnn_half', sub: '45 fps' }],
      [{ upstream: 'ES_RITNet', dependent: 'GE_FBNet_C', probability: 1 }],
    );
    const at = Object.fromEntries(g.nodes.map((n) => [n.id, [n.depth, n.row]]));
    expect(at).toEqual({ ES_RITNet: [0, 0], GE_FBNet_C: [1, 0], HT_hand_graph_cnn_half: [0, 1] });
    expect(g.nodes.map((n) => n.id)).toEqual(['ES_RITNet', 'GE_FBNet_C', 'HT_hand_graph_cnn_half']);
    expect(g.edges).toHaveLength(1);
    expect(g.edges[0]).toMatchObject({ from: 'ES_RITNet', to: 'GE_FBNet_C', label: 'p = 100%' });
    expect(g.problems).toEqual([]);
    const es = g.nodes.find((n) => n.id === 'ES_RITNet')!;
    const ge = g.nodes.find((n) => n.id === 'GE_FBNet_C')!;
    expect(ge.x).toBeGreaterThan(es.x + es.w); // left to right, with a gap for the arrow
    expect(g.edges[0].path.startsWith(`M ${es.x + es.w} ${es.y + es.h / 2}`)).toBe(true);
    // Everything fits inside the drawing.
    for (const n of g.nodes) {
      expect(n.x + n.w).toBeLessThanOrEqual(g.width);
      expect(n.y + n.h).toBeLessThanOrEqual(g.height);
    }
    // A box is as wide as its label needs.
    const ht = g.nodes.find((n) => n.id === 'HT_hand_graph_cnn_half')!;
    expect(ht.w).toBeGreaterThanOrEqual('HT_hand_graph_cnn_half'.length * 7);
    expect(ht.y).toBeGreaterThanOrEqual(es.y + es.h);
  });

  it('chains and fan-out: depth grows along a chain; siblings take the next free rows; boxes never overlap', () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    const g = layoutCascadeGraph(
      ids.map((id) => ({ id })),
      [
        { upstream: 'a', dependent: 'b', probability: 0.5 },
        { upstream: 'b', dependent: 'c', probability: 0.3 },
        { upstream: 'a', dependent: 'd', probability: 0.2 },
        { upstream: 'e', dependent: 'f', probability: 1 },
      ],
    );
    const at = Object.fromEntries(g.nodes.map((n) => [n.id, [n.depth, n.row]]));
    expect(at).toEqual({ a: [0, 0], b: [1, 0], c: [2, 0], d: [1, 1], e: [0, 2], f: [1, 2] });
    expect(g.edges.map((e) => `${e.from}>${e.to}`)).toEqual(['a>b', 'b>c', 'a>d', 'e>f']);
    for (const p of g.nodes) for (const q of g.nodes) {
      if (p === q) continue;
      const apart = p.x + p.w <= q.x || q.x + q.w <= p.x || p.y + p.h <= q.y || q.y + q.h <= p.y;
      expect(apart, `${p.id} and ${q.id} overlap`).toBe(true);
    }
  });

  it('no cascades: side by side, wrapping at maxWidth; unknown tenants and cycles are reported, not drawn as edges', () => {
    const flat = layoutCascadeGraph([{ id: 'x' }, { id: 'y' }], []);
    expect(flat.nodes.map((n) => n.row)).toEqual([0, 0]);
    expect(flat.nodes[1].x).toBeGreaterThan(flat.nodes[0].x + flat.nodes[0].w);
    expect(flat.width).toBe(flat.nodes[1].x + flat.nodes[1].w + 12);
    const five = layoutCascadeGraph(['a', 'b', 'c', 'd', 'e'].map((id) => ({ id })), [], { maxWidth: 300 });
    expect(five.nodes.map((n) => n.row)).toEqual([0, 0, 1, 1, 2]);
    for (const n of five.nodes) expect(n.x + n.w).toBeLessThanOrEqual(300);
    // Below a tree, not beside it.
    const mixed = layoutCascadeGraph([{ id: 'lone' }, { id: 'up' }, { id: 'down' }], [{ upstream: 'up', dependent: 'down', probability: 0.5 }]);
    expect(mixed.nodes.map((n) => [n.id, n.depth, n.row])).toEqual([['lone', 0, 1], ['up', 0, 0], ['down', 1, 0]]);
    const bad = layoutCascadeGraph([{ id: 'x' }, { id: 'y' }], [
      { upstream: 'ghost', dependent: 'x', probability: 1 },
      { upstream: 'x', dependent: 'y', probability: 1 },
      { upstream: 'y', dependent: 'x', probability: 1 },
    ]);
    expect(bad.problems[0]).toContain('ghost is not a tenant');
    expect(bad.problems.some((p) => p.includes('cycle'))).toBe(true);
    expect(bad.nodes).toHaveLength(2);
    expect(bad.edges).toHaveLength(1);
    expect(layoutCascadeGraph([], [])).toMatchObject({ nodes: [], edges: [], width: 24, height: 24 });
  });
});

describe('utilisation series', () => {
  it('stacks each tenant\'s share of each lane in percent; the axis top leaves room above 100%', () => {
    const lanes: LaneDemandLike[] = [
      { id: 'cpu:2', utilisation: 1.008, byTenant: { HT: 1008 } },
      { id: 'gpu', utilisation: 0.2016, byTenant: { ES: 126, GE: 75.6 } },
    ];
    const s = utilisationSeries(lanes, ['ES', 'GE', 'HT', 'idle']);
    expect(s.labels).toEqual(['cpu:2', 'gpu']);
    expect(s.series.map((x) => x.tenant)).toEqual(['ES', 'GE', 'HT']);
    expect(s.series[2].data[0]).toBeCloseTo(100.8, 9);
    expect(s.series[0].data).toEqual([0, 12.6]);
    expect(s.totals[0]).toBeCloseTo(100.8, 9);
    expect(s.max).toBe(120);
    expect(utilisationSeries([{ id: 'cpu', utilisation: 0.1, byTenant: { a: 100 } }], ['a']).max).toBe(110);
  });
});
