// Groups of k layers in the live runtime: the cutter merges k consecutive groups into one unit, and a
// live run at group:2 dispatches those units (its workload, slices and trace show groups).
// Workers load from dist/: run `npm run build` first.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cutModel } from '../profiler/onnx/cut';
import { loadModel } from '../profiler/onnx/model';
import { demoModel } from '../scheduler/live/demo';
import { LiveRun, parseLanes, type LiveScenario } from '../scheduler/live';

const home = mkdtempSync(join(tmpdir(), 'tessera-groups-live-'));
process.env.TESSERA_HOME = home;

describe('groups of k layers, live', () => {
  beforeAll(() => {
    if (!existsSync(join(__dirname, '..', 'dist', 'workers', 'live-lane.worker.cjs'))) throw new Error('run `npm run build` first (the live lane worker is a built bundle)');
  });

  it('the cutter merges every k consecutive groups into one layer, and the chain still reproduces the model', async () => {
    const bytes = demoModel('demo:mlp:2:32:5').whole.units[0].bytes;
    const model = await loadModel(bytes, { name: 'mlp5' });
    const one = await cutModel(model, { granularity: 'group', verify: false, alsoCheckLevels: [] });
    expect(one.layers).toHaveLength(5);
    const two = await cutModel(model, { granularity: 'group', groupsOf: 2, alsoCheckLevels: [] });
    expect(two.layers).toHaveLength(3);
    expect(two.layers.map((l) => l.nodes)).toEqual([[...one.layers[0].nodes, ...one.layers[1].nodes], [...one.layers[2].nodes, ...one.layers[3].nodes], one.layers[4].nodes]);
    expect(two.verification.passed).toBe(true);
  });

  it('a live run at group:2 dispatches groups of two layers: workload, slices and trace', async () => {
    // One tenant from an ONNX file's bytes (cut by the cutter), one demo model (built in groups).
    const mlp = demoModel('demo:mlp:4:96:5').whole.units[0].bytes;
    const scenario: LiveScenario = {
      name: 'groups',
      tenants: [
        { id: 'file', model: { bytes: mlp, name: 'mlp5.onnx' }, arrival: { type: 'periodic', fps: 40 }, priority: 3 },
        { id: 'demo', model: 'demo:conv:4:16:3', arrival: { type: 'periodic', fps: 40 }, deadline: 0.05, priority: 1 },
      ],
    };
    const r = await new LiveRun(scenario, { policy: 'edf', duration: 1, lanes: parseLanes('cpu:1,cpu:1'), granularity: 'group:2', seed: 2, meters: false }).run();
    expect(r.report.status).toBe('completed');
    expect(r.report.granularity).toBe('group:2');
    // 5 layers -> 3 groups; 3 layers -> 2 groups.
    expect(r.workload.tenants.map((t) => t.layers.length)).toEqual([3, 2]);
    expect(r.workload.tenants[1].layers.map((l) => l.name)).toEqual(['demo-conv-4-16-3.L0-1', 'demo-conv-4-16-3.L2']);
    const finished = r.jobs.filter((j) => !j.dropped);
    expect(finished.length).toBeGreaterThan(10);
    // Every finished frame ran exactly its groups, in order.
    for (const j of finished) {
      const runs = r.slices.filter((s) => s.job === j.id && s.kind === 'layer');
      const groups = [...new Set(runs.map((s) => s.layer))].sort();
      expect(groups).toEqual(j.tenant === 0 ? [0, 1, 2] : [0, 1]);
    }
    // The trace names each group's unit.
    const trace = JSON.parse(readFileSync(r.report.files!.trace, 'utf8')) as { traceEvents: { cat?: string; args?: { tenant?: string; layer?: unknown } }[] };
    const units = new Set(trace.traceEvents.filter((e) => e.cat === 'layer' && e.args?.tenant === 'demo').map((e) => e.args!.layer));
    expect(units).toEqual(new Set(['demo-conv-4-16-3.L0-1', 'demo-conv-4-16-3.L2']));
  });
});
