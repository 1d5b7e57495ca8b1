// Helpers shared by the policies: allocation-free ranking and placement.
//
// Multi-lane rule for single-queue baselines (FCFS, RR, EDF, SJF, LSF, PREMA, Planaria, SDRM3,
// Dysta): the policy ranks the ready jobs by its own rule; then, best first, each job is placed on
// the idle lane where its next layer finishes first (activation transfer + latency, original
// variant), until no idle lane is left. A job that no idle lane can run is skipped.
import { objectArray } from '../arrays';
import type { Assignment, Decision, JobState, Predictor, SimWorkload, Snapshot, TenantDef } from '../types';
import { variantUsable } from '../whitelist';

/** Growable scratch arrays, one set per policy instance (policies are not re-entrant). */
export class Scratch {
  key = new Float64Array(64);
  key2 = new Float64Array(64);
  taken = new Uint8Array(64);
  laneTaken = new Uint8Array(8);
  /** Job indices in selection order (smallestKeys): at least 16, and one per lane. */
  order = new Int32Array(16);
  readonly decision: Decision = { assign: objectArray(), drop: [] };
  private pool: Assignment[] = objectArray();
  // The key-order cursor (startKeyOrder / nextInKeyOrder).
  private kn = 0;
  private kWant = 0;
  private kFirst = 0;
  private kq = 0;

  /**
   * Starts taking the untaken jobs 0..n-1 in key order (earliest on ties), found a batch per pass:
   * first `want` (one per free lane), then as many as `order` holds (a job that waits or cannot run
   * takes no lane, so a decision may go through more jobs than lanes).
   */
  startKeyOrder(n: number, want: number): void {
    this.kn = n;
    this.kWant = want;
    this.kFirst = smallestKeys(this.key, this.taken, n, want, this.order);
    this.kq = 0;
  }

  /** The next job in key order, marked taken; -1 when none is left. */
  nextInKeyOrder(): number {
    if (this.kq === this.kWant && this.kFirst === this.kWant) {
      this.kWant = this.order.length;
      this.kFirst = smallestKeys(this.key, this.taken, this.kn, this.kWant, this.order);
      this.kq = 0;
    }
    let bi = -1;
    if (this.kFirst < 0) {
      // A NaN key: round-by-round selection, as smallestKeys says.
      for (let i = 0; i < this.kn; i++) if (!this.taken[i] && (bi < 0 || this.key[i] < this.key[bi])) bi = i;
    } else if (this.kq < this.kFirst) bi = this.order[this.kq++];
    if (bi >= 0) this.taken[bi] = 1;
    return bi;
  }

  /** Resets the reused Decision and sizes the arrays for n jobs and nLanes lanes. */
  begin(n: number, nLanes: number): Decision {
    if (this.key.length < n) {
      const size = Math.max(n, this.key.length * 2);
      this.key = new Float64Array(size);
      this.key2 = new Float64Array(size);
      this.taken = new Uint8Array(size);
    }
    if (this.laneTaken.length < nLanes) this.laneTaken = new Uint8Array(nLanes);
    if (this.order.length < nLanes) this.order = new Int32Array(nLanes);
    // Loops, not fill(): a builtin call costs more than clearing the few entries a decision has.
    const taken = this.taken;
    for (let i = 0; i < n; i++) taken[i] = 0;
    const laneTaken = this.laneTaken;
    for (let l = 0; l < nLanes; l++) laneTaken[l] = 0;
    // pop(), not length = 0: V8 frees the backing store on length = 0, and the next push allocates.
    const a = this.decision.assign;
    while (a.length) a.pop();
    const d = this.decision.drop;
    while (d.length) d.pop();
    return this.decision;
  }

  /** Appends an assignment, reusing pooled objects. */
  assign(job: number, lane: number, variant: number): void {
    const d = this.decision.assign;
    let a = this.pool[d.length];
    if (!a) a = this.pool[d.length] = { job: 0, lane: 0, variant: 0 };
    a.job = job;
    a.lane = lane;
    a.variant = variant;
    d.push(a);
    this.laneTaken[lane] = 1;
  }
}

/** Number of idle lanes. */
export function idleCount(s: Snapshot): number {
  let n = 0;
  for (let i = 0; i < s.lanes.length; i++) if (s.lanes[i].idle) n++;
  return n;
}

/** The idle lane (not yet taken in this decision) where the job's next layer finishes first, or -1. */
export function fastestIdleLane(s: Snapshot, job: JobState, laneTaken: Uint8Array): number {
  let best = -1;
  let bestT = Infinity;
  const lanes = s.lanes;
  for (let l = 0; l < lanes.length; l++) {
    if (!lanes[l].idle || laneTaken[l]) continue;
    const t = s.predict.next(job, l);
    if (t === Infinity) continue;
    const f = t + s.predict.transfer(job, l);
    if (f < bestT) {
      bestT = f;
      best = l;
    }
  }
  return best;
}

/**
 * Places jobs in order of (key ascending, key2 ascending, release order), each on its fastest idle
 * lane, until the idle lanes are used up. Selection, not sorting: O(jobs x idle lanes).
 * Returns the scratch Decision.
 */
export function placeByKey(s: Snapshot, sc: Scratch, useKey2: boolean): Decision {
  const ready = s.ready;
  const n = ready.length;
  const key = sc.key;
  const key2 = sc.key2;
  const taken = sc.taken;
  let free = idleCount(s);
  let left = n;
  while (free > 0 && left > 0) {
    let best = -1;
    for (let i = 0; i < n; i++) {
      if (taken[i]) continue;
      if (best < 0 || key[i] < key[best] || (key[i] === key[best] && useKey2 && key2[i] < key2[best])) best = i;
    }
    if (best < 0) break;
    taken[best] = 1;
    left--;
    const job = ready[best];
    const lane = fastestIdleLane(s, job, sc.laneTaken);
    if (lane < 0) continue;
    sc.assign(job.id, lane, 0);
    free--;
  }
  return sc.decision;
}

/**
 * The untaken jobs with the k smallest keys, in the order k rounds of "take the untaken job with the
 * smallest key, the earliest on ties" would take them, found in one pass instead of k: written to
 * out[0..], returns how many (fewer than k when fewer jobs are untaken), or -1 when a key is NaN
 * (round-by-round selection is then not a sort order: the caller selects round by round).
 */
export function smallestKeys(key: Float64Array, taken: Uint8Array, n: number, k: number, out: Int32Array): number {
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (taken[i]) continue;
    const v = key[i];
    if (v !== v) return -1;
    let p: number;
    if (m < k) p = m++;
    else if (v < key[out[k - 1]]) p = k - 1;
    else continue;
    // Later jobs go after earlier ones with an equal key.
    while (p > 0 && key[out[p - 1]] > v) {
      out[p] = out[p - 1];
      p--;
    }
    out[p] = i;
  }
  return m;
}

/** For "highest positive score first; if none positive, the last-arrived first" (Planaria, SDRM3 in Dysta's artifact). */
export function scoreToKey(score: number, index: number, n: number): number {
  return score > 0 ? -score : 1e12 + (n - index);
}

/**
 * Per tenant, per layer i: the fastest possible latency of layers i..end (any lane, any variant
 * whose accuracy loss is within `allowance(tenant)`, no transfers, machine to itself). Offline.
 */
export function fastestSuffix(w: SimWorkload, allowance: (t: TenantDef) => number): Float64Array[] {
  return w.tenants.map((t) => {
    const budget = allowance(t) + 1e-12;
    const n = t.layers.length;
    const out = new Float64Array(n + 1);
    for (let i = n - 1; i >= 0; i--) {
      let f = Infinity;
      const vs = t.layers[i].variants;
      for (let k = 0; k < vs.length; k++) {
        if (!variantUsable(t, i, k, budget)) continue;
        for (const c of vs[k].cost) if (c && c.latency < f) f = c.latency;
      }
      out[i] = out[i + 1] + f;
    }
    return out;
  });
}

/**
 * Memo of values that depend only on (tenant, next layer) and the predictor's per-tenant ratios,
 * such as remaining-latency estimates of the table predictors (Snapshot.predict, Snapshot.offline;
 * not the oracle, whose values are per job). A value stays valid until one of its tenant's
 * observed/expected ratios changes: in a run one tenant's ratio moves per layer end, so a decision
 * recomputes only that tenant's entries; jobs of one tenant at the same layer share an entry.
 * Call begin() at the start of every decide(), with the predictor the values come from.
 */
export class LayerMemo {
  private w: SimWorkload | undefined;
  private p: Predictor | undefined;
  /** Per tenant: its first slot (slot(tenant, layer) = base[tenant] + layer). */
  base = new Int32Array(0);
  /** Per slot: the epoch its values were computed in (hot loops may check stamp[k] === epoch[tenant] inline, as has() does). */
  stamp = new Uint32Array(0);
  /** Per tenant: the stamp its entries are valid for; and (below) the ratios (x lanes) they were computed with. */
  epoch = new Uint32Array(0);
  private ratios = new Float64Array(0);
  /** Per tenant: the predictor's ratioVersion when its ratios were last read (NaN: never). */
  private version = new Float64Array(0);
  private counter = 0;
  private nL = 0;
  /** Up to three values per (tenant, layer), valid where has() is true. */
  a = new Float64Array(0);
  b = new Float64Array(0);
  c = new Float64Array(0);

  begin(s: Snapshot, p: Predictor): void {
    const w = s.workload;
    const nL = s.lanes.length;
    const nT = w.tenants.length;
    if (this.w !== w || this.p !== p || this.nL !== nL || this.counter > 0xfffff000) {
      this.w = w;
      this.p = p;
      this.nL = nL;
      this.base = new Int32Array(nT);
      let n = 0;
      w.tenants.forEach((t, i) => {
        this.base[i] = n;
        n += t.layers.length + 1; // + 1: a job past its last layer (remaining 0) has a slot too
      });
      this.stamp = new Uint32Array(n);
      this.a = new Float64Array(n);
      this.b = new Float64Array(n);
      this.c = new Float64Array(n);
      this.epoch = new Uint32Array(nT);
      this.ratios = new Float64Array(nT * nL).fill(NaN); // NaN: never equal, so every tenant starts stale
      this.version = new Float64Array(nT).fill(NaN);
      this.counter = 0;
    }
    const r = this.ratios;
    // A tenant's ratios are read only when the predictor's ratioVersion for it moved (one number per
    // tenant, not one call per lane); predictors without it are polled.
    const versioned = p.ratioVersion !== undefined;
    const version = this.version;
    for (let t = 0; t < nT; t++) {
      if (versioned) {
        const v = p.ratioVersion!(t);
        if (v === version[t]) continue;
        version[t] = v;
      }
      let stale = false;
      for (let l = 0; l < nL; l++) {
        const x = p.ratio(t, l);
        if (r[t * nL + l] !== x) {
          r[t * nL + l] = x;
          stale = true;
        }
      }
      if (stale) this.epoch[t] = ++this.counter;
    }
  }

  /** The slot of (tenant, layer). */
  slot(tenant: number, layer: number): number {
    return this.base[tenant] + layer;
  }

  /** Whether the slot's values are valid; marks them valid (the caller computes them when false). */
  has(tenant: number, slot: number): boolean {
    const e = this.epoch[tenant];
    if (this.stamp[slot] === e) return true;
    this.stamp[slot] = e;
    return false;
  }
}
