// Discrete-event simulator of a multi-model workload on several heterogeneous lanes, driven by any
// Policy. Preemption at layer boundaries (or model boundaries), lane-to-lane activation transfers,
// periodic (with jitter) and Poisson arrivals, cascades, deadlines, drops, per-lane energy.
// Seeded and deterministic. Pure: no clock, no I/O.
import { gaussian, rng } from './rng';
import type { Feedback, JobState, LaneState, Policy, Predictor, SimWorkload, Snapshot } from './types';

export interface SimOptions {
  duration: number;
  seed?: number;
  /** 'layer' (default): the policy is consulted at every layer boundary; 'model': a job keeps its lane to the end. */
  preemption?: 'layer' | 'model';
  /** Relative std-dev of real latencies around the predictions (0 = predictions are exact). */
  latencyNoise?: number;
  /** Systematic real/predicted factor per tenant (e.g. a mis-profiled model), default 1. */
  latencyBias?: number[];
  /** Refine predictions online from observed layer times (EMA of observed/expected per tenant and lane). */
  adaptive?: boolean;
  /** At most this many waiting frames per tenant; the oldest is dropped beyond it (bounded memory). */
  maxQueuePerTenant?: number;
  /** Length of the windows reported to adaptive policies (s). */
  window?: number;
  /** Keep per-layer slices (needed for traces; off for benchmarks). */
  recordSlices?: boolean;
}

export interface Slice {
  job: number;
  tenant: number;
  lane: number;
  layer: number;
  variant: number;
  start: number;
  end: number;
  kind: 'layer' | 'transfer';
}

export interface JobRecord {
  id: number;
  tenant: number;
  release: number;
  deadline: number;
  /** Finish time, or NaN if dropped. */
  finish: number;
  dropped: boolean;
  /** Isolated latency estimate (all layers on their fastest lanes). */
  isolated: number;
  accuracyUsed: number;
  upstream: number;
}

export interface LaneUsage {
  busy: number;
  energy: number;
}

export interface SimResult {
  jobs: JobRecord[];
  slices: Slice[];
  lanes: LaneUsage[];
  /** Simulated span: from 0 to the last event. */
  makespan: number;
  layerExecutions: number;
  policyState?: Record<string, number>;
}

const NO_LANE = -1;

interface Job extends JobState {
  record: JobRecord;
  running: boolean;
  pinnedLane: number;
}

export function simulate(workload: SimWorkload, policy: Policy, options: SimOptions): SimResult {
  const rand = rng(options.seed ?? 1);
  const noiseRand = rng((options.seed ?? 1) * 7919 + 17);
  const cascadeRand = rng((options.seed ?? 1) * 104729 + 3);
  const preemption = options.preemption ?? 'layer';
  const noise = options.latencyNoise ?? 0;
  const maxQueue = options.maxQueuePerTenant ?? 16;
  const windowLen = options.window ?? 1;
  const record = options.recordSlices ?? true;
  const tenants = workload.tenants;
  const nLanes = workload.lanes.length;
  const tenantIndex = new Map(tenants.map((t, i) => [t.id, i]));
  const dependents = tenants.map((t) => tenants.map((d, i) => ({ d, i })).filter(({ d }) => d.cascade?.upstream === t.id).map(({ i }) => i));
  for (const t of tenants) {
    if (t.cascade && !tenantIndex.has(t.cascade.upstream)) throw new Error(`tenant "${t.id}": cascade.upstream "${t.cascade.upstream}" is not a tenant of this workload`);
  }

  // Offline tables: per tenant, per layer, per lane latency of the original variant, and suffix sums.
  const lat = tenants.map((t) => t.layers.map((l) => l.variants[0].cost.map((c) => (c ? c.latency : Infinity))));
  const bestLat = lat.map((layers) => layers.map((perLane) => Math.min(...perLane)));
  const suffixBest = bestLat.map((b) => {
    const s = new Float64Array(b.length + 1);
    for (let i = b.length - 1; i >= 0; i--) s[i] = s[i + 1] + b[i];
    return s;
  });
  const suffixLane = lat.map((layers) =>
    Array.from({ length: nLanes }, (_, lane) => {
      const s = new Float64Array(layers.length + 1);
      for (let i = layers.length - 1; i >= 0; i--) s[i] = s[i + 1] + layers[i][lane];
      return s;
    }),
  );
  const ratio = tenants.map(() => new Float64Array(nLanes).fill(1));
  const bias = options.latencyBias ?? tenants.map(() => 1);

  const predict: Predictor = {
    next: (j, lane, variant = 0) => {
      const c = tenants[j.tenant].layers[j.next].variants[variant]?.cost[lane];
      return c ? c.latency * ratio[j.tenant][lane] : Infinity;
    },
    nextEnergy: (j, lane, variant = 0) => {
      const c = tenants[j.tenant].layers[j.next].variants[variant]?.cost[lane];
      if (!c) return Infinity;
      return (c.energy ?? c.latency * workload.lanes[lane].busyWatts) * ratio[j.tenant][lane];
    },
    remainingOn: (j, lane) => suffixLane[j.tenant][lane][j.next] * ratio[j.tenant][lane],
    remainingBest: (j) => suffixBest[j.tenant][j.next],
    isolated: (j) => suffixBest[j.tenant][0],
    ratio: (t, lane) => ratio[t][lane],
  };

  // Event queue: a binary heap of (time, seq, kind, payload).
  const heapTime: number[] = [];
  const heapSeq: number[] = [];
  const heapKind: number[] = []; // 0 arrival, 1 lane done
  const heapArg: number[] = [];
  let seq = 0;
  const push = (time: number, kind: number, arg: number) => {
    let i = heapTime.length;
    heapTime.push(time);
    heapSeq.push(seq++);
    heapKind.push(kind);
    heapArg.push(arg);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heapTime[p] < heapTime[i] || (heapTime[p] === heapTime[i] && heapSeq[p] < heapSeq[i])) break;
      swap(p, i);
      i = p;
    }
  };
  const swap = (a: number, b: number) => {
    [heapTime[a], heapTime[b]] = [heapTime[b], heapTime[a]];
    [heapSeq[a], heapSeq[b]] = [heapSeq[b], heapSeq[a]];
    [heapKind[a], heapKind[b]] = [heapKind[b], heapKind[a]];
    [heapArg[a], heapArg[b]] = [heapArg[b], heapArg[a]];
  };
  const pop = () => {
    const last = heapTime.length - 1;
    swap(0, last);
    const out = { time: heapTime.pop()!, kind: heapKind.pop()!, arg: heapArg.pop()! };
    heapSeq.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heapTime.length && (heapTime[l] < heapTime[m] || (heapTime[l] === heapTime[m] && heapSeq[l] < heapSeq[m]))) m = l;
      if (r < heapTime.length && (heapTime[r] < heapTime[m] || (heapTime[r] === heapTime[m] && heapSeq[r] < heapSeq[m]))) m = r;
      if (m === i) break;
      swap(i, m);
      i = m;
    }
    return out;
  };

  // Arrivals of source tenants (cascade dependents are released by their upstream).
  const nextArrival = (t: number, after: number): number => {
    const a = tenants[t].arrival;
    if (a.type === 'periodic') {
      if (!(a.fps > 0)) throw new Error(`tenant "${tenants[t].id}": arrival.fps must be > 0 (got ${a.fps})`);
      return after + 1 / a.fps;
    }
    if (!(a.ratePerSec > 0)) throw new Error(`tenant "${tenants[t].id}": arrival.ratePerSec must be > 0 (got ${a.ratePerSec})`);
    return after - Math.log(1 - rand()) / a.ratePerSec;
  };
  const nominal = new Float64Array(tenants.length);
  for (let t = 0; t < tenants.length; t++) {
    if (tenants[t].cascade) continue;
    const a = tenants[t].arrival;
    nominal[t] = a.type === 'periodic' ? 0 : nextArrival(t, 0);
    push(jittered(t, nominal[t]), 0, t);
  }
  function jittered(t: number, time: number): number {
    const a = tenants[t].arrival;
    return a.type === 'periodic' && a.jitter ? Math.max(0, time + (rand() - 0.5) * 2 * a.jitter) : time;
  }

  const jobs: JobRecord[] = [];
  const slices: Slice[] = [];
  const ready: Job[] = [];
  const queued = new Int32Array(tenants.length);
  const laneStates: LaneState[] = workload.lanes.map((def, index) => ({ index, def, idle: true, busyUntil: 0 }));
  const laneJob: (Job | undefined)[] = new Array(nLanes);
  const laneLayerPred = new Float64Array(nLanes);
  const laneLayerReal = new Float64Array(nLanes);
  const usage: LaneUsage[] = workload.lanes.map(() => ({ busy: 0, energy: 0 }));
  let now = 0;
  let layerExecutions = 0;
  let windowStart = 0;
  let windowReleased = 0;
  let windowMissed = 0;
  let windowEnergy = 0;
  let refWindowEnergy = 0;

  const release = (t: number, time: number, upstream: number) => {
    const tenant = tenants[t];
    const rec: JobRecord = { id: jobs.length, tenant: t, release: time, deadline: time + tenant.deadline, finish: NaN, dropped: false, isolated: suffixBest[t][0], accuracyUsed: 0, upstream };
    jobs.push(rec);
    windowReleased++;
    const job: Job = { id: rec.id, tenant: t, release: time, deadline: rec.deadline, priority: tenant.priority, next: 0, layerCount: tenant.layers.length, lastRun: time, lastLane: NO_LANE, accuracyUsed: 0, upstream, record: rec, running: false, pinnedLane: NO_LANE };
    if (queued[t] >= maxQueue) {
      // Bounded queues: the oldest waiting frame of this tenant gives way.
      const oldest = ready.findIndex((j) => j.tenant === t && !j.running && j.next === 0);
      if (oldest >= 0) dropJob(ready[oldest]);
    }
    ready.push(job);
    queued[t]++;
  };

  const dropJob = (job: Job) => {
    const i = ready.indexOf(job);
    if (i < 0 || job.running) return;
    ready.splice(i, 1);
    queued[job.tenant]--;
    job.record.dropped = true;
    windowMissed++;
  };

  const startLayer = (job: Job, lane: number, variant: number) => {
    const tenant = tenants[job.tenant];
    const v = tenant.layers[job.next].variants[variant];
    const cost = v?.cost[lane];
    if (!cost) throw new Error(`policy ${policy.name} put layer ${job.next} of "${tenant.id}" on lane ${workload.lanes[lane].id}, which cannot run it`);
    let start = now;
    if (job.lastLane !== NO_LANE && job.lastLane !== lane && workload.transfer) {
      const bytes = tenant.layers[job.next - 1]?.outputBytes ?? 0;
      const dt = workload.transfer.latency + bytes / workload.transfer.bytesPerSec;
      if (record) slices.push({ job: job.id, tenant: job.tenant, lane, layer: job.next, variant, start, end: start + dt, kind: 'transfer' });
      start += dt;
    }
    const predicted = cost.latency;
    let real = predicted * bias[job.tenant];
    if (noise > 0) real *= Math.max(0.2, 1 + noise * gaussian(noiseRand));
    const end = start + real;
    if (record) slices.push({ job: job.id, tenant: job.tenant, lane, layer: job.next, variant, start, end, kind: 'layer' });
    const energy = (cost.energy ?? predicted * workload.lanes[lane].busyWatts) * (real / predicted);
    usage[lane].busy += end - now;
    usage[lane].energy += energy + (start - now) * workload.lanes[lane].busyWatts;
    windowEnergy += energy;
    job.running = true;
    job.accuracyUsed += v.accuracyDelta;
    job.record.accuracyUsed = job.accuracyUsed;
    laneJob[lane] = job;
    laneLayerPred[lane] = predicted;
    laneLayerReal[lane] = real;
    laneStates[lane].idle = false;
    laneStates[lane].busyUntil = end;
    layerExecutions++;
    push(end, 1, lane);
  };

  const readyView: JobState[] = [];
  const consult = () => {
    if (ready.length === 0 || !laneStates.some((l) => l.idle)) return;
    readyView.length = 0;
    for (const j of ready) if (!j.running) readyView.push(j);
    if (readyView.length === 0) return;
    // Model-granularity preemption: a started job keeps its lane; only fresh jobs are offered elsewhere.
    if (preemption === 'model') {
      for (const j of readyView as Job[]) {
        if (j.pinnedLane !== NO_LANE && laneStates[j.pinnedLane].idle) startLayer(j, j.pinnedLane, 0);
      }
      for (let i = readyView.length - 1; i >= 0; i--) if ((readyView[i] as Job).running || (readyView[i] as Job).pinnedLane !== NO_LANE) readyView.splice(i, 1);
      if (readyView.length === 0 || !laneStates.some((l) => l.idle)) return;
    }
    const snapshot: Snapshot = { time: now, ready: readyView, lanes: laneStates, workload, predict };
    const decision = policy.decide(snapshot);
    for (const d of decision.drop) dropJob(d as Job);
    for (const a of decision.assign) {
      const job = a.job as Job;
      if (job.running || job.record.dropped || !laneStates[a.lane]?.idle) continue;
      if (preemption === 'model') job.pinnedLane = a.lane;
      startLayer(job, a.lane, a.variant);
    }
  };

  const finishLayer = (lane: number) => {
    const job = laneJob[lane]!;
    laneJob[lane] = undefined;
    laneStates[lane].idle = true;
    laneStates[lane].busyUntil = now;
    const predicted = laneLayerPred[lane];
    const observed = laneLayerReal[lane];
    job.running = false;
    job.lastRun = now;
    job.lastLane = lane;
    job.next++;
    // Dysta-style refinement: a smoothed observed/expected ratio per tenant and lane.
    if (options.adaptive) ratio[job.tenant][lane] = 0.8 * ratio[job.tenant][lane] + 0.2 * (observed / predicted);
    policy.observe?.({ kind: 'layer', job, lane, predicted, observed });
    if (job.next >= job.layerCount) {
      const i = ready.indexOf(job);
      ready.splice(i, 1);
      queued[job.tenant]--;
      job.record.finish = now;
      if (now > job.deadline) windowMissed++;
      for (const d of dependents[job.tenant]) {
        const p = tenants[d].cascade!.probability;
        if (cascadeRand() < p) release(d, now, job.id);
      }
    }
  };

  const closeWindow = () => {
    if (!policy.observe) return;
    const missRate = windowReleased ? windowMissed / windowReleased : 0;
    if (refWindowEnergy === 0) refWindowEnergy = windowEnergy || 1;
    const fb: Feedback = { kind: 'window', start: windowStart, end: now, missRate, energy: windowEnergy, uxcost: (windowEnergy / refWindowEnergy) * (missRate + 0.01) };
    policy.observe(fb);
    windowStart = now;
    windowReleased = windowMissed = 0;
    windowEnergy = 0;
  };

  while (heapTime.length > 0) {
    const ev = pop();
    now = ev.time;
    if (now - windowStart >= windowLen) closeWindow();
    if (ev.kind === 0) {
      const t = ev.arg;
      if (now < options.duration) {
        release(t, now, -1);
        nominal[t] = nextArrival(t, nominal[t]);
        if (nominal[t] < options.duration) push(jittered(t, nominal[t]), 0, t);
      }
    } else {
      finishLayer(ev.arg);
    }
    // Process every event at this instant before consulting the policy.
    if (heapTime.length > 0 && heapTime[0] === now) continue;
    consult();
  }
  // Frames still waiting when the event queue runs dry cannot run (no lane can take them).
  for (const j of [...ready]) dropJob(j);
  const makespan = now;
  for (let l = 0; l < nLanes; l++) usage[l].energy += (makespan - usage[l].busy) * workload.lanes[l].idleWatts;
  return { jobs, slices, lanes: usage, makespan, layerExecutions, policyState: policy.state?.() };
}
