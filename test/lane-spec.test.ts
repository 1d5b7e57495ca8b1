// One lane grammar (common/lane-spec.ts): the profiler, the live runtime and the renderer's form
// check all use it, so a lanes string is accepted by the form exactly when the engine accepts it.
import { describe, expect, it } from 'vitest';
import { laneListProblem, parseLanes, parseLaneSpec } from '../common/lane-spec';
import { parseLanes as profilerLanes } from '../profiler/measure';
import { parseLanes as liveLanes } from '../scheduler/live';
import { checkLanes } from '../renderer/views/live-model';

const samples = ['cpu', 'cpu:2', 'cpu:1#2', 'CPU:1', 'webgpu', 'webgpu:sw', 'webgpu:sw#1', 'cuda', 'openvino', 'cpu:1,cpu:1', ' cpu , webgpu ', '', ',', 'gpu', 'gpu:9', 'cpu:0', 'cpu:sw', 'webgpu:2', 'cpu:x', 'cpu:1:2', 'cpu#', 'cpu:1,bogus'];

describe('lane grammar', () => {
  it('parses ids, thread counts, software GPU lanes and repeated lanes', () => {
    expect(parseLaneSpec('cpu', 6)).toEqual({ id: 'cpu:6', ep: 'cpu', threads: 6 });
    expect(parseLaneSpec('webgpu:sw', 6)).toEqual({ id: 'webgpu:sw', ep: 'webgpu', software: true });
    expect(parseLanes('cpu:1,cpu:1,cpu:1', 4).map((l) => l.id)).toEqual(['cpu:1', 'cpu:1#1', 'cpu:1#2']);
    expect(() => parseLaneSpec('cpu:1:2', 4)).toThrow(/bad lane "cpu:1:2": expected e.g. cpu, cpu:2/);
    expect(() => parseLanes(' , ', 4)).toThrow(/no lanes given/);
  });

  it('the form check, the profiler and the live runtime accept exactly the same strings', () => {
    for (const s of samples) {
      const engine = (() => {
        try {
          profilerLanes(s, 1);
          return undefined;
        } catch (e) {
          return (e as Error).message;
        }
      })();
      expect(checkLanes(s), s).toBe(engine);
      expect(laneListProblem(s), s).toBe(engine);
      if (engine === undefined) expect(liveLanes(s).map((l) => l.id)).toEqual(profilerLanes(s, 1).map((l) => l.id));
    }
  });
});
