import type { Feedback, JobState, Policy, Snapshot, TenantDef } from '../types';
import { relativeDeadline } from '../types';
import type { Predictor, SimWorkload } from '../types';
import { Scratch, fastestSuffix } from './common';
import { variantAllowed } from '../whitelist';

const EMA = 0.1;

/**
 * Convergo-style (after Convergo, IEEE 2025: several SLOs per tenant on a heterogeneous edge box).
 * Each tenant may have an accuracy floor, a minimum throughput and a maximum latency. Online, the
 * policy tracks per tenant the share of recent frames over their latency limit (EMA) and the recent
 * finished-frame rate (per window), and computes a risk = the largest of late share / 5% (the p95
 * latency SLO) and minThroughput / recent rate; a tenant without SLOs is judged on its deadline
 * misses the same way. Jobs go in order of (slack / relative deadline - risk): the tenant closest to
 * violating an SLO first, then the tightest frame. Each job takes jointly an idle lane and a variant
 * that keeps the frame above the tenant's accuracy floor (and within its accuracy budget): among
 * choices predicted to meet the deadline, the least accuracy loss then the least energy; else the
 * one that finishes first. Hopeless frames (cannot meet the deadline on any lane) are dropped unless
 * the tenant's throughput SLO is at risk (a late frame still counts as throughput).
 */
export function convergo(): Policy {
  const sc = new Scratch();
  // Per (tenant, layer) slot, LayerMemo's rule: remainingBest and the fastest possible rest, valid
  // while stamp[slot] === epoch[tenant]; a tenant's epoch moves when one of its ratios does. Its
  // ratios are read only when the predictor's ratioVersion for it moved (one number per tenant, not
  // one per lane, per decision); predictors without ratioVersion are polled.
  let mW: SimWorkload | undefined;
  let mP: Predictor | undefined;
  let mL = 0;
  let slotBase = new Int32Array(0);
  let stamp = new Uint32Array(0);
  let epoch = new Uint32Array(0);
  let counter = 0;
  let ratios = new Float64Array(0);
  let version = new Float64Array(0);
  /**
   * Per slot, two values: remainingBest; and the drop threshold, the frame's fastest possible rest
   * (any lane, variants within the allowance, refined), -Infinity while the tenant's throughput is
   * at risk (no drops: t + -Infinity > deadline is false, as the skipped test was).
   */
  let slotVal = new Float64Array(0);
  // Per slot: its layer's variants' accuracy losses (vDelta[vBase[slot] + v]), read in placement
  // instead of the TenantDef's objects; per tenant: whether it has a whitelist (else the additive rule).
  let vBase = new Int32Array(0);
  let vDelta = new Float64Array(0);
  let hasWhitelist = new Uint8Array(0);
  // Per tenant: EMA of "this frame missed its deadline or maxLatency" (dropped counts as missed); EMA
  // of finished frames per second, updated at each window; frames finished in this window; whether a
  // window closed since the tracks started. Typed arrays, not an object per tenant: a new run's
  // objects started with small-integer fields that the first EMA update turned into doubles, and
  // every such change of object shape deoptimised the compiled decide() and observe(), in every run.
  let late = new Float64Array(0);
  let rate = new Float64Array(0);
  let finishedInWindow = new Float64Array(0);
  let seen = new Uint8Array(0);
  let tenantsRef: TenantDef[] | undefined;
  let minSuffix: Float64Array[] = [];
  /** minSuffix flattened by slot (slotBase[tenant] + layer), built from minSuffixFlatOf. */
  let minSuffixFlat = new Float64Array(0);
  let minSuffixFlatOf: Float64Array[] | undefined;
  let relDeadline = new Float64Array(0);
  // Per tenant, recomputed at each decision (not per job): risk, throughput at risk, lowest lane ratio.
  let tRisk = new Float64Array(0);
  /** min(risk, 4), the part of the key that the risk gives; and the accuracy allowance (accuracyAllowance()). */
  let tRiskCap = new Float64Array(0);
  let tAllowance = new Float64Array(0);
  let tAtRisk = new Uint8Array(0);
  let tMinRatio = new Float64Array(0);
  // tRisk and tAtRisk depend on the tracks only: recomputed after feedback moved them (per tenant: a
  // job's feedback moves its tenant's track only), not at every decision.
  let riskStale = true;
  let tRiskStale = new Uint8Array(0);
  const ensure = (s: Snapshot) => {
    if (tenantsRef !== s.workload.tenants) {
      tenantsRef = s.workload.tenants;
      late = new Float64Array(tenantsRef.length);
      rate = Float64Array.from(tenantsRef, (t) => t.slos?.minThroughput ?? 0);
      finishedInWindow = new Float64Array(tenantsRef.length);
      seen = new Uint8Array(tenantsRef.length);
      minSuffix = fastestSuffix(s.workload, accuracyAllowance);
      relDeadline = Float64Array.from(tenantsRef, relativeDeadline);
      tRisk = new Float64Array(tenantsRef.length);
      tRiskCap = new Float64Array(tenantsRef.length);
      tAllowance = new Float64Array(tenantsRef.length);
      tAtRisk = new Uint8Array(tenantsRef.length);
      tMinRatio = new Float64Array(tenantsRef.length);
      tRiskStale = new Uint8Array(tenantsRef.length).fill(1);
      riskStale = true;
    }
  };
  /** Reads tenant k's ratios if its ratioVersion moved (always without one); a change moves its epoch and its lowest lane ratio. */
  // Per tenant: the decision (decisionNo) its ratios were last checked in, when only the ready jobs' tenants are.
  let tSeen = new Float64Array(0);
  let decisionNo = 0;
  const refresh = (p: Predictor, k: number, nL: number, versioned: boolean): void => {
    if (versioned) {
      const v = p.ratioVersion!(k);
      if (v === version[k]) return;
      version[k] = v;
    }
    // The tenant's lowest lane ratio comes with its epoch (the ratios it was read from).
    let stale = false;
    let minRatio = Infinity;
    for (let l = 0; l < nL; l++) {
      const x = p.ratio(k, l);
      minRatio = Math.min(minRatio, x);
      if (ratios[k * nL + l] !== x) {
        ratios[k * nL + l] = x;
        stale = true;
      }
    }
    if (stale) {
      epoch[k] = ++counter;
      tMinRatio[k] = minRatio;
    }
  };
  const risk = (i: number): number => {
    const t = tenantsRef![i];
    let r = late[i] / 0.05;
    const want = t.slos?.minThroughput;
    if (want && seen[i]) r = Math.max(r, want / Math.max(rate[i], 1e-9));
    return r;
  };
  return {
    name: 'convergo',
    state() {
      const out: Record<string, number> = {};
      if (tenantsRef) tenantsRef.forEach((t, i) => (out[`risk.${t.id}`] = risk(i)));
      return out;
    },
    observe(f: Feedback) {
      if (!tenantsRef) return;
      if (f.kind === 'job') {
        riskStale = true;
        tRiskStale[f.tenant] = 1;
        const k = f.tenant;
        const t = tenantsRef[k];
        const limit = Math.min(t.slos?.maxLatency ?? Infinity, f.deadline - f.release);
        const missed = f.dropped || f.finish - f.release > limit;
        late[k] += EMA * ((missed ? 1 : 0) - late[k]);
        if (!f.dropped) finishedInWindow[k]++;
      } else if (f.kind === 'window') {
        const len = f.end - f.start;
        if (len > 0) {
          riskStale = true;
          tRiskStale.fill(1);
          for (let k = 0; k < rate.length; k++) {
            rate[k] += 0.5 * (finishedInWindow[k] / len - rate[k]);
            finishedInWindow[k] = 0;
            seen[k] = 1;
          }
        }
      }
    },
    decide(s: Snapshot) {
      const ready = s.ready;
      const n = ready.length;
      const nL = s.lanes.length;
      const d = sc.begin(n, nL);
      if (n === 0) return d;
      ensure(s);
      const p = s.predict;
      const t = s.time;
      let free = 0;
      for (let l = 0; l < nL; l++) if (s.lanes[l].idle) free++;
      const tenants = s.workload.tenants;
      if (riskStale) {
        riskStale = false;
        for (let k = 0; k < tenants.length; k++) {
          if (!tRiskStale[k]) continue;
          tRiskStale[k] = 0;
          const tenant = tenants[k];
          tRisk[k] = risk(k);
          tRiskCap[k] = Math.min(tRisk[k], 4);
          tAllowance[k] = accuracyAllowance(tenant);
          const atRisk = !!tenant.slos?.minThroughput && seen[k] === 1 && tenant.slos.minThroughput / Math.max(rate[k], 1e-9) > 0.9 ? 1 : 0;
          // The slots' drop thresholds depend on it (below): a change makes them stale.
          if (atRisk !== tAtRisk[k] && k < epoch.length) epoch[k] = ++counter;
          tAtRisk[k] = atRisk;
        }
      }
      const nT = tenants.length;
      if (mW !== s.workload || mP !== p || mL !== nL || counter > 0xfffff000 || minSuffixFlatOf !== minSuffix) {
        mW = s.workload;
        mP = p;
        mL = nL;
        slotBase = new Int32Array(nT);
        let m = 0;
        tenants.forEach((tn, i) => {
          slotBase[i] = m;
          m += tn.layers.length + 1; // + 1: a job past its last layer (remaining 0) has a slot too
        });
        stamp = new Uint32Array(m);
        slotVal = new Float64Array(2 * m);
        vBase = new Int32Array(m);
        hasWhitelist = Uint8Array.from(tenants, (tn) => (tn.whitelist ? 1 : 0));
        const deltas: number[] = [];
        tenants.forEach((tn, i) => {
          tn.layers.forEach((layer, li) => {
            vBase[slotBase[i] + li] = deltas.length;
            for (const v of layer.variants) deltas.push(v.accuracyDelta);
          });
          // The past-the-end slot too: a layer's variants are vBase[slot] .. vBase[slot + 1].
          vBase[slotBase[i] + tn.layers.length] = deltas.length;
        });
        vDelta = Float64Array.from(deltas);
        minSuffixFlat = new Float64Array(m);
        tenants.forEach((_, i) => minSuffixFlat.set(minSuffix[i], slotBase[i]));
        minSuffixFlatOf = minSuffix;
        epoch = new Uint32Array(nT);
        ratios = new Float64Array(nT * nL).fill(NaN); // NaN: never equal, so every tenant starts stale
        version = new Float64Array(nT).fill(NaN);
        counter = 0;
      }
      const versioned = p.ratioVersion !== undefined;
      // Fewer ready jobs than tenants (a balanced run's usual decision has one): only their tenants'
      // ratios are checked (each tenant's are compared with what was read for it last, so checking
      // them later moves the epochs as checking them at every decision would).
      if (n < nT) {
        if (tSeen.length < nT) tSeen = new Float64Array(nT);
        decisionNo++;
        for (let i = 0; i < n; i++) {
          const tn = ready[i].tenant;
          if (tSeen[tn] === decisionNo) continue;
          tSeen[tn] = decisionNo;
          refresh(p, tn, nL, versioned);
        }
      } else for (let k = 0; k < nT; k++) refresh(p, k, nL, versioned);
      // One ready job: its key, which orders nothing, is not computed.
      const single = n === 1;
      const key = sc.key;
      // Locals, not the closure's lets: one load each per decision instead of per job.
      const base = slotBase;
      const stamps = stamp;
      const epochs = epoch;
      const val = slotVal;
      const atRisk = tAtRisk;
      const relD = relDeadline;
      const riskCap = tRiskCap;
      const minRatioOf = tMinRatio;
      const minSuf = minSuffixFlat;
      // The first job in key order (the smallest key, the earliest on ties), found in this pass: with
      // one free lane (the usual case) it is usually the only one the decision needs, and the pass
      // stores no keys (writeKeys() writes them if Scratch's cursor is needed after all).
      let keysStored = free !== 1;
      let first = -1;
      let firstKey = Infinity;
      let nanKey = false;
      if (single) {
        const j = ready[0];
        const tn = j.tenant;
        // The slots' drop threshold, computed as a stale slot would compute it (same inputs).
        const thr = atRisk[tn] ? -Infinity : minSuf[base[tn] + j.next] * minRatioOf[tn];
        if (t + thr > j.deadline) {
          d.drop.push(j.id);
          sc.taken[0] = 1;
        } else first = 0;
      }
      for (let i = 0; i < (single ? 0 : n); i++) {
        const j = ready[i];
        const tn = j.tenant;
        const k = base[tn] + j.next;
        const e = epochs[tn];
        if (stamps[k] !== e) {
          stamps[k] = e;
          val[2 * k] = p.remainingBest(j);
          val[2 * k + 1] = atRisk[tn] ? -Infinity : minSuf[k] * minRatioOf[tn];
        }
        const deadline = j.deadline;
        const slack = deadline - t - val[2 * k];
        if (t + val[2 * k + 1] > deadline) {
          d.drop.push(j.id);
          sc.taken[i] = 1;
          continue;
        }
        const v = slack / relD[tn] - riskCap[tn];
        if (keysStored) key[i] = v;
        // firstKey is never NaN: v >= firstKey fails only for a NaN key.
        if (v < firstKey) {
          first = i;
          firstKey = v;
        } else if (!(v >= firstKey)) nanKey = true;
        else if (first < 0) first = i; // v is +Infinity
      }
      // Key order: the first job from the pass above while one lane is free, then Scratch's cursor
      // (which also handles NaN keys: round-by-round selection).
      let fromPass = single || (free === 1 && !nanKey);
      if (!fromPass) {
        if (!keysStored) keysStored = writeKeys(ready, sc.taken, key, val, base, relD, riskCap, t);
        sc.startKeyOrder(n, free);
      }
      const byModel = s.preemption === 'model';
      const lanes = s.lanes;
      const laneTaken = sc.laneTaken;
      while (free > 0) {
        let bi: number;
        const viaPass = fromPass;
        if (fromPass) {
          bi = first;
          if (bi >= 0) sc.taken[bi] = 1;
          fromPass = false;
        } else if (single) break;
        else bi = sc.nextInKeyOrder();
        if (bi < 0) break;
        const j = ready[bi];
        const tn = j.tenant;
        const wl = hasWhitelist[tn] === 1;
        const allowance = tAllowance[tn] - j.accuracyUsed + 1e-12;
        const k = base[tn] + j.next;
        const v0 = vBase[k];
        const nV = vBase[k + 1] - v0;
        let rest = 0;
        if (!byModel) {
          // remainingBest from the next layer on: the value of the slot (tenant, next + 1), filled as the pass would fill it for a job there.
          const k1 = k + 1;
          const e = epochs[tn];
          if (stamps[k1] !== e) {
            stamps[k1] = e;
            val[2 * k1] = p.remainingBest(j, j.next + 1);
            val[2 * k1 + 1] = atRisk[tn] ? -Infinity : minSuf[k1] * minRatioOf[tn];
          }
          rest = val[2 * k1];
        }
        let bLane = -1;
        let bVar = 0;
        let bMeets = false;
        let bDelta = Infinity;
        let bEnergy = Infinity;
        let bFinish = Infinity;
        for (let l = 0; l < nL; l++) {
          if (!lanes[l].idle || laneTaken[l]) continue;
          const x = p.transfer(j, l);
          for (let v = 0; v < nV; v++) {
            const delta = vDelta[v0 + v];
            // Once a choice meets the deadline, one that loses more accuracy is never better, whether it meets or not.
            if (bMeets && delta > bDelta) continue;
            if (wl ? !variantAllowed(tenants[tn], j, v, delta, allowance) : !(delta <= allowance)) continue;
            const lat = p.next(j, l, v);
            if (lat === Infinity) continue;
            const f = t + x + (byModel ? (v === 0 ? p.remainingOn(j, l) : lat + p.remainingOn(j, l, j.next + 1)) : lat + rest);
            const meets = f <= j.deadline;
            // Energy only breaks ties between choices that meet the deadline: read it only for those.
            const e = meets ? p.nextEnergy(j, l, v) : Infinity;
            let better: boolean;
            if (meets !== bMeets) better = meets;
            else if (meets) better = delta < bDelta || (delta === bDelta && e < bEnergy);
            else better = f < bFinish;
            if (bLane < 0 || better) {
              bLane = l;
              bVar = v;
              bMeets = meets;
              bDelta = delta;
              bEnergy = e;
              bFinish = f;
            }
          }
        }
        if (bLane < 0) {
          // Not placeable: go on in key order with the jobs not taken yet.
          if (viaPass && !single) {
            if (!keysStored) keysStored = writeKeys(ready, sc.taken, key, val, base, relD, riskCap, t);
            sc.startKeyOrder(n, free);
          }
          continue;
        }
        sc.assign(j.id, bLane, bVar);
        free--;
      }
      return d;
    },
  };
}

/**
 * The keys of the jobs not taken, as the pass computes them (from the slots as the pass left them),
 * for a decision whose pass skipped storing them. Returns true (keys stored).
 */
function writeKeys(ready: readonly JobState[], taken: Uint8Array, key: Float64Array, val: Float64Array, base: Int32Array, relD: Float64Array, riskCap: Float64Array, t: number): boolean {
  for (let i = 0; i < ready.length; i++) {
    if (taken[i]) continue;
    const j = ready[i];
    const tn = j.tenant;
    key[i] = (j.deadline - t - val[2 * (base[tn] + j.next)]) / relD[tn] - riskCap[tn];
  }
  return true;
}

/** Accuracy a frame may lose: the accuracy budget, capped by the accuracy SLO's floor. */
function accuracyAllowance(t: TenantDef): number {
  const floor = t.slos?.minAccuracy;
  const byFloor = floor !== undefined ? (t.baseAccuracy ?? 1) - floor : Infinity;
  const budget = t.accuracyBudget ?? (floor !== undefined ? Infinity : 0);
  return Math.max(0, Math.min(budget, byFloor));
}
