// The timeline of one simulated run: lanes as rows with a bar per layer (coloured by tenant;
// transfers grey and hatched), then a row per tenant with its frames. The canvas and its navigation
// (W/S zoom, A/D pan, wheel, drag to select a range and see its statistics, tenant search) are
// timeline-canvas.ts, shared with the Live view; here the sliders, another policy's run (fetched with
// simulate.compare: that policy, one seed), the downloads (simulate.trace) and "Open in Perfetto".
import type { EngineClient } from '../../engine/client';
import { color } from '../charts';
import { badge, clear, errorBox, h } from '../dom';
import type { CompareParams, Timeline } from './simulate-model';
import { downloadText, mimeFor } from '../download';
import { openInPerfetto, perfettoResultText } from '../perfetto';
import { clampWindow, coveredUntil, formatMs, jobCounts, sliderToSpan, spanToSlider, zoomAt, type TimeWindow } from './simulate-timeline';
import { TimelineCanvas } from './timeline-canvas';

const SLIDER_STEPS = 1000;
const LATE = '#b42318';

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
  private window: TimeWindow = { start: 0, end: 1 };
  private disposed = false;
  private sliding = false;
  private fetching: AbortController | undefined;
  private readonly canvas: TimelineCanvas;
  private readonly startSlider = h('input', { type: 'range', min: 0, max: SLIDER_STEPS, value: 0, 'data-testid': 'sim-timeline-start', 'aria-label': 'Window start' });
  private readonly spanSlider = h('input', { type: 'range', min: 0, max: SLIDER_STEPS, value: SLIDER_STEPS, 'data-testid': 'sim-timeline-span', 'aria-label': 'Window length' });
  private readonly windowText = h('span', { class: 'muted sim-timeline-window' });
  private readonly info = h('div', {});
  private readonly status = h('div', {});
  private readonly legend = h('div', { class: 'sim-legend' });
  private readonly policySelect: HTMLSelectElement;

  constructor(private readonly o: TimelinePanelOptions) {
    this.timeline = o.timeline;
    this.canvas = new TimelineCanvas({ testId: 'sim-timeline-canvas', label: 'Timeline of one simulated run', onWindow: (w) => { this.window = w; if (this.sliding) this.updateWindowText(); else this.syncSliders(); } });
    this.policySelect = h('select', { 'data-testid': 'sim-timeline-policy' }, ...o.policies.map((p) => h('option', { value: p, selected: p === o.timeline.policy }, o.labels.get(p) ?? p)));
    const showBtn = h('button', { class: 'secondary small', onclick: () => void this.fetchPolicy(this.policySelect.value), title: 'Simulates the chosen policy once (first seed, same settings) and shows its timeline' }, 'Show this policy');
    const perfettoBtn = h('button', { class: 'small', 'data-testid': 'sim-open-perfetto', onclick: () => void this.perfetto(), title: 'Opens https://ui.perfetto.dev with this run\u2019s trace (needs the internet)' }, 'Open in Perfetto');
    const jsonBtn = h('button', { class: 'secondary small', 'data-testid': 'sim-trace-json', onclick: () => void this.download('json'), title: 'Chrome trace-event JSON of this run: open it in https://ui.perfetto.dev' }, 'Download trace (Perfetto JSON)');
    const csvBtn = h('button', { class: 'secondary small', 'data-testid': 'sim-trace-csv', onclick: () => void this.download('csv'), title: 'Two CSV files: one row per slice, one row per frame' }, 'Download CSV');
    this.startSlider.addEventListener('input', () => this.fromSliders());
    this.spanSlider.addEventListener('input', () => this.fromSliders());
    const zoomBtn = (label: string, factor: number, title: string) => h('button', { class: 'secondary small', title, onclick: () => this.setWindow(zoomAt(this.window, (this.window.start + this.window.end) / 2, factor, this.timeline.horizon)) }, label);
    this.el = h('section', { class: 'card', 'data-testid': 'sim-timeline' },
      h('h2', {}, 'Timeline of one run'),
      h('div', { class: 'row sim-timeline-controls' },
        h('label', {}, 'Policy', this.policySelect), showBtn,
        h('span', { class: 'sim-spacer' }),
        perfettoBtn, jsonBtn, csvBtn),
      this.status,
      this.info,
      h('div', { class: 'row sim-timeline-zoom' },
        h('label', { class: 'sim-slider' }, 'Window start', this.startSlider),
        h('label', { class: 'sim-slider' }, 'Window length (log scale)', this.spanSlider),
        zoomBtn('Zoom in', 0.5, 'Halve the window around its middle'), zoomBtn('Zoom out', 2, 'Double the window around its middle'),
        h('button', { class: 'secondary small', onclick: () => this.setWindow({ start: 0, end: this.timeline.horizon }) }, 'Whole run'),
        this.windowText),
      this.canvas.el,
      this.legend,
      h('p', { class: 'muted' }, 'Hover for details. Perfetto (ui.perfetto.dev) shows the same run with a track per lane and a flow per frame.'),
    );
    this.load(o.timeline);
  }

  dispose(): void {
    this.disposed = true;
    this.fetching?.abort();
    this.canvas.dispose();
  }

  private load(t: Timeline): void {
    this.timeline = t;
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
    this.canvas.canvasElement.dataset.policy = t.policy;
    this.canvas.setData(t, this.window);
    this.syncSliders();
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

  private traceParams() {
    const t = this.timeline;
    const { policies: _p, seeds: _s, timelinePolicy: _t, timelineSlices: _ts, seed: _seed, ...sim } = this.o.params;
    return { ...sim, policy: t.policy, seed: t.seed };
  }

  private async download(format: 'json' | 'csv'): Promise<void> {
    clear(this.status);
    this.status.append(h('p', { class: 'muted' }, `Preparing the ${format.toUpperCase()} trace…`));
    try {
      const r = await this.o.client.call('simulate.trace', { ...this.traceParams(), format });
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

  private async perfetto(): Promise<void> {
    clear(this.status);
    const note = h('p', { class: 'muted', 'data-testid': 'sim-perfetto-status' }, 'Making the trace and opening ui.perfetto.dev…');
    this.status.append(note);
    const result = await openInPerfetto({
      title: `Tessera simulation: ${this.timeline.policy}, seed ${this.timeline.seed}`,
      trace: async () => {
        const r = await this.o.client.call('simulate.trace', { ...this.traceParams(), format: 'json' });
        return { filename: r.filename, content: r.content };
      },
    });
    if (this.disposed) return;
    note.textContent = perfettoResultText(result);
  }

  private setWindow(w: TimeWindow): void {
    this.canvas.setWindow(w);
  }

  private fromSliders(): void {
    const horizon = this.timeline.horizon;
    const span = sliderToSpan(Number(this.spanSlider.value) / SLIDER_STEPS, horizon);
    const start = (Number(this.startSlider.value) / SLIDER_STEPS) * Math.max(0, horizon - span);
    this.window = clampWindow(start, span, horizon);
    this.sliding = true;
    this.canvas.setWindow(this.window);
    this.sliding = false;
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
}
