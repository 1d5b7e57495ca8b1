// The timeline of one simulated run on a canvas: lanes as rows with a bar per layer (coloured by
// tenant; transfers grey and hatched), then a row per tenant with its frames (release to finish;
// late frames red; dropped frames crossed at their deadline). Zoom with the sliders, the buttons or
// the mouse wheel; drag to pan; hover for details. Another policy's run is fetched with
// simulate.compare (that policy, one seed); the trace downloads through simulate.trace.
// The layout is simulate-timeline.ts (pure, tested); this file only draws and wires events.
import type { EngineClient } from '../../engine/client';
import { color, withAlpha } from '../charts';
import { badge, clear, errorBox, h } from '../dom';
import type { CompareParams, Timeline } from './simulate-model';
import { downloadText, mimeFor } from '../download';
import {
  clampWindow,
  coveredUntil,
  DEFAULT_GEOMETRY,
  formatMs,
  hitJob,
  hitSlice,
  jobCounts,
  layoutJobs,
  layoutSlices,
  longestSlice,
  niceTicks,
  sliderToSpan,
  spanToSlider,
  tenantsTop,
  laneY,
  timelineHeight,
  timeToX,
  xToTime,
  zoomAt,
  type Geometry,
  type JobMark,
  type SliceRect,
  type TimeWindow,
} from './simulate-timeline';

const SLIDER_STEPS = 1000;
const LATE = '#b42318';
const TRANSFER = '#98a2b3';

export interface TimelinePanelOptions {
  client: EngineClient;
  /** The parameters of the comparison this timeline belongs to. */
  params: CompareParams;
  /** Policies compared (the choices), with their labels. */
  policies: string[];
  labels: Map<string, string>;
  timeline: Timeline;
}

export class TimelinePanel {
  readonly el: HTMLElement;
  private timeline: Timeline;
  private longest = 0;
  private window: TimeWindow = { start: 0, end: 1 };
  private rects: SliceRect[] = [];
  private marks: JobMark[] = [];
  private geometry: Geometry = { ...DEFAULT_GEOMETRY };
  private frame = 0;
  private disposed = false;
  private fetching: AbortController | undefined;
  private readonly canvas = h('canvas', { class: 'sim-timeline-canvas', 'data-testid': 'sim-timeline-canvas' });
  private readonly wrap = h('div', { class: 'sim-timeline-wrap' });
  private readonly tip = h('div', { class: 'sim-timeline-tip', hidden: true });
  private readonly startSlider = h('input', { type: 'range', min: 0, max: SLIDER_STEPS, value: 0, 'data-testid': 'sim-timeline-start', 'aria-label': 'Window start' });
  private readonly spanSlider = h('input', { type: 'range', min: 0, max: SLIDER_STEPS, value: SLIDER_STEPS, 'data-testid': 'sim-timeline-span', 'aria-label': 'Window length' });
  private readonly windowText = h('span', { class: 'muted sim-timeline-window' });
  private readonly info = h('div', {});
  private readonly status = h('div', {});
  private readonly legend = h('div', { class: 'sim-legend' });
  private readonly policySelect: HTMLSelectElement;
  private readonly ro: ResizeObserver;
  private readonly listeners = new AbortController();
  private hatch: CanvasPattern | null | undefined;

  constructor(private readonly o: TimelinePanelOptions) {
    this.timeline = o.timeline;
    this.policySelect = h('select', { 'data-testid': 'sim-timeline-policy' }, ...o.policies.map((p) => h('option', { value: p, selected: p === o.timeline.policy }, o.labels.get(p) ?? p)));
    const showBtn = h('button', { class: 'secondary small', onclick: () => void this.fetchPolicy(this.policySelect.value), title: 'Simulates the chosen policy once (first seed, same settings) and shows its timeline' }, 'Show this policy');
    const jsonBtn = h('button', { class: 'small', 'data-testid': 'sim-trace-json', onclick: () => void this.download('json'), title: 'Chrome trace-event JSON of this run: open it in https://ui.perfetto.dev' }, 'Download trace (Perfetto JSON)');
    const csvBtn = h('button', { class: 'secondary small', 'data-testid': 'sim-trace-csv', onclick: () => void this.download('csv'), title: 'Two CSV files: one row per slice, one row per frame' }, 'Download CSV');
    this.startSlider.addEventListener('input', () => this.fromSliders());
    this.spanSlider.addEventListener('input', () => this.fromSliders());
    const zoomBtn = (label: string, factor: number, title: string) => h('button', { class: 'secondary small', title, onclick: () => this.setWindow(zoomAt(this.window, (this.window.start + this.window.end) / 2, factor, this.timeline.horizon)) }, label);
    this.el = h('section', { class: 'card', 'data-testid': 'sim-timeline' },
      h('h2', {}, 'Timeline of one run'),
      h('div', { class: 'row sim-timeline-controls' },
        h('label', {}, 'Policy', this.policySelect), showBtn,
        h('span', { class: 'sim-spacer' }),
        jsonBtn, csvBtn),
      this.status,
      this.info,
      h('div', { class: 'row sim-timeline-zoom' },
        h('label', { class: 'sim-slider' }, 'Window start', this.startSlider),
        h('label', { class: 'sim-slider' }, 'Window length (log scale)', this.spanSlider),
        zoomBtn('Zoom in', 0.5, 'Halve the window around its middle'), zoomBtn('Zoom out', 2, 'Double the window around its middle'),
        h('button', { class: 'secondary small', onclick: () => this.setWindow({ start: 0, end: this.timeline.horizon }) }, 'Whole run'),
        this.windowText),
      this.wrap,
      this.legend,
      h('p', { class: 'muted' }, 'Mouse wheel over the timeline zooms around the pointer; drag to pan; hover for details. Perfetto (ui.perfetto.dev) opens the downloaded JSON with a track per lane and a flow per frame.'),
    );
    this.wrap.append(this.canvas, this.tip);
    this.wireCanvas();
    this.ro = new ResizeObserver(() => this.schedule());
    this.ro.observe(this.wrap);
    this.load(o.timeline);
  }

  dispose(): void {
    this.disposed = true;
    this.listeners.abort();
    this.fetching?.abort();
    this.ro.disconnect();
    cancelAnimationFrame(this.frame);
  }

  private load(t: Timeline): void {
    this.timeline = t;
    this.longest = longestSlice(t.slices);
    this.policySelect.value = t.policy;
    // Start on a readable window: the first 10% of the run (at most 200 ms), not 20,000 slivers.
    const span = Math.min(t.horizon, Math.max(0.02, Math.min(0.2, t.horizon / 10)));
    this.window = clampWindow(0, span, t.horizon);
    const counts = jobCounts(t);
    const released = t.jobs.length;
    clear(this.info);
    this.info.append(h('p', { class: 'sim-timeline-facts' },
      badge(`${this.o.labels.get(t.policy) ?? t.policy}`, 'info'), ' ',
      `seed ${t.seed} · ${t.lanes.length} lanes · ${t.tenants.length} tenants · ${formatMs(t.horizon, t.horizon)} · ${t.slices.length.toLocaleString()} slices · ${released} frames: ${counts.ontime} on time, `,
      h('span', { class: counts.late ? 'sim-bad' : '' }, `${counts.late} late`), ', ',
      h('span', { class: counts.dropped ? 'sim-bad' : '' }, `${counts.dropped} dropped`),
      counts.unfinished ? `, ${counts.unfinished} unfinished at the end` : ''),
      t.truncated ? h('p', { class: 'muted', 'data-testid': 'sim-timeline-truncated' }, `Shows the first ${t.slices.length.toLocaleString()} slices (up to ${formatMs(coveredUntil(t), t.horizon)}); the frame rows cover the whole run and the downloaded trace has every slice. Raise "Timeline slices" under More options to see more.`) : '');
    clear(this.legend);
    this.legend.append(
      ...t.tenants.map((name, i) => h('span', { class: 'sim-legend-item' }, h('i', { style: `background:${color(i)}` }), name)),
      h('span', { class: 'sim-legend-item' }, h('i', { class: 'sim-hatch' }), 'transfer (activations moved between lanes)'),
      h('span', { class: 'sim-legend-item' }, h('i', { style: 'background:#1d2330;width:2px' }), 'release'),
      h('span', { class: 'sim-legend-item' }, h('i', { style: 'background:#667085;width:1px;height:14px' }), 'deadline'),
      h('span', { class: 'sim-legend-item' }, h('i', { style: `background:${LATE}` }), 'late frame'),
      h('span', { class: 'sim-legend-item sim-bad' }, '✕ dropped frame (at its deadline)'),
    );
    this.syncSliders();
    this.schedule();
  }

  private async fetchPolicy(policy: string): Promise<void> {
    if (policy === this.timeline.policy) return;
    this.fetching?.abort();
    const ac = (this.fetching = new AbortController());
    clear(this.status);
    const bar = h('div', { style: 'width:0%' });
    this.status.append(h('div', { class: 'row sim-inline-progress' }, h('div', { class: 'progress sim-progress-small' }, bar), h('span', { class: 'muted' }, `simulating ${policy}…`), h('button', { class: 'secondary small', onclick: () => ac.abort() }, 'Cancel')));
    try {
      const r = await this.o.client.call('simulate.compare', { ...this.o.params, policies: [policy], seeds: 1, timelinePolicy: policy }, { signal: ac.signal, onProgress: (p) => (bar.style.width = `${Math.round((p.fraction ?? 0) * 100)}%`) });
      if (this.disposed || ac.signal.aborted) return;
      clear(this.status);
      if (r.timeline) this.load(r.timeline);
    } catch (e) {
      if (this.disposed) return;
      clear(this.status);
      const err = e as Error & { code?: string };
      this.status.append(err.code === 'cancelled' ? h('p', {}, badge('cancelled', 'warn'), ` ${err.message}`) : errorBox(`Could not simulate ${policy}`, err.message));
      this.policySelect.value = this.timeline.policy;
    } finally {
      if (this.fetching === ac) this.fetching = undefined;
    }
  }

  private async download(format: 'json' | 'csv'): Promise<void> {
    clear(this.status);
    this.status.append(h('p', { class: 'muted' }, `Preparing the ${format.toUpperCase()} trace…`));
    try {
      const t = this.timeline;
      const { policies: _p, seeds: _s, timelinePolicy: _t, timelineSlices: _ts, seed: _seed, ...sim } = this.o.params;
      const r = await this.o.client.call('simulate.trace', { ...sim, policy: t.policy, seed: t.seed, format });
      if (this.disposed) return;
      downloadText(r.filename, r.content, mimeFor(r.filename));
      if (r.jobsCsv) downloadText(r.filename.replace(/\.csv$/, '-jobs.csv'), r.jobsCsv, 'text/csv');
      clear(this.status);
      this.status.append(h('p', { class: 'muted', 'data-testid': 'sim-trace-done' }, `Saved ${r.filename}${r.jobsCsv ? ` and ${r.filename.replace(/\.csv$/, '-jobs.csv')}` : ''} to your downloads.${format === 'json' ? ' Open it in https://ui.perfetto.dev.' : ''}`));
    } catch (e) {
      if (this.disposed) return;
      clear(this.status);
      this.status.append(errorBox('Could not make the trace', (e as Error).message));
    }
  }

  private setWindow(w: TimeWindow): void {
    this.window = clampWindow(w.start, w.end - w.start, this.timeline.horizon);
    this.syncSliders();
    this.schedule();
  }

  private fromSliders(): void {
    const horizon = this.timeline.horizon;
    const span = sliderToSpan(Number(this.spanSlider.value) / SLIDER_STEPS, horizon);
    const start = (Number(this.startSlider.value) / SLIDER_STEPS) * Math.max(0, horizon - span);
    this.window = clampWindow(start, span, horizon);
    this.updateWindowText();
    this.schedule();
  }

  private syncSliders(): void {
    const horizon = this.timeline.horizon;
    const span = this.window.end - this.window.start;
    this.spanSlider.value = String(Math.round(spanToSlider(span, horizon) * SLIDER_STEPS));
    const room = horizon - span;
    this.startSlider.value = String(room > 0 ? Math.round((this.window.start / room) * SLIDER_STEPS) : 0);
    this.updateWindowText();
  }

  private updateWindowText(): void {
    const span = this.window.end - this.window.start;
    this.windowText.textContent = `${formatMs(this.window.start, span)} – ${formatMs(this.window.end, span)} of ${formatMs(this.timeline.horizon, this.timeline.horizon)}`;
  }

  private wireCanvas(): void {
    let drag: { x: number; window: TimeWindow } | undefined;
    this.canvas.addEventListener('wheel', (e) => {
      const x = e.offsetX;
      if (x < this.geometry.left) return;
      e.preventDefault();
      const at = xToTime(x, this.window, this.geometry);
      this.setWindow(zoomAt(this.window, at, e.deltaY > 0 ? 1.25 : 0.8, this.timeline.horizon));
    }, { passive: false });
    this.canvas.addEventListener('mousedown', (e) => {
      drag = { x: e.offsetX, window: { ...this.window } };
    });
    window.addEventListener('mouseup', () => (drag = undefined), { signal: this.listeners.signal });
    this.canvas.addEventListener('mouseleave', () => {
      drag = undefined;
      this.tip.hidden = true;
    });
    this.canvas.addEventListener('mousemove', (e) => {
      if (drag) {
        const dt = ((drag.x - e.offsetX) / Math.max(1, this.geometry.width - this.geometry.left - this.geometry.right)) * (drag.window.end - drag.window.start);
        this.setWindow({ start: drag.window.start + dt, end: drag.window.end + dt });
        this.tip.hidden = true;
        return;
      }
      this.hover(e.offsetX, e.offsetY);
    });
  }

  private hover(x: number, y: number): void {
    const t = this.timeline;
    const span = this.window.end - this.window.start;
    const r = hitSlice(this.rects, x, y);
    let text: string | undefined;
    if (r) {
      const s = t.slices[r.index];
      if (r.count > 1) {
        const t0 = xToTime(r.x, this.window, this.geometry);
        const t1 = xToTime(r.x + r.w, this.window, this.geometry);
        text = `${t.tenants[s[0]]}: ${r.count} ${s[5] === 1 ? 'transfers' : 'layer slices'} on ${t.lanes[s[1]]}, about ${formatMs(t0, span)} – ${formatMs(t1, span)}\n(merged at this zoom: zoom in to see them one by one)`;
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

  private schedule(): void {
    if (this.disposed) return;
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => this.draw());
  }

  private draw(): void {
    if (this.disposed) return;
    const t = this.timeline;
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

    // Row backgrounds and labels.
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    t.lanes.forEach((lane, i) => {
      const y = laneY(i, g);
      ctx.fillStyle = '#f2f4f7';
      ctx.fillRect(g.left, y, plotRight - g.left, g.laneRow);
      ctx.fillStyle = '#1d2330';
      ctx.fillText(clip(ctx, `lane ${lane}`, g.left - 10), 6, y + g.laneRow / 2);
    });
    const capY = tenantsTop(t.lanes.length, g) - g.sectionGap / 2;
    ctx.fillStyle = '#667085';
    ctx.fillText('Frames per tenant: release → finish (late red, dropped ✕)', 6, capY);
    t.tenants.forEach((name, i) => {
      const y = tenantsTop(t.lanes.length, g) + i * (g.tenantRow + g.rowGap);
      ctx.fillStyle = '#f9fafb';
      ctx.fillRect(g.left, y, plotRight - g.left, g.tenantRow);
      ctx.fillStyle = color(i);
      ctx.fillRect(6, y + g.tenantRow / 2 - 4, 8, 8);
      ctx.fillStyle = '#1d2330';
      ctx.fillText(clip(ctx, name, g.left - 28), 20, y + g.tenantRow / 2);
    });

    // Axis and grid.
    ctx.textBaseline = 'alphabetic';
    ctx.textAlign = 'center';
    for (const v of niceTicks(w, Math.max(2, Math.floor((plotRight - g.left) / 110)))) {
      const x = timeToX(v, w, g);
      ctx.strokeStyle = '#e3e6ec';
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(Math.round(x) + 0.5, g.top - 4);
      ctx.lineTo(Math.round(x) + 0.5, height);
      ctx.stroke();
      ctx.fillStyle = '#667085';
      const label = formatMs(v, span);
      const half = ctx.measureText(label).width / 2;
      ctx.fillText(label, Math.min(plotRight - half, Math.max(g.left + half, x)), g.top - 8);
    }
    ctx.textAlign = 'left';

    ctx.save();
    ctx.beginPath();
    ctx.rect(g.left, 0, plotRight - g.left, height);
    ctx.clip();

    // Slices.
    this.rects = layoutSlices(t, w, g, { longest: this.longest });
    if (this.hatch === undefined) this.hatch = hatchPattern(ctx);
    const hatch = this.hatch;
    for (const r of this.rects) {
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
    // Where a truncated timeline stops.
    if (t.truncated) {
      const xe = timeToX(coveredUntil(t), w, g);
      if (xe < plotRight) {
        ctx.fillStyle = 'rgba(102, 112, 133, 0.12)';
        ctx.fillRect(Math.max(g.left, xe), g.top, plotRight - Math.max(g.left, xe), laneY(t.lanes.length, g) - g.top - g.rowGap);
        ctx.fillStyle = '#667085';
        if (xe > g.left) ctx.fillText('slices not kept beyond here (see the trace)', Math.max(g.left, xe) + 6, g.top + 14);
      }
    }

    // Frames.
    this.marks = layoutJobs(t, w, g);
    for (const m of this.marks) {
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
      // Release tick.
      ctx.fillStyle = '#1d2330';
      ctx.fillRect(m.xRelease, m.y, 1.5, m.h);
      // Deadline tick.
      ctx.fillStyle = '#667085';
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
    ctx.restore();
    c.dataset.rects = String(this.rects.length);
    c.dataset.frames = String(this.marks.length);
    c.dataset.policy = t.policy;
    c.dataset.drawn = String(Number(c.dataset.drawn ?? 0) + 1);
  }
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
