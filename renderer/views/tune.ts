// The Tune view: start a tune (engine tune.run: scenario, profiles, objective, budget, optional live
// validation), watch the search (progress, best-so-far chart), cancel it, then read the result: the
// candidates table (untuned policies beside the best tuned ones, 95% CIs over seeds), the Pareto
// scatter of miss rate vs energy, predicted vs measured for the live validation, and export the
// schedule (download; it is also stored, and the Export view lists and replays stored schedules).
// The logic is tune-model.ts; this file is DOM only.
import './tune.css';
import { listParam } from '../route';
import { badge, clear, errorBox, h, table } from '../dom';
import { chartIn, color, type Chart } from '../charts';
import { downloadText } from '../download';
import { DASH, fmtPct } from '../format';
import { addBestPoint, bestSoFarSeries, candidateRows, missCapText, DEFAULT_TUNE_FORM, OBJECTIVE_LABELS, paretoScatter, tuneParams, validationRows, type ProgressDetail, type TuneForm, type TuneRunResult } from './tune-model';
import type { View } from './view';

export const tuneView: View = {
  id: 'tune',
  title: 'Tune',
  render(root, { client, navigate, query = {}, consumeQuery }, param) {
    let disposed = false;
    let running: AbortController | undefined;
    const charts: Chart[] = [];
    const destroyCharts = () => charts.splice(0).forEach((c) => c.destroy());

    const field = (id: keyof TuneForm, attrs: Record<string, string | number> = {}) => h('input', { 'data-testid': `tune-${id}`, value: String(DEFAULT_TUNE_FORM[id]), ...attrs });
    const scenario = h('select', { 'data-testid': 'tune-scenario' }, h('option', { value: '' }, 'Loading…'));
    const profiles = field('profiles', { placeholder: 'newest stored profile of each model', size: 34 });
    const profileMissing = h('input', { type: 'checkbox', 'data-testid': 'tune-profileMissing' });
    const calibrated = h('input', { type: 'checkbox', 'data-testid': 'tune-calibrated' });
    const objective = h('select', { 'data-testid': 'tune-objective' }, ...Object.entries(OBJECTIVE_LABELS).map(([k, v]) => h('option', { value: k }, v)));
    const cap = field('energyCapWatts', { type: 'number', min: 0, step: 'any', class: 'tune-num', placeholder: 'W' });
    const budget = field('budgetSec', { type: 'number', min: 1, step: 'any', class: 'tune-num' });
    const candidates = field('candidates', { type: 'number', min: 1, step: 1, class: 'tune-num' });
    const seed = field('seed', { type: 'number', min: 0, step: 1, class: 'tune-num' });
    const validate = field('validateSec', { type: 'number', min: 0, max: 600, step: 'any', class: 'tune-num' });
    const drift = field('speedDrift', { type: 'text', inputmode: 'decimal', class: 'tune-num', placeholder: 'auto', title: 'How much this machine\u2019s speed moves from one run to the next: every simulated run is slowed or sped up as a whole by a log-normal factor with this sd (0: none). Blank: measured from the profiles\u2019 whole-model drift checks' });
    const formErrors = h('div', { 'data-testid': 'tune-form-errors' });
    const start: HTMLButtonElement = h('button', { 'data-testid': 'tune-start', onclick: () => void run() }, 'Start tuning');
    const runArea = h('div', {});
    const resultArea = h('div', {});

    root.append(
      h('header', { class: 'view-header' }, h('h1', {}, 'Tune')),
      h('p', { class: 'muted tune-intro' }, 'Search the best schedule for a scenario in the simulator, on its models\u2019 stored profiles: policy and parameters, lane layout, granularity and queue bound, with successive halving over simulation seeds. The result is a tuned schedule file: replay it from the Export view, or run your models under it with tessera/runtime.'),
      h('section', { class: 'card', 'data-testid': 'tune-form' },
        h('div', { class: 'row tune-row' },
          h('label', {}, 'Scenario', scenario),
          h('label', {}, 'Profiles (ids, comma-separated)', profiles),
          h('label', { class: 'tune-check' }, profileMissing, 'Profile missing models first (short profiles)'),
          h('label', { class: 'tune-check', title: 'Profiles measure one lane at a time; the stored machine calibration (tessera calibrate) adds what lanes running together cost here: interference, dispatch, copies' }, calibrated, 'Apply the machine calibration')),
        h('div', { class: 'row tune-row' },
          h('label', {}, 'Objective', objective),
          h('label', {}, 'Energy cap (W, miss-under-cap only)', cap),
          h('label', {}, 'Budget (s)', budget),
          h('label', {}, 'Candidates at most', candidates),
          h('label', {}, 'Seed', seed),
          h('label', {}, 'Validate live (s each, 0: no)', validate),
          h('label', {}, 'Speed drift (sd)', drift),
          start),
        formErrors,
        h('p', { class: 'muted tune-cli' }, 'From a terminal: ', h('code', {}, 'tessera tune SCENARIO --budget 60s --out schedule.json'))),
      runArea,
      resultArea,
    );

    async function loadScenarios(): Promise<void> {
      try {
        const list = await client.call('scenarios.list', {});
        if (disposed) return;
        clear(scenario);
        const usable = list.filter((s) => !s.error);
        scenario.append(...usable.map((s) => h('option', { value: s.id, title: s.description }, s.id)));
        if (usable.some((s) => s.id === 'mixed/reading_assistant')) scenario.value = 'mixed/reading_assistant';
        // Carried from a scenario's Next steps: that scenario and its profiles (the search chooses the lane layouts).
        if (param && usable.some((s) => s.id === param)) {
          scenario.value = param;
          profiles.value = listParam(query, 'profiles').join(',');
          consumeQuery?.();
        }
      } catch (e) {
        if (!disposed) formErrors.append(errorBox('Could not list the scenarios', (e as Error).message));
      }
    }

    function form(): TuneForm {
      return { scenario: scenario.value, profiles: profiles.value, profileMissing: profileMissing.checked, calibrated: calibrated.checked, speedDrift: drift.value, objective: objective.value, energyCapWatts: cap.value, budgetSec: budget.value, candidates: candidates.value, seed: seed.value, validateSec: validate.value };
    }

    async function run(): Promise<void> {
      clear(formErrors);
      const { params, errors } = tuneParams(form());
      if (!params) {
        formErrors.append(errorBox('Check the form', errors.join('. ')));
        return;
      }
      running?.abort();
      const ac = (running = new AbortController());
      start.disabled = true;
      clear(runArea);
      const bar = h('div', { style: 'width:0%' });
      const msg = h('span', { class: 'muted', 'data-testid': 'tune-progress-message' }, `tuning ${params.scenario}…`);
      const cancel = h('button', { class: 'secondary small', 'data-testid': 'tune-cancel', onclick: () => ac.abort() }, 'Cancel');
      let series: { x: number; y: number }[] = [];
      const live = chartIn({ type: 'line', data: { datasets: [{ label: 'best objective so far', data: [], borderColor: color(0), pointRadius: 0, stepped: true }] }, options: { animation: false, parsing: false, scales: { x: { type: 'linear', title: { display: true, text: 'candidates evaluated (the untuned policies first)' } }, y: { title: { display: true, text: 'objective (lower is better)' } } } } }, { testId: 'tune-progress-chart', height: 220 });
      charts.push(live.chart as unknown as Chart);
      runArea.append(h('section', { class: 'card', 'data-testid': 'tune-running' },
        h('h2', {}, 'Search'),
        h('div', { class: 'row tune-progress-row' }, h('div', { class: 'progress tune-progress', 'data-testid': 'tune-progress' }, bar), cancel), msg, live.box));
      try {
        const r = await client.call('tune.run', params, {
          signal: ac.signal,
          onProgress: (p) => {
            if (disposed) return;
            if (p.fraction !== undefined) bar.style.width = `${Math.round(p.fraction * 100)}%`;
            if (p.message) msg.textContent = p.message;
            const next = addBestPoint(series, p.detail as ProgressDetail | undefined);
            if (next !== series) {
              series = next;
              live.chart.data.datasets[0].data = series;
              live.chart.update('none');
            }
          },
        });
        if (disposed || ac !== running) return;
        bar.style.width = '100%';
        cancel.remove();
        msg.textContent = `${r.result.status === 'infeasible' ? 'infeasible' : r.result.status}: ${r.result.candidatesTried} candidates, ${r.result.simulations} simulations, ${r.wallSec.toFixed(1)} s on ${r.workers} worker thread(s)`;
        live.chart.data.datasets[0].data = bestSoFarSeries(r);
        live.chart.update('none');
        showResult(r);
      } catch (e) {
        if (disposed || ac !== running) return;
        const err = e as Error & { code?: string };
        cancel.remove();
        if (err.code === 'cancelled') msg.replaceWith(h('p', { 'data-testid': 'tune-cancelled' }, badge('cancelled', 'warn'), ' ', err.message));
        else msg.replaceWith(h('div', { 'data-testid': 'tune-error' }, errorBox('The tuner could not run', err.message)));
      } finally {
        if (ac === running) running = undefined;
        start.disabled = false;
      }
    }

    function showResult(r: TuneRunResult): void {
      clear(resultArea);
      const t = r.result;
      if (t.status === 'infeasible') {
        resultArea.append(h('section', { class: 'card', 'data-testid': 'tune-infeasible' },
          h('h2', {}, 'Infeasible ', badge('no schedule', 'bad')),
          h('p', {}, 'No schedule can meet these deadlines: even alone on the machine, with every layer on its fastest lane:'),
          h('ul', {}, ...(t.infeasible ?? []).map((x) => h('li', {}, `${x.tenant}: needs ${x.bestIsolatedMs.toFixed(2)} ms, deadline ${x.deadlineMs.toFixed(2)} ms`))),
          h('p', { class: 'muted' }, 'Lower its frame rate or resolution, relax its deadline, or add a faster lane.')));
        return;
      }
      // Searched anyway: the other tenants were tuned, but these can never meet their deadlines.
      if (t.infeasible?.length) {
        resultArea.append(h('section', { class: 'card', 'data-testid': 'tune-infeasible' },
          h('h2', {}, 'Infeasible tenants ', badge('cannot meet deadlines', 'bad')),
          h('p', {}, 'Even alone on the machine, on its fastest lanes, each of these misses its deadline; the schedule below is marked infeasible for them:'),
          h('ul', {}, ...t.infeasible.map((x) => h('li', {}, `${x.tenant}: needs ${x.bestIsolatedMs.toFixed(2)} ms, deadline ${x.deadlineMs.toFixed(2)} ms`)))));
      }
      const rows = candidateRows(r);
      const paired = t.improvementInterval && t.improvementInterval.n > 1 && Number.isFinite(t.improvementInterval.lo) ? ` [95% CI ${fmtPct(t.improvementInterval.lo)} to ${fmtPct(t.improvementInterval.hi)}, paired seed by seed]` : '';
      const improvement = t.improvement === undefined || t.improvement === null ? DASH : `${(100 * t.improvement).toFixed(1)}% better${paired} than the best untuned policy (${t.bestBaseline?.candidate.policy ?? DASH})`;
      const pts = paretoScatter(r);
      const scatter = chartIn({
        type: 'scatter',
        data: {
          datasets: [
            { label: 'untuned policies', data: pts.untuned, backgroundColor: color(1), pointStyle: 'triangle', pointRadius: 7, clip: false },
            { label: 'tuned candidates', data: pts.tuned, backgroundColor: color(0), pointRadius: 4, clip: false },
            { label: 'Pareto front', data: pts.front, borderColor: color(2), backgroundColor: color(2), showLine: true, pointRadius: 5, clip: false },
          ],
        },
        options: {
          animation: false,
          plugins: { tooltip: { callbacks: { label: (c) => `${(c.raw as { label: string }).label}: ${(c.raw as { y: number }).y.toFixed(1)}% missed, ${(c.raw as { x: number }).x.toFixed(2)} J` } } },
          scales: { x: { title: { display: true, text: `energy per run, J (${r.schedule?.predicted.source.includes('energy: measured') ? 'measured' : 'ESTIMATE'})` } }, y: { title: { display: true, text: 'miss rate, %' }, beginAtZero: true, grace: '5%' } },
          layout: { padding: 8 },
        },
      }, { testId: 'tune-pareto', height: 260 });
      charts.push(scatter.chart as unknown as Chart);
      const vrows = validationRows(r);
      const capRule = missCapText(r);
      const exportButton = h('button', { 'data-testid': 'tune-export', onclick: () => r.schedule && downloadText(`schedule-${r.scenario.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`, `${JSON.stringify(r.schedule, null, 2)}\n`, 'application/json') }, 'Download schedule (JSON)');
      resultArea.append(
        h('section', { class: 'card', 'data-testid': 'tune-best' },
          h('h2', {}, 'Best schedule'),
          h('p', {}, h('strong', {}, rows.find((x) => x.best)?.label ?? DASH)),
          h('p', { 'data-testid': 'tune-improvement' }, `Objective ${t.objective.kind}: ${improvement}. Predicted miss rate ${fmtPct(t.best?.missRate.mean)} (simulator, ${t.simSeeds.length} seeds).`),
          r.speedDrift ? h('p', { class: 'muted', 'data-testid': 'tune-speed-drift' }, `Speed drift: ${r.speedDrift.detail}.`) : null,
          ...(r.wholeModelLimits ?? []).map((x) => h('p', { class: 'muted', 'data-testid': 'tune-whole-model-limits' }, `Fixed variants of ${x.tenant} at model granularity: ${x.reason}; its picks there leave them out, as the live runtime does.`)),
          r.calibration?.length ? h('p', { class: 'muted', 'data-testid': 'tune-calibration' }, `Latencies: the profiles with the machine calibration applied (${r.calibration.map((c) => `${c.lanes.join('+')}: ${c.key}, ${c.createdAt}`).join('; ')}).`) : null,
          h('div', { class: 'row' }, exportButton,
            r.stored ? h('span', { class: 'muted', 'data-testid': 'tune-stored' }, `Stored as ${r.stored.id}. `) : null,
            h('button', { class: 'secondary', 'data-testid': 'tune-open-export', onclick: () => navigate('export') }, 'Replay it (Export view)'))),
        h('section', { class: 'card' },
          h('h2', {}, 'Candidates ', h('span', { class: 'muted tune-sub' }, 'mean [95% CI] over simulation seeds')),
          capRule ? h('p', { class: 'muted', 'data-testid': 'tune-miss-cap' }, capRule) : null,
          h('div', { class: 'tune-scroll' }, table(rows, {
            Kind: (x) => (x.kind === 'tuned' ? badge('tuned', 'info') : badge('untuned', 'warn', 'A policy with the simulator defaults, on the default lanes')),
            Candidate: (x) => h('span', {}, x.label, x.best ? h('span', {}, ' ', badge('best', 'ok')) : null, x.pareto ? h('span', {}, ' ', badge('Pareto', 'info', 'No other candidate has both a lower miss rate and a lower energy')) : null),
            Objective: (x) => x.objective,
            'Miss rate': (x) => x.missRate,
            'Energy (J)': (x) => x.energyJ,
            'p99': (x) => x.p99Ms,
          }, { class: 'data', 'data-testid': 'tune-candidates-table' }))),
        h('section', { class: 'card' },
          h('h2', {}, 'Misses vs energy ', h('span', { class: 'muted tune-sub' }, 'every summarised candidate; the line joins the Pareto front')),
          scatter.box),
        h('section', { class: 'card', 'data-testid': 'tune-validation' },
          h('h2', {}, 'Live validation ', h('span', { class: 'muted tune-sub' }, 'predicted (simulator) vs measured (a short live run on this machine)')),
          vrows.length
            ? table(vrows, { Schedule: (v) => v.which, Policy: (v) => v.policy, 'Predicted miss': (v) => v.predicted, 'Measured miss': (v) => v.measured, Difference: (v) => v.diffPts, Energy: (v) => v.energy, 'Re-simulated (hindsight)': (v) => v.hindsight }, { class: 'data', 'data-testid': 'tune-validation-table' })
            : h('p', { class: 'muted' }, 'Not validated live: set "Validate live" to a few seconds, or replay the schedule from the Export view.')),
      );
    }

    void loadScenarios();
    return () => {
      disposed = true;
      running?.abort();
      destroyCharts();
    };
  },
};
