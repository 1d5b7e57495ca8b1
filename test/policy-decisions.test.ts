// Every policy's decisions, recorded as digests on a few workloads (balanced, overloaded, four
// heterogeneous lanes with variants, model preemption with admission drops). Speed work on the
// policies, the predictor and the simulator must leave every decision identical: a changed digest
// names the policy and workload whose decisions moved. After a deliberate behaviour change, rerun
// with UPDATE_DECISION_DIGESTS=1 to rewrite test/fixtures/policy-decisions.json (and say why in the
// commit).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decisionWorkload } from '../bench/scheduler';
import { createPolicy, policyNames } from '../scheduler/core/policies';
import { LayerMemo, smallestKeys } from '../scheduler/core/policies/common';
import { PredictionModel } from '../scheduler/core/predict';
import { simulate, type SimOptions } from '../scheduler/core/simulator';
import { syntheticWorkload } from '../scheduler/core/synthetic';
import type { Policy, SimWorkload, Snapshot } from '../scheduler/core/types';

const FIXTURE = join(__dirname, 'fixtures', 'policy-decisions.json');
const UPDATE = process.env.UPDATE_DECISION_DIGESTS === '1';

const cases: { name: string; w: () => SimWorkload; o: SimOptions }[] = [
  { name: 'vr_gaming balanced 0.6', w: () => syntheticWorkload({ scenario: 'vr_gaming', load: 0.6, variants: true }), o: { duration: 1.5, seed: 3, latencyNoise: 0.1, jobNoise: 0.1 } },
  { name: 'vr_gaming gpu-skewed 1.2 (overload)', w: () => syntheticWorkload({ scenario: 'vr_gaming', skew: 'gpu', load: 1.2, variants: true }), o: { duration: 1.5, seed: 4, latencyNoise: 0.1, jobNoise: 0.1 } },
  { name: '8 tenants x 4 lanes', w: decisionWorkload, o: { duration: 1, seed: 5, latencyNoise: 0.1, jobNoise: 0.2, latencyBias: [1.3, 0.8, 1, 1.1] } },
  { name: 'ar_assistant 1.1, model preemption, drop late', w: () => syntheticWorkload({ scenario: 'ar_assistant', load: 1.1, variants: true }), o: { duration: 1.5, seed: 6, latencyNoise: 0.05, preemption: 'model', dropLate: true, maxQueuePerTenant: 4 } },
];

/** Runs a policy and hashes every decision: time, ready ids, assignments and drops. */
function decisionDigest(policyName: string, w: SimWorkload, o: SimOptions): { digest: string; decisions: number } {
  const p = createPolicy(policyName);
  const h = createHash('sha256');
  let decisions = 0;
  const wrapped: Policy = {
    name: p.name,
    observe: p.observe?.bind(p),
    state: p.state?.bind(p),
    decide(s: Snapshot) {
      const d = p.decide(s);
      decisions++;
      let line = `${s.time}|${s.ready.length}|`;
      for (const a of d.assign) line += `${a.job}>${a.lane}.${a.variant},`;
      line += '|';
      for (const id of d.drop) line += `${id},`;
      h.update(line + '\n');
      return d;
    },
  };
  const r = simulate(w, wrapped, o);
  h.update(r.jobs.map((j) => `${j.id}:${j.finish}`).join(','));
  return { digest: h.digest('hex').slice(0, 24), decisions };
}

describe('policy decisions are unchanged (digests)', () => {
  const stored: Record<string, Record<string, string>> = existsSync(FIXTURE) ? JSON.parse(readFileSync(FIXTURE, 'utf8')) : {};
  const fresh: Record<string, Record<string, string>> = {};
  for (const c of cases) {
    it(c.name, () => {
      const w = c.w();
      const got: Record<string, string> = {};
      for (const name of policyNames()) {
        const { digest, decisions } = decisionDigest(name, w, c.o);
        expect(decisions, `${name} made decisions`).toBeGreaterThan(10);
        got[name] = digest;
      }
      fresh[c.name] = got;
      if (UPDATE) {
        const all = existsSync(FIXTURE) ? JSON.parse(readFileSync(FIXTURE, 'utf8')) : {};
        all[c.name] = got;
        writeFileSync(FIXTURE, JSON.stringify(all, null, 2) + '\n');
        return;
      }
      expect(stored[c.name], `digests for "${c.name}" (run with UPDATE_DECISION_DIGESTS=1 to record)`).toBeDefined();
      const moved = policyNames().filter((n) => stored[c.name][n] !== got[n]);
      expect(moved, `policies whose decisions changed on "${c.name}"`).toEqual([]);
    }, 60_000);
  }

  it('the digest sees a change of a single decision (the test can fail)', () => {
    const c = cases[0];
    const w = c.w();
    const a = decisionDigest('edf', w, c.o).digest;
    const b = decisionDigest('edf', w, { ...c.o, latencyNoise: 0.1000001 }).digest;
    expect(a).not.toBe(b);
  });
});

describe('LayerMemo', () => {
  it("keeps a (tenant, layer) entry until that tenant's ratios move, and only that tenant's", () => {
    const w = syntheticWorkload({ scenario: 'vr_gaming', load: 0.6 });
    const model = new PredictionModel(w);
    const predict = model.predictor(true);
    const s = { workload: w, lanes: w.lanes.map(() => ({})) } as unknown as Snapshot;
    const memo = new LayerMemo();
    memo.begin(s, predict);
    const a = memo.slot(0, 3);
    const b = memo.slot(1, 3);
    expect(a).not.toBe(b);
    expect(memo.has(0, a)).toBe(false); // first use: compute
    expect(memo.has(0, a)).toBe(true);
    expect(memo.has(1, b)).toBe(false);
    memo.begin(s, predict); // nothing moved
    expect(memo.has(0, a)).toBe(true);
    expect(memo.has(1, b)).toBe(true);
    model.update(1, 0, 1, 1.3); // a layer of tenant 1 ran slower than profiled
    memo.begin(s, predict);
    expect(memo.has(0, a)).toBe(true);
    expect(memo.has(1, b)).toBe(false);
    memo.begin(s, model.predictor(true)); // another predictor: everything recomputed
    expect(memo.has(0, a)).toBe(false);
  });
});

describe('smallestKeys', () => {
  /** k rounds of "the untaken job with the smallest key, the earliest on ties" (the selection it replaces). */
  function rounds(key: Float64Array, taken: Uint8Array, n: number, k: number): number[] {
    const t = Uint8Array.from(taken);
    const out: number[] = [];
    for (let r = 0; r < k; r++) {
      let bi = -1;
      for (let i = 0; i < n; i++) if (!t[i] && (bi < 0 || key[i] < key[bi])) bi = i;
      if (bi < 0) break;
      t[bi] = 1;
      out.push(bi);
    }
    return out;
  }

  it('takes jobs in the order round-by-round selection would, ties to the earlier job', () => {
    let seed = 7;
    const r = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(r() * 40);
      // Few distinct values, so ties are common; some jobs already taken; Infinity allowed.
      const key = Float64Array.from({ length: n }, () => (r() < 0.1 ? Infinity : Math.floor(r() * 6) - 2));
      const taken = Uint8Array.from({ length: n }, () => (r() < 0.2 ? 1 : 0));
      const k = 1 + Math.floor(r() * 20);
      const out = new Int32Array(k);
      const m = smallestKeys(key, taken, n, k, out);
      expect([...out.slice(0, m)]).toEqual(rounds(key, taken, n, k));
    }
  });

  it('gives up on a NaN key (selection with NaN is not a sort order)', () => {
    expect(smallestKeys(Float64Array.from([2, NaN, 1]), new Uint8Array(3), 3, 2, new Int32Array(2))).toBe(-1);
    expect(smallestKeys(Float64Array.from([2, NaN, 1]), Uint8Array.from([0, 1, 0]), 3, 2, new Int32Array(2))).toBe(2);
  });
});
