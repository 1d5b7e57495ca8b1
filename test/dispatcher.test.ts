// The dispatching thread in the prediction (scheduler/core/dispatcher.ts): the single-server queue,
// the core-share factor, the parameters taken from a machine calibration, and the simulator hook on
// small cases computed by hand.
import { describe, expect, it } from 'vitest';
import { calibrationKey, type MachineCalibration } from '../scheduler/core/calibration';
import { coreShareFactor, dispatcherParams, dispatchRate, DispatcherSim, type DispatcherParams } from '../scheduler/core/dispatcher';
import { createPolicy } from '../scheduler/core/policies';
import { simulate } from '../scheduler/core/simulator';
import type { LaneState, SimWorkload } from '../scheduler/core/types';

const fp = { hostname: 'box', cpu: 'X', cores: 2, platform: 'linux', arch: 'x64', node: 'v22', ort: '1.30.0' };
const machine: MachineCalibration = {
  schema: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  fingerprint: fp,
  key: calibrationKey(fp, ['cpu:1', 'cpu:1#1']),
  lanes: ['cpu:1', 'cpu:1#1'],
  kernels: 'test',
  interference: [],
  dispatch: [],
  decisionUs: { edf: 20 },
  copies: { latencyUs: 30, bytesPerSec: 1e9, points: [{ bytes: 0, oneWayUs: 30 }], method: 'test' },
  background: { at: '2026-01-01T00:00:00.000Z', loadavg1: 0, cores: 2, othersBusyCores: 0, windowMs: 300 },
  tookSec: 1,
};

/** Two CPU lanes; tenants a and b, one layer of 10 ms each, both released at t = 0 (one frame each in 0.05 s). */
function twoCpu(): SimWorkload {
  const tenant = (id: string) => ({
    id,
    model: id,
    layers: [{ name: `${id}0`, outputBytes: 0, variants: [{ id: 'o', accuracyDelta: 0, cost: [{ latency: 0.01 }, { latency: 0.01 }] }] }],
    arrival: { type: 'periodic' as const, fps: 10 },
    deadline: 0.1,
    priority: 1,
  });
  return {
    name: 'two cpu',
    lanes: [
      { id: 'cpu:1', kind: 'cpu', idleWatts: 0, busyWatts: 5 },
      { id: 'cpu:1#1', kind: 'cpu', idleWatts: 0, busyWatts: 5 },
    ],
    tenants: [tenant('a'), tenant('b')],
    latencySource: { kind: 'synthetic', detail: 'test' },
    energySource: { kind: 'estimated', detail: 'test' },
  };
}

const lanesState = (idle: boolean[]): LaneState[] => idle.map((i, index) => ({ index, def: { id: `l${index}`, kind: 'cpu', idleWatts: 0, busyWatts: 1 }, idle: i, busyUntil: 0, job: -1, power: 0 }));

describe('dispatcher model', () => {
  it('core share: only demand beyond the cores slows, and only the dispatcher\'s part of it', () => {
    expect(coreShareFactor(2, 1, 0.5)).toBe(1); // 1.5 threads on 2 cores
    expect(coreShareFactor(2, 2, 0.5)).toBe(1.25); // 2.5 on 2
    expect(coreShareFactor(2, 3, 0.5)).toBeCloseTo(3.5 / 3); // the background's 1 core is in the measured figures already
    expect(coreShareFactor(2, 2, 0)).toBe(1);
    expect(coreShareFactor(0, 2, 1)).toBe(1);
  });

  it('serves dispatches in turn: a dispatch waits for the ones before it, never for its own service', () => {
    const d = new DispatcherSim({ cores: 2, serviceS: 0.001, laneThreads: [1, 1], backgroundCores: 0, utilisation: 0 });
    expect(d.wait(0)).toBe(0); // thread free until 0.001
    expect(d.wait(0)).toBeCloseTo(0.001); // until 0.002
    expect(d.wait(0.0005)).toBeCloseTo(0.0015); // until 0.003
    expect(d.wait(0.005)).toBe(0); // idle again
    expect(d.waited).toBe(2);
    expect(d.waitS).toBeCloseTo(0.0025);
  });

  it('counts the CPU lanes busy at a layer\'s start; device lanes are not slowed', () => {
    const d = new DispatcherSim({ cores: 2, serviceS: 0, laneThreads: [1, 1, 0], backgroundCores: 0, utilisation: 0.5 });
    expect(d.computeFactor(0, lanesState([true, true, true]))).toBe(1);
    expect(d.computeFactor(0, lanesState([true, false, false]))).toBe(1.25); // 1 + 1 busy + 0.5 dispatcher on 2 cores
    expect(d.computeFactor(2, lanesState([false, false, true]))).toBe(1);
  });

  it('takes its parameters from the calibration: decision + one hop per dispatch, utilisation from the rates', () => {
    const w = twoCpu(); // 2 tenants x 10 fps x 1 layer = 20 dispatches/s
    expect(dispatchRate(w)).toBe(20);
    const r = dispatcherParams(machine, w, { policy: 'edf', laneThreads: [1, 1], backgroundCores: 0.5 });
    expect(r.params).toMatchObject({ cores: 2, laneThreads: [1, 1], backgroundCores: 0.5 });
    expect(r.params!.serviceS).toBeCloseTo(50e-6);
    expect(r.params!.utilisation).toBeCloseTo(20 * 50e-6);
    expect(r.note).toMatch(/50 µs each \(edf decision 20\.0 µs \+ one message hop 30 µs\)/);
    expect(dispatcherParams(machine, w, { policy: 'dream', laneThreads: [1, 1] })).toEqual({ note: 'dispatcher model not applied: no decision cost calibrated for dream' });
  });

  it('in the simulator: the second of two simultaneous dispatches waits one service and runs slower on a full machine', () => {
    const w = twoCpu();
    const opts = { duration: 0.05, seed: 1, recordSlices: true, adaptive: false };
    const plain = simulate(w, createPolicy('edf'), opts);
    expect(plain.jobs.map((j) => j.finish - j.release)).toEqual([0.01, 0.01]);
    const p: DispatcherParams = { cores: 2, serviceS: 0.001, laneThreads: [1, 1], backgroundCores: 0, utilisation: 0.5 };
    const hook = new DispatcherSim(p);
    const sim = simulate(w, createPolicy('edf'), { ...opts, dispatcher: hook });
    // First: no wait, the other lane idle -> 10 ms. Second: waits 1 ms, then 2 lanes + 0.5 on 2 cores -> x1.25 = 12.5 ms.
    const lat = sim.jobs.map((j) => j.finish - j.release).sort((a, b) => a - b);
    expect(lat[0]).toBeCloseTo(0.01, 9);
    expect(lat[1]).toBeCloseTo(0.0135, 9);
    expect(hook.waited).toBe(1);
    // The wait holds the lane but is not busy time, and is not drawn as a transfer.
    expect(sim.transfers).toBe(0);
    expect(sim.lanes.reduce((a, l) => a + l.busy, 0)).toBeCloseTo(0.0225, 9);
    // Without the hook the simulator is as before.
    expect(simulate(w, createPolicy('edf'), opts).jobs.map((j) => j.finish)).toEqual(plain.jobs.map((j) => j.finish));
  });
});
