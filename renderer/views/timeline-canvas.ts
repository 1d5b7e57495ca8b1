// A timeline on a canvas, shared by the simulator's timeline and the Live view's lane view: lanes as
// rows with a bar per layer (coloured by tenant; transfers grey and hatched), then a row per tenant
// with its frames (release to finish; late red; dropped crossed at the deadline), vertical markers
// (policy switches). It follows the conventions of timeline tools (timeline-nav.ts): focus it (Tab or
// a click) and W/S zoom, A/D pan; the wheel zooms around the pointer in proportion to its delta;
// drag selects a time range and shows its statistics (Shift+drag pans); a search box highlights tenants.
// Layout is simulate-timeline.ts, navigation and statistics timeline-nav.ts (pure, tested).
import './timeline.css';
import { color, withAlpha } from '../charts';
import { clear, h } from '../dom';
import { fmtPct } from '../format';
import {
  clampWindow,
  coveredUntil,
  DEFAULT_GEOMETRY,
  formatMs,
  hitJob,
  hitSlice,
  laneY,
  layoutJobs,
  layoutSlices,
  longestSlice,
  niceTicks,
  tenantsTop,
  timelineHeight,
  timeToX,
  xToTime,
  zoomAt,
  type Geometry,
  type JobMark,
  type SliceRect,
  type TimelineData,
  type TimeWindow,
} from './simulate-timeline';
import { keyNavigate, matchTenants, normaliseRange, panBy, rangeStats, wheelPixels, wheelZoomFactor } from './timeline-nav';

const LATE = '#b42318';
const TRANSFER = '#98a2b3';
const MARKER = '#7a5af8';

export interface TimelineMarker {
  t: number;
  label: string;
}

export interface TimelineCanvasOptions {
  testId: string;
  /** What the canvas shows, for screen readers (the keys are added). */
  label: string;
  /** Called after the user moved the window (keys, wheel, pan): the live view stops following the run. */
  onNavigate?(w: TimeWindow): void;
  /** Called after any change of the window (the simulator's sliders follow it). */
  onWindow?(w: TimeWindow): void;
}

export class TimelineCanvas {
  readonly el: HTMLElement;
  private data: TimelineData = { lanes: [], tenants: [], horizon: 1, slices: [], jobs: [], truncated: false };
  private longest = 0;
  private window: TimeWindow = { start: 0, end: 1 };
  private selection: TimeWindow | undefined;
  private highlight = new Set<number>();
  private markers: TimelineMarker[] = [];
  private rects: SliceRect[] = [];
  private marks: JobMark[] = [];
  private geometry: Geometry = { ...DEFAULT_GEOMETRY };
  private frame = 0;
  private disposed = false;
  private pointerX: number | undefined;
  private hatch: CanvasPattern | null | undefined;
  private readonly canvas: HTMLCanvasElement;
  private readonly wrap = h('div', { class: 'tl-wrap' });
  private readonly tip = h('div', { class: 'tl-tip', hidden: true });
  private readonly search = h('input', { type: 'search', class: 'tl-search', placeholder: 'Highlight tenants: name…', 'aria-label': 'Highlight the tenants whose name contains' });
  private readonly searchInfo = h('span', { class: 'muted tl-search-info', 'aria-live': 'polite' });
  private readonly stats = h('div', { class: 'tl-stats', 'aria-live': 'polite' });
  private readonly ro: ResizeObserver;
  private readonly listeners = new AbortController();

  constructor(private readonly o: TimelineCanvasOptions) {
    this.canvas = h('canvas', {
      class: 'tl-canvas',
      tabindex: 0,
      role: 'application',
      'aria-roledescription': 'timeline',
      'aria-label': `${o.label}. Keys: W and S zoom, A and D pan, 0 shows everything, Escape clears the selection. Drag to select a time range; Shift and drag to pan.`,
      'data-testid': o.testId,
    });
    this.search.dataset.testid = `${o.testId}-search`;
    this.stats.dataset.testid = `${o.testId}-range`;
    this.search.addEventListener('input', () => this.applySearch());
    this.wrap.append(this.canvas, this.tip);
    this.el = h('div', { class: 'tl' },
      h('div', { class: 'row tl-tools' }, this.search, this.searchInfo,
        h('span', { class: 'muted tl-keys' }, 'Click the timeline, then ', h('kbd', {}, 'W'), h('kbd', {}, 'S'), ' zoom, ', h('kbd', {}, 'A'), h('kbd', {}, 'D'), ' pan, wheel zooms at the pointer, drag selects a range, Shift+drag pans.')),
      this.wrap,
      this.stats);
    this.wire();
    this.ro = new ResizeObserver(() => this.schedule());
    this.ro.observe(this.wrap);
    // Redraw in the other theme's colours when the theme changes.
    const mo = new MutationObserver(() => this.schedule());
    mo.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    this.listeners.signal.addEventListener('abort', () => mo.disconnect());
  }

  /**
   * New data (a new run, or more of a live run); the window stays unless one is given. `longest` (the
   * longest slice, s) spares a scan of every slice on each update of a growing run.
   */
  setData(t: TimelineData, w?: TimeWindow, longest?: number): void {
    const tenantsChanged = t.tenants !== this.data.tenants;
    this.data = t;
    this.longest = longest ?? longestSlice(t.slices);
    if (w) this.window = clampWindow(w.start, w.end - w.start, t.horizon);
    if (tenantsChanged) this.applySearch();
    else this.refreshStats();
    this.schedule();
  }

  get canvasElement(): HTMLCanvasElement {
    return this.canvas;
  }

  setMarkers(m: TimelineMarker[]): void {
    this.markers = m;
    this.schedule();
  }

  getWindow(): TimeWindow {
    return { ...this.window };
  }

  setWindow(w: TimeWindow): void {
    this.window = clampWindow(w.start, w.end - w.start, this.data.horizon);
    this.o.onWindow?.(this.window);
    this.schedule();
  }

  private navigate(w: TimeWindow): void {
    this.setWindow(w);
    this.o.onNavigate?.(this.window);
  }

  dispose(): void {
    this.disposed = true;
    this.listeners.abort();
    this.ro.disconnect();
    cancelAnimationFrame(this.frame);
  }

  private applySearch(): void {
    this.highlight = matchTenants(this.data.tenants, this.search.value);
    const q = this.search.value.trim();
    this.searchInfo.textContent = q ? (this.highlight.size ? `${this.highlight.size} tenant${this.highlight.size === 1 ? '' : 's'}: ${[...this.highlight].map((i) => this.data.tenants[i]).join(', ')}` : `no tenant matches "${q}"`) : '';
    this.canvas.dataset.highlight = [...this.highlight].join(',');
    this.refreshStats();
    this.schedule();
  }

  private select(r: TimeWindow | undefined): void {
    this.selection = r;
    this.refreshStats();
    this.schedule();
  }

  /** The selected range's statistics, below the canvas. */
  private refreshStats(): void {
    clear(this.stats);
    const r = this.selection;
    if (!r) {
      this.canvas.dataset.range = '';
      return;
    }
    const t = this.data;
    const s = rangeStats(t, r, this.longest);
    const span = r.end - r.start;
    this.canvas.dataset.range = `${r.start.toFixed(6)},${r.end.toFixed(6)}`;
    const tenants = this.highlight.size ? [...this.highlight] : t.tenants.map((_, i) => i);
    this.stats.append(
      h('p', { class: 'tl-stats-head' }, h('strong', {}, `Selected ${formatMs(r.start, span)} \u2013 ${formatMs(r.end, span)} (${formatMs(span, span)})`), ': ',
        `${s.frames} frame${s.frames === 1 ? '' : 's'} released, ${s.ontime} on time, `, h('span', { class: s.late ? 'tl-bad' : '' }, `${s.late} late`), ', ',
        h('span', { class: s.dropped ? 'tl-bad' : '' }, `${s.dropped} dropped`), s.unfinished ? `, ${s.unfinished} not finished (yet)` : '', s.frames ? ` \u2014 ${fmtPct(s.missRate)} missed` : '', `; ${s.slices} layer runs. `,
        h('button', { class: 'secondary small', onclick: () => { this.setWindow(r); this.o.onNavigate?.(this.window); } }, 'Zoom to the selection'), ' ',
        h('button', { class: 'secondary small', onclick: () => this.select(undefined) }, 'Clear')),
      h('table', { class: 'data tl-stats-table' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Lane'), h('th', { class: 'num' }, 'busy'))),
        h('tbody', {}, ...t.lanes.map((l, i) => h('tr', {}, h('td', {}, h('code', {}, l)), h('td', { class: 'num', 'data-lane-busy': l }, fmtPct(s.laneBusy[i], 0)))))),
      h('table', { class: 'data tl-stats-table' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Tenant'), h('th', { class: 'num' }, 'released'), h('th', { class: 'num' }, 'late'), h('th', { class: 'num' }, 'dropped'))),
        h('tbody', {}, ...tenants.map((i) => h('tr', {}, h('td', {}, h('i', { class: 'tl-dot', style: `background:${color(i)}` }), t.tenants[i]), h('td', { class: 'num' }, String(s.perTenant[i]?.released ?? 0)), h('td', { class: 'num' }, String(s.perTenant[i]?.late ?? 0)), h('td', { class: 'num' }, String(s.perTenant[i]?.dropped ?? 0)))))),
      s.beyondSlices ? h('p', { class: 'muted' }, 'The range reaches past the slices kept: busy shares there are lower bounds (the trace has every slice).') : '',
    );
  }

  private wire(): void {
    const c = this.canvas;
    let drag: { x: number; window: TimeWindow; pan: boolean; moved: boolean } | undefined;
    c.addEventListener('keydown', (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'Escape') {
        if (this.selection) {
          e.preventDefault();
          this.select(undefined);
        }
        return;
      }
      const at = this.pointerX !== undefined ? xToTime(this.pointerX, this.window, this.geometry) : undefined;
      const w = keyNavigate(e.key, this.window, this.data.horizon, { at, shift: e.shiftKey });
      if (!w) return;
      e.preventDefault();
      e.stopPropagation();
      this.navigate(w);
    });
    c.addEventListener('wheel', (e) => {
      const x = e.offsetX;
      if (x < this.geometry.left) return;
      e.preventDefault();
      // Sideways scrolling (a trackpad, or Shift+wheel) pans; vertical zooms around the pointer.
      const sideways = Math.abs(e.deltaX) > Math.abs(e.deltaY) ? e.deltaX : e.shiftKey ? e.deltaY : 0;
      if (sideways) {
        this.navigate(panBy(this.window, wheelPixels(sideways, e.deltaMode) / Math.max(1, this.geometry.width - this.geometry.left - this.geometry.right), this.data.horizon));
        return;
      }
      this.navigate(zoomAt(this.window, xToTime(x, this.window, this.geometry), wheelZoomFactor(e.deltaY, e.deltaMode), this.data.horizon));
    }, { passive: false });
    c.addEventListener('mousedown', (e) => {
      if (e.button !== 0 && e.button !== 1) return;
      c.focus({ preventScroll: true });
      if (e.offsetX < this.geometry.left) return;
      drag = { x: e.offsetX, window: { ...this.window }, pan: e.shiftKey || e.button === 1, moved: false };
      e.preventDefault();
    });
    window.addEventListener('mouseup', (e) => {
      if (!drag) return;
      const d = drag;
      drag = undefined;
      if (d.pan) return;
      const x = e.clientX - c.getBoundingClientRect().left;
      if (!d.moved) {
        if (this.selection) this.select(undefined);
        return;
      }
      this.select(normaliseRange(xToTime(d.x, d.window, this.geometry), xToTime(x, d.window, this.geometry), this.data.horizon));
    }, { signal: this.listeners.signal });
    window.addEventListener('mousemove', (e) => {
      if (!drag) return;
      const x = e.clientX - c.getBoundingClientRect().left;
      if (Math.abs(x - drag.x) > 3) drag.moved = true;
      if (drag.pan) {
        const dt = ((drag.x - x) / Math.max(1, this.geometry.width - this.geometry.left - this.geometry.right)) * (drag.window.end - drag.window.start);
        this.navigate({ start: drag.window.start + dt, end: drag.window.end + dt });
      } else if (drag.moved) {
        this.selection = normaliseRange(xToTime(drag.x, drag.window, this.geometry), xToTime(x, drag.window, this.geometry), this.data.horizon);
        this.schedule();
      }
    }, { signal: this.listeners.signal });
    c.addEventListener('mouseleave', () => {
      this.pointerX = undefined;
      this.tip.hidden = true;
    });
    c.addEventListener('mousemove', (e) => {
      this.pointerX = e.offsetX;
      if (drag) {
        this.tip.hidden = true;
        return;
      }
      this.hover(e.offsetX, e.offsetY);
    });
  }

  private hover(x: number, y: number): void {
    const t = this.data;
    const span = this.window.end - this.window.start;
    const r = hitSlice(this.rects, x, y);
    let text: string | undefined;
    if (r) {
      const s = t.slices[r.index];
      if (r.count > 1) {
        const t0 = xToTime(r.x, this.window, this.geometry);
        const t1 = xToTime(r.x + r.w, this.window, this.geometry);
        text = `${r.mixed ? 'several tenants' : t.tenants[s[0]]}: ${r.count} ${s[5] === 1 ? 'transfers' : 'layer slices'} on ${t.lanes[s[1]]}, about ${formatMs(t0, span)} – ${formatMs(t1, span)}\n(merged at this zoom: zoom in (W) to see them one by one)`;
      } else {
        text = `${t.tenants[s[0]]} frame ${s[6]}: ${s[5] === 1 ? 'transfer' : `layer ${s[2]}`} on ${t.lanes[s[1]]}\n${formatMs(s[3], span)} – ${formatMs(s[4], span)} (${((s[4] - s[3]) * 1000).toFixed(3)} ms)`;
      }
    } else {
      const m = hitJob(this.marks, x, y);
      if (m) {
        const j = t.jobs[m.index];
        const outcome = m.outcome === 'ontime' ? 'on time' : m.outcome === 'late' ? `LATE by ${((j[3]! - j[2]) * 1000).toFixed(2)} ms` : m.outcome === 'dropped' ? 'DROPPED' : 'unfinished at the end of the run';
        text = `${t.tenants[j[0]]} frame: released ${formatMs(j[1], span)}, deadline ${formatMs(j[2], span)}${j[3] !== null ? `, finished ${formatMs(j[3], span)} (latency ${((j[3] - j[1]) * 1000).toFixed(2)} ms)` : ''}\n${outcome}`;
      }
    }
    if (!text) {
      this.tip.hidden = true;
      return;
    }
    this.tip.textContent = text;
    this.tip.hidden = false;
    const left = Math.min(x + 14, this.geometry.width - 300);
    this.tip.style.left = `${Math.max(0, left)}px`;
    this.tip.style.top = `${y + 14}px`;
  }

  schedule(): void {
    if (this.disposed) return;
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => this.draw());
  }

  private draw(): void {
    if (this.disposed) return;
    const started = performance.now();
    const t = this.data;
    const width = Math.max(400, this.wrap.clientWidth);
    const g: Geometry = (this.geometry = { ...DEFAULT_GEOMETRY, width });
    const height = timelineHeight(t.lanes.length, t.tenants.length, g);
    const dpr = window.devicePixelRatio || 1;
    const c = this.canvas;
    if (c.width !== Math.round(width * dpr) || c.height !== Math.round(height * dpr)) {
      c.width = Math.round(width * dpr);
      c.height = Math.round(height * dpr);
      c.style.width = `${width}px`;
      c.style.height = `${height}px`;
    }
    const ctx = c.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const w = this.window;
    const span = w.end - w.start;
    const plotRight = width - g.right;
    const dim = this.highlight.size > 0;
    const pal = palette();

    // Row backgrounds and labels.
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    t.lanes.forEach((lane, i) => {
      const y = laneY(i, g);
      ctx.fillStyle = pal.laneBg;
      ctx.fillRect(g.left, y, plotRight - g.left, g.laneRow);
      ctx.fillStyle = pal.ink;
      ctx.fillText(clip(ctx, `lane ${lane}`, g.left - 10), 6, y + g.laneRow / 2);
    });
    const capY = tenantsTop(t.lanes.length, g) - g.sectionGap / 2;
    ctx.fillStyle = pal.muted;
    ctx.fillText('Frames per tenant: release → finish (late red, dropped ✕)', 6, capY);
    t.tenants.forEach((name, i) => {
      const y = tenantsTop(t.lanes.length, g) + i * (g.tenantRow + g.rowGap);
      ctx.fillStyle = dim && this.highlight.has(i) ? pal.highlight : pal.rowBg;
      ctx.fillRect(g.left, y, plotRight - g.left, g.tenantRow);
      ctx.fillStyle = color(i);
      ctx.fillRect(6, y + g.tenantRow / 2 - 4, 8, 8);
      ctx.fillStyle = pal.ink;
      ctx.font = dim && this.highlight.has(i) ? 'bold 12px system-ui, sans-serif' : '12px system-ui, sans-serif';
      ctx.fillText(clip(ctx, name, g.left - 28), 20, y + g.tenantRow / 2);
    });
    ctx.font = '12px system-ui, sans-serif';

    // Axis and grid.
    ctx.textBaseline = 'alphabetic';
    ctx.textAlign = 'center';
    for (const v of niceTicks(w, Math.max(2, Math.floor((plotRight - g.left) / 110)))) {
      const x = timeToX(v, w, g);
      ctx.strokeStyle = pal.grid;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(Math.round(x) + 0.5, g.top - 4);
      ctx.lineTo(Math.round(x) + 0.5, height);
      ctx.stroke();
      ctx.fillStyle = pal.muted;
      const label = formatMs(v, span);
      const half = ctx.measureText(label).width / 2;
      ctx.fillText(label, Math.min(plotRight - half, Math.max(g.left + half, x)), g.top - 8);
    }
    ctx.textAlign = 'left';

    ctx.save();
    ctx.beginPath();
    ctx.rect(g.left, 0, plotRight - g.left, height);
    ctx.clip();

    // The selected range, under everything else.
    if (this.selection) {
      const x0 = timeToX(this.selection.start, w, g);
      const x1 = timeToX(this.selection.end, w, g);
      ctx.fillStyle = 'rgba(48, 86, 211, 0.13)';
      ctx.fillRect(x0, 0, Math.max(1, x1 - x0), height);
      ctx.fillStyle = '#3056d3';
      ctx.fillRect(x0, 0, 1, height);
      ctx.fillRect(x1, 0, 1, height);
    }

    // Slices (merging keeps tenants apart, so a highlight dims whole rectangles).
    this.rects = layoutSlices(t, w, g, { longest: this.longest });
    if (this.hatch === undefined) this.hatch = hatchPattern(ctx);
    const hatch = this.hatch;
    for (const r of this.rects) {
      ctx.globalAlpha = dim && !this.highlight.has(r.tenant) ? 0.18 : 1;
      if (r.kind === 1) {
        ctx.fillStyle = hatch ?? TRANSFER;
        ctx.fillRect(r.x, r.y, r.w, r.h);
        continue;
      }
      ctx.fillStyle = color(r.tenant);
      ctx.fillRect(r.x, r.y + 1, r.w, r.h - 2);
      if (r.w > 4) {
        ctx.fillStyle = 'rgba(255,255,255,0.55)';
        ctx.fillRect(r.x + r.w - 1, r.y + 1, 1, r.h - 2);
      }
    }
    ctx.globalAlpha = 1;
    // Where a truncated timeline stops.
    if (t.truncated) {
      const xe = timeToX(coveredUntil(t), w, g);
      if (xe < plotRight) {
        ctx.fillStyle = 'rgba(102, 112, 133, 0.12)';
        ctx.fillRect(Math.max(g.left, xe), g.top, plotRight - Math.max(g.left, xe), laneY(t.lanes.length, g) - g.top - g.rowGap);
        ctx.fillStyle = pal.muted;
        if (xe > g.left) ctx.fillText('slices not kept beyond here (see the trace)', Math.max(g.left, xe) + 6, g.top + 14);
      }
    }

    // Frames.
    this.marks = layoutJobs(t, w, g);
    for (const m of this.marks) {
      ctx.globalAlpha = dim && !this.highlight.has(m.tenant) ? 0.25 : 1;
      const base = color(m.tenant);
      const top = m.y + 3;
      const hgt = m.h - 6;
      const x0 = Math.max(g.left - 2, m.xRelease);
      if (m.outcome === 'ontime' || m.outcome === 'late') {
        ctx.fillStyle = withAlpha(base, 0.35);
        ctx.fillRect(x0, top, Math.max(1, m.xEnd - x0), hgt);
        if (m.outcome === 'late') {
          ctx.fillStyle = LATE;
          ctx.fillRect(m.xDeadline, top, Math.max(1.5, m.xEnd - m.xDeadline), hgt);
        }
      } else {
        ctx.strokeStyle = withAlpha(base, 0.7);
        ctx.setLineDash([3, 2]);
        ctx.strokeRect(x0 + 0.5, top + 0.5, Math.max(1, m.xEnd - x0), hgt - 1);
        ctx.setLineDash([]);
      }
      ctx.fillStyle = pal.ink;
      ctx.fillRect(m.xRelease, m.y, 1.5, m.h);
      ctx.fillStyle = pal.muted;
      ctx.fillRect(m.xDeadline, m.y + 1, 1, m.h - 2);
      if (m.outcome === 'dropped') {
        ctx.strokeStyle = LATE;
        ctx.lineWidth = 2;
        const cx = m.xDeadline;
        const cy = m.y + m.h / 2;
        ctx.beginPath();
        ctx.moveTo(cx - 4, cy - 4);
        ctx.lineTo(cx + 4, cy + 4);
        ctx.moveTo(cx + 4, cy - 4);
        ctx.lineTo(cx - 4, cy + 4);
        ctx.stroke();
        ctx.lineWidth = 1;
      }
    }
    ctx.globalAlpha = 1;

    // Markers: policy switches.
    for (const mk of this.markers) {
      if (mk.t < w.start || mk.t > w.end) continue;
      const x = Math.round(timeToX(mk.t, w, g)) + 0.5;
      ctx.strokeStyle = MARKER;
      ctx.lineWidth = 1.5;
      ctx.setLineDash([5, 3]);
      ctx.beginPath();
      ctx.moveTo(x, g.top - 4);
      ctx.lineTo(x, height);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = MARKER;
      ctx.font = 'bold 11px system-ui, sans-serif';
      ctx.fillText(mk.label, Math.min(x + 4, plotRight - ctx.measureText(mk.label).width - 2), g.top + 10);
      ctx.font = '12px system-ui, sans-serif';
    }
    ctx.restore();
    c.dataset.rects = String(this.rects.length);
    c.dataset.frames = String(this.marks.length + ((this.marks as { hidden?: number }).hidden ?? 0));
    c.dataset.window = `${w.start.toFixed(6)},${w.end.toFixed(6)}`;
    c.dataset.drawn = String(Number(c.dataset.drawn ?? 0) + 1);
    c.dataset.drawMs = (performance.now() - started).toFixed(2);
  }
}

/** The canvas follows the app's theme (renderer/styles.css variables); tenant colours stay the same. */
function palette(): { ink: string; muted: string; grid: string; laneBg: string; rowBg: string; highlight: string } {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return { ink: v('--ink', '#1d2330'), muted: v('--muted', '#667085'), grid: v('--line', '#e3e6ec'), laneBg: v('--chip', '#f2f4f7'), rowBg: v('--subtle', '#f9fafb'), highlight: v('--warn-bg', '#fef0c7') };
}

function clip(ctx: CanvasRenderingContext2D, text: string, max: number): string {
  if (ctx.measureText(text).width <= max) return text;
  let s = text;
  while (s.length > 1 && ctx.measureText(`${s}…`).width > max) s = s.slice(0, -1);
  return `${s}…`;
}

function hatchPattern(ctx: CanvasRenderingContext2D): CanvasPattern | null {
  const p = document.createElement('canvas');
  p.width = 6;
  p.height = 6;
  const g = p.getContext('2d');
  if (!g) return null;
  g.fillStyle = '#d0d5dd';
  g.fillRect(0, 0, 6, 6);
  g.strokeStyle = '#667085';
  g.lineWidth = 1;
  g.beginPath();
  g.moveTo(0, 6);
  g.lineTo(6, 0);
  g.stroke();
  return ctx.createPattern(p, 'repeat');
}
