// The Dysta-compatible loop: one accelerator, one layer at a time, the policy consulted before every
// layer, zero switch cost, with the reference simulator's admission, tie and float-summation rules
// so that finish times match its published outputs exactly (../shared/dysta-parity/README.md).
// Pure: no I/O, no clock.
import { DYSTA_RULES, type DystaTask } from './schedulers';
import { pyFloat } from './pyfloat';
import {
  DYSTA_SCHEDULERS, isDystaScheduler, monitorsSparsity, usesPatternEstimates,
  type DystaDecision, type DystaLut, type DystaMetrics, type DystaRequest, type DystaRunOptions, type DystaRunResult, type DystaScheduler, type DystaTaskResult,
} from './types';

/** s[i] = a[i] + a[i+1] + ... + a[n-1], each summed left to right as the reference sums R. */
export function leftToRightSuffixSums(a: readonly number[]): number[] {
  const out = new Array<number>(a.length + 1);
  for (let i = 0; i < a.length; i++) {
    let s = 0;
    for (let j = i; j < a.length; j++) s += a[j];
    out[i] = s;
  }
  out[a.length] = 0;
  return out;
}

export function runDysta(scheduler: DystaScheduler, lut: DystaLut, requests: readonly DystaRequest[], options: DystaRunOptions): DystaRunResult {
  if (!isDystaScheduler(scheduler)) throw new Error(`Unknown Dysta scheduler "${scheduler}". Known: ${DYSTA_SCHEDULERS.join(', ')}`);
  const compat = options.compat ?? 'dysta-reference';
  if (compat !== 'dysta-reference' && compat !== 'tessera') throw new Error(`Unknown compat "${compat as string}" (dysta-reference or tessera)`);
  const rule = DYSTA_RULES[scheduler];
  const monotonic = options.monotonicClock ?? false;
  const patternEstimates = usesPatternEstimates(scheduler);
  const monitor = monitorsSparsity(scheduler);
  const oracle = scheduler === 'dysta_oracle';
  // Suffix sums per estimate array (shared by every task of a model) and, for the oracle, per sample.
  const suffixes = new Map<readonly number[], number[]>();
  const suffixOf = (a: readonly number[]) => {
    let s = suffixes.get(a);
    if (!s) suffixes.set(a, (s = leftToRightSuffixSums(a)));
    return s;
  };

  const results: DystaTaskResult[] = new Array(requests.length);
  const decisions: DystaDecision[] = [];
  const running: DystaTask[] = [];
  let nextRequest = 0;
  let clock = 0;
  let step = 0;

  const admit = (order: number) => {
    const r = requests[order];
    const m = lut.models[r.model];
    if (!m) throw new Error(`request ${r.idx}: model "${r.model}" is not in the LUT (known: ${lut.modelOrder.join(', ')})`);
    const real = m.latLut[String(r.sampleId)];
    if (!real) throw new Error(`request ${r.idx}: sample ${r.sampleId} of model "${r.model}" is not in lat_lut`);
    const est = patternEstimates ? m.avgLatPerPattern : m.avgLatPerModel;
    const sparsity = m.sparsityLut[String(r.sampleId)];
    if (real.length === 0 || est.length !== real.length || (monitor && (!sparsity || sparsity.length !== real.length || m.avgSparsity.length !== real.length))) {
      throw new Error(`request ${r.idx}: model "${r.model}" sample ${r.sampleId} has inconsistent layer counts (lat_lut ${real.length}, estimates ${est.length}, sparsity_lut ${sparsity?.length ?? 'missing'}, avg_sparsity ${m.avgSparsity.length})`);
    }
    const estSuffix = suffixOf(est);
    const realSuffix = oracle ? suffixOf(real) : [];
    running.push({
      id: `${pyFloat(r.reqstTime)}_${r.model}`,
      order,
      arrival: r.reqstTime,
      target: r.reqstTime + r.targetLatBase * options.sloMult,
      priority: r.priority,
      real,
      realSuffix,
      est,
      estSuffix,
      sparsity: sparsity ?? [],
      avgSparsity: m.avgSparsity,
      next: 0,
      lastRun: r.reqstTime,
      g: 1,
      gSum: 0,
      gCount: 0,
      token: -1,
      realIsolated: oracle ? realSuffix[0] : sumLeftToRight(real),
      estIsolated: estSuffix[0],
    });
  };

  while (nextRequest < requests.length || running.length > 0) {
    // Admission: an idle machine jumps to the next arrival; otherwise only arrivals strictly
    // before the clock join (one arriving exactly now waits for the next decision). The reference
    // jumps back too, when the machine fell idle after the next request had arrived: that request
    // then starts before the previous one finished. monotonicClock admits it at the clock instead.
    if (running.length === 0 && !(monotonic && requests[nextRequest].reqstTime < clock)) {
      clock = requests[nextRequest].reqstTime;
      admit(nextRequest++);
    } else {
      while (nextRequest < requests.length && requests[nextRequest].reqstTime < clock) admit(nextRequest++);
    }
    const pick = rule(running, clock, compat);
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
    if (task.next === task.real.length) {
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

function sumLeftToRight(a: readonly number[]): number {
  let s = 0;
  for (const x of a) s += x;
  return s;
}

/** Dysta's metrics: violation rate (finish strictly after target), ANTT, STP. */
export function dystaMetrics(tasks: readonly DystaTaskResult[]): DystaMetrics {
  const n = tasks.length;
  if (n === 0) return { violationRate: 0, antt: 0, stp: 0 };
  let violated = 0;
  let ntt = 0;
  let firstArrival = Infinity;
  let lastFinish = -Infinity;
  for (const t of tasks) {
    if (t.violated) violated++;
    ntt += (t.finishTime - t.reqstTime) / t.realIsolatedTime;
    if (t.reqstTime < firstArrival) firstArrival = t.reqstTime;
    if (t.finishTime > lastFinish) lastFinish = t.finishTime;
  }
  return { violationRate: violated / n, antt: ntt / n, stp: n / (lastFinish - firstArrival) };
}
