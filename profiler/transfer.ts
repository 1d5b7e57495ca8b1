// What it costs to move an activation to or from a lane's worker, by size: the copy path Tessera's
// own runtime uses (a message to the lane's worker process and back; ONNX Runtime's host<->device
// copies are inside each layer's measured run() already, since layers are fed from host memory).
// Pure: the profiler times the round trips (profile-lane.ts) and this fits latency + bandwidth.

export interface TransferFit {
  /** One-way latency of an empty message, µs. */
  latencyUs: number;
  /** One-way bytes per second beyond the latency. */
  bytesPerSec: number;
  /** Median one-way time per payload size (half the round trip). */
  points: { bytes: number; oneWayUs: number }[];
  method: string;
}

export const TRANSFER_METHOD = "round trip of a payload to the lane's worker process and back (postMessage, structured clone), halved; median of repeats per size; least-squares line";

/** Least-squares line through (bytes, one-way µs); latency never below 0, bandwidth finite (1e12 B/s when no slope is measurable). */
export function fitTransfer(points: { bytes: number; oneWayUs: number }[]): TransferFit {
  if (points.length === 0) throw new Error('fitTransfer: no points');
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.bytes, 0) / n;
  const my = points.reduce((s, p) => s + p.oneWayUs, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.bytes - mx) ** 2;
    sxy += (p.bytes - mx) * (p.oneWayUs - my);
  }
  // µs per byte; a flat or falling line (noise beats the payload cost) means no measurable bandwidth cost.
  const slope = sxx > 0 ? Math.max(0, sxy / sxx) : 0;
  const latencyUs = Math.max(0, my - slope * mx);
  const bytesPerSec = slope > 0 ? 1e6 / slope : 1e12;
  return { latencyUs, bytesPerSec, points, method: TRANSFER_METHOD };
}

/** Seconds to move `bytes` over a fitted link. */
export function transferSeconds(fit: Pick<TransferFit, 'latencyUs' | 'bytesPerSec'>, bytes: number): number {
  return fit.latencyUs / 1e6 + bytes / fit.bytesPerSec;
}
