// Variants view: a profile's layer variants (tessera variants / engine variants.run), per layer the
// variants x lanes (latency with its CI, speed-up, error), the error-vs-latency scatter with its
// Pareto front, Terastal's latency-gap reduction per layer, and the combinations verified together
// with the whitelist a tenant's limits give (maxOutputRelErr; task level: maxTop1Drop, minMapIoU, maxDecisionChange). A form runs variants.run
// on a model or profile (progress, cancel keeps what was verified and measured) and shows the result.
// Figures and the form's parameters: variants-model.ts.
import type { Profile } from '../../profiler/types';
import { chartIn, color, withAlpha } from '../charts';
import { badge, clear, errorBox, h, table } from '../dom';
import { combinationRows, modelVariantRows, paretoFront, scatterPoints, variantRows, variantsRunRequest, type ModelVariantRow, type VariantRow } from './variants-model';
import type { View } from './view';

const num = (x: number | undefined, d = 3) => (x === undefined || !Number.isFinite(x) ? '-' : x.toPrecision(d));

export const variantsView: View = {
  id: 'variants',
  title: 'Variants',
  render(root, ctx, param) {
    const picker = h('select', { 'aria-label': 'Profile', 'data-testid': 'variants-profile', onchange: () => ctx.replaceParam?.(picker.value) ?? undefined }) as HTMLSelectElement;
    const show = h('button', { onclick: () => void load(picker.value) }, 'Show');
    const body = h('div', { class: 'stack' }, h('p', { class: 'muted' }, 'Pick a profile that `tessera variants` has run on.'));
    const charts: { destroy(): void }[] = [];
    let disposed = false;
    let running: AbortController | undefined;

    // Generate: a model (library id or ONNX path) or a stored profile, some kinds, lanes, budget, layers.
    const field = (label: string, testId: string, value: string, title: string, attrs: Record<string, string> = {}) => {
      const input = h('input', { type: 'text', value, 'data-testid': testId, title, ...attrs }) as HTMLInputElement;
      return { input, el: h('label', {}, `${label} `, input) };
    };
    const library = h('datalist', { id: 'variants-library' });
    const target = field('Model or profile', 'variants-target', '', 'A model library id (npm/ppocr-v4-rec), an ONNX file path, or a stored profile id', { list: 'variants-library', placeholder: 'npm/ppocr-v4-rec' });
    const kinds = field('Kinds', 'variants-kinds', 'exact,fp16,int8-static,lowrank,reshape', 'Families (exact, fp16, int8, lowrank, prune, reshape) or kind ids (int8-static, split-out=4, ...), comma-separated; empty: every kind');
    const lanes = field('Lanes', 'variants-lanes', 'cpu:1,cpu:2', 'Lane ids, comma-separated (as tessera variants --lanes); empty: the profile\u2019s lanes');
    const budget = field('Budget s per lane', 'variants-budget', '5', 'Measurement budget per lane, seconds', { inputmode: 'decimal' });
    const layers = field('Layers', 'variants-layers', '', 'Layer indices or ranges (0,3,5 or 0-4); empty: every layer', { placeholder: 'all' });
    const start = h('button', { 'data-testid': 'variants-start', onclick: () => void generate() }, 'Generate and measure');
    const runArea = h('div', { class: 'stack', 'data-testid': 'variants-run' });
    const formCard = h('section', { class: 'card' }, h('h2', {}, 'Generate variants'),
      h('p', { class: 'muted' }, 'Cuts the model, generates every kind on every chosen layer, verifies them on the activations of the library\u2019s sample inputs (exact within 1e-5; approximate with layer and end-to-end errors), then measures each verified variant beside the original on every lane. A new model is profiled first.'),
      h('div', { class: 'row' }, target.el, kinds.el, lanes.el, budget.el, layers.el, start), library, runArea);
    root.append(h('header', { class: 'view-header' }, h('h1', {}, 'Layer variants'), picker, show), formCard, body);

    async function generate(): Promise<void> {
      clear(runArea);
      const { params, errors } = variantsRunRequest({ target: target.input.value, kinds: kinds.input.value, lanes: lanes.input.value, budgetSec: budget.input.value, layers: layers.input.value });
      if (!params) {
        runArea.append(errorBox('Check the form', errors.join('. ')));
        return;
      }
      running?.abort();
      const ac = (running = new AbortController());
      start.disabled = true;
      const bar = h('div', { style: 'width:0%' });
      const msg = h('span', { class: 'muted', 'data-testid': 'variants-progress-message' }, `variants of ${params.target}\u2026`);
      const cancel = h('button', { class: 'secondary small', 'data-testid': 'variants-cancel', onclick: () => ac.abort() }, 'Cancel');
      runArea.append(h('div', { class: 'row' }, h('div', { class: 'progress', style: 'flex:1', 'data-testid': 'variants-progress' }, bar), cancel), msg);
      try {
        const r = await ctx.client.call('variants.run', params, {
          signal: ac.signal,
          onProgress: (p) => {
            if (disposed) return;
            if (p.fraction !== undefined) bar.style.width = `${Math.round(p.fraction * 100)}%`;
            if (p.message) msg.textContent = p.message;
          },
        });
        if (disposed || ac !== running) return;
        bar.style.width = '100%';
        cancel.remove();
        const verified = r.summary.kinds.reduce((a, k) => a + k.verified, 0);
        msg.textContent = `${r.profile.variantRun?.status ?? 'done'}: ${verified} verified variants, stored in profile ${r.profile.id}`;
        if (![...picker.options].some((o) => o.value === r.profile.id)) picker.append(h('option', { value: r.profile.id }, `${r.profile.model.name} (${r.profile.id})`));
        picker.value = r.profile.id;
        void load(r.profile.id);
      } catch (e) {
        if (disposed || ac !== running) return;
        const err = e as Error & { code?: string };
        cancel.remove();
        if (err.code === 'cancelled') msg.replaceWith(h('p', { 'data-testid': 'variants-cancelled' }, badge('cancelled', 'warn'), ' ', err.message));
        else msg.replaceWith(h('div', { 'data-testid': 'variants-error' }, errorBox('Variants could not run', err.message)));
      } finally {
        if (ac === running) running = undefined;
        start.disabled = false;
      }
    }

    void (async () => {
      try {
        void ctx.client.call('scenarios.models', {}).then((models) => {
          for (const m of models) if (m.available) library.append(h('option', { value: m.id }));
        }, () => undefined);
        const list = await ctx.client.call('profiles.list', {});
        for (const p of list) picker.append(h('option', { value: p.id }, `${p.model} (${p.id})`));
        if (param) picker.value = param;
        if (param || list.length) void load(picker.value);
      } catch (e) {
        body.replaceChildren(errorBox('Could not list the profiles', (e as Error).message));
      }
    })();

    async function load(id: string) {
      if (!id) return;
      ctx.replaceParam?.(id);
      for (const c of charts.splice(0)) c.destroy();
      clear(body);
      body.append(h('p', { class: 'muted' }, 'Loading…'));
      try {
        const { profile } = await ctx.client.call('variants.get', { id });
        clear(body);
        body.append(...render(profile));
      } catch (e) {
        clear(body);
        body.append(errorBox(`Profile ${id} has no layer variants to show`, `${(e as Error).message}`));
      }
    }

    function render(p: Profile): HTMLElement[] {
      const rows = variantRows(p);
      const lanes = p.variantRun?.lanes.map((l) => l.id) ?? [];
      const out: HTMLElement[] = [];
      const run = p.variantRun!;
      out.push(h('p', { class: 'muted' }, `${p.model.name}: ${run.status} variant run of ${run.createdAt}, kinds ${run.kinds.join(', ')}, on ${lanes.join(', ')}; activations from ${run.samples}. Approximate errors are in-sample figures on those activations.`));

      // Per layer: variants x lanes.
      const cols: Record<string, (r: VariantRow) => string | HTMLElement> = {
        Layer: (r) => `L${r.layer} ${r.layerName}`,
        Variant: (r) => h('span', {}, r.variant, ' ', r.variant === 'original' ? '' : r.exact ? badge('exact', 'ok') : badge('approx', 'warn')),
        Verified: (r) => (r.variant === 'original' ? '' : r.passed ? 'yes' : h('span', { title: r.why ?? '' }, badge('rejected', 'bad'))),
        Error: (r) => (r.errorKind ? `${num(r.error, 2)} (${r.errorKind})` : ''),
      };
      lanes.forEach((lane, i) => {
        cols[`${lane} ms ± CI`] = (r) => {
          const c = r.lanes[i];
          if (!c) return '';
          if (c.error) return h('span', { title: c.error }, badge('error', 'bad'));
          return c.ms === undefined ? '-' : `${num(c.ms)}${c.ciMs !== undefined ? ` ± ${num(c.ciMs, 2)}` : ''}`;
        };
        cols[`${lane} speed-up`] = (r) => (r.lanes[i]?.speedup !== undefined ? `×${r.lanes[i].speedup!.toFixed(2)}` : '');
      });
      out.push(h('section', { class: 'card' }, h('h2', {}, 'Variants per layer and lane'), table(rows, cols, { class: 'data', 'data-testid': 'variants-table' })));

      // Kinds that do not apply, per layer, with the reason each gave.
      const skipped = p.layers.flatMap((l) => (l.variants?.inapplicable ?? []).map((r) => ({ layer: l, r })));
      if (skipped.length) {
        out.push(h('section', { class: 'card' }, h('h2', {}, 'Kinds that do not apply'),
          table(skipped, { Layer: ({ layer }) => `L${layer.index} ${layer.name}`, Kind: ({ r }) => r.kind, Why: ({ r }) => r.reason }, { class: 'data', 'data-testid': 'variants-inapplicable' })));
      }

      // Model-level variants: whole other models (tessera variants --kinds resolution,arch-prune).
      const mv = modelVariantRows(p);
      if (mv.rows.length || mv.inapplicable.length) {
        const mcols: Record<string, (r: ModelVariantRow) => string | HTMLElement> = {
          Variant: (r) => h('span', { title: r.notes.join('\n') }, r.id, ' ', badge('model', 'warn')),
          Verified: (r) => (r.passed ? 'yes' : h('span', { title: r.why ?? '' }, badge('rejected', 'bad'))),
          'End-to-end rel L2': (r) => num(r.relL2, 3),
          Task: (r) => r.task || '-',
          Layers: (r) => (r.layers !== undefined ? String(r.layers) : '-'),
        };
        lanes.forEach((lane, i) => {
          mcols[`${lane} ms (whole)`] = (r) => (r.lanes[i]?.error ? h('span', { title: r.lanes[i].error! }, badge('error', 'bad')) : num(r.lanes[i]?.ms));
          mcols[`${lane} speed-up`] = (r) => (r.lanes[i]?.speedup !== undefined ? `×${r.lanes[i].speedup!.toFixed(2)}` : '');
        });
        out.push(h('section', { class: 'card' }, h('h2', {}, 'Model variants (whole models)'),
          h('p', { class: 'muted' }, 'Another graph with the same inputs and outputs, profiled as its own model; DREAM switches a tenant to it under overload (all its layers or none). Speed-up: the profile\'s whole-model median / the variant\'s (not measured back to back).'),
          table(mv.rows, mcols, { class: 'data', 'data-testid': 'variants-model' }),
          ...mv.inapplicable.map((x) => h('p', { class: 'muted' }, `${x.kind}: does not apply: ${x.reason}`))));
      }

      // Error vs latency, with the Pareto front.
      const pts = scatterPoints(rows);
      const front = paretoFront(pts);
      const sc = chartIn<'scatter'>({
        type: 'scatter',
        data: {
          datasets: [
            { label: 'verified variants', data: pts.map((q) => ({ x: Math.max(q.error, 1e-9), y: q.relLatency })), backgroundColor: withAlpha(color(0), 0.6) },
            { label: 'Pareto front', data: front.map((q) => ({ x: Math.max(q.error, 1e-9), y: q.relLatency })), borderColor: color(1), backgroundColor: color(1), showLine: true },
          ],
        },
        options: {
          animation: false,
          scales: { x: { type: 'logarithmic', title: { display: true, text: 'error (exact: layer max rel; approximate: end-to-end rel L2)' } }, y: { title: { display: true, text: 'best latency / original (lower is faster)' } } },
          plugins: { tooltip: { callbacks: { label: (c) => { const q = (c.datasetIndex === 0 ? pts : front)[c.dataIndex]; return `${q.label}: error ${num(q.error, 2)}, ×${(1 / q.relLatency).toFixed(2)} faster`; } } } },
        },
      }, { testId: 'variants-scatter', height: 280 });
      charts.push(sc.chart);
      out.push(h('section', { class: 'card' }, h('h2', {}, 'Error vs latency'), sc.box,
        h('p', { class: 'muted' }, `${pts.length} verified, measured variants; ${front.length} on the Pareto front (${front.map((q) => q.label).join(', ') || 'none'}).`)));

      // Latency-gap reduction per layer (Terastal).
      const gaps = p.layers.flatMap((l) => (l.variants?.gaps ?? []).map((g) => ({ layer: l, g })));
      out.push(h('section', { class: 'card' }, h('h2', {}, 'Latency-gap reduction (Terastal)'),
        gaps.length
          ? table(gaps, {
            Layer: ({ layer }) => `L${layer.index} ${layer.name}`,
            'Preferred lane': ({ layer }) => layer.variants?.preferredLane ?? '-',
            Lane: ({ g }) => g.lane,
            'Original gap': ({ g }) => `×${g.originalGap.toFixed(2)}`,
            'Best gap': ({ g }) => `×${g.bestGap.toFixed(2)} (${g.bestVariant})`,
            Reduction: ({ g }) => `×${g.reduction.toFixed(2)}`,
            'Exact only': ({ g }) => `×${g.exactReduction.toFixed(2)} (${g.bestExactVariant})`,
          }, { class: 'data', 'data-testid': 'variants-gaps' })
          : h('p', { class: 'muted' }, 'One lane measured: no gap between lanes to reduce.')));

      // Combinations verified together and the whitelist under a limit.
      const limit = h('input', { type: 'number', step: 'any', min: '0', value: '0.05', 'data-testid': 'variants-limit', title: 'maxOutputRelErr of a tenant' }) as HTMLInputElement;
      const top1 = h('input', { type: 'number', step: 'any', min: '0', max: '1', placeholder: 'none', 'data-testid': 'variants-top1', title: 'maxTop1Drop of a tenant (0..1)' }) as HTMLInputElement;
      const iou = h('input', { type: 'number', step: 'any', min: '0', max: '1', placeholder: 'none', 'data-testid': 'variants-iou', title: 'minMapIoU of a tenant (0..1): PP-OCR det probability-map IoU at 0.3' }) as HTMLInputElement;
      const vad = h('input', { type: 'number', step: 'any', min: '0', max: '1', placeholder: 'none', 'data-testid': 'variants-vad', title: 'maxDecisionChange of a tenant (0..1): share of VAD speech/no-speech decisions changed' }) as HTMLInputElement;
      const comboBox = h('div', {});
      const opt = (x: HTMLInputElement) => (x.value === '' ? undefined : Number(x.value));
      const drawCombos = () => {
        const lim = { maxOutputRelErr: opt(limit), maxTop1Drop: opt(top1), minMapIoU: opt(iou), maxDecisionChange: opt(vad) };
        const cr = combinationRows(p, lim);
        const inList = cr.filter((c) => !c.outside).length;
        comboBox.replaceChildren(
          h('p', {}, `${inList} of ${cr.length} measured combinations are whitelisted under these limits (a frame may run any subset of one of them).`),
          table(cr, {
            Combination: (c) => c.id,
            Layers: (c) => String(c.members),
            'End-to-end rel L2': (c) => num(c.relL2, 3),
            'Sum of singles': (c) => (c.sumOfSingles !== undefined ? num(c.sumOfSingles, 3) : ''),
            'Top-1 drop': (c) => (c.top1Drop !== undefined ? `${(100 * c.top1Drop).toFixed(1)}%` : '-'),
            'Map IoU': (c) => (c.mapIoU !== undefined ? num(c.mapIoU, 3) : '-'),
            'VAD decisions changed': (c) => (c.decisionChange !== undefined ? `${(100 * c.decisionChange).toFixed(1)}%` : '-'),
            Whitelist: (c) => (c.outside ? h('span', { title: c.outside }, badge('out', 'bad'), ` ${c.outside}`) : badge('in', 'ok')),
          }, { class: 'data', 'data-testid': 'variants-combos' }),
        );
      };
      for (const x of [limit, top1, iou, vad]) x.oninput = drawCombos;
      drawCombos();
      out.push(h('section', { class: 'card' }, h('h2', {}, 'Combinations verified together and a tenant\'s whitelist'),
        h('p', { class: 'muted' }, 'Approximate variants made one layer at a time do not compose (Terastal): each combination was substituted into the whole model at once and measured end to end.'),
        h('label', {}, 'maxOutputRelErr ', limit), ' ', h('label', {}, 'maxTop1Drop ', top1), ' ', h('label', {}, 'minMapIoU ', iou), ' ', h('label', {}, 'maxDecisionChange ', vad), comboBox));
      return out;
    }

    return () => {
      disposed = true;
      running?.abort();
      for (const c of charts.splice(0)) c.destroy();
    };
  },
};
