// The simulated run's timeline, laid out for a canvas: time → x, the window of time shown (zoom and
// pan), which slices fall inside it (binary search on start times), slices merged when they would
// overlap at the current zoom (so that 20,000 slices draw as a few thousand rectangles), the frame
// marks per tenant (release, finish, deadline, missed, dropped), axis ticks and hit testing.
// Pure: no DOM; the view draws what this returns.

/** [tenant, lane, layer, start, end, kind (0 layer, 1 transfer), job], sorted by start. */
export type Slice = [number, number, number, number, number, 0 | 1, number];
/** [tenant, release, deadline, finish (null = not finished), dropped]. */
export type JobRow = [number, number, number, number | null, boolean];

export interface TimelineData {
  lanes: string[];
  tenants: string[];
  horizon: number;
  slices: Slice[];
  jobs: JobRow[];
  truncated: boolean;
}

/** Seconds. */
export interface TimeWindow {
  start: number;
  end: number;
}

export interface Geometry {
  /** Canvas width in CSS pixels. */
  width: number;
  /** Gutter for row labels. */
  left: number;
  right: number;
  /** Space for the axis at the top. */
  top: number;
  laneRow: number;
  tenantRow: number;
  rowGap: number;
  /** Space between the lanes and the tenants' frames (holds a caption). */
  sectionGap: number;
}

export const DEFAULT_GEOMETRY: Geometry = { width: 1000, left: 150, right: 12, top: 24, laneRow: 34, tenantRow: 18, rowGap: 6, sectionGap: 26 };

/** The shortest window one can zoom to (seconds). */
export const MIN_SPAN = 1e-4;

export function plotWidth(g: Geometry): number {
  return Math.max(1, g.width - g.left - g.right);
}

export function timeToX(t: number, w: TimeWindow, g: Geometry): number {
  return g.left + ((t - w.start) / (w.end - w.start)) * plotWidth(g);
}

export function xToTime(x: number, w: TimeWindow, g: Geometry): number {
  return w.start + ((x - g.left) / plotWidth(g)) * (w.end - w.start);
}

/** A window of the given start and length kept inside [0, horizon] (length at least MIN_SPAN, at most the horizon). */
export function clampWindow(start: number, length: number, horizon: number): TimeWindow {
  const h = horizon > 0 ? horizon : 1;
  const len = Math.min(h, Math.max(MIN_SPAN, Number.isFinite(length) ? length : h));
  const s = Math.min(Math.max(0, Number.isFinite(start) ? start : 0), h - len);
  return { start: s, end: s + len };
}

/** Zooms by `factor` (< 1 zooms in) keeping time `at` under the same x. */
export function zoomAt(w: TimeWindow, at: number, factor: number, horizon: number): TimeWindow {
  const len = w.end - w.start;
  const newLen = Math.min(horizon, Math.max(MIN_SPAN, len * factor));
  const frac = len > 0 ? (at - w.start) / len : 0;
  return clampWindow(at - frac * newLen, newLen, horizon);
}

/** Slider position in [0, 1] ↔ window length on a log scale from MIN_SPAN to the horizon. */
export function sliderToSpan(v: number, horizon: number): number {
  const h = Math.max(horizon, MIN_SPAN);
  const lo = Math.log(MIN_SPAN);
  const hi = Math.log(h);
  return Math.exp(lo + Math.min(1, Math.max(0, v)) * (hi - lo));
}

export function spanToSlider(span: number, horizon: number): number {
  const h = Math.max(horizon, MIN_SPAN);
  const lo = Math.log(MIN_SPAN);
  const hi = Math.log(h);
  if (hi <= lo) return 1;
  return Math.min(1, Math.max(0, (Math.log(Math.max(span, MIN_SPAN)) - lo) / (hi - lo)));
}

/** First index whose start is >= t (slices sorted by start). */
export function lowerBound(slices: Slice[], t: number): number {
  let lo = 0;
  let hi = slices.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (slices[mid][3] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The longest slice (seconds): how far before the window a slice can start and still reach into it. */
export function longestSlice(slices: Slice[]): number {
  let m = 0;
  for (const s of slices) if (s[4] - s[3] > m) m = s[4] - s[3];
  return m;
}

/** [from, to) indices of the slices that may overlap the window (then filter by end). */
export function visibleRange(slices: Slice[], w: TimeWindow, longest: number): [number, number] {
  return [lowerBound(slices, w.start - longest), lowerBound(slices, w.end)];
}

/** When the slices stop, if the timeline was truncated: the start of the last slice kept. */
export function coveredUntil(t: TimelineData): number {
  return t.truncated && t.slices.length ? t.slices[t.slices.length - 1][3] : t.horizon;
}

export function laneY(lane: number, g: Geometry): number {
  return g.top + lane * (g.laneRow + g.rowGap);
}

/** Top of the tenants' frame rows (the caption sits in the section gap above). */
export function tenantsTop(lanes: number, g: Geometry): number {
  return laneY(lanes, g) + g.sectionGap;
}

export function tenantY(tenant: number, lanes: number, g: Geometry): number {
  return tenantsTop(lanes, g) + tenant * (g.tenantRow + g.rowGap);
}

/** Canvas height (CSS pixels) for this many lanes and tenants. */
export function timelineHeight(lanes: number, tenants: number, g: Geometry): number {
  return tenantY(tenants, lanes, g) + 4;
}

export interface SliceRect {
  x: number;
  y: number;
  w: number;
  h: number;
  tenant: number;
  lane: number;
  kind: 0 | 1;
  /** Index of the first slice drawn in this rectangle. */
  index: number;
  /** Slices merged into it (1 = a single slice). */
  count: number;
  /** Merged slices of several tenants (sub-pixel slices at this zoom): drawn in the first one's colour. */
  mixed?: boolean;
}

/**
 * Rectangles for the slices inside the window: clipped to the plot, at least `minWidth` wide, and
 * consecutive slices of one lane merged when they belong to the same tenant and kind and touch at
 * this zoom (within `mergeGap` pixels), or when a slice narrower than a pixel lands inside the last
 * rectangle of its kind on that lane (then of any tenant, marked `mixed`): a lane gets at most about
 * one rectangle per pixel whatever the number of slices, so that a dense run draws quickly.
 */
export function layoutSlices(t: TimelineData, w: TimeWindow, g: Geometry, o: { longest?: number; minWidth?: number; mergeGap?: number } = {}): SliceRect[] {
  const longest = o.longest ?? longestSlice(t.slices);
  const minWidth = o.minWidth ?? 1;
  const mergeGap = o.mergeGap ?? 0.5;
  const [from, to] = visibleRange(t.slices, w, longest);
  const x0 = g.left;
  const x1 = g.left + plotWidth(g);
  const out: SliceRect[] = [];
  const lastOnLane = new Map<number, SliceRect>();
  for (let i = from; i < to; i++) {
    const s = t.slices[i];
    if (s[4] < w.start || s[3] > w.end) continue;
    const a = Math.max(x0, timeToX(s[3], w, g));
    const b = Math.min(x1, timeToX(s[4], w, g));
    const width = Math.max(minWidth, b - a);
    const last = lastOnLane.get(s[1] * 2 + s[5]);
    if (last && last.kind === s[5] && a <= last.x + last.w + mergeGap && (last.tenant === s[0] || b - a < 1)) {
      if (last.tenant !== s[0]) last.mixed = true;
      last.w = Math.max(last.w, a + width - last.x);
      last.count++;
      continue;
    }
    // Transfers sit in the lower third of the row, layers fill it.
    const y = laneY(s[1], g);
    const rect: SliceRect = s[5] === 1 ? { x: a, y: y + g.laneRow * 0.62, w: width, h: g.laneRow * 0.38, tenant: s[0], lane: s[1], kind: 1, index: i, count: 1 } : { x: a, y, w: width, h: g.laneRow, tenant: s[0], lane: s[1], kind: 0, index: i, count: 1 };
    out.push(rect);
    lastOnLane.set(s[1] * 2 + s[5], rect);
  }
  return out;
}

export type JobOutcome = 'ontime' | 'late' | 'dropped' | 'unfinished';

export function jobOutcome(j: JobRow): JobOutcome {
  if (j[4]) return 'dropped';
  if (j[3] === null || !Number.isFinite(j[3])) return 'unfinished';
  return j[3] > j[2] ? 'late' : 'ontime';
}

export interface JobMark {
  /** Index into the timeline's jobs. */
  index: number;
  tenant: number;
  y: number;
  h: number;
  /** Release, deadline and end (finish, or the deadline for a dropped / unfinished frame) in x. */
  xRelease: number;
  xDeadline: number;
  xEnd: number;
  outcome: JobOutcome;
}

/**
 * Frame marks of the jobs that overlap the window (release to finish, or to the deadline when dropped).
 * Where frames are denser than the pixels, a frame whose whole mark falls inside the previous mark of
 * the same tenant and outcome (within half a pixel) is left out (`hidden` counts them): a row gets at
 * most a few marks per pixel, so that a dense live run draws quickly; zooming in shows every frame.
 */
export function layoutJobs(t: TimelineData, w: TimeWindow, g: Geometry): JobMark[] & { hidden?: number } {
  const out: JobMark[] & { hidden?: number } = [];
  const lanes = t.lanes.length;
  const lastOf = new Map<number, JobMark>();
  const outcomes: JobOutcome[] = ['ontime', 'late', 'dropped', 'unfinished'];
  let hidden = 0;
  t.jobs.forEach((j, index) => {
    const outcome = jobOutcome(j);
    const end = outcome === 'ontime' || outcome === 'late' ? Math.max(j[3] as number, j[2]) : j[2];
    if (j[1] > w.end || end < w.start) return;
    const yRow = tenantY(j[0], lanes, g);
    const mark: JobMark = {
      index,
      tenant: j[0],
      y: yRow,
      h: g.tenantRow,
      xRelease: timeToX(j[1], w, g),
      xDeadline: timeToX(j[2], w, g),
      xEnd: timeToX(outcome === 'ontime' || outcome === 'late' ? (j[3] as number) : j[2], w, g),
      outcome,
    };
    const key = j[0] * 4 + outcomes.indexOf(outcome);
    const prev = lastOf.get(key);
    if (prev && Math.abs(mark.xRelease - prev.xRelease) < 0.5 && Math.abs(mark.xEnd - prev.xEnd) < 0.5 && Math.abs(mark.xDeadline - prev.xDeadline) < 0.5) {
      hidden++;
      return;
    }
    lastOf.set(key, mark);
    out.push(mark);
  });
  out.hidden = hidden;
  return out;
}

/** Frames per outcome in the whole run. */
export function jobCounts(t: TimelineData): Record<JobOutcome, number> {
  const c: Record<JobOutcome, number> = { ontime: 0, late: 0, dropped: 0, unfinished: 0 };
  for (const j of t.jobs) c[jobOutcome(j)]++;
  return c;
}

/** Round tick values (1, 2, 5 x 10^k) inside the window, at most about `max` of them. */
export function niceTicks(w: TimeWindow, max = 8): number[] {
  const span = w.end - w.start;
  if (!(span > 0) || max < 1) return [];
  const raw = span / max;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * pow;
  const first = Math.ceil(w.start / step - 1e-9) * step;
  const out: number[] = [];
  for (let v = first; v <= w.end + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** A time (seconds) in ms with as many decimals as the window's span needs. */
export function formatMs(t: number, span: number): string {
  const ms = t * 1000;
  const spanMs = span * 1000;
  const decimals = spanMs >= 100 ? 0 : spanMs >= 10 ? 1 : spanMs >= 1 ? 2 : 3;
  return `${ms.toFixed(decimals)} ms`;
}

/** The slice rectangle under a point (the topmost, i.e. last drawn), if any. */
export function hitSlice(rects: SliceRect[], x: number, y: number): SliceRect | undefined {
  for (let i = rects.length - 1; i >= 0; i--) {
    const r = rects[i];
    if (x >= r.x - 0.5 && x <= r.x + r.w + 0.5 && y >= r.y && y <= r.y + r.h) return r;
  }
  return undefined;
}

/** The frame mark under a point: the one whose [release, end] holds x on that tenant's row (latest release wins). */
export function hitJob(marks: JobMark[], x: number, y: number): JobMark | undefined {
  for (let i = marks.length - 1; i >= 0; i--) {
    const m = marks[i];
    if (y >= m.y && y <= m.y + m.h && x >= m.xRelease - 1 && x <= Math.max(m.xEnd, m.xDeadline) + 1) return m;
  }
  return undefined;
}
