// Job bookkeeping: THE job lifecycle, driven by both the simulator (simulator.ts) and the live
// runtime (scheduler/live/runtime.ts), so that the two apply the same rules:
//
//   release     a frame enters the system; beyond the per-tenant bound of not-started frames the
//               oldest one gives way (cause 'queue'); beyond the optional cap on frames in the
//               system the oldest one not running gives way ('system-cap')
//   decision    the policy's Decision is validated (drops and assignments must name ready jobs, idle
//               lanes and runnable variants: otherwise an InvalidDecisionError) and applied
//   layer done  the job's progress and Dysta's g; the layer feedback
//   end         a job finishes or is dropped, with a cause (DropReason); a dropped frame drops the
//               cascade dependents it would have released ('cascade'); per-tenant counters; the job
//               feedback; the window feedback (miss rate, energy, UXCost) for adaptive policies
//
// What stays with the caller: time (events or a clock), lanes (simulated or workers), latencies and
// energy, online refinement of the prediction model. Allocation: one object per frame (the job),
// nothing per layer or per decision. Pure: no Node, no clock, no I/O.
import { objectArray } from './arrays';
import { cascadeFires } from './arrivals';
import { uxcost } from './metrics';
import type { PredictionModel } from './predict';
import { committedVariant, narrowSet, setCost, variantAllowed } from './whitelist';
import { relativeDeadline, type Assignment, type Decision, type Feedback, type JobState, type LaneState, type Policy, type ReadyChanges, type SimWorkload, type Snapshot } from './types';

/**
 * Why a frame was dropped. Every drop has exactly one cause.
 * - policy: the policy dropped it (e.g. hopeless: it cannot meet its deadline)
 * - queue: its tenant's queue of not-started frames was full and a newer frame came (the oldest gives way)
 * - system-cap: the cap on frames in the system was reached (live runtime's memory bound; simulator: option)
 * - late: still waiting at its deadline, with late dropping on (simulator option `dropLate`)
 * - cascade: its upstream frame was dropped, so it was never released for real
 * - unserved: still waiting when nothing else could happen (the policy never ran it)
 * - drain: not finished when the live run's drain time after the last release ran out
 * - no-lane: every lane of the live run failed
 */
export type DropReason = 'policy' | 'queue' | 'system-cap' | 'late' | 'cascade' | 'unserved' | 'drain' | 'no-lane';

export const DROP_REASONS: readonly DropReason[] = ['policy', 'queue', 'system-cap', 'late', 'cascade', 'unserved', 'drain', 'no-lane'];

export const DROP_REASON_TEXT: Record<DropReason, string> = {
  policy: 'dropped by the policy',
  queue: 'its tenant\'s queue of waiting frames was full',
  'system-cap': 'the cap on frames in the system was reached',
  late: 'still waiting at its deadline (late dropping)',
  cascade: 'its upstream frame was dropped',
  unserved: 'never run by the policy',
  drain: 'not done when the drain time ran out',
  'no-lane': 'every lane failed',
};

/** What the metrics, traces and reports read of a job. */
export interface JobRecord {
  id: number;
  tenant: number;
  frame: number;
  release: number;
  deadline: number;
  /** Start of its first layer (NaN if it never ran). */
  start: number;
  /** Finish time, or NaN if dropped. */
  finish: number;
  dropped: boolean;
  dropReason?: DropReason;
  /** Isolated latency estimate (all layers on their fastest lanes). */
  isolated: number;
  accuracyUsed: number;
  upstream: number;
  /** Layers executed. */
  layersRun: number;
}

/** A fraction, to initialise a number field that will hold fractions (see Job's fields). */
const DOUBLE_FIELD = 0.5;

/** A job as the books keep it: the policy's JobState, the record, and its lifecycle flags. */
export class Job implements JobState, JobRecord {
  // Every number field is initialised with a number of its kind (first, in the order they always had; not declared bare, nor as a
  // constructor parameter property: ES2022 class fields define those as undefined first, and V8
  // then keeps them as tagged fields: a double in one is a pointer to a heap number, read through
  // an extra load by every policy's ranking loop, and a new heap number at every write).
  readonly id: number = 0;
  readonly tenant: number = 0;
  readonly frame: number = 0;
  readonly release: number = NaN;
  readonly deadline: number = NaN;
  readonly priority: number = 0;
  readonly layerCount: number = 0;
  readonly upstream: number = 0;
  readonly isolated: number = NaN;
  start = NaN;
  finish = NaN;
  dropped = false;
  dropReason?: DropReason = undefined;
  next = 0;
  lastLane = -1;
  // Fields that hold fractions start as one (DOUBLE_FIELD, set to their value in the constructor): V8
  // keeps a field first written with a small integer (0, 1) as one, and the first fraction then
  // changed every job's shape, deoptimising every function that takes a job (in the first run of
  // each process).
  accuracyUsed = DOUBLE_FIELD;
  variantSet = -1;
  g = DOUBLE_FIELD;
  layersRun = 0;
  gSum = DOUBLE_FIELD;
  /** On a lane (or on its way to one). */
  running = false;
  /** Not started yet (for the per-tenant queue bound). */
  waiting = true;
  /** Finished, dropped or abandoned: out of the system. */
  ended = false;
  /** In the books' ready list (JobBook.ready). */
  listed = false;
  /** Entered or left the ready list since the last decision (in JobBook's change list). */
  touched = false;
  /** Written at every layer end. */
  lastRun = NaN;
  constructor(id: number, tenant: number, frame: number, release: number, deadline: number, priority: number, layerCount: number, upstream: number, isolated: number) {
    this.id = id;
    this.tenant = tenant;
    this.frame = frame;
    this.release = release;
    this.deadline = deadline;
    this.priority = priority;
    this.layerCount = layerCount;
    this.upstream = upstream;
    this.isolated = isolated;
    this.lastRun = release;
    this.accuracyUsed = 0;
    this.g = 1;
    this.gSum = 0;
  }
}

/**
 * The ready list's changes since the last decision (Snapshot.readyChanges). `added` is found when a
 * policy first reads it in a decision (most policies never do; nothing moves during decide()).
 */
class ChangeList<J extends Job> implements ReadyChanges {
  readonly source = {};
  seq = 0;
  readonly removed: J[] = objectArray();
  private readonly addedList: J[] = objectArray();
  private addedSeq = 0;

  get added(): readonly J[] {
    if (this.addedSeq !== this.seq) {
      this.addedSeq = this.seq;
      const r = this.removed;
      for (let i = 0; i < r.length; i++) if (r[i].listed) this.addedList.push(r[i]);
    }
    return this.addedList;
  }

  /** Empties the lists for the next decision (pop(), not length = 0, which frees the backing store). */
  clear(): void {
    const r = this.removed;
    for (let i = 0; i < r.length; i++) r[i].touched = false;
    while (r.length) r.pop();
    const a = this.addedList;
    while (a.length) a.pop();
  }
}

/** A policy's decision that names a job, lane or variant it may not: an error in the simulator and in the live runtime alike. */
export class InvalidDecisionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidDecisionError';
  }
}

/** Drops per cause; `total` is their sum. */
export interface DropCounts {
  total: number;
  byCause: Record<DropReason, number>;
}

/** Counts the dropped jobs by cause (a dropped job without a cause is counted in total only, which a test catches). */
export function countDrops(jobs: Iterable<Pick<JobRecord, 'dropped' | 'dropReason'>>): DropCounts {
  const byCause = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
  let total = 0;
  for (const j of jobs) {
    if (!j.dropped) continue;
    total++;
    if (j.dropReason && j.dropReason in byCause) byCause[j.dropReason]++;
  }
  return { total, byCause };
}

/** "12 queue, 3 policy" (non-zero causes, in DROP_REASONS order), or "none". */
export function describeDrops(d: DropCounts): string {
  const parts = DROP_REASONS.filter((r) => d.byCause[r] > 0).map((r) => `${d.byCause[r]} ${r}`);
  return parts.length ? parts.join(', ') : 'none';
}

export interface JobBookOptions {
  /** At most this many not-started frames per tenant; the oldest gives way. */
  maxQueuePerTenant: number;
  /** At most this many frames in the system (waiting or running); the oldest one not running gives way (default: no cap). */
  maxInSystem?: number;
  /** Length of the windows reported to policies (s). */
  window: number;
  /** 'model': a started job keeps its lane, so only jobs that have not started are ready for the policy. */
  preemption: 'layer' | 'model';
  /** Seed of the cascade outcomes (arrivals.ts). */
  seed: number;
  /** Keep every job in `jobs` (by id; the simulator's result). Otherwise only the hooks see ended jobs. */
  keepJobs?: boolean;
}

export interface JobBookHooks<J extends Job> {
  /** Makes the job object (the caller's subclass of Job) for a frame; `now` is when the books saw it. */
  make(id: number, tenant: number, frame: number, release: number, deadline: number, upstream: number, now: number): J;
  /** A job was created (released, or released-and-dropped with its upstream). */
  created?(job: J): void;
  /** A job ended (finished or dropped), after the counters and the policy's feedback. */
  ended?(job: J, now: number): void;
  /** Energy of the lanes over [start, end) (J) for the window feedback; called once per window, in order. */
  windowEnergy(start: number, end: number): number;
}

export class JobBook<J extends Job> {
  /** Jobs in the system (waiting or running), in release order, which is id order. */
  readonly active: J[] = objectArray();
  /** Every job by id, when options.keepJobs (else empty). */
  readonly jobs: J[] = objectArray();
  /** Jobs in the system and not running. */
  readyCount = 0;
  /**
   * The ready list's array; it may still hold `hole`, the job that left last (see unlist()), which
   * the `ready` getter and decide() take out first.
   */
  private readonly readyArr: J[] = objectArray();
  /**
   * A job that left the ready list but still holds its slot in readyArr, at holeAt: the next job
   * that comes in fills it, moving only the jobs between the two slots (under overload the job that
   * ends a layer is mostly the one that left last, or near it: no moves instead of two shifts of
   * the list's head). At most one; null when none.
   */
  private hole: J | null = null;
  private holeAt = 0;
  /** The ready list's changes since the last decision (Snapshot.readyChanges). */
  private readonly changes = new ChangeList<J>();
  /** Per tenant: not-started frames now, and the most there ever were. */
  readonly waiting: Int32Array;
  readonly maxQueued: Int32Array;
  /** Per tenant: frames released (cascade-dropped dependents included), finished, finished late, dropped. */
  readonly released: Int32Array;
  readonly finished: Int32Array;
  readonly late: Int32Array;
  readonly dropped: Int32Array;
  /** Start of the window being filled (s). */
  windowStart = 0.5; // a double field from the start (0 from the constructor on)
  /**
   * The time of the event being applied (s): the caller sets it; start, layerDone, dropLate,
   * closeWindows and decide read it (a field, not an argument: no boxed double per layer).
   */
  readonly clock = { now: 0.5 };
  /**
   * Of the assignment assignee() last checked: its index in the prediction model's `lat` and
   * `energy` (PredictionModel.costIndex), so that the caller starting it need not look it up again.
   */
  assignedCost = -1;
  /** The policy decisions come from and feedback goes to (the live runtime may switch it). */
  policy: Policy;
  /** The prediction model assignments are checked against (a lane or variant it cannot run on is invalid). */
  model: PredictionModel;
  private nextId = 0;
  private wEnded = 0;
  private wMissed = 0;
  private wDropped = 0;
  private readonly maxQueue: number;
  private readonly maxInSystem: number;
  private readonly modelPreemption: boolean;
  private readonly keepJobs: boolean;
  private readonly relDeadline: Float64Array;
  private readonly dependents: number[][];
  private readonly referenceJ: number;
  /** Per tenant x layer (flattened: layerBase[tenant] + layer): index of its variant 0 in runs and accuracyDelta. */
  private readonly layerBase: Int32Array;
  private readonly variantBase: Int32Array;
  /** Per flattened variant: its accuracy loss, and how often it was started (flat: no nested lookups per layer). */
  private readonly accuracyDelta: Float64Array;
  private readonly runs: Int32Array;
  // The times and latencies start as fractions (every field is set before each observe()): see
  // DOUBLE_FIELD.
  private readonly layerFb = { kind: 'layer' as const, time: 0.5, job: 0, tenant: 0, layer: 0, lane: 0, variant: 0, predicted: 0.5, observed: 0.5 };
  private readonly jobFb = { kind: 'job' as const, time: 0.5, job: 0, tenant: 0, release: 0.5, deadline: 0.5, finish: NaN, dropped: false, accuracyUsed: 0.5 };

  constructor(
    readonly workload: SimWorkload,
    readonly lanes: readonly LaneState[],
    policy: Policy,
    model: PredictionModel,
    private readonly options: JobBookOptions,
    private readonly hooks: JobBookHooks<J>,
  ) {
    const tenants = workload.tenants;
    const nT = tenants.length;
    if (!(options.maxQueuePerTenant >= 1)) throw new Error(`maxQueuePerTenant must be >= 1 (got ${options.maxQueuePerTenant})`);
    if (!(options.window > 0)) throw new Error(`window must be > 0 s (got ${options.window})`);
    this.clock.now = 0; // a double field from the start
    this.windowStart = 0;
    this.policy = policy;
    this.model = model;
    this.maxQueue = options.maxQueuePerTenant;
    this.maxInSystem = options.maxInSystem ?? Infinity;
    this.modelPreemption = options.preemption === 'model';
    this.keepJobs = options.keepJobs ?? false;
    this.waiting = new Int32Array(nT);
    this.maxQueued = new Int32Array(nT);
    this.released = new Int32Array(nT);
    this.finished = new Int32Array(nT);
    this.late = new Int32Array(nT);
    this.dropped = new Int32Array(nT);
    this.relDeadline = Float64Array.from(tenants, relativeDeadline);
    const index = new Map(tenants.map((t, i) => [t.id, i]));
    this.dependents = tenants.map(() => []);
    tenants.forEach((t, i) => t.cascade && this.dependents[index.get(t.cascade.upstream)!].push(i));
    let ref = 0;
    for (const l of workload.lanes) ref += l.busyWatts * options.window;
    this.referenceJ = ref;
    this.layerBase = new Int32Array(nT);
    let nLayers = 0;
    tenants.forEach((t, i) => {
      this.layerBase[i] = nLayers;
      nLayers += t.layers.length;
    });
    this.variantBase = new Int32Array(nLayers);
    const deltas: number[] = [];
    let g = 0;
    for (const t of tenants) {
      for (const l of t.layers) {
        this.variantBase[g++] = deltas.length;
        for (const v of l.variants) deltas.push(v.accuracyDelta);
      }
    }
    this.accuracyDelta = Float64Array.from(deltas);
    this.runs = new Int32Array(deltas.length);
  }

  /** Layer starts per [tenant][layer][variant] (variant-use.ts reports them): a fresh copy. */
  get variantRuns(): number[][][] {
    return this.workload.tenants.map((t, ti) => t.layers.map((l, li) => {
      const v0 = this.variantBase[this.layerBase[ti] + li];
      return Array.from(this.runs.subarray(v0, v0 + l.variants.length));
    }));
  }

  /**
   * The jobs ready for the policy (isReady), in id order (= release order): kept as jobs start,
   * end and come back, so that a decision does not rescan every job in the system. A decision's
   * Snapshot.ready is this array.
   */
  get ready(): readonly J[] {
    if (this.hole) this.closeHole();
    return this.readyArr;
  }

  /** Frames in the system. */
  get inSystem(): number {
    return this.active.length;
  }

  /** Ready for the policy: in the system, not on a lane (and not started, under model preemption). */
  isReady(job: J): boolean {
    return !job.ended && !job.running && (!this.modelPreemption || job.waiting);
  }

  /** The job in the system with this id, or undefined. */
  find(id: number): J | undefined {
    if (this.keepJobs) {
      const j = this.jobs[id];
      return j && !j.ended ? j : undefined;
    }
    // Binary search: `active` is in id order.
    const a = this.active;
    let lo = 0;
    let hi = a.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = a[mid].id;
      if (v === id) return a[mid];
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  private create(t: number, frame: number, release: number, upstream: number, now: number): J {
    const job = this.hooks.make(this.nextId++, t, frame, release, release + this.relDeadline[t], upstream, now);
    if (this.keepJobs) this.jobs.push(job);
    this.released[t]++;
    this.hooks.created?.(job);
    return job;
  }

  /** A frame of tenant `t` enters the system (released at `release`, seen at `now`), within the queue bound and the system cap. */
  release(t: number, frame: number, release: number, upstream: number, now: number): J {
    const job = this.create(t, frame, release, upstream, now);
    const active = this.active;
    if (this.waiting[t] >= this.maxQueue) {
      for (let i = 0; i < active.length; i++) {
        const o = active[i];
        if (o.tenant === t && o.waiting && !o.running) {
          this.drop(o, 'queue', now);
          break;
        }
      }
    }
    if (active.length >= this.maxInSystem) {
      for (let i = 0; i < active.length; i++) {
        if (!active[i].running) {
          this.drop(active[i], 'system-cap', now);
          break;
        }
      }
    }
    active.push(job);
    this.list(job);
    this.waiting[t]++;
    this.readyCount++;
    if (this.waiting[t] > this.maxQueued[t]) this.maxQueued[t] = this.waiting[t];
    return job;
  }

  /** Position of the job in an id-ordered list (where it would go if absent). */
  private static at(list: readonly Job[], id: number): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].id < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Removes a job from an id-ordered list (no splice: it would allocate the removed part). */
  private static remove(list: Job[], job: Job): void {
    const i = JobBook.at(list, job.id);
    if (list[i] !== job) return;
    const n = list.length - 1;
    for (let k = i; k < n; k++) list[k] = list[k + 1];
    list.pop();
  }

  private touch(job: J): void {
    if (job.touched) return;
    job.touched = true;
    this.changes.removed.push(job);
  }

  /** Puts a job into the ready list, at its id's place (into the hole's slot when there is one). */
  private list(job: J): void {
    if (job.listed) return;
    job.listed = true;
    this.touch(job);
    const a = this.readyArr;
    const hole = this.hole;
    if (hole) {
      this.hole = null;
      if (hole === job) return; // back in its slot
      // The jobs between the hole and the job's place move one slot towards the hole.
      const h = this.holeAt;
      let i = JobBook.at(a, job.id);
      if (i <= h) {
        for (let k = h; k > i; k--) a[k] = a[k - 1];
      } else {
        i--;
        for (let k = h; k < i; k++) a[k] = a[k + 1];
      }
      a[i] = job;
      return;
    }
    const n = a.length;
    if (n === 0 || a[n - 1].id < job.id) {
      a.push(job);
      return;
    }
    const i = JobBook.at(a, job.id);
    a.push(job);
    for (let k = n; k > i; k--) a[k] = a[k - 1];
    a[i] = job;
  }

  /** Takes a job out of the ready list: it becomes the hole (the previous hole is closed first). */
  private unlist(job: J): void {
    if (!job.listed) return;
    job.listed = false;
    this.touch(job);
    if (this.hole) this.closeHole();
    const a = this.readyArr;
    const i = JobBook.at(a, job.id);
    if (a[i] !== job) return;
    this.hole = job;
    this.holeAt = i;
  }

  /** Takes the hole out of readyArr (the jobs after it move up one slot). */
  private closeHole(): void {
    const a = this.readyArr;
    const n = a.length - 1;
    for (let k = this.holeAt; k < n; k++) a[k] = a[k + 1];
    a.pop();
    this.hole = null;
  }

  private leave(job: J): void {
    JobBook.remove(this.active, job);
    this.unlist(job);
    if (job.waiting) this.waiting[job.tenant]--;
    if (!job.running) this.readyCount--;
    job.waiting = false;
    job.ended = true;
  }

  /**
   * Drops a job in the system, with its cause, and the cascade dependents it would have released.
   * The caller frees whatever the job held; a running job (only the live runtime drops those, at its
   * end or when every lane failed) is dropped as it is.
   */
  drop(job: J, cause: DropReason, now: number): void {
    if (job.ended) return;
    this.leave(job);
    job.dropped = true;
    job.dropReason = cause;
    this.jobEnded(job, now);
    this.dropDependents(job, now);
  }

  private dropDependents(job: J, now: number): void {
    for (const d of this.dependents[job.tenant]) {
      if (!cascadeFires(this.options.seed, d, job.frame, this.workload.tenants[d].cascade!.probability)) continue;
      const dep = this.create(d, job.frame, now, job.id, now);
      dep.waiting = false;
      dep.ended = true;
      dep.dropped = true;
      dep.dropReason = 'cascade';
      this.jobEnded(dep, now);
      this.dropDependents(dep, now);
    }
  }

  /** Takes a job out of the system without an outcome (a stopped live run's frames in flight): no counters, no feedback. */
  abandon(job: J): void {
    if (!job.ended) this.leave(job);
  }

  /** Drops every waiting job past its deadline (cause 'late'). */
  dropLate(): void {
    const now = this.clock.now;
    const active = this.active;
    for (let i = active.length - 1; i >= 0; i--) {
      const j = active[i];
      if (!j.running && now >= j.deadline) this.drop(j, 'late', now);
    }
  }

  /** Drops every job in the system (running ones too when `running`) with one cause, newest first. */
  dropAll(cause: DropReason, now: number, running: boolean): void {
    const active = this.active;
    for (let i = active.length - 1; i >= 0; i--) {
      const j = active[i];
      if (running || !j.running) this.drop(j, cause, now);
    }
  }

  private jobEnded(job: J, now: number): void {
    const t = job.tenant;
    this.wEnded++;
    if (job.dropped) {
      this.dropped[t]++;
      this.wDropped++;
      this.wMissed++;
    } else {
      this.finished[t]++;
      if (job.finish > job.deadline) {
        this.late[t]++;
        this.wMissed++;
      }
    }
    const p = this.policy;
    if (p.observe) {
      const f = this.jobFb;
      f.time = now;
      f.job = job.id;
      f.tenant = t;
      f.release = job.release;
      f.deadline = job.deadline;
      f.finish = job.finish;
      f.dropped = job.dropped;
      f.accuracyUsed = job.accuracyUsed;
      p.observe(f);
    }
    this.hooks.ended?.(job, now);
  }

  /** Starts the job's next layer with `variant` now (clock.now; the caller puts it on a lane). */
  start(job: J, variant: number): void {
    if (job.waiting) {
      job.waiting = false;
      job.start = this.clock.now;
      this.waiting[job.tenant]--;
    }
    job.running = true;
    this.unlist(job);
    this.readyCount--;
    const tn = this.workload.tenants[job.tenant];
    const v = this.variantBase[this.layerBase[job.tenant] + job.next] + variant;
    this.runs[v]++;
    if (tn.whitelist) {
      // Whitelist tenants are charged the smallest verified combination holding what the frame ran.
      job.variantSet = narrowSet(tn, job.variantSet, job.next, variant);
      job.accuracyUsed = setCost(tn.whitelist, job.variantSet);
    } else job.accuracyUsed += this.accuracyDelta[v];
  }

  /** A running job was taken off its lane without finishing the layer (lane failure, stop): ready again. */
  unrun(job: J): void {
    if (!job.running || job.ended) return;
    job.running = false;
    this.readyCount++;
    if (this.isReady(job)) this.list(job);
  }

  /**
   * The job's running layer ended now (clock.now) on `lane` (predicted = profiled latency, observed =
   * what it took): its progress, its g, the layer feedback. True when that was its last layer: then call finish().
   */
  layerDone(job: J, lane: number, variant: number, predicted: number, observed: number): boolean {
    const time = this.clock.now;
    const layer = job.next;
    job.running = false;
    job.lastRun = time;
    job.lastLane = lane;
    job.next = layer + 1;
    job.layersRun++;
    job.gSum += observed / predicted;
    job.g = job.gSum / job.layersRun;
    const p = this.policy;
    if (p.observe) {
      const f = this.layerFb;
      f.time = time;
      f.job = job.id;
      f.tenant = job.tenant;
      f.layer = layer;
      f.lane = lane;
      f.variant = variant;
      f.predicted = predicted;
      f.observed = observed;
      p.observe(f);
    }
    if (job.next >= job.layerCount) return true;
    this.readyCount++;
    if (!this.modelPreemption) this.list(job);
    return false;
  }

  /** The job finished at `time` (seen at `now`); its cascade dependents are released then, when `cascade`. */
  finish(job: J, time: number, now: number, cascade = true): void {
    job.running = true; // leave() must not count it as ready
    this.leave(job);
    job.running = false;
    job.finish = time;
    this.jobEnded(job, now);
    if (!cascade) return;
    for (const d of this.dependents[job.tenant]) {
      if (cascadeFires(this.options.seed, d, job.frame, this.workload.tenants[d].cascade!.probability)) this.release(d, job.frame, time, job.id, now);
    }
  }

  /** Closes every window that ended by now (clock.now) and reports each to the policy. */
  closeWindows(): void {
    const now = this.clock.now;
    const len = this.options.window;
    while (now >= this.windowStart + len) {
      const start = this.windowStart;
      const end = start + len;
      const energyJ = this.hooks.windowEnergy(start, end);
      const p = this.policy;
      if (p.observe) {
        const missRate = this.wEnded ? this.wMissed / this.wEnded : 0;
        const fb: Feedback = { kind: 'window', start, end, ended: this.wEnded, missed: this.wMissed, dropped: this.wDropped, missRate, energyJ, uxcost: uxcost(energyJ, this.referenceJ, missRate), referenceJ: this.referenceJ };
        p.observe(fb);
      }
      this.windowStart = end;
      this.wEnded = this.wMissed = this.wDropped = 0;
    }
  }

  /**
   * Consults the policy now (clock.now) if a job is ready: sets `snapshot.ready` to the books' ready list (kept as jobs move: no rescan), asks
   * for a decision, validates and applies its drops. Returns the decision, whose assignments the
   * caller then starts one by one, each through assignee() (which validates it); null when no job
   * was ready. Throws InvalidDecisionError on an invalid decision.
   */
  decide(snapshot: Snapshot): Decision | null {
    const now = this.clock.now;
    if (this.hole) this.closeHole();
    const ready = this.readyArr;
    if (ready.length === 0) return null;
    snapshot.ready = ready;
    snapshot.time = now;
    snapshot.inSystem = this.active.length;
    const c = this.changes;
    c.seq++;
    snapshot.readyChanges = c;
    const d = this.policy.decide(snapshot);
    // The next decision's changes start here (the drops below are among them).
    c.clear();
    const name = this.policy.name;
    if (!d || !Array.isArray(d.drop) || !Array.isArray(d.assign)) throw new InvalidDecisionError(`policy "${name}" returned ${JSON.stringify(d)}, not a decision ({ assign: [...], drop: [...] })`);
    for (let i = 0; i < d.drop.length; i++) {
      const id = d.drop[i];
      const job = this.find(id);
      if (!job || !this.isReady(job)) throw new InvalidDecisionError(`policy "${name}" dropped job ${id}, which is not a ready job`);
      this.drop(job, 'policy', now);
    }
    return d;
  }

  /**
   * The job an assignment of the current decision starts, once checked: a ready job, an idle lane, a
   * variant the layer has and that can run there. Call it for each assignment in turn, starting each
   * before checking the next (so one lane or job twice is caught).
   */
  assignee(a: Assignment): J {
    const job = this.find(a.job);
    if (!job || !this.isReady(job)) throw new InvalidDecisionError(`policy "${this.policy.name}" assigned job ${a.job}, which is not a ready job`);
    const tn = this.workload.tenants[job.tenant];
    // A frame committed to a model-level variant runs that model's layer whatever the policy named
    // (the other implementations do not fit its activations' shapes): the assignment is rewritten.
    if (tn.whitelist) {
      const must = committedVariant(tn, job);
      if (must >= 0) (a as { variant: number }).variant = must;
    }
    const ls = this.lanes[a.lane];
    if (!ls || !ls.idle) throw new InvalidDecisionError(`policy "${this.policy.name}" assigned job ${a.job} to lane ${a.lane}, which is not an idle lane`);
    const k = this.model.costIndex(job.tenant, job.next, a.lane, a.variant);
    if (!(this.model.lat[k] < Infinity)) {
      throw new InvalidDecisionError(`policy "${this.policy.name}" put layer ${job.next} ("${tn.layers[job.next].name}") of tenant "${tn.id}" with variant ${a.variant} on lane "${ls.def.id}", which cannot run it`);
    }
    if (tn.whitelist && !variantAllowed(tn, job, a.variant, 0, 0)) {
      throw new InvalidDecisionError(`policy "${this.policy.name}" ran variant "${tn.layers[job.next].variants[a.variant].id}" of layer ${job.next} of tenant "${tn.id}" outside its whitelist (no verified combination holds it with what the frame already ran)`);
    }
    this.assignedCost = k;
    return job;
  }
}
