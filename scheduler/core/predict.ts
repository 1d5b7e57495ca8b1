// Latency and energy prediction from a workload's latency table, refined online. Shared by the
// simulator and the live runtime so that a policy sees the same numbers in both.
//
// Offline: the table as given (profile or synthetic), flattened into typed arrays with suffix sums,
// so every Predictor method is O(1) (remainingBest is O(lanes)).
// Online (Dysta-style refinement): an exponential moving average per tenant and lane of
// observed / profiled latency; refined predictions are the table's values times that ratio.
// remainingBest under refinement keeps each layer on its offline-fastest lane and scales each lane's
// share by that lane's ratio (exact unless the refinement changes which lane is fastest).
import type { JobState, Predictor, SimWorkload } from './types';

export class PredictionModel {
  readonly nLanes: number;
  readonly nTenants: number;
  /** Per tenant: index of its layer 0 in the flattened layer arrays. */
  readonly layerBase: Int32Array;
  /** Per tenant: index of its suffix row (layers + 1 entries). */
  readonly suffixBase: Int32Array;
  /** Per flattened layer: index of its variant 0 in the flattened variant arrays. */
  readonly variantBase: Int32Array;
  readonly variantCount: Int32Array;
  /** Per flattened variant x lane: latency (Infinity when it cannot run there), busy energy. */
  readonly lat: Float64Array;
  readonly energy: Float64Array;
  /** Per flattened layer: fastest original latency, its lane, output bytes of the layer before it. */
  readonly bestLat: Float64Array;
  readonly bestLane: Int32Array;
  readonly inBytes: Float64Array;
  /** Per tenant suffix row: sum of bestLat from layer i to the end. */
  readonly suffixBest: Float64Array;
  /** Per lane, per tenant suffix row: sum of original latencies on that lane (Infinity if any cannot run). */
  readonly suffixLane: Float64Array[];
  /** Per tenant suffix row x lane (row-major, stride nLanes): sum of bestLat over the layers whose fastest lane is this lane. */
  readonly suffixBestPart: Float64Array;
  /**
   * Observed/expected ratio, tenant x lane. Write it only through update(), setRatios() or
   * resetRatios(): they stamp ratioStamp, which policies that cache per tenant rely on.
   */
  readonly ratios: Float64Array;
  /**
   * Per tenant: the clock value of the last write to any of its ratios (0: never written), so a
   * policy checks one integer per tenant for a change instead of every ratio (Predictor.ratioVersion).
   */
  readonly ratioStamp: Float64Array;
  private ratioClock = 0;
  /** EMA weight of a new observation. */
  smoothing = 0.2;
  /** Per flattened layer x lane: time to move the layer's input between that lane and host memory (0 without a link). */
  readonly linkCost: Float64Array;

  constructor(readonly workload: SimWorkload) {
    const lanes = workload.lanes;
    const nL = (this.nLanes = lanes.length);
    const tenants = workload.tenants;
    this.nTenants = tenants.length;
    let nLayers = 0;
    let nVariants = 0;
    for (const t of tenants) {
      nLayers += t.layers.length;
      for (const l of t.layers) nVariants += l.variants.length;
    }
    this.layerBase = new Int32Array(tenants.length);
    this.suffixBase = new Int32Array(tenants.length);
    this.variantBase = new Int32Array(nLayers);
    this.variantCount = new Int32Array(nLayers);
    this.lat = new Float64Array(nVariants * nL).fill(Infinity);
    this.energy = new Float64Array(nVariants * nL).fill(Infinity);
    this.bestLat = new Float64Array(nLayers);
    this.bestLane = new Int32Array(nLayers);
    this.inBytes = new Float64Array(nLayers);
    const suffixLen = nLayers + tenants.length;
    this.suffixBest = new Float64Array(suffixLen);
    this.suffixLane = lanes.map(() => new Float64Array(suffixLen));
    this.suffixBestPart = new Float64Array(suffixLen * nL);
    this.ratios = new Float64Array(tenants.length * nL).fill(1);
    this.ratioStamp = new Float64Array(tenants.length);
    this.linkCost = new Float64Array(nLayers * nL);

    let layerIdx = 0;
    let variantIdx = 0;
    let suffixIdx = 0;
    tenants.forEach((t, ti) => {
      this.layerBase[ti] = layerIdx;
      this.suffixBase[ti] = suffixIdx;
      t.layers.forEach((layer, li) => {
        const g = layerIdx + li;
        this.variantBase[g] = variantIdx;
        this.variantCount[g] = layer.variants.length;
        this.inBytes[g] = li > 0 ? t.layers[li - 1].outputBytes : 0;
        for (let l = 0; l < nL; l++) {
          const link = lanes[l].link;
          this.linkCost[g * nL + l] = link ? link.latency + this.inBytes[g] / link.bytesPerSec : 0;
        }
        for (const v of layer.variants) {
          for (let l = 0; l < nL; l++) {
            const c = v.cost[l];
            if (!c) continue;
            this.lat[variantIdx * nL + l] = c.latency;
            this.energy[variantIdx * nL + l] = c.energy ?? c.latency * lanes[l].busyWatts;
          }
          variantIdx++;
        }
        let best = Infinity;
        let bestLane = 0;
        const v0 = this.variantBase[g] * nL;
        for (let l = 0; l < nL; l++) {
          if (this.lat[v0 + l] < best) {
            best = this.lat[v0 + l];
            bestLane = l;
          }
        }
        this.bestLat[g] = best;
        this.bestLane[g] = bestLane;
      });
      const n = t.layers.length;
      const s = suffixIdx;
      this.suffixBest[s + n] = 0;
      for (let l = 0; l < nL; l++) this.suffixLane[l][s + n] = this.suffixBestPart[(s + n) * nL + l] = 0;
      for (let i = n - 1; i >= 0; i--) {
        const g = layerIdx + i;
        this.suffixBest[s + i] = this.suffixBest[s + i + 1] + this.bestLat[g];
        const v0 = this.variantBase[g] * nL;
        for (let l = 0; l < nL; l++) {
          this.suffixLane[l][s + i] = this.suffixLane[l][s + i + 1] + this.lat[v0 + l];
          this.suffixBestPart[(s + i) * nL + l] = this.suffixBestPart[(s + i + 1) * nL + l] + (this.bestLane[g] === l ? this.bestLat[g] : 0);
        }
      }
      layerIdx += n;
      suffixIdx += n + 1;
    });
  }

  /** Profiled latency of (tenant, layer, variant) on a lane; Infinity if it cannot run there. */
  latency(tenant: number, layer: number, lane: number, variant = 0): number {
    const g = this.layerBase[tenant] + layer;
    if (variant >= this.variantCount[g] || variant < 0) return Infinity;
    return this.lat[(this.variantBase[g] + variant) * this.nLanes + lane];
  }

  /**
   * Index of (tenant, layer, variant) on a lane in `lat` and `energy`, or -1 for a variant the layer
   * lacks (for callers that read both, or read them more than once, for one layer start).
   */
  costIndex(tenant: number, layer: number, lane: number, variant: number): number {
    const g = this.layerBase[tenant] + layer;
    if (variant >= this.variantCount[g] || variant < 0) return -1;
    return (this.variantBase[g] + variant) * this.nLanes + lane;
  }

  /** Profiled busy energy of (tenant, layer, variant) on a lane. */
  layerEnergy(tenant: number, layer: number, lane: number, variant = 0): number {
    const g = this.layerBase[tenant] + layer;
    if (variant >= this.variantCount[g] || variant < 0) return Infinity;
    return this.energy[(this.variantBase[g] + variant) * this.nLanes + lane];
  }

  /** Time to move the input of (tenant, layer) from lane `from` to lane `to` (0 if same lane or from = -1). */
  transferTime(tenant: number, layer: number, from: number, to: number): number {
    if (from < 0 || from === to) return 0;
    const row = (this.layerBase[tenant] + layer) * this.nLanes;
    return this.linkCost[row + from] + this.linkCost[row + to];
  }

  /** Sum of the fastest latencies of the whole model of a tenant (T_iso estimate). */
  isolated(tenant: number): number {
    return this.suffixBest[this.suffixBase[tenant]];
  }

  ratio(tenant: number, lane: number): number {
    return this.ratios[tenant * this.nLanes + lane];
  }

  /** Feeds one observation (profiled vs observed latency of a layer) into the EMA. */
  update(tenant: number, lane: number, profiled: number, observed: number): void {
    if (!(profiled > 0) || !(observed >= 0)) return;
    const k = tenant * this.nLanes + lane;
    this.ratios[k] += this.smoothing * (observed / profiled - this.ratios[k]);
    this.ratioStamp[tenant] = ++this.ratioClock;
  }

  resetRatios(): void {
    this.ratios.fill(1);
    this.stampAll();
  }

  /** Replaces every ratio (tenant x lane, row-major), e.g. with those learnt before a lane failed. */
  setRatios(r: ArrayLike<number>): void {
    this.ratios.set(r);
    this.stampAll();
  }

  private stampAll(): void {
    const c = ++this.ratioClock;
    this.ratioStamp.fill(c);
  }

  /** A Predictor over this table: refined (x ratio) or offline (ratio 1). */
  predictor(refined: boolean): Predictor {
    return new TablePredictor(this, refined);
  }
}

class TablePredictor implements Predictor {
  private readonly nL: number;
  constructor(
    private readonly m: PredictionModel,
    private readonly refined: boolean,
  ) {
    this.nL = m.nLanes;
  }

  next(job: JobState, lane: number, variant = 0): number {
    const m = this.m;
    const g = m.layerBase[job.tenant] + job.next;
    if (variant >= m.variantCount[g]) return Infinity;
    const v = m.lat[(m.variantBase[g] + variant) * this.nL + lane];
    return this.refined ? v * m.ratios[job.tenant * this.nL + lane] : v;
  }

  nextEnergy(job: JobState, lane: number, variant = 0): number {
    const m = this.m;
    const g = m.layerBase[job.tenant] + job.next;
    if (variant >= m.variantCount[g]) return Infinity;
    const e = m.energy[(m.variantBase[g] + variant) * this.nL + lane];
    return this.refined ? e * m.ratios[job.tenant * this.nL + lane] : e;
  }

  nextAll(job: JobState, variant: number, lat: Float64Array, energy?: Float64Array, offset = 0): void {
    const m = this.m;
    const nL = this.nL;
    const g = m.layerBase[job.tenant] + job.next;
    if (variant >= m.variantCount[g]) {
      lat.fill(Infinity, offset, offset + nL);
      energy?.fill(Infinity, offset, offset + nL);
      return;
    }
    const base = (m.variantBase[g] + variant) * nL;
    const r = job.tenant * nL;
    for (let l = 0; l < nL; l++) {
      const k = this.refined ? m.ratios[r + l] : 1;
      lat[offset + l] = m.lat[base + l] * k;
      if (energy) energy[offset + l] = m.energy[base + l] * k;
    }
  }

  transfer(job: JobState, lane: number): number {
    return this.m.transferTime(job.tenant, job.next, job.lastLane, lane);
  }

  remainingOn(job: JobState, lane: number, from = job.next): number {
    const m = this.m;
    const v = m.suffixLane[lane][m.suffixBase[job.tenant] + from];
    return this.refined ? v * m.ratios[job.tenant * this.nL + lane] : v;
  }

  remainingBest(job: JobState, from = job.next): number {
    const m = this.m;
    const s = m.suffixBase[job.tenant] + from;
    if (!this.refined) return m.suffixBest[s];
    let sum = 0;
    const nL = this.nL;
    const r = job.tenant * nL;
    const q = s * nL;
    for (let l = 0; l < nL; l++) sum += m.suffixBestPart[q + l] * m.ratios[r + l];
    return sum;
  }

  isolated(job: JobState): number {
    return this.m.suffixBest[this.m.suffixBase[job.tenant]];
  }

  ratio(tenant: number, lane: number): number {
    return this.refined ? this.m.ratios[tenant * this.nL + lane] : 1;
  }

  ratioVersion(tenant: number): number {
    return this.refined ? this.m.ratioStamp[tenant] : 0;
  }
}
