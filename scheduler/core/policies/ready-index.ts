// An index of the ready jobs for policies whose ranking has structure: the jobs in groups (per tenant
// and next layer, per priority class, ...), each group ordered by a key that does not change while
// a job is ready (its id, deadline, lastRun; removal looks for the key the job was inserted with).
// Kept in step with Snapshot.readyChanges, which the job books fill (O(changes x group size) per
// decision), so that under overload, when hundreds of started frames wait, a decision looks at a
// few groups' first jobs instead of ranking every ready job. Without readyChanges (a hand-made
// snapshot) sync() says so and the policy ranks Snapshot.ready as before; when the changes do not
// follow the ones applied last (another run, a policy instance new to this run) the index is
// rebuilt from Snapshot.ready.
import type { JobState, Snapshot, SimWorkload } from '../types';

/** Per tenant: the group of (tenant, layer 0); (tenant, layer) is base[tenant] + layer (+ 1 slot past the last layer). */
export function layerSlots(w: SimWorkload): { base: Int32Array; count: number } {
  const base = new Int32Array(w.tenants.length);
  let n = 0;
  w.tenants.forEach((t, i) => {
    base[i] = n;
    n += t.layers.length + 1;
  });
  return { base, count: n };
}

/**
 * Below this many ready jobs a scan is cheaper than keeping the index: policies sync and use it
 * from here up (a gap in between makes the next sync rebuild it from Snapshot.ready).
 */
export const INDEX_MIN_READY = 32;

export class ReadyIndex {
  /** Per group: its jobs, in (key, id) order, and their keys (keys[g][0 .. jobs[g].length); typed: one element kind for every group). */
  readonly jobs: JobState[][] = [];
  readonly keys: Float64Array[] = [];
  /** The non-empty groups (in no particular order). */
  readonly live: number[] = [];
  /**
   * Per group: its first job's key (keys[g][0]), NaN when the group is empty. One flat array, so
   * that a scan over the live groups that stops at most of their heads reads no group's arrays
   * (two objects a group, scattered in the heap: SDRM3's scan of ~36 groups a decision waited on them).
   */
  head = new Float64Array(0);
  private livePos = new Int32Array(0);
  /** By job id: its group + 1, 0 when not in the index. */
  private groupOfId = new Int32Array(256);
  /**
   * By job id: its key when it was inserted, which removal searches for. A key may move once the
   * job has left the ready list, before the policy syncs (SDRM3's t_last moves when the job's layer
   * ends): searching for the current one missed 78% of SDRM3's removals under overload, each then
   * a scan of the group.
   */
  private keyOfId = new Float64Array(256);
  private source: object | undefined;
  private seq = -1;
  private workload: SimWorkload | undefined;

  /**
   * @param group the job's group, in [0, groups)
   * @param key its order within the group (not NaN), fixed while it is ready
   */
  constructor(
    private readonly group: (j: JobState) => number,
    private readonly key: (j: JobState) => number,
  ) {}

  /**
   * Brings the index up to s.ready. False when the snapshot carries no change list (then the
   * policy ranks s.ready itself). `groups`: how many groups there are for this workload.
   */
  sync(s: Snapshot, groups: number): boolean {
    const c = s.readyChanges;
    if (!c) return false;
    if (c.source !== this.source || c.seq !== this.seq + 1 || s.workload !== this.workload || this.jobs.length !== groups) {
      this.reset(groups);
      this.workload = s.workload;
      for (let i = 0; i < s.ready.length; i++) this.insert(s.ready[i]);
    } else {
      for (let i = 0; i < c.removed.length; i++) this.remove(c.removed[i]);
      for (let i = 0; i < c.added.length; i++) this.insert(c.added[i]);
    }
    this.source = c.source;
    this.seq = c.seq;
    return true;
  }

  private reset(groups: number): void {
    for (const g of this.live) {
      for (const j of this.jobs[g]) this.groupOfId[j.id] = 0;
      this.jobs[g].length = 0;
    }
    this.live.length = 0;
    while (this.jobs.length < groups) {
      this.jobs.push([]);
      this.keys.push(new Float64Array(4));
    }
    this.jobs.length = this.keys.length = groups;
    this.livePos = new Int32Array(groups);
    this.head = new Float64Array(groups).fill(NaN);
  }

  private insert(j: JobState): void {
    const id = j.id;
    if (id >= this.groupOfId.length) {
      const size = Math.max(id + 1, this.groupOfId.length * 2);
      const grown = new Int32Array(size);
      grown.set(this.groupOfId);
      this.groupOfId = grown;
      const keys = new Float64Array(size);
      keys.set(this.keyOfId);
      this.keyOfId = keys;
    }
    if (this.groupOfId[id]) this.remove(j);
    const g = this.group(j);
    const k = this.key(j);
    const list = this.jobs[g];
    const n = list.length;
    let keys = this.keys[g];
    if (n === keys.length) {
      keys = new Float64Array(2 * n);
      keys.set(this.keys[g]);
      this.keys[g] = keys;
    }
    // After every (key, id) smaller than the job's: from the end (a job usually joins last).
    let i = n;
    while (i > 0 && (keys[i - 1] > k || (keys[i - 1] === k && list[i - 1].id > id))) i--;
    list.push(j);
    for (let p = n; p > i; p--) {
      list[p] = list[p - 1];
      keys[p] = keys[p - 1];
    }
    list[i] = j;
    keys[i] = k;
    if (i === 0) this.head[g] = k;
    this.groupOfId[id] = g + 1;
    this.keyOfId[id] = k;
    if (n === 0) {
      this.livePos[g] = this.live.length;
      this.live.push(g);
    }
  }

  /**
   * The job's position in its group: a binary search on (key at insertion, id), the group's order;
   * a scan if it is not found there (a safety net: the search finds every job the index holds).
   */
  private positionOf(j: JobState, list: JobState[], keys: Float64Array): number {
    const k = this.keyOfId[j.id];
    const id = j.id;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid] < k || (keys[mid] === k && list[mid].id < id)) lo = mid + 1;
      else hi = mid;
    }
    return list[lo] === j ? lo : list.indexOf(j);
  }

  private remove(j: JobState): void {
    const id = j.id;
    if (id >= this.groupOfId.length) return;
    const g = this.groupOfId[id] - 1;
    if (g < 0) return;
    this.groupOfId[id] = 0;
    const list = this.jobs[g];
    const keys = this.keys[g];
    const i = this.positionOf(j, list, keys);
    const n = list.length - 1;
    // The jobs move in a loop of element stores: Array.prototype.copyWithin is V8's generic builtin
    // (a property lookup, read and write per element, ~7% of an overloaded SDRM3 run under perf).
    // The keys, a typed array, move in one block (a memmove) when there are many: under overload a
    // class of planaria's holds a hundred jobs, and the one leaving is seldom near the end.
    for (let p = i; p < n; p++) list[p] = list[p + 1];
    if (n - i > 8) keys.copyWithin(i, i + 1, n + 1);
    else for (let p = i; p < n; p++) keys[p] = keys[p + 1];
    list.pop();
    if (i === 0) this.head[g] = n > 0 ? keys[0] : NaN;
    if (n === 0) {
      // Swap-remove from the live list.
      const at = this.livePos[g];
      const last = this.live.pop()!;
      if (last !== g) {
        this.live[at] = last;
        this.livePos[last] = at;
      }
    }
  }
}
