// One check of tenants' timing and cascades (scheduler/core/workload.ts validateTenants), used by the
// simulator's workloads and by the live runtime before any model loads: the same scenario fault
// gives the same message in both.
import { describe, expect, it } from 'vitest';
import type { SimWorkload, TenantDef } from '../scheduler/core/types';
import { validateTenants, validateWorkload } from '../scheduler/core/workload';
import { LiveRun, LiveSetupError, parseLanes } from '../scheduler/live';
import type { LiveTenantSpec } from '../scheduler/live/types';

const periodic = (fps: number) => ({ type: 'periodic' as const, fps });

function simWorkload(tenants: Partial<TenantDef>[]): SimWorkload {
  return {
    name: 'w',
    lanes: [{ id: 'cpu:1', kind: 'cpu', idleWatts: 1, busyWatts: 5 }],
    tenants: tenants.map((t, i) => ({ id: `t${i}`, model: 'm', arrival: periodic(30), priority: 3, layers: [{ name: 'l0', variants: [{ id: 'orig', accuracyDelta: 0, cost: [{ latency: 0.001 }] }] }], ...t }) as TenantDef),
  } as unknown as SimWorkload;
}

function liveRun(tenants: LiveTenantSpec[]): () => LiveRun {
  return () => new LiveRun({ name: 's', tenants }, { policy: 'fcfs', duration: 1, lanes: parseLanes('cpu:1') });
}

describe('validateTenants', () => {
  it('names each kind of fault', () => {
    const where = 'scenario "s"';
    expect(() => validateTenants([], where)).toThrow(/no tenants/);
    expect(() => validateTenants([{ id: 'a', arrival: periodic(30) }, { id: 'a', arrival: periodic(30) }], where)).toThrow(/"a" appears twice/);
    expect(() => validateTenants([{ id: 'a', arrival: periodic(0) }], where)).toThrow(/tenant "a": arrival.fps must be > 0/);
    expect(() => validateTenants([{ id: 'a', arrival: { type: 'poisson', ratePerSec: -1 } }], where)).toThrow(/ratePerSec must be > 0/);
    expect(() => validateTenants([{ id: 'a', arrival: periodic(30), deadline: 0 }], where)).toThrow(/deadline must be > 0/);
    expect(() => validateTenants([{ id: 'a', arrival: periodic(30), cascade: { upstream: 'x', probability: 1 } }], where)).toThrow(/cascade.upstream "x" is not a tenant/);
    expect(() => validateTenants([{ id: 'a', arrival: periodic(30), cascade: { upstream: 'a', probability: 1 } }], where)).toThrow(/its own cascade upstream/);
    expect(() => validateTenants([{ id: 'a', arrival: periodic(30) }, { id: 'b', arrival: periodic(30), cascade: { upstream: 'a', probability: 2 } }], where)).toThrow(/probability must be in \[0, 1\]/);
    expect(() => validateTenants([{ id: 'a', arrival: periodic(30), cascade: { upstream: 'b', probability: 1 } }, { id: 'b', arrival: periodic(30), cascade: { upstream: 'a', probability: 1 } }], where)).toThrow(/cascade loop/);
    expect(() => validateTenants([{ id: 'a', arrival: periodic(30) }, { id: 'b', arrival: periodic(30), cascade: { upstream: 'a', probability: 0.5 } }], where)).not.toThrow();
  });

  it('gives the simulator and the live runtime the same verdict', () => {
    const bad: [Partial<TenantDef>[], RegExp][] = [
      [[{ arrival: periodic(0) }], /arrival.fps must be > 0/],
      [[{ id: 'a' }, { id: 'b', cascade: { upstream: 'nope', probability: 1 } }], /cascade.upstream "nope" is not a tenant/],
      [[{ id: 'a', deadline: -1 }], /deadline must be > 0/],
    ];
    for (const [tenants, message] of bad) {
      expect(() => validateWorkload(simWorkload(tenants))).toThrow(message);
      const live = tenants.map((t, i) => ({ id: t.id ?? `t${i}`, model: 'demo:mlp', arrival: t.arrival ?? periodic(30), deadline: t.deadline, cascade: t.cascade }));
      expect(liveRun(live)).toThrow(LiveSetupError);
      expect(liveRun(live)).toThrow(message);
    }
  });
});
