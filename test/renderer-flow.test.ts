// The linked-steps plumbing of the app: the URL (renderer/route.ts), remembered settings
// (renderer/remember.ts) and the pure rules the views use to carry context and pick defaults.
import { describe, expect, it } from 'vitest';
import { formatHash, listParam, parseHash } from '../renderer/route';
import { pickLike, rememberKey, remembered } from '../renderer/remember';
import { compareParams, DEFAULT_FORM, defaultScenario, hasHardwareAccelerator, validLastResult, validSimForm } from '../renderer/views/simulate-model';
import { groupModels, lanesList, matchesModel, modelSizeText, profileLanes, profilesLine } from '../renderer/views/scenarios-model';
import { precheckModelFile, toBase64 } from '../renderer/upload';

/** An in-memory Storage; `full` makes setItem throw like a full quota. */
function memoryStorage(full = false): Storage & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    get length() {
      return map.size;
    },
    clear: () => map.clear(),
    getItem: (k) => map.get(k) ?? null,
    key: (i) => [...map.keys()][i] ?? null,
    removeItem: (k) => void map.delete(k),
    setItem: (k, v) => {
      if (full) throw new DOMException('quota', 'QuotaExceededError');
      map.set(k, String(v));
    },
  };
}

describe('route', () => {
  it('round-trips a view, an id with slashes and carried context', () => {
    const hash = formatHash('simulate', 'xrbench/vr_gaming', { profiles: ['p1', 'p2'], lanes: 'cpu:1,cpu:1', empty: '' });
    expect(hash).toBe('#/simulate/xrbench%2Fvr_gaming?profiles=p1%2Cp2&lanes=cpu%3A1%2Ccpu%3A1');
    const r = parseHash(hash);
    expect(r).toEqual({ view: 'simulate', param: 'xrbench/vr_gaming', query: { profiles: 'p1,p2', lanes: 'cpu:1,cpu:1' } });
    expect(listParam(r.query, 'profiles')).toEqual(['p1', 'p2']);
    expect(listParam(r.query, 'missing')).toEqual([]);
  });

  it('keeps the old forms and falls back on anything else', () => {
    expect(parseHash('#/profiles/abc')).toEqual({ view: 'profiles', param: 'abc', query: {} });
    expect(parseHash('#/live')).toEqual({ view: 'live', query: {} });
    expect(parseHash('')).toEqual({ view: 'devices', query: {} });
    expect(parseHash('#content')).toEqual({ view: 'devices', query: {} });
    // A malformed escape is not an id (and never throws).
    expect(parseHash('#/profiles/%E0%A4')).toEqual({ view: 'profiles', query: {} });
  });
});

describe('remembered', () => {
  const check = (x: unknown) => (typeof x === 'object' && x && typeof (x as { a?: unknown }).a === 'number' ? (x as { a: number }) : undefined);

  it('stores under a versioned key and reads back what passes the check', () => {
    const s = memoryStorage();
    const m = remembered('view.form', 2, check, { storage: s });
    expect(m.load()).toBeUndefined();
    expect(m.save({ a: 1 })).toBe(true);
    expect(s.map.get(rememberKey('view.form', 2))).toBe('{"a":1}');
    expect(m.load()).toEqual({ a: 1 });
    m.clear();
    expect(m.load()).toBeUndefined();
  });

  it('ignores and removes a garbled, wrong-shaped or older value', () => {
    const s = memoryStorage();
    s.setItem('tessera.view.form.v2', '{not json');
    s.setItem('tessera.view.form.v1', '{"a":1}');
    const m = remembered('view.form', 2, check, { storage: s });
    expect(m.load()).toBeUndefined();
    expect(s.map.has('tessera.view.form.v2')).toBe(false);
    expect(s.map.has('tessera.view.form.v1')).toBe(false);
    s.setItem('tessera.view.form.v2', '{"a":"one"}');
    expect(m.load()).toBeUndefined();
    expect(s.map.size).toBe(0);
  });

  it('a full storage loses the memory, not the view', () => {
    const m = remembered('view.form', 1, check, { storage: memoryStorage(true) });
    expect(m.save({ a: 1 })).toBe(false);
    expect(m.load()).toBeUndefined();
  });

  it('pickLike keeps the fields that still fit and defaults the rest', () => {
    const d = { name: 'x', n: 1, on: false, list: ['a'], mode: 'layer' };
    expect(pickLike({ name: 'y', n: 'two', on: true, list: [1], mode: 'bogus', extra: 1 }, d, { mode: ['layer', 'model'] })).toEqual({ name: 'y', n: 1, on: true, list: ['a'], mode: 'layer' });
    expect(pickLike({ n: Number.NaN }, d)).toEqual(d);
    expect(pickLike(null, d)).toBeUndefined();
    expect(pickLike([1], d)).toBeUndefined();
  });
});

describe('Simulate: remembered form, reload, default scenario, lanes', () => {
  it('validSimForm takes a stale form as far as it fits', () => {
    expect(validSimForm({ scenario: 'xrbench/vr_gaming', profiles: ['p'], seeds: '3', preemption: 'sideways' })).toMatchObject({ scenario: 'xrbench/vr_gaming', profiles: ['p'], seeds: '3', preemption: 'layer', lanes: '' });
    expect(validSimForm({ scenario: '' })).toBeUndefined();
    expect(validSimForm('x')).toBeUndefined();
  });

  it('validLastResult refuses what is not a simulation result', () => {
    const ok = { params: { scenario: 's', policies: ['edf'], durationSec: 1 }, result: { scenario: 's', comparison: { rows: [] }, summary: {} } };
    expect(validLastResult(ok)).toBe(ok);
    expect(validLastResult({ ...ok, result: { scenario: 's' } })).toBeUndefined();
    expect(validLastResult({ params: { scenario: 1 }, result: ok.result })).toBeUndefined();
  });

  it('carries the lanes into the compare params of a library scenario only', () => {
    const lib = compareParams({ ...DEFAULT_FORM, scenario: 'xrbench/vr_gaming', profiles: ['a'], lanes: 'cpu:1, cpu:1' });
    expect(lib.params?.lanes).toEqual(['cpu:1', 'cpu:1']);
    expect(lib.params?.profiles).toEqual(['a']);
    expect(compareParams({ ...DEFAULT_FORM, lanes: 'cpu:1' }).params?.lanes).toBeUndefined();
  });

  const synthetic = ['synthetic:vr_gaming', 'synthetic:vr_gaming:skewed', 'synthetic:ar_assistant'];
  const scenarios = [
    { id: 'xrbench/vr_gaming', tenants: [{ model: 'xrbench/ES_RITNet' }, { model: 'xrbench/GE_FBNet_C' }] },
    { id: 'mixed/ocr', tenants: [{ model: 'npm/ppocr-v4-det' }] },
  ];

  it('opens a machine without a GPU on the balanced workload, not the GPU-skewed one', () => {
    const d = defaultScenario({ synthetic, scenarios, profiles: [], hardwareGpu: false });
    expect(d.scenario).toBe('synthetic:vr_gaming');
    expect(d.why).toMatch(/no hardware GPU/);
    expect(defaultScenario({ synthetic, scenarios, profiles: [], hardwareGpu: true }).scenario).toBe('synthetic:vr_gaming:skewed');
  });

  it('prefers a library scenario whose every model is profiled, with those profiles', () => {
    const profiles = [
      { id: 'p-det', model: 'ppocr-v4-det' },
      { id: 'p-es', model: 'xrbench/ES_RITNet' },
      { id: 'p-partial', model: 'xrbench/GE_FBNet_C', status: 'partial' },
    ];
    const d = defaultScenario({ synthetic, scenarios, profiles, hardwareGpu: false });
    expect(d).toMatchObject({ scenario: 'mixed/ocr', profiles: ['p-det'] });
    // vr_gaming's second model has only a partial profile: not a complete set.
    const d2 = defaultScenario({ synthetic, scenarios: [scenarios[0]], profiles, hardwareGpu: false });
    expect(d2.scenario).toBe('synthetic:vr_gaming');
  });

  it('hasHardwareAccelerator: a working, non-software GPU lane', () => {
    expect(hasHardwareAccelerator([{ ep: 'cpu' }])).toBe(false);
    expect(hasHardwareAccelerator([{ ep: 'cpu' }, { ep: 'webgpu', error: 'no adapter' }])).toBe(false);
    expect(hasHardwareAccelerator([{ ep: 'webgpu', adapter: { software: true } }])).toBe(false);
    expect(hasHardwareAccelerator([{ ep: 'cuda' }])).toBe(true);
  });
});

describe('Scenario next steps', () => {
  it('lanes as Simulate and Live take them, and as the profiler measures them', () => {
    expect(lanesList(' cpu:1, cpu:1,,webgpu ')).toEqual(['cpu:1', 'cpu:1', 'webgpu']);
    expect(profileLanes(['cpu:1', 'cpu:1#1', 'cpu:1', 'webgpu'])).toEqual(['cpu:1', 'webgpu']);
  });

  it('says which tenants have a profile', () => {
    expect(profilesLine({ a: 'p1', b: 'p2' }, [], ['cpu:1', 'cpu:1'])).toBe('Every tenant (2) has a stored profile of its model on cpu:1.');
    expect(profilesLine({ a: 'p1' }, [{ tenant: 'b', model: 'xrbench/X' }], [])).toBe('1 of 2 tenants have a stored profile; missing: b (xrbench/X).');
  });
});

describe('Model library: grouped by source, searchable', () => {
  const lib = [
    { id: 'xrbench/ES_RITNet', family: 'xrbench', title: 'ES_RITNet (XRBench eye segmentation)', description: 'eye segmentation: 14 layers', label: 'layer-shape replica: real layer shapes, synthetic weights', synthetic: true, params: 250_000 },
    { id: 'npm/silero-vad-v5', family: 'npm', title: 'Silero VAD v5', description: 'voice activity', label: 'real pretrained model', synthetic: false, bytes: 2_327_524 },
    { id: 'architecture/resnet50', family: 'architecture', title: 'ResNet-50 (224x224)', description: 'resnet', label: 'reference architecture: real layer structure, synthetic weights', synthetic: true },
    { id: 'xrbench/GE_FBNet_C', family: 'xrbench', title: 'GE_FBNet_C (XRBench gaze estimation)', description: 'gaze estimation', label: 'layer-shape replica: real layer shapes, synthetic weights', synthetic: true },
  ];

  it('groups by source in a fixed order, with the label once per group', () => {
    const g = groupModels(lib);
    expect(g.map((x) => [x.family, x.items.length, x.label])).toEqual([
      ['xrbench', 2, 'layer-shape replica: real layer shapes, synthetic weights'],
      ['npm', 1, 'real pretrained model'],
      ['architecture', 1, 'reference architecture: real layer structure, synthetic weights'],
    ]);
  });

  it('searches every word, case-insensitively, keeping emptied groups with their totals', () => {
    const g = groupModels(lib, 'GAZE xrbench');
    expect(g.map((x) => [x.family, x.items.map((m) => m.id), x.total])).toEqual([
      ['xrbench', ['xrbench/GE_FBNet_C'], 2],
      ['npm', [], 1],
      ['architecture', [], 1],
    ]);
    expect(matchesModel(lib[1], 'pretrained vad')).toBe(true);
    expect(matchesModel(lib[1], 'pretrained resnet')).toBe(false);
  });

  it('a size from the file, else from the weights, else unknown', () => {
    expect(modelSizeText({ bytes: 2_327_524 })).toBe('2.2 MiB');
    expect(modelSizeText({ bytes: 5_000 })).toBe('5 KiB');
    expect(modelSizeText({ params: 250_000 })).toBe('0.25 M weights');
    expect(modelSizeText({})).toBeUndefined();
  });
});

describe('upload from the page', () => {
  it('base64 in slices matches Node for sizes around the slice boundary', () => {
    for (const n of [0, 1, 2, 3, 0x8000 - 1, 0x8000, 0x8000 + 1, 200_001]) {
      const b = new Uint8Array(n).map((_, i) => (i * 131 + 7) & 255);
      expect(toBase64(b)).toBe(Buffer.from(b).toString('base64'));
    }
  });

  it('names the file and what to do before sending anything', () => {
    expect(precheckModelFile({ name: 'photo.jpg', size: 10 })).toMatch(/^photo\.jpg: not an \.onnx file\. Pick an ONNX model/);
    expect(precheckModelFile({ name: 'empty.onnx', size: 0 })).toMatch(/^empty\.onnx: the file is empty/);
    expect(precheckModelFile({ name: 'net.ONNX', size: 10 })).toBeUndefined();
  });
});
