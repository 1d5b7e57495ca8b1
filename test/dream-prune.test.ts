// DREAM's pruned scoring (policies/dream.ts: a job whose score bound is below the best pair found so
// far is not scored unless a later round of the matching needs it) must decide exactly as the full
// scan of every (ready job, idle lane) pair, decision by decision: on workloads with layer variants
// within accuracy budgets, whitelists with a model-level variant (DREAM switching to it), model
// preemption with drops, heterogeneous lanes, and online weight tuning. It must also skip work, or it
// proves nothing.
import { describe, expect, it } from 'vitest';
import { decisionWorkload } from '../bench/scheduler';
import { tesseraDream, type DreamOptions } from '../scheduler/core/policies/dream';
import { simulate, type SimOptions } from '../scheduler/core/simulator';
import { syntheticWorkload } from '../scheduler/core/synthetic';
import type { LayerDef, Policy, SimWorkload, Snapshot, TenantDef } from '../scheduler/core/types';
import { buildWhitelist } from '../scheduler/core/whitelist';

/**
 * Two lanes (cpu, gpu); each layer has an original, a layer variant and a model-level variant whose
 * first layer is slower (model-variants.test.ts's shape), in a whitelist with the model combination:
 * overloaded, so DREAM switches tenants to it.
 */
function whitelistWorkload(): SimWorkload {
  const layers = (n: number): LayerDef[] =>
    Array.from({ length: n }, (_, i) => ({
      name: `l${i}`,
      outputBytes: 20_000,
      variants: [
        { id: 'original', accuracyDelta: 0, cost: [{ latency: 0.004 }, { latency: 0.0015 + 0.0002 * i }] },
        { id: 'fast', accuracyDelta: 0.01, cost: [{ latency: 0.003 }, { latency: 0.0012 }] },
        { id: 'model:res', accuracyDelta: 0.03, cost: [{ latency: i === 0 ? 0.005 : 0.001 }, { latency: i === 0 ? 0.002 : 0.0004 }] },
      ],
    }));
  const tenants: TenantDef[] = [0, 1, 2, 3].map((i) => {
    const ls = layers(4 + i);
    const whitelist = buildWhitelist(ls, [
      { id: 'L1', members: [{ layer: 1, variant: 'fast' }], relL2: 0.01 },
      { id: 'model:res', members: ls.map((_, k) => ({ layer: k, variant: 'model:res' })), relL2: 0.03, whole: true },
    ], { maxOutputRelErr: 0.05 }).whitelist;
    return { id: `t${i}`, model: `m${i}`, layers: ls, arrival: { type: 'periodic', fps: 70 + 10 * i }, deadline: 1 / (60 + 10 * i), priority: 1 + (i % 3), maxOutputRelErr: 0.05, whitelist } as TenantDef;
  });
  return {
    name: 'whitelists with a model variant, 2 lanes, overloaded',
    lanes: [
      { id: 'cpu', kind: 'cpu', idleWatts: 2, busyWatts: 9 },
      { id: 'gpu', kind: 'gpu', idleWatts: 8, busyWatts: 45, link: { latency: 20e-6, bytesPerSec: 12e9 } },
    ],
    tenants,
    latencySource: { kind: 'synthetic', detail: 'test' },
    energySource: { kind: 'estimated', detail: 'test' },
  };
}

// In these runs DREAM sees few ready jobs per decision (it drops the hopeless ones; ~2 under the
// vr_gaming overload), so they check identity; the bench snapshot below checks the skipping.
const cases: { name: string; w: () => SimWorkload; o: SimOptions }[] = [
  { name: '8 tenants x 4 lanes, layer variants within budgets', w: decisionWorkload, o: { duration: 1.2, seed: 5, latencyNoise: 0.1, jobNoise: 0.2, latencyBias: [1.3, 0.8, 1, 1.1] } },
  { name: 'vr_gaming gpu-skewed 1.2 (overload)', w: () => syntheticWorkload({ scenario: 'vr_gaming', skew: 'gpu', load: 1.2, variants: true }), o: { duration: 3, seed: 11, latencyNoise: 0.1, jobNoise: 0.1 } },
  { name: 'vr_gaming balanced 0.6', w: () => syntheticWorkload({ scenario: 'vr_gaming', load: 0.6, variants: true }), o: { duration: 3, seed: 3, latencyNoise: 0.1, jobNoise: 0.1 } },
  { name: 'ar_assistant 1.3, model preemption, drop late', w: () => syntheticWorkload({ scenario: 'ar_assistant', load: 1.3, variants: true }), o: { duration: 1.5, seed: 6, latencyNoise: 0.05, preemption: 'model', dropLate: true, maxQueuePerTenant: 4 } },
  { name: 'whitelists with a model-level variant (switching), 2 lanes', w: whitelistWorkload, o: { duration: 4, seed: 2, latencyNoise: 0.1, jobNoise: 0.1 } },
];

/** Every decision of a run as a line: time, ready ids, assignments (job > lane . variant), drops. */
function decisions(w: SimWorkload, o: SimOptions, options: DreamOptions): string[] {
  const p = tesseraDream(options);
  const out: string[] = [];
  const wrapped: Policy = {
    name: p.name,
    observe: p.observe?.bind(p),
    events: p.events?.bind(p),
    decide(s: Snapshot) {
      const d = p.decide(s);
      let line = `${s.time}|${s.ready.map((j) => j.id).join(',')}|`;
      for (const a of d.assign) line += `${a.job}>${a.lane}.${a.variant},`;
      out.push(`${line}|${d.drop.join(',')}`);
      return d;
    },
  };
  simulate(w, wrapped, o);
  return out;
}

/** Index of the first line that differs (-1: none), so a failure names the decision. */
function firstDifference(a: string[], b: string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe('DREAM: the pruned scoring decides as the full scan', () => {
  for (const c of cases) {
    for (const adapt of [true, false]) {
      it(`${adapt ? 'dream' : 'dream_static'}: ${c.name}`, () => {
        const w = c.w();
        const pruned = decisions(w, c.o, { adapt });
        const full = decisions(w, c.o, { adapt, prune: false });
        expect(pruned.length).toBeGreaterThan(100);
        const at = firstDifference(pruned, full);
        expect(at === -1 ? 'identical' : `decision ${at}: pruned ${pruned[at]} / full ${full[at]}`).toBe('identical');
        expect(pruned.filter((l) => l.includes('>')).length).toBeGreaterThan(50);
      }, 120_000);
    }
  }

  for (const [idle, share] of [[1, 0.25], [4, 1]] as const) {
    it(`64 ready jobs, ${idle} idle lane${idle > 1 ? 's' : ''} of 4 (the bench snapshot): same decisions, ${idle === 1 ? 'most' : 'some'} jobs not scored`, async () => {
      const { decisionSnapshot } = await import('../bench/scheduler');
      const s = decisionSnapshot(idle);
      const stats = { scored: 0, candidates: 0 };
      const pruned = tesseraDream({ adapt: false, pruneStats: stats });
      const full = tesseraDream({ adapt: false, prune: false });
      const line = (d: ReturnType<Policy['decide']>) => `${d.assign.map((a) => `${a.job}>${a.lane}.${a.variant}`).join(',')}|${d.drop.join(',')}`;
      for (let i = 0; i < 300; i++) {
        s.layerEnd(i);
        expect(line(pruned.decide(s))).toBe(line(full.decide(s)));
      }
      expect(stats.scored).toBeLessThan(share * stats.candidates);
    });
  }
});
