// Energy attribution by regression (issue 12, item 5): a real meter measures a whole device (a CPU
// package, a GPU), not a model. During a live run its power is sampled while the lanes it covers are
// busy with different models at different moments; regressing the sampled power on each lane's busy
// share per sample interval,
//     watts_i = idle + sum over lanes l of (watts while l is busy)_l x busy share_{i,l} + noise,
// by ordinary least squares, gives each lane's watts while busy with a confidence interval. A tenant's
// energy is then sum over lanes of (watts while busy)_l x its busy seconds on l: tenants on one lane
// share that lane's figure (the regression cannot tell two models on one lane apart unless their power
// differs, and it is not asked to), so the split within a lane is by busy time. The idle term times
// the span is the device's baseline (other processes included), attributed to no model.
// Confidence intervals: 95%, Student t on n - p degrees of freedom, from the OLS covariance
// sigma^2 (X'X)^-1 (a linear combination c'b has variance c' Cov c). ml-matrix does the numerics.
// Pure: samples and busy intervals in, attribution out (the live run collects them: live/energy.ts).
import { inverse, Matrix } from 'ml-matrix';
import { t975 } from './stats';

/** Mean power over [t0, t1] (run seconds), as the meter measured it. */
export interface PowerSample {
  t0: number;
  t1: number;
  watts: number;
}

/** A lane ran a layer of a tenant over [start, end] (run seconds). */
export interface BusyInterval {
  lane: number;
  tenant: number;
  start: number;
  end: number;
}

export interface Estimate {
  value: number;
  /** 95% confidence interval. */
  lo: number;
  hi: number;
}

export interface RegressionAttribution {
  attribution: 'regression';
  /** The meter whose samples were regressed, and the lanes it covers. */
  meter: string;
  samples: number;
  /** Coefficient of determination of the fit. */
  r2: number;
  confidence: 0.95;
  /** Power with none of the covered lanes busy (other processes included). */
  idleWatts: Estimate;
  lanes: { lane: string; busySec: number; wattsWhileBusy: Estimate; joules: Estimate }[];
  tenants: { tenant: string; busySec: number; joules: Estimate }[];
  /** Joules the meter measured over the sampled span, and the idle term's share of them. */
  measuredJoules: number;
  baselineJoules: Estimate;
  spanSec: number;
  method: string;
}

export interface UnavailableAttribution {
  attribution: 'unavailable';
  meter?: string;
  reason: string;
}

export type Attribution = RegressionAttribution | UnavailableAttribution;

/** Per sample, per lane and per (tenant, lane): busy seconds inside [t0, t1]. Samples sorted by t0, not overlapping. */
export function busyPerSample(samples: PowerSample[], busy: BusyInterval[], lanes: number, tenants: number): { lane: Float64Array[]; tenantLane: Float64Array[] } {
  const lane = samples.map(() => new Float64Array(lanes));
  const tenantLane = samples.map(() => new Float64Array(tenants * lanes));
  const starts = samples.map((s) => s.t0);
  for (const b of busy) {
    if (!(b.end > b.start) || b.lane < 0 || b.lane >= lanes || b.tenant < 0 || b.tenant >= tenants) continue;
    // The first sample that ends after the interval starts.
    let lo = 0;
    let hi = samples.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (samples[mid].t1 <= b.start) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < samples.length && starts[i] < b.end; i++) {
      const o = Math.min(b.end, samples[i].t1) - Math.max(b.start, samples[i].t0);
      if (o > 0) {
        lane[i][b.lane] += o;
        tenantLane[i][b.tenant * lanes + b.lane] += o;
      }
    }
  }
  return { lane, tenantLane };
}

/**
 * Regresses `samples` (one meter) on the busy share of `laneIds` (the lanes it covers: indices into
 * the busy intervals' lanes) and attributes the energy to the tenants. Unavailable, with the reason,
 * when there are too few samples or a lane's busy share did not vary (its watts cannot be told from
 * the idle power).
 */
export function attributeEnergy(input: { meter: string; samples: PowerSample[]; busy: BusyInterval[]; laneIds: string[]; covered: number[]; tenantIds: string[] }): Attribution {
  const { meter, laneIds, covered, tenantIds } = input;
  const samples = input.samples.filter((s) => s.t1 > s.t0 && Number.isFinite(s.watts)).sort((a, b) => a.t0 - b.t0);
  const p = covered.length + 1;
  const minSamples = p + 3;
  if (samples.length < minSamples) return { attribution: 'unavailable', meter, reason: `meter ${meter}: ${samples.length} power sample(s) during the run, at least ${minSamples} needed to regress on ${covered.length} lane(s)` };
  const nL = laneIds.length;
  const per = busyPerSample(samples, input.busy, nL, tenantIds.length);
  const n = samples.length;
  const X = new Matrix(n, p);
  const y = Matrix.columnVector(samples.map((s) => s.watts));
  for (let i = 0; i < n; i++) {
    const dt = samples[i].t1 - samples[i].t0;
    X.set(i, 0, 1);
    covered.forEach((l, k) => X.set(i, k + 1, Math.min(1, per.lane[i][l] / dt)));
  }
  for (let k = 0; k < covered.length; k++) {
    const col = X.getColumn(k + 1);
    const mean = col.reduce((a, v) => a + v, 0) / n;
    const sd = Math.sqrt(col.reduce((a, v) => a + (v - mean) ** 2, 0) / n);
    if (!(sd > 0.01)) return { attribution: 'unavailable', meter, reason: `meter ${meter}: lane ${laneIds[covered[k]]}'s busy share hardly varied between samples (sd ${(100 * sd).toFixed(1)} points around ${(100 * mean).toFixed(0)}%): its power cannot be told from the baseline` };
  }
  const Xt = X.transpose();
  let XtXi: Matrix;
  try {
    XtXi = inverse(Xt.mmul(X));
  } catch (e) {
    return { attribution: 'unavailable', meter, reason: `meter ${meter}: the lanes' busy shares are collinear (${(e as Error).message})` };
  }
  const beta = XtXi.mmul(Xt).mmul(y).getColumn(0);
  if (!beta.every(Number.isFinite)) return { attribution: 'unavailable', meter, reason: `meter ${meter}: the lanes' busy shares are collinear (no unique fit)` };
  const fitted = X.mmul(Matrix.columnVector(beta)).getColumn(0);
  const meanY = samples.reduce((a, s) => a + s.watts, 0) / n;
  let rss = 0;
  let tss = 0;
  samples.forEach((s, i) => {
    rss += (s.watts - fitted[i]) ** 2;
    tss += (s.watts - meanY) ** 2;
  });
  const df = n - p;
  const sigma2 = rss / df;
  const t = t975(df);
  /** c'beta with its 95% interval. */
  const combo = (c: number[]): Estimate => {
    let v = 0;
    let varc = 0;
    for (let a = 0; a < p; a++) {
      v += c[a] * beta[a];
      for (let b = 0; b < p; b++) varc += c[a] * c[b] * XtXi.get(a, b) * sigma2;
    }
    const half = t * Math.sqrt(Math.max(0, varc));
    return { value: v, lo: v - half, hi: v + half };
  };
  const unit = (k: number, scale = 1) => Array.from({ length: p }, (_, a) => (a === k ? scale : 0));
  const spanSec = samples.reduce((a, s) => a + (s.t1 - s.t0), 0);
  const busySec = covered.map((l) => per.lane.reduce((a, row) => a + row[l], 0));
  const lanes = covered.map((l, k) => ({ lane: laneIds[l], busySec: busySec[k], wattsWhileBusy: combo(unit(k + 1)), joules: combo(unit(k + 1, busySec[k])) }));
  const tenants = tenantIds.map((tenant, ti) => {
    const secs = covered.map((l) => per.tenantLane.reduce((a, row) => a + row[ti * nL + l], 0));
    return { tenant, busySec: secs.reduce((a, x) => a + x, 0), joules: combo([0, ...secs]) };
  });
  return {
    attribution: 'regression',
    meter,
    samples: n,
    r2: tss > 0 ? 1 - rss / tss : NaN,
    confidence: 0.95,
    idleWatts: combo(unit(0)),
    lanes,
    tenants,
    measuredJoules: samples.reduce((a, s) => a + s.watts * (s.t1 - s.t0), 0),
    baselineJoules: combo(unit(0, spanSec)),
    spanSec,
    method: `least squares of ${n} power samples of ${meter} on the busy share of lane(s) ${covered.map((l) => laneIds[l]).join(', ')} per sample interval (watts = idle + sum of watts-while-busy x busy share); a tenant gets each lane's watts-while-busy x its busy seconds there (tenants on one lane share the lane's figure); 95% intervals, Student t with ${df} degrees of freedom`,
  };
}
