import type { Policy, Predictor, SimWorkload, Snapshot } from '../types';
import { relativeDeadline } from '../types';
import { budgetLeftOf, variantAllowed } from '../whitelist';
import { Scratch, fastestSuffix } from './common';
import { layerSlots } from './ready-index';

interface Plan {
  /** Per tenant, per layer: the virtual deadline of the layer, relative to the frame's release. */
  virtualEnd: Float64Array[];
  /** Per tenant, per layer: fastest possible remaining latency (any lane, any variant within the budget). */
  minSuffix: Float64Array[];
  /** The same two, flattened: (tenant, layer) at base[tenant] + layer (one load per job in the hot loop, not three). */
  base: Int32Array;
  flatVirtualEnd: Float64Array;
  flatMinSuffix: Float64Array;
}

export interface TerastalOptions {
  /**
   * Share of each tenant's relative deadline split into the per-layer virtual budgets (default 1).
   * Below 1 the last layer's virtual deadline comes early, keeping a reserve for queueing; the tuner
   * (scheduler/core/tune) searches it.
   */
  budgetShare?: number;
}

/** Offline part: per-layer virtual budgets from the latency table. */
function plan(w: SimWorkload, budgetShare: number): Plan {
  const virtualEnd = w.tenants.map((t) => {
    const n = t.layers.length;
    const best = new Float64Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      let b = Infinity;
      for (const c of t.layers[i].variants[0].cost) if (c && c.latency < b) b = c.latency;
      best[i] = b;
      total += b;
    }
    const rel = relativeDeadline(t) * budgetShare;
    const ve = new Float64Array(n);
    let acc = 0;
    for (let i = 0; i < n; i++) {
      acc += best[i];
      ve[i] = (rel * acc) / total;
    }
    return ve;
  });
  const minSuffix = fastestSuffix(w, (t) => t.accuracyBudget ?? 0);
  const { base, count } = layerSlots(w);
  const flatVirtualEnd = new Float64Array(count);
  const flatMinSuffix = new Float64Array(count);
  w.tenants.forEach((_, i) => {
    flatVirtualEnd.set(virtualEnd[i], base[i]);
    flatMinSuffix.set(minSuffix[i].subarray(0, Math.min(minSuffix[i].length, count - base[i])), base[i]);
  });
  return { virtualEnd, minSuffix, base, flatVirtualEnd, flatMinSuffix };
}

/**
 * Terastal-style (after Wu, Song & Bozorgzadeh, RTCSA 2026; arXiv 2606.06818). Offline, each
 * tenant's relative deadline is split into per-layer virtual budgets in proportion to each layer's
 * fastest-lane latency (layer i's virtual deadline = release + deadline x cumulative share).
 * Online, ready jobs go in order of their next layer's virtual deadline; each picks jointly an idle
 * lane and a variant whose accuracy loss fits what is left of the tenant's accuracy budget: among
 * choices that finish the layer by its virtual deadline, the exact ones first, then the least
 * accuracy loss, then the earliest finish (slack saved for later layers; Tessera's tie rule); if
 * none does, the choice that finishes first, unless waiting for a busy lane would finish sooner
 * (then the job waits). With no variants in the table it still chooses lanes. A frame whose fastest possible remaining path (any lane, variants within budget,
 * machine to itself) cannot meet its deadline is dropped with its cascade dependents (Tessera's
 * addition, as in Tessera-DREAM). Predictions are refined online (Snapshot.predict).
 */
export function terastal(options: TerastalOptions = {}): Policy {
  const budgetShare = options.budgetShare ?? 1;
  if (!(budgetShare > 0 && budgetShare <= 2)) throw new Error(`terastal: budgetShare must be in (0, 2] (got ${budgetShare})`);
  const sc = new Scratch();
  let cache: { w: SimWorkload; p: Plan } | undefined;
  // Refined next-layer latencies per (tenant, layer, variant) x lane, as nextAll gives them: they
  // depend only on the tenant's ratios, so they are kept until one of those moves (its epoch).
  // delta: each variant's accuracy loss; budget, whitelist: per tenant (consider() reads no TenantDef
  // on the usual, additive-budget path).
  // minLat: per (tenant, layer) x lane, the fastest of its variants there (refined, with lat);
  // maxDelta: per (tenant, layer), its largest accuracy loss (a frame with that much budget left may run any).
  let lc: { w: SimWorkload; p: Predictor; nL: number; varBase: Int32Array; lat: Float64Array; minLat: Float64Array; delta: Float64Array; maxDelta: Float64Array; budget: Float64Array; whitelist: Uint8Array; stamp: Uint32Array; epoch: Uint32Array; ratios: Float64Array; version: Float64Array; minRatio: Float64Array; counter: number } | undefined;
  const latCache = (s: Snapshot, P: Plan) => {
    const nL = s.lanes.length;
    if (!lc || lc.w !== s.workload || lc.p !== s.predict || lc.nL !== nL || lc.counter > 0xfffff000) {
      const slots = P.flatMinSuffix.length;
      const varBase = new Int32Array(slots + 1);
      const deltas: number[] = [];
      const maxDelta = new Float64Array(slots);
      s.workload.tenants.forEach((t, ti) => {
        for (let i = 0; i <= t.layers.length; i++) {
          varBase[P.base[ti] + i] = deltas.length;
          if (i < t.layers.length) for (const v of t.layers[i].variants) deltas.push(v.accuracyDelta);
          maxDelta[P.base[ti] + i] = i < t.layers.length ? Math.max(...t.layers[i].variants.map((v) => v.accuracyDelta)) : 0;
        }
      });
      const rows = deltas.length;
      varBase[slots] = rows;
      const tenants = s.workload.tenants;
      const nT = tenants.length;
      lc = {
        w: s.workload,
        p: s.predict,
        nL,
        varBase,
        lat: new Float64Array(rows * nL),
        minLat: new Float64Array(slots * nL),
        delta: Float64Array.from(deltas),
        maxDelta,
        budget: Float64Array.from(tenants, (t) => t.accuracyBudget ?? 0),
        whitelist: Uint8Array.from(tenants, (t) => (t.whitelist ? 1 : 0)),
        stamp: new Uint32Array(slots),
        epoch: new Uint32Array(nT),
        ratios: new Float64Array(nT * nL).fill(NaN),
        version: new Float64Array(nT).fill(NaN),
        minRatio: new Float64Array(nT),
        counter: 0,
      };
    }
    return lc;
  };
  let allowedBuf = new Uint8Array(8);
  // A min-heap of job indices by (key, index), for key order past the first job; the keys alongside.
  let heap = new Int32Array(64);
  let heapKey = new Float64Array(64);
  const siftDown = (h: number, m: number) => {
    const x = heap[h];
    const kx = heapKey[h];
    for (;;) {
      let c = 2 * h + 1;
      if (c >= m) break;
      let kc = heapKey[c];
      if (c + 1 < m) {
        const kr = heapKey[c + 1];
        if (kr < kc || (kr === kc && heap[c + 1] < heap[c])) {
          c++;
          kc = kr;
        }
      }
      if (!(kc < kx || (kc === kx && heap[c] < x))) break;
      heap[h] = heap[c];
      heapKey[h] = kc;
      h = c;
    }
    heap[h] = x;
    heapKey[h] = kx;
  };
  /**
   * Chooses a lane and variant for the ready job at `bi` (virtual deadline vd) and assigns it; false
   * when it takes no lane (none can run it, or it waits for a busy lane).
   */
  const consider = (s: Snapshot, P: Plan, bi: number, vd: number): boolean => {
    const p = s.predict;
    const t = s.time;
    const lanes = s.lanes;
    const nL = lanes.length;
    const j = s.ready[bi];
    const tn = j.tenant;
    const c = lc!;
    const slot = P.base[tn] + j.next;
    const v0 = c.varBase[slot];
    const nv = c.varBase[slot + 1] - v0;
    const row = v0 * nL;
    const cl = c.lat;
    const minLat = c.minLat;
    if (c.stamp[slot] !== c.epoch[tn]) {
      c.stamp[slot] = c.epoch[tn];
      for (let v = 0; v < nv; v++) p.nextAll(j, v, cl, undefined, row + v * nL);
      for (let l = 0; l < nL; l++) {
        let m = Infinity;
        for (let v = 0, o = row + l; v < nv; v++, o += nL) {
          if (cl[o] < m) m = cl[o];
        }
        minLat[slot * nL + l] = m;
      }
    }
    if (allowedBuf.length < nv) allowedBuf = new Uint8Array(2 * nv);
    const delta = c.delta;
    let all = false;
    // Whether a variant may run does not depend on the lane: asked once per variant. Without a
    // whitelist this is variantAllowed's additive rule with budgetLeftOf's budget, inline; on a
    // whitelist tenant the whitelist decides (budgetLeftOf: every variant's latency is the job's own).
    if (c.whitelist[tn]) {
      const tenant = s.workload.tenants[tn];
      const budgetLeft = budgetLeftOf(tenant, j);
      for (let v = 0; v < nv; v++) allowedBuf[v] = variantAllowed(tenant, j, v, delta[v0 + v], budgetLeft) ? 1 : 0;
    } else {
      const budgetLeft = c.budget[tn] - j.accuracyUsed + 1e-12;
      all = c.maxDelta[slot] <= budgetLeft;
      for (let v = 0; v < nv; v++) allowedBuf[v] = all || delta[v0 + v] <= budgetLeft ? 1 : 0;
    }
    const taken = sc.laneTaken;
    let bLane = -1;
    let bVar = 0;
    let bMeets = false;
    let bDelta = Infinity;
    let bFinish = Infinity;
    let waitFinish = Infinity;
    for (let l = 0; l < nL; l++) {
      const ls = lanes[l];
      if (!ls.idle || taken[l]) {
        // A busy (or already given) lane: only its earliest finish counts, and (start + x) + lat
        // rises with lat, so the fastest allowed variant gives it.
        let m = Infinity;
        if (all) m = minLat[slot * nL + l];
        else for (let v = 0, o = row + l; v < nv; v++, o += nL) if (allowedBuf[v] && cl[o] < m) m = cl[o];
        if (m === Infinity) continue;
        const f = Math.max(t, ls.busyUntil) + p.transfer(j, l) + m;
        if (f < waitFinish) waitFinish = f;
        continue;
      }
      const x = p.transfer(j, l);
      for (let v = 0, o = row + l; v < nv; v++, o += nL) {
        if (!allowedBuf[v]) continue;
        const lat = cl[o];
        if (lat === Infinity) continue;
        const d = delta[v0 + v];
        const f = t + x + lat;
        const meets = f <= vd;
        let better: boolean;
        if (meets !== bMeets) better = meets;
        else if (meets) better = d < bDelta || (d === bDelta && f < bFinish);
        else better = f < bFinish;
        if (bLane < 0 || better) {
          bLane = l;
          bVar = v;
          bMeets = meets;
          bDelta = d;
          bFinish = f;
        }
      }
    }
    if (bLane < 0) return false;
    if (!bMeets && waitFinish < bFinish) return false; // a busy lane would do it sooner: wait
    sc.assign(j.id, bLane, bVar);
    return true;
  };
  return {
    name: 'terastal',
    decide(s: Snapshot) {
      const ready = s.ready;
      const n = ready.length;
      const nL = s.lanes.length;
      const d = sc.begin(n, nL);
      if (n === 0) return d;
      if (!cache || cache.w !== s.workload) cache = { w: s.workload, p: plan(s.workload, budgetShare) };
      const P = cache.p;
      const p = s.predict;
      const t = s.time;
      let free = 0;
      for (let l = 0; l < nL; l++) if (s.lanes[l].idle) free++;
      // Per tenant: the lowest observed/profiled ratio over the lanes (not per job), read again only
      // when the predictor's ratioVersion for the tenant moved (predictors without it are polled).
      const nT = s.workload.tenants.length;
      const c = latCache(s, P);
      const minRatio = c.minRatio;
      const versioned = p.ratioVersion !== undefined;
      for (let k = 0; k < nT; k++) {
        if (versioned) {
          const v = p.ratioVersion!(k);
          if (v === c.version[k]) continue;
          c.version[k] = v;
        }
        let m = Infinity;
        let moved = false;
        for (let l = 0; l < nL; l++) {
          const r = p.ratio(k, l);
          m = Math.min(m, r);
          if (c.ratios[k * nL + l] !== r) {
            c.ratios[k * nL + l] = r;
            moved = true;
          }
        }
        minRatio[k] = m;
        if (moved) c.epoch[k] = ++c.counter;
      }
      const base = P.base;
      const minSuffix = P.flatMinSuffix;
      const virtualEnd = P.flatVirtualEnd;
      const byModel = s.preemption === 'model';
      const key = sc.key;
      // The first job in key order (the earliest on ties), found in the same pass (NaN: the general order).
      let first = -1;
      let firstKey = Infinity;
      let sane = true;
      for (let i = 0; i < n; i++) {
        const j = ready[i];
        const b = base[j.tenant];
        if (t + minSuffix[b + j.next] * minRatio[j.tenant] > j.deadline) {
          d.drop.push(j.id);
          sc.taken[i] = 1;
          continue;
        }
        const x = (key[i] = j.release + virtualEnd[b + (byModel ? j.layerCount - 1 : j.next)]);
        if (x < firstKey) {
          firstKey = x;
          first = i;
        } else if (!(x >= firstKey)) sane = false;
      }
      // The first job in key order, found in the pass: often the only one a decision needs.
      if (sane && first >= 0) {
        sc.taken[first] = 1;
        if (consider(s, P, first, firstKey) && --free === 0) return d;
      }
      if (!sane) {
        // A NaN key: Scratch's round-by-round selection.
        sc.startKeyOrder(n, free);
        while (free > 0) {
          const bi = sc.nextInKeyOrder();
          if (bi < 0) break;
          if (consider(s, P, bi, key[bi])) free--;
        }
        return d;
      }
      // Key order (the earliest on ties) from a heap: jobs that wait take no lane, so a decision may
      // go through several times as many jobs as lanes, and each costs O(log n) here.
      const taken = sc.taken;
      if (heap.length < n) {
        heap = new Int32Array(Math.max(n, 2 * heap.length));
        heapKey = new Float64Array(heap.length);
      }
      let m = 0;
      for (let i = 0; i < n; i++) {
        if (taken[i]) continue;
        heap[m] = i;
        heapKey[m++] = key[i];
      }
      for (let h = (m >> 1) - 1; h >= 0; h--) siftDown(h, m);
      while (free > 0 && m > 0) {
        const bi = heap[0];
        const vd = heapKey[0];
        m--;
        heap[0] = heap[m];
        heapKey[0] = heapKey[m];
        siftDown(0, m);
        taken[bi] = 1;
        if (consider(s, P, bi, vd)) free--;
      }
      return d;
    },
  };
}
