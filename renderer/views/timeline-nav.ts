// The conventions of timeline tools (Perfetto, Chrome tracing) for Tessera's two timelines, the
// simulator's and the live lane view: W/S zoom, A/D pan, a wheel zoom proportional to the wheel's
// delta, a dragged time range and its statistics (frames, per-lane busy share, misses), and search by
// tenant. Pure: the canvas component (timeline-canvas.ts) wires these to events.
import { clampWindow, jobOutcome, lowerBound, zoomAt, type TimelineData, type TimeWindow } from './simulate-timeline';

/** Zoom per wheel pixel: exp(-600 * 0.003) ≈ 0.17, so one -600 flick narrows 200 ms to about 33 ms. */
export const WHEEL_ZOOM_PER_PX = 0.003;
/** W / S: zoom in / out by this factor per key press (a held key repeats). */
export const KEY_ZOOM = 0.7;
/** A / D: pan by this share of the window per key press. */
export const KEY_PAN = 0.15;

/** Pixels from a WheelEvent's delta in any of its modes (0 pixels, 1 lines, 2 pages). */
export function wheelPixels(delta: number, deltaMode = 0): number {
  return delta * (deltaMode === 1 ? 16 : deltaMode === 2 ? 400 : 1);
}

/** The zoom factor of a wheel delta: proportional in log space to the delta (negative zooms in), bounded per event. */
export function wheelZoomFactor(deltaY: number, deltaMode = 0): number {
  const px = wheelPixels(deltaY, deltaMode);
  if (!Number.isFinite(px) || px === 0) return 1;
  return Math.min(20, Math.max(0.05, Math.exp(px * WHEEL_ZOOM_PER_PX)));
}

/** Moves the window by `fraction` of its length (negative: earlier), kept inside the run. */
export function panBy(w: TimeWindow, fraction: number, horizon: number): TimeWindow {
  const len = w.end - w.start;
  return clampWindow(w.start + fraction * len, len, horizon);
}

/**
 * The window after a navigation key, or undefined when the key is not one: w/s zoom around `at`
 * (the pointer's time, else the middle), a/d pan, and the arrow keys do the same; Shift doubles the step.
 */
export function keyNavigate(key: string, w: TimeWindow, horizon: number, opts: { at?: number; shift?: boolean } = {}): TimeWindow | undefined {
  const at = opts.at !== undefined && opts.at >= w.start && opts.at <= w.end ? opts.at : (w.start + w.end) / 2;
  const k = key.toLowerCase();
  const step = opts.shift ? 2 : 1;
  if (k === 'w' || key === 'ArrowUp' || key === '+' || key === '=') return zoomAt(w, at, KEY_ZOOM ** step, horizon);
  if (k === 's' || key === 'ArrowDown' || key === '-') return zoomAt(w, at, 1 / KEY_ZOOM ** step, horizon);
  if (k === 'a' || key === 'ArrowLeft') return panBy(w, -KEY_PAN * step, horizon);
  if (k === 'd' || key === 'ArrowRight') return panBy(w, KEY_PAN * step, horizon);
  if (key === 'Home' || key === '0') return { start: 0, end: horizon > 0 ? horizon : 1 };
  return undefined;
}

/** A dragged range from two times (either order), inside [0, horizon]; undefined when it is empty. */
export function normaliseRange(a: number, b: number, horizon: number): TimeWindow | undefined {
  const start = Math.max(0, Math.min(a, b));
  const end = Math.min(horizon, Math.max(a, b));
  return end > start ? { start, end } : undefined;
}

export interface RangeStats {
  start: number;
  end: number;
  /** Frames released in the range, and what became of them. */
  frames: number;
  ontime: number;
  late: number;
  dropped: number;
  unfinished: number;
  /** (late + dropped) / frames; NaN without frames. */
  missRate: number;
  /** Per lane: the share of the range it was running a layer or a transfer (0..1). */
  laneBusy: number[];
  /** Layer slices that overlap the range. */
  slices: number;
  perTenant: { released: number; late: number; dropped: number }[];
  /** The range reaches past the slices kept (a truncated timeline): busy shares are lower bounds. */
  beyondSlices: boolean;
}

/**
 * Statistics of a time range: frames released in it (on time, late, dropped, unfinished), each lane's
 * busy share (the union of its slices inside the range over the range's length) and the layer slices in it.
 */
export function rangeStats(t: TimelineData, range: TimeWindow, longest?: number): RangeStats {
  const { start, end } = range;
  const span = Math.max(1e-12, end - start);
  const perTenant = t.tenants.map(() => ({ released: 0, late: 0, dropped: 0 }));
  const c = { ontime: 0, late: 0, dropped: 0, unfinished: 0 };
  for (const j of t.jobs) {
    if (j[1] < start || j[1] > end) continue;
    const o = jobOutcome(j);
    c[o]++;
    const pt = perTenant[j[0]];
    if (pt) {
      pt.released++;
      if (o === 'late') pt.late++;
      if (o === 'dropped') pt.dropped++;
    }
  }
  const frames = c.ontime + c.late + c.dropped + c.unfinished;
  // Busy: per lane, the union of [start, end] of the slices clipped to the range (they are sorted by start).
  let reach = longest;
  if (reach === undefined) {
    reach = 0;
    for (const s of t.slices) reach = Math.max(reach, s[4] - s[3]);
  }
  const busy = t.lanes.map(() => 0);
  const cursor = t.lanes.map(() => start);
  let slices = 0;
  for (let i = lowerBound(t.slices, start - reach); i < t.slices.length && t.slices[i][3] <= end; i++) {
    const s = t.slices[i];
    if (s[4] <= start || s[1] < 0 || s[1] >= busy.length) continue;
    if (s[5] === 0) slices++;
    const a = Math.max(cursor[s[1]], s[3], start);
    const b = Math.min(end, s[4]);
    if (b > a) {
      busy[s[1]] += b - a;
      cursor[s[1]] = b;
    }
  }
  const covered = t.truncated && t.slices.length ? t.slices[t.slices.length - 1][3] : t.horizon;
  return {
    start,
    end,
    frames,
    ...c,
    missRate: frames > 0 ? (c.late + c.dropped) / frames : NaN,
    laneBusy: busy.map((b) => Math.min(1, b / span)),
    slices,
    perTenant,
    beyondSlices: end > covered,
  };
}

/** Tenants whose name contains the query (case-insensitive); an empty query matches none (no highlight). */
export function matchTenants(tenants: readonly string[], query: string): Set<number> {
  const q = query.trim().toLowerCase();
  const out = new Set<number>();
  if (!q) return out;
  tenants.forEach((name, i) => {
    if (name.toLowerCase().includes(q)) out.add(i);
  });
  return out;
}

/** The window that follows a live run: its last `span` seconds (from 0 until the run is that long). */
export function followWindow(now: number, span: number): TimeWindow {
  const len = Math.max(1e-3, span);
  const end = Math.max(now, len);
  return { start: end - len, end };
}
