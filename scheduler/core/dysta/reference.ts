// Dysta-compatible mode: one accelerator, layer-boundary preemption, the policy consulted before
// every layer, zero switch cost, and the eleven schedulers of Dysta's public simulator (MICRO 2023)
// with that simulator's admission, tie and float-summation rules, so that per-task finish times
// match its published outputs exactly. Behaviour follows ../shared/dysta-parity/README.md; no code
// of that simulator is used. Pure: no I/O, no clock.

export const DYSTA_SCHEDULERS = [
  'fcfs', 'sjf', 'sjf_sparse', 'prema', 'prema_sparse', 'planaria',
  'sdrm3', 'sdrm3_sparse', 'dysta', 'dysta_naive', 'dysta_oracle',
] as const;
export type DystaScheduler = (typeof DYSTA_SCHEDULERS)[number];

export interface DystaModelLut {
  /** lat_lut[sample][layer], seconds (keys are sample ids as strings). */
  latLut: Record<string, number[]>;
  sparsityLut: Record<string, number[]>;
  avgLatPerPattern: number[];
  avgLatPerModel: number[];
  avgSparsity: number[];
  numLayers: number;
}

export interface DystaLut {
  modelOrder: string[];
  models: Record<string, DystaModelLut>;
}

export interface DystaRequest {
  idx: number;
  reqstTime: number;
  targetLatBase: number;
  model: string;
  priority: number;
  sampleId: number;
}

export interface DystaTaskResult {
  taskId: string;
  reqstTime: number;
  targetTime: number;
  finishTime: number;
  realIsolatedTime: number;
  violated: boolean;
}

export interface DystaDecision {
  step: number;
  sysTimeBefore: number;
  taskId: string;
  layerIdx: number;
  layerLat: number;
}

export interface DystaMetrics {
  violationRate: number;
  antt: number;
  stp: number;
}

export interface DystaRunOptions {
  sloMult: number;
  /** Record every decision (as the reference's decisions_*.csv). */
  recordDecisions?: boolean;
  /**
   * 'reference' (default) reproduces the published simulator, quirks included: SDRM3's urgency is
   * not clamped below 0 and prema_sparse scales every candidate by the g of the last running task.
   * 'tessera' clamps urgency to [0, 1] and uses each candidate's own g.
   */
  compat?: 'reference' | 'tessera';
}

interface Task {
  id: string;
  arrival: number;
  target: number;
  priority: number;
  real: number[];
  est: number[];
  sparsity: number[];
  avgSparsity: number[];
  next: number;
  lastRun: number;
  g: number;
  gSum: number;
  gCount: number;
  token: number;
  realIsolated: number;
  estIsolated: number;
  order: number;
}

/** Python's repr() of a float, as the reference writes task ids and CSV cells. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(x);
  const exp = Math.floor(Math.log10(abs));
  if (abs >= 1e16 || abs < 1e-4 || exp >= 16 || exp < -4) {
    // Python: shortest digits, exponent with sign and at least two digits.
    const [mant, e] = x.toExponential().split('e');
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const s = String(x);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

function sum(values: number[], from: number): number {
  let s = 0;
  for (let i = from; i < values.length; i++) s += values[i];
  return s;
}

const patternAware = (s: DystaScheduler) => s.includes('sparse') || (s.startsWith('dysta') && s !== 'dysta_naive');
const monitorsSparsity = (s: DystaScheduler) => s === 'dysta' || s.includes('sparse');

export function runDysta(scheduler: DystaScheduler, lut: DystaLut, requests: DystaRequest[], options: DystaRunOptions): { tasks: DystaTaskResult[]; decisions: DystaDecision[]; metrics: DystaMetrics } {
  if (!DYSTA_SCHEDULERS.includes(scheduler)) {
    throw new Error(`Unknown Dysta scheduler "${scheduler}". Known: ${DYSTA_SCHEDULERS.join(', ')}`);
  }
  const reference = (options.compat ?? 'reference') === 'reference';
  const usePattern = patternAware(scheduler);
  const monitor = monitorsSparsity(scheduler);
  const results: DystaTaskResult[] = new Array(requests.length);
  const decisions: DystaDecision[] = [];
  const running: Task[] = [];
  let nextRequest = 0;
  let clock = 0;
  let step = 0;

  const admit = (i: number) => {
    const r = requests[i];
    const m = lut.models[r.model];
    if (!m) throw new Error(`request ${r.idx}: model "${r.model}" is not in the LUT (known: ${lut.modelOrder.join(', ')})`);
    const real = m.latLut[String(r.sampleId)];
    if (!real) throw new Error(`request ${r.idx}: sample ${r.sampleId} of model "${r.model}" is not in lat_lut`);
    const est = usePattern ? m.avgLatPerPattern : m.avgLatPerModel;
    running.push({
      id: `${pyFloat(r.reqstTime)}_${r.model}`,
      arrival: r.reqstTime,
      target: r.reqstTime + r.targetLatBase * options.sloMult,
      priority: r.priority,
      real,
      est,
      sparsity: m.sparsityLut[String(r.sampleId)] ?? [],
      avgSparsity: m.avgSparsity,
      next: 0,
      lastRun: r.reqstTime,
      g: 1,
      gSum: 0,
      gCount: 0,
      token: -1,
      realIsolated: sum(real, 0),
      estIsolated: sum(est, 0),
      order: i,
    });
  };

  while (nextRequest < requests.length || running.length > 0) {
    if (running.length === 0) {
      clock = requests[nextRequest].reqstTime;
      admit(nextRequest++);
    } else {
      while (nextRequest < requests.length && requests[nextRequest].reqstTime < clock) admit(nextRequest++);
    }
    const pick = choose(scheduler, running, clock, reference);
    const task = running[pick];
    const layer = task.next;
    const latency = task.real[layer];
    if (options.recordDecisions) decisions.push({ step, sysTimeBefore: clock, taskId: task.id, layerIdx: layer, layerLat: latency });
    step++;
    if (monitor) {
      task.gSum += (1 - task.sparsity[layer]) / (1 - task.avgSparsity[layer]);
      task.gCount++;
      task.g = task.gSum / task.gCount;
    }
    task.next++;
    clock += latency;
    task.lastRun = clock;
    if (task.next >= task.real.length) {
      running.splice(pick, 1);
      results[task.order] = {
        taskId: task.id,
        reqstTime: task.arrival,
        targetTime: task.target,
        finishTime: clock,
        realIsolatedTime: task.realIsolated,
        violated: clock > task.target,
      };
    }
  }
  return { tasks: results, decisions, metrics: dystaMetrics(results) };
}

function choose(s: DystaScheduler, running: Task[], clock: number, reference: boolean): number {
  const n = running.length;
  switch (s) {
    case 'fcfs':
      return 0; // running tasks are kept in arrival order
    case 'sjf':
    case 'sjf_sparse':
      return argMin(running, (t) => (s === 'sjf_sparse' ? t.g : 1) * sum(t.est, t.next));
    case 'prema':
    case 'prema_sparse': {
      let maxToken = 0;
      for (const t of running) {
        if (t.token < 0) {
          t.token = t.priority;
          continue;
        }
        const idle = clock - t.lastRun;
        t.token += (t.priority * idle) / (s === 'prema_sparse' ? t.g * t.estIsolated : t.estIsolated);
        maxToken = Math.max(maxToken, t.token);
      }
      const threshold = maxToken >= 9 ? 9 : maxToken >= 3 ? 3 : 1;
      const lastG = running[n - 1].g;
      let best = -1;
      let bestR = Infinity;
      for (let i = 0; i < n; i++) {
        const t = running[i];
        if (t.token < threshold) continue;
        const g = s === 'prema_sparse' ? (reference ? lastG : t.g) : 1;
        const r = g * sum(t.est, t.next);
        if (r < bestR) {
          bestR = r;
          best = i;
        }
      }
      return best >= 0 ? best : 0;
    }
    case 'planaria':
      return highestPositive(running, (t) => t.priority / (t.target - clock));
    case 'sdrm3':
    case 'sdrm3_sparse':
      return highestPositive(running, (t) => {
        const g = s === 'sdrm3_sparse' ? t.g : 1;
        const slack = t.target - clock;
        let urgency = Math.min(1, (g * sum(t.est, t.next)) / slack);
        if (!reference) urgency = Math.max(0, slack <= 0 ? 1 : urgency);
        const fairness = (clock - t.lastRun) / (g * t.est[t.next]);
        return urgency + 1 * fairness;
      });
    case 'dysta':
    case 'dysta_naive':
    case 'dysta_oracle': {
      const beta = 0.01;
      return argMin(running, (t) => {
        const oracle = s === 'dysta_oracle';
        const g = s === 'dysta' ? t.g : 1;
        const gR = g * (oracle ? sum(t.real, t.next) : sum(t.est, t.next));
        const isolated = oracle ? t.realIsolated : t.estIsolated;
        const slack = t.target - clock;
        return gR + beta * (Math.max(0, slack - gR) + (clock - t.lastRun) / isolated / n);
      });
    }
  }
}

/** Smallest score; the first (earliest arrival) wins ties. */
function argMin(tasks: Task[], score: (t: Task) => number): number {
  let best = 0;
  let bestScore = Infinity;
  for (let i = 0; i < tasks.length; i++) {
    const v = score(tasks[i]);
    if (v < bestScore) {
      bestScore = v;
      best = i;
    }
  }
  return best;
}

/** Highest positive score, ties to the earlier arrival; if none is positive, the last-arrived task. */
function highestPositive(tasks: Task[], score: (t: Task) => number): number {
  let best = -1;
  let bestScore = 0;
  for (let i = 0; i < tasks.length; i++) {
    const v = score(tasks[i]);
    if (v > 0 && (best < 0 || v > bestScore)) {
      bestScore = v;
      best = i;
    }
  }
  return best >= 0 ? best : tasks.length - 1;
}

/** Dysta's metrics: violation rate (finish strictly after target), ANTT, STP. */
export function dystaMetrics(tasks: DystaTaskResult[]): DystaMetrics {
  const n = tasks.length;
  if (n === 0) return { violationRate: 0, antt: 0, stp: 0 };
  let violated = 0;
  let ntt = 0;
  let firstArrival = Infinity;
  let lastFinish = -Infinity;
  for (const t of tasks) {
    if (t.violated) violated++;
    ntt += (t.finishTime - t.reqstTime) / t.realIsolatedTime;
    firstArrival = Math.min(firstArrival, t.reqstTime);
    lastFinish = Math.max(lastFinish, t.finishTime);
  }
  return { violationRate: violated / n, antt: ntt / n, stp: n / (lastFinish - firstArrival) };
}
