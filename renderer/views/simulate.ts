// The Simulate view: compare scheduling policies on a scenario in the engine's discrete-event
// simulator (simulate.compare, a job with progress and Cancel). Synthetic XRBench workloads carry a
// generated latency table and are labelled synthetic everywhere; library scenarios simulate on
// stored (measured) profiles of their models. Results: where the latencies and the energy come from,
// the UXCost and XRBench definitions, the comparison table (best per column, sortable), charts
// (miss rate per tenant, energy and UXCost with their spread over seeds, lane utilisation) and the
// timeline of one run with trace downloads.
//
// The last form and result live at module level: leaving the view and coming back shows them again.
// Pure logic: simulate-model.ts and simulate-timeline.ts.
import './simulate.css';
import type { ResultOf } from '../../engine/api';
import type { EngineClient } from '../../engine/client';
import { XRBENCH_CONSTANTS } from '../../scheduler/core/metrics';
import { Chart, chartIn, color, withAlpha, withTable } from '../charts';
import { badge, clear, errorBox, h } from '../dom';
import {
  bestPerColumn,
  compareParams,
  DEFAULT_FORM,
  DEFAULT_POLICIES,
  defaultScenario,
  hasHardwareAccelerator,
  validLastResult,
  validSimForm,
  fixed,
  groupPolicies,
  isSynthetic,
  laneUtilisation,
  latencySourceText,
  meanAndRange,
  METRIC_COLUMNS,
  nextSort,
  pct,
  perTenantMiss,
  policyTooltip,
  sig,
  sortRows,
  suggestProfiles,
  syntheticLabel,
  type CompareParams,
  type MetricKey,
  type PolicyInfo,
  type SimForm,
  type SimulateResult,
  type SortState,
  type SimGranularity,
} from './simulate-model';
import { variantUseBlock } from './variant-use-view';
import { savedId } from './history-model';
import { TimelinePanel } from './simulate-timeline-view';
import { errorHint } from '../error-hints';
import type { View } from './view';
import { warningList } from '../warnings';
import { isRecord, remembered } from '../remember';
import { listParam } from '../route';

type FoundLoad = ResultOf<'simulate.findLoad'>;

type ScenarioSummary = ResultOf<'scenarios.list'>[number];
type ProfileSummary = ResultOf<'profiles.list'>[number];

/** The form and the last result are remembered (renderer/remember.ts): leaving the view, a reload or a restart keeps them. */
const formMemory = remembered('simulate.form', 1, validSimForm);
const lastMemory = remembered('simulate.last', 1, validLastResult);
let form: SimForm | undefined;
let last: { params: CompareParams; result: SimulateResult } | undefined;

/** The id of the last result in the engine's simulations store (simulations.get), when it was stored there. */
const lastIdMemory = remembered('simulate.lastId', 1, (x) => (isRecord(x) && typeof x.id === 'string' && x.id ? { id: x.id } : undefined));

/**
 * Keeps the last result for a reload: by its id in the engine's store where it was stored, else in
 * the browser (one too large for the storage without its timeline, then not at all).
 */
function keepLast(l: { params: CompareParams; result: SimulateResult }): void {
  const savedId = (l.result as { savedId?: string }).savedId;
  if (savedId) {
    lastIdMemory.save({ id: savedId });
    lastMemory.clear();
    return;
  }
  lastIdMemory.clear();
  if (lastMemory.save(l)) return;
  const { timeline: _t, ...rest } = l.result;
  if (!lastMemory.save({ params: l.params, result: rest as SimulateResult })) lastMemory.clear();
}

interface Catalog {
  policies: PolicyInfo[];
  synthetic: string[];
  note: string;
  scenarios: ScenarioSummary[];
  profiles: ProfileSummary[];
  /** What could not be loaded (each list is still usable without the others). */
  problems: string[];
}

async function loadCatalog(client: EngineClient): Promise<Catalog> {
  const problems: string[] = [];
  const settle = async <T>(what: string, p: Promise<T>, fallback: T): Promise<T> => {
    try {
      return await p;
    } catch (e) {
      problems.push(`${what}: ${(e as Error).message}`);
      return fallback;
    }
  };
  const [policies, sims, scenarios, profiles] = await Promise.all([
    settle('policies', client.call('policies.list', {}), [] as PolicyInfo[]),
    settle('synthetic scenarios', client.call('simulate.scenarios', {}), { synthetic: [] as string[], note: '' }),
    settle('scenario library', client.call('scenarios.list', {}), [] as ScenarioSummary[]),
    settle('stored profiles', client.call('profiles.list', {}), [] as ProfileSummary[]),
  ]);
  return { policies, synthetic: sims.synthetic, note: sims.note, scenarios, profiles, problems };
}

export const simulateView: View = {
  id: 'simulate',
  title: 'Simulate',
  render(root, { client, navigate, query = {}, consumeQuery, replaceParam }, param) {
    let disposed = false;
    let running: AbortController | undefined;
    const charts: Chart[] = [];
    let timeline: TimelinePanel | undefined;
    let policyList: PolicyInfo[] = [];

    const formArea = h('div', {}, h('p', { class: 'muted' }, 'Loading policies, scenarios and profiles…'));
    const runArea = h('div', { 'data-testid': 'sim-run' });
    const results = h('div', { 'data-testid': 'sim-results' });
    root.append(
      h('header', { class: 'view-header' }, h('h1', {}, 'Simulate'),
        h('span', { class: 'muted' }, 'Compare scheduling policies in the discrete-event simulator')),
      formArea, runArea, results,
    );

    function destroyResults(): void {
      charts.splice(0).forEach((c) => c.destroy());
      timeline?.dispose();
      timeline = undefined;
      clear(results);
    }

    // #/simulate/saved:<id> reopens a stored simulation (the History view's Open).
    const stored = savedId(param);
    const fetched = stored ? client.call('simulations.get', { id: stored }).then((rec) => ({ rec }), (e: Error) => ({ error: e })) : undefined;
    const remembered = form ?? formMemory.load();
    // After a reload with nothing carried: the last result, by its id in the engine's simulations store
    // (or, for results from before the store, the remembered result itself).
    const storedId = stored || last ? undefined : lastIdMemory.load()?.id;
    const reopened = !stored && !last && (!!storedId || !!(last = lastMemory.load()));
    void loadCatalog(client).then(async (cat) => {
      if (disposed) return;
      policyList = cat.policies;
      let why = '';
      let f: SimForm = remembered ?? { ...DEFAULT_FORM, profiles: [], policies: [...DEFAULT_POLICIES] };
      const got = await fetched;
      if (disposed) return;
      if (got && 'rec' in got) {
        const rec = got.rec;
        const lanes = rec.params.lanes;
        f = { ...f, scenario: rec.scenario, profiles: Array.isArray(rec.params.profiles) ? (rec.params.profiles as string[]) : [], policies: [...rec.policies], lanes: Array.isArray(lanes) ? lanes.join(',') : '' };
        last = { params: rec.params as CompareParams, result: rec.result as SimulateResult };
      } else if (param && !stored) {
        // Carried from another view (a scenario's "Simulate"): its scenario, profiles and lanes.
        const profiles = listParam(query, 'profiles');
        const lanes = listParam(query, 'lanes');
        f = { ...f, scenario: param, profiles: isSynthetic(param) ? [] : profiles.length ? profiles : param === f.scenario ? f.profiles : [], lanes: lanes.length ? lanes.join(',') : param === f.scenario ? f.lanes : '' };
      } else if (!remembered) {
        // First visit: a scenario that fits this machine (not a GPU workload on a machine without one).
        let gpu = false;
        try {
          gpu = hasHardwareAccelerator(await client.call('lanes.list', {}));
        } catch {
          // unknown: no GPU assumed
        }
        if (disposed) return;
        const d = defaultScenario({ synthetic: cat.synthetic, scenarios: cat.scenarios, profiles: cat.profiles, hardwareGpu: gpu });
        f = { ...f, scenario: d.scenario, profiles: d.profiles };
        why = d.why;
      }
      form = f;
      formMemory.save(form);
      consumeQuery?.();
      clear(formArea);
      formArea.append(buildForm(cat, why));
      if (got && 'error' in got) results.append(errorBox(`Could not reopen simulation ${stored}`, `${got.error.message} The History view lists the stored simulations.`));
      else {
        if (storedId) {
          try {
            const rec = await client.call('simulations.get', { id: storedId });
            if (disposed) return;
            last = { params: rec.params as unknown as CompareParams, result: rec.result as SimulateResult };
          } catch {
            lastIdMemory.clear(); // deleted or unreadable: nothing to reopen
          }
        }
        if (last) showResults(last.params, last.result, reopened);
      }
    });

    // -----------------------------------------------------------------------------------------
    // The form
    // -----------------------------------------------------------------------------------------
    const getForm = (): SimForm => (form ??= { ...DEFAULT_FORM, profiles: [], policies: [...DEFAULT_POLICIES] });
    function buildForm(cat: Catalog, why: string): HTMLElement {
      const form = getForm();
      const known = new Set([...cat.synthetic, ...cat.scenarios.map((s) => s.id)]);
      const scenarioSel = h('select', { 'data-testid': 'sim-scenario', class: 'sim-scenario' },
        h('optgroup', { label: 'Synthetic: XRBench models and rates, GENERATED latency tables (not measured)' },
          ...cat.synthetic.map((s) => h('option', { value: s }, syntheticLabel(s)))),
        cat.scenarios.length ? h('optgroup', { label: 'Library scenarios: simulated on your measured profiles' },
          ...cat.scenarios.map((s) => h('option', { value: s.id, disabled: !!s.error, title: s.error ?? s.description }, `${s.id}${s.name !== s.id ? ` (${s.name})` : ''}${s.error ? ' (invalid)' : ''}`))) : null,
        known.has(form.scenario) ? null : h('option', { value: form.scenario }, form.scenario),
      );
      scenarioSel.value = form.scenario;

      const scenarioNote = h('div', { class: 'sim-scenario-note' });
      const profileBox = h('div', {});
      const loadInput = h('input', { type: 'number', step: 'any', min: 0, value: form.load, class: 'sim-num', 'data-testid': 'sim-load' });
      const loadHelp = h('span', { class: 'muted sim-help' });
      const loadNote = h('p', { class: 'sim-small', 'data-testid': 'sim-load-note', hidden: true });

      function refreshScenario(): void {
        const id = scenarioSel.value;
        form.scenario = id;
        clear(scenarioNote);
        clear(profileBox);
        if (isSynthetic(id)) {
          scenarioNote.append(badge('synthetic', 'warn', 'The latency table is generated, not measured'), ' ',
            h('span', {}, `${syntheticLabel(id)}: XRBench's models, frame rates and cascades with a generated per-layer latency table on two synthetic lanes (cpu, gpu) and synthetic lane powers. Nothing here was measured on this machine.`));
          loadInput.placeholder = 'auto';
          loadHelp.textContent = `Load = utilisation of the busiest lane (every layer on its fastest lane); > 1 is overload. Empty: found by a quick search for a load at which the policies differ (at a light load they all tie).`;
          return;
        }
        const sc = cat.scenarios.find((s) => s.id === id);
        loadInput.placeholder = 'auto';
        loadHelp.textContent = 'Frame rates scaled so that the busiest lane reaches this utilisation (every layer on its fastest lane); > 1 is overload. Empty: found by a quick search for a load at which the policies differ.';
        scenarioNote.append(badge('measured', 'ok', 'Latencies come from your stored profiles'), ' ',
          h('span', {}, `${sc?.description ?? id}`));
        const models = sc?.tenants.map((t) => t.model) ?? [];
        if (!form.profiles.length) form.profiles = suggestProfiles(models, cat.profiles);
        const usable = cat.profiles.filter((p) => !p.error);
        const sel = h('select', { multiple: true, size: Math.min(8, Math.max(3, usable.length)), 'data-testid': 'sim-profiles', class: 'sim-profiles' },
          ...usable.map((p) => h('option', { value: p.id, selected: form.profiles.includes(p.id) }, `${p.id} · ${p.model} · ${p.lanes.join(', ')} · ${new Date(p.createdAt).toLocaleDateString()}`)));
        sel.addEventListener('change', () => (form.profiles = [...sel.selectedOptions].map((o) => o.value)));
        const lanes = h('input', { type: 'text', value: form.lanes, size: 22, placeholder: 'every lane the profiles share', 'data-testid': 'sim-lanes', spellcheck: 'false' });
        lanes.addEventListener('input', () => (form.lanes = lanes.value));
        profileBox.append(h('div', { class: 'sim-profile-box' },
          h('p', {}, h('strong', {}, 'Profiles (required for a library scenario). '),
            'The simulator takes every layer\'s latency on every lane from a stored, measured profile of each tenant\'s model. Select one profile per model (Ctrl/⌘-click for several); the engine matches them to the tenants and says which tenant has none.'),
          sc ? h('ul', { class: 'sim-tenants' }, ...sc.tenants.map((t) => h('li', {}, h('code', {}, t.id), ` → model ${t.model} (${t.rate}${t.cascade ? `, ${t.cascade}` : ''})`))) : null,
          usable.length
            ? h('div', { class: 'row' }, h('label', {}, `Stored profiles (${usable.length})`, sel),
              h('label', { title: 'Comma-separated lanes the profiles measured; a repeated lane is a second lane of that kind (e.g. cpu:1,cpu:1)' }, 'Lanes (optional)', lanes))
            : h('p', { class: 'muted', 'data-testid': 'sim-no-profiles' }, 'No stored profiles yet. Profile the scenario\'s models first: ',
              h('button', { class: 'secondary small', onclick: () => navigate('profiles') }, 'Open Profiles'), ' or from a terminal ', h('code', {}, 'tessera profile MODEL'), '. Or pick a synthetic scenario.'),
        ));
      }
      scenarioSel.addEventListener('change', () => {
        form.profiles = [];
        form.lanes = '';
        whyNote.hidden = true;
        refreshScenario();
        replaceParam?.(form.scenario);
      });
      const whyNote = h('p', { class: 'muted sim-small', 'data-testid': 'sim-default-why', hidden: !why }, `Opened on ${why}.`);

      // Policies by family.
      const checks = new Map<string, HTMLInputElement>();
      const groups = groupPolicies(cat.policies).map((g) => h('fieldset', { class: 'sim-policy-group' },
        h('legend', {}, g.label),
        ...g.policies.map((p) => {
          const cb = h('input', { type: 'checkbox', value: p.name, checked: form.policies.includes(p.name), 'data-policy': p.name });
          cb.addEventListener('change', () => (form.policies = [...checks.values()].filter((c) => c.checked).map((c) => c.value)));
          checks.set(p.name, cb);
          return h('label', { class: 'sim-check', title: policyTooltip(p) }, cb, h('span', {}, p.label, ' ', h('code', {}, p.name)),
            p.drops ? h('span', { class: 'sim-flag', title: 'drops frames' }, 'drops') : null,
            p.variants ? h('span', { class: 'sim-flag', title: 'uses layer variants' }, 'variants') : null,
            p.adaptive ? h('span', { class: 'sim-flag', title: 'adapts online' }, 'adaptive') : null);
        })));
      const setPolicies = (names: string[]) => {
        for (const [n, cb] of checks) cb.checked = names.includes(n);
        form.policies = [...checks.values()].filter((c) => c.checked).map((c) => c.value);
      };

      const num = (key: 'seeds' | 'durationSec' | 'latencyNoise' | 'jobNoise' | 'seed' | 'window' | 'timelineSlices', attrs: Record<string, string | number>) => {
        const el = h('input', { type: 'number', value: form[key], class: 'sim-num', 'data-testid': `sim-${key}`, ...attrs });
        el.addEventListener('input', () => (form[key] = el.value));
        return el;
      };
      loadInput.addEventListener('input', () => (form.load = loadInput.value));
      const preemption = h('select', { 'data-testid': 'sim-preemption' },
        h('option', { value: 'layer' }, 'at layer boundaries'),
        h('option', { value: 'group:2' }, 'every 2 layers (groups of 2)'),
        h('option', { value: 'group:4' }, 'every 4 layers (groups of 4)'),
        h('option', { value: 'model' }, 'none (whole model)'));
      preemption.value = form.preemption;
      preemption.addEventListener('change', () => (form.preemption = preemption.value as SimGranularity));
      const dropLate = h('input', { type: 'checkbox', checked: form.dropLate, 'data-testid': 'sim-drop-late' });
      dropLate.addEventListener('change', () => (form.dropLate = dropLate.checked));

      const formErrors = h('div', {});
      const runBtn = h('button', { 'data-testid': 'sim-run-button', onclick: () => start() }, 'Run simulation');

      function start(): void {
        clear(formErrors);
        const { params, errors } = compareParams(form);
        if (!params) {
          formErrors.append(errorBox('Check the form', errors.join('; ')));
          return;
        }
        void run(params, runBtn, (found) => {
          form.load = String(found.load);
          formMemory.save(form);
          loadInput.value = form.load;
          loadNote.hidden = false;
          clear(loadNote);
          loadNote.append(badge(found.separates ? 'load found' : 'no clear separation', found.separates ? 'info' : 'warn'), ` Load ${found.load} chosen: ${found.reason} (one ${found.probeSec} s seed per load and policy). ${found.meaning}. Clear the field to search again.`);
        });
      }
      const findBtn = h('button', { class: 'secondary small', 'data-testid': 'sim-find-load', title: 'Probe loads from light to overload and fill in the one at which these policies differ most', onclick: () => {
        loadInput.value = '';
        form.load = '';
        start();
      } }, 'Find a separating load');

      refreshScenario();
      const section = h('section', { class: 'card sim-form', 'data-testid': 'sim-form' },
        h('h2', {}, 'Scenario and policies'),
        cat.problems.length ? errorBox('Some lists could not be loaded', cat.problems.join('; ')) : null,
        h('div', { class: 'row' }, h('label', { class: 'sim-grow' }, 'Scenario', scenarioSel)),
        whyNote,
        scenarioNote,
        h('p', { class: 'muted' }, 'Library scenarios simulate on measured profiles of their models (stored profiles, chosen below); synthetic ones need none.'),
        profileBox,
        h('div', { class: 'sim-policies', 'data-testid': 'sim-policies' }, ...groups),
        h('div', { class: 'row sim-policy-buttons' },
          h('button', { class: 'secondary small', onclick: () => setPolicies(DEFAULT_POLICIES) }, 'Defaults'),
          h('button', { class: 'secondary small', onclick: () => setPolicies(cat.policies.map((p) => p.name)) }, 'All'),
          h('button', { class: 'secondary small', onclick: () => setPolicies([]) }, 'None'),
          h('span', { class: 'muted' }, 'Hover a policy for what it does and where it comes from.')),
        h('div', { class: 'row sim-params' },
          h('label', { title: 'Runs per policy, each with its own seed (arrival jitter and latency noise)' }, 'Seeds', num('seeds', { min: 1, max: 1000, step: 1 })),
          h('label', { title: 'Simulated seconds per run' }, 'Duration (s)', num('durationSec', { min: 0.1, max: 3600, step: 'any' })),
          h('label', {}, 'Load', loadInput),
          h('label', { title: 'Lognormal sigma of each layer\'s latency around the table value' }, 'Latency noise', num('latencyNoise', { min: 0, max: 10, step: 0.05 })),
          h('label', { title: 'When the scheduler may switch to another job: at every layer, every K layers (the layers run as groups of K, each group on one lane), or never (whole model)' }, 'Preemption', preemption),
          h('label', { class: 'sim-inline', title: 'Frames that pass their deadline are dropped by the simulator (for every policy)' }, h('span', {}, dropLate, ' Drop late frames'))),
        h('div', { class: 'row' }, loadHelp, findBtn),
        loadNote,
        h('details', { class: 'sim-more' }, h('summary', {}, 'More options'),
          h('div', { class: 'row sim-params' },
            h('label', { title: 'Lognormal sigma of a whole frame\'s slowdown (all its layers)' }, 'Job noise', num('jobNoise', { min: 0, max: 10, step: 0.05 })),
            h('label', { title: 'Seeds run from this one upwards; the timeline shows this seed' }, 'First seed', num('seed', { min: 0, step: 1 })),
            h('label', { title: 'Window length for the SLO-satisfaction-over-time measure' }, 'SLO window (s)', num('window', { min: 0.01, max: 60, step: 'any' })),
            h('label', { title: 'At most this many slices (the earliest) come back for the timeline' }, 'Timeline slices', num('timelineSlices', { min: 1, max: 200000, step: 1000 })))),
        formErrors,
        h('div', { class: 'row' }, runBtn),
      );
      // The element handlers update the form first; the bubbling event then stores it.
      const persist = () => formMemory.save(form);
      section.addEventListener('input', persist);
      section.addEventListener('change', persist);
      section.addEventListener('click', persist);
      return section;
    }

    // -----------------------------------------------------------------------------------------
    // Running
    // -----------------------------------------------------------------------------------------
    async function run(params: CompareParams, runBtn: HTMLButtonElement, onLoadFound?: (r: FoundLoad) => void): Promise<void> {
      running?.abort();
      const ac = (running = new AbortController());
      runBtn.disabled = true;
      clear(runArea);
      const bar = h('div', { style: 'width:0%' });
      const msg = h('span', { class: 'muted', 'data-testid': 'sim-progress-message' }, `starting ${params.policies.length} policies × ${params.seeds} seeds…`);
      const cancel = h('button', { class: 'secondary small', 'data-testid': 'sim-cancel', onclick: () => ac.abort() }, 'Cancel');
      runArea.append(h('section', { class: 'card', 'data-testid': 'sim-running' },
        h('div', { class: 'row sim-progress-row' }, h('div', { class: 'progress sim-progress', 'data-testid': 'sim-progress' }, bar), cancel), msg));
      try {
        if (params.load === undefined && params.policies.length >= 2) {
          // No load given: first find one at which the policies differ (cancellable like the run).
          const { seeds: _seeds, timelinePolicy: _tp, timelineSlices: _ts, ...probe } = params;
          msg.textContent = 'finding a load at which the policies differ…';
          const found = await client.call('simulate.findLoad', probe, {
            signal: ac.signal,
            onProgress: (p) => {
              bar.style.width = `${Math.round((p.fraction ?? 0) * 100)}%`;
              if (p.message) msg.textContent = `finding a load: ${p.message}`;
            },
          });
          if (disposed || ac !== running) return;
          params = { ...params, load: found.load };
          onLoadFound?.(found);
          bar.style.width = '0%';
        }
        const result = await client.call('simulate.compare', params, {
          signal: ac.signal,
          onProgress: (p) => {
            bar.style.width = `${Math.round((p.fraction ?? 0) * 100)}%`;
            if (p.message) msg.textContent = p.message;
          },
        });
        if (disposed || ac !== running) return;
        clear(runArea);
        last = { params, result };
        keepLast(last);
        showResults(params, result);
      } catch (e) {
        if (disposed || ac !== running) return;
        clear(runArea);
        const err = e as Error & { code?: string };
        if (err.code === 'cancelled') {
          runArea.append(h('section', { class: 'card', 'data-testid': 'sim-cancelled' }, badge('cancelled', 'warn'), ' ', err.message,
            last ? h('span', { class: 'muted' }, ' The results below are from the previous run.') : null));
        } else {
          runArea.append(h('div', { 'data-testid': 'sim-error', class: 'sim-error' }, errorBox('The simulation could not run', `${err.message}${hint(err.code, err.message)}`),
            last ? h('p', { class: 'muted sim-small' }, `The results below are from the previous run (${last.result.scenario}).`) : null));
        }
      } finally {
        if (ac === running) running = undefined;
        runBtn.disabled = false;
      }
    }

    // -----------------------------------------------------------------------------------------
    // Results
    // -----------------------------------------------------------------------------------------
    function showResults(params: CompareParams, r: SimulateResult, reopened = false): void {
      destroyResults();
      const c = r.comparison;
      const labels = new Map<string, string>(c.rows.map((row) => [row.policy, policyList.find((p) => p.name === row.policy)?.label ?? row.policy]));
      const estimated = c.energySource.kind === 'estimated';
      const lat = latencySourceText(c);
      results.append(
        h('section', { class: 'card sim-head', 'data-testid': 'sim-head' },
          h('h2', {}, `Results: ${r.scenario}`),
          reopened ? h('p', { class: 'muted sim-small', 'data-testid': 'sim-reopened' }, badge('reopened', 'info'), `${storedId ? ` Stored simulation ${storedId}, read back from the engine\u2019s store.` : ' The last simulation, kept in this browser.'} Run it again for figures from the profiles stored now.`) : null,
          h('dl', { class: 'facts' },
            h('dt', {}, 'Latencies'), h('dd', { 'data-testid': 'sim-latency-source' }, lat.kind === 'synthetic' ? badge('SYNTHETIC', 'warn', 'Generated latency table: not measured') : badge('MEASURED', 'ok', 'From stored profiles'), ' ', lat.text),
            h('dt', {}, 'Energy'), h('dd', { 'data-testid': 'sim-energy-source' }, estimated ? badge('ESTIMATE', 'warn', 'Estimated, not measured') : badge('MEASURED', 'ok'), ' ', c.energySource.detail.replace(/^(ESTIMATE|MEASURED):\s*/i, '')),
            h('dt', {}, 'UXCost'), h('dd', { 'data-testid': 'sim-uxcost-definition' }, c.uxcostDefinition, ` (E_ref = ${sig(c.referenceJoules)} J${estimated ? ', estimated' : ''})`),
            h('dt', {}, 'XRBench score'), h('dd', { class: 'sim-small' }, XRBENCH_CONSTANTS),
            h('dt', {}, 'Runs'), h('dd', {}, `${c.rows.length} policies × ${c.seeds.length} seeds (${c.seeds.join(', ')}), ${params.durationSec} s simulated each, latency noise ${params.latencyNoise}, job noise ${params.jobNoise}, ${params.granularity ? `granularity ${params.granularity}` : `preemption ${params.preemption}`}${params.dropLate ? ', late frames dropped' : ''}${params.load !== undefined ? `, load ${params.load}` : ''}; computed in ${fixed(r.elapsedSec, 1)} s`),
            h('dt', {}, 'Stored'), h('dd', { 'data-testid': 'sim-stored' }, r.savedId ? h('span', {}, h('code', {}, r.savedId), ' (the History view lists it; compare it there with another simulation or a live run)') : `not stored${r.saveError ? `: ${r.saveError}` : ''}`),
          ),
        ),
        comparisonTable(r, labels, estimated),
        chartsCard(r, labels, estimated),
        ...[variantsCard(r, labels)].filter((x): x is HTMLElement => x !== null),
      );
      if (r.timeline) {
        timeline = new TimelinePanel({ client, params, policies: c.rows.map((row) => row.policy), labels, timeline: r.timeline });
        results.append(timeline.el);
      } else {
        results.append(h('section', { class: 'card' }, h('p', { class: 'muted' }, 'No timeline came back with this result.')));
      }
    }

    function comparisonTable(r: SimulateResult, labels: Map<string, string>, estimated: boolean): HTMLElement {
      const rows = r.comparison.rows;
      const best = bestPerColumn(rows);
      let sort: SortState = { key: 'policy', dir: 'asc' };
      const holder = h('div', { class: 'sim-table-scroll' });
      const draw = () => {
        clear(holder);
        const arrow = (key: MetricKey | 'policy') => (sort.key === key ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : '');
        const th = (key: MetricKey | 'policy', label: string, title: string, num: boolean) =>
          h('th', { class: `sim-sortable${num ? ' num' : ''}`, title: `${title}\nClick to sort.`, 'data-key': key, onclick: () => { sort = nextSort(sort, key); draw(); } }, label, arrow(key));
        holder.append(h('table', { class: 'data sim-table', 'data-testid': 'sim-table' },
          h('thead', {}, h('tr', {},
            th('policy', 'Policy', 'In the order compared', false),
            ...METRIC_COLUMNS.map((col) => th(col.key, col.energy && estimated ? `${col.label} (est.)` : col.label, `${col.title}${col.energy && estimated ? '\nESTIMATE: not measured' : ''}\n${col.better === 'low' ? 'Lower' : 'Higher'} is better.`, true)))),
          h('tbody', {}, ...sortRows(rows, sort).map((row) => h('tr', { 'data-policy': row.policy },
            h('td', {}, h('strong', {}, labels.get(row.policy) ?? row.policy), ' ', h('code', { class: 'muted' }, row.policy), row.policy === r.comparison.referencePolicy ? h('span', { class: 'sim-flag', title: 'E_ref: its mean energy is the reference of UXCost and the XRBench energy score' }, 'reference') : null,
              row.warnings?.length ? h('abbr', { class: 'warn-mark', title: row.warnings.join('\n'), 'data-testid': 'sim-row-warning-mark' }, ' ! warning') : null),
            ...METRIC_COLUMNS.map((col) => h('td', { class: `num${best.get(col.key)?.has(row.policy) ? ' sim-best' : ''}`, 'data-key': col.key }, col.cell(row),
              // A row that finished nothing: its energy and scores measure an idle machine; say so on the figure.
              row.finishedNothing && (col.energy || col.key === 'uxcost' || col.key === 'xrbench') ? h('abbr', { class: 'warn-mark', title: (row.warnings ?? []).join('\n') || 'no frame finished: this figure measures an idle machine' }, '!') : null)),
          ))),
        ));
      };
      draw();
      return h('section', { class: 'card' },
        h('h2', {}, 'Comparison'),
        holder,
        h('p', { class: 'muted sim-small' }, 'Mean over seeds; the miss rate shows [min–max], UXCost ± the standard deviation. Green: the best value of a column, among the policies that finished frames (energy and power: among those that finished the most, since dropping work saves energy). "–": no value (e.g. no finished frame). ',
          estimated ? h('span', {}, badge('ESTIMATE', 'warn'), ' energy, power and UXCost rest on estimated lane powers, not on a meter.') : null),
        warningList(rows.flatMap((row) => (row.warnings ?? []).map((w) => `${labels.get(row.policy) ?? row.policy}: ${w}`)), 'sim-row-warnings', 'Warnings on rows of this table (marked ! in the row)'),
      );
    }

    /** Per policy: its variant use and model switches (only policies that had variants or switched; null when none did). */
    function variantsCard(r: SimulateResult, labels: Map<string, string>): HTMLElement | null {
      const rows = r.comparison.rows;
      const tenants = rows[0]?.perTenant.map((t) => t.tenant) ?? [];
      const blocks = rows.map((row) => ({ row, block: variantUseBlock(row.variantUse, row.policyEvents, tenants, `sim-variant-use-${row.policy.replace(/[^\w-]/g, '_')}`) })).filter((x) => x.block);
      if (!blocks.length) return null;
      return h('section', { class: 'card', 'data-testid': 'sim-variant-use' },
        h('h2', {}, 'Layer variants and model switches'),
        h('p', { class: 'muted sim-small' }, 'Layer runs over all seeds; shares and accuracy spent per finished frame are means over seeds; model switches are the last seed\u2019s.'),
        ...blocks.map(({ row, block }) => h('div', {}, h('h3', {}, labels.get(row.policy) ?? row.policy), block)));
    }

    function chartsCard(r: SimulateResult, labels: Map<string, string>, estimated: boolean): HTMLElement {
      const c = r.comparison;
      const name = (p: string) => labels.get(p) ?? p;
      const tag = (box: HTMLDivElement, chart: Chart) => {
        box.dataset.datasets = String(chart.data.datasets.length);
        box.dataset.points = String(chart.data.datasets.reduce((a, d) => a + d.data.filter((v) => v !== null && v !== undefined).length, 0));
        charts.push(chart);
        return box;
      };
      // Miss rate per tenant per policy.
      const miss = perTenantMiss(c);
      const missChart = chartIn({
        type: 'bar',
        data: { labels: miss.labels, datasets: miss.series.map((s, i) => ({ label: name(s.policy), data: s.values, backgroundColor: color(i) })) },
        options: { animation: false, plugins: { legend: { position: 'bottom' }, tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${fixed(ctx.parsed.y, 1)}%` } } }, scales: { y: { beginAtZero: true, title: { display: true, text: 'deadline-miss rate (%)' } } } },
      }, { testId: 'sim-chart-miss', height: 280 });

      const rangeChart = (key: MetricKey, testId: string, yTitle: string, digits: number) => {
        const d = meanAndRange(c.rows, key);
        const chart = chartIn({
          type: 'bar',
          data: {
            labels: d.labels.map(name),
            datasets: [
              { label: 'mean over seeds', data: d.means, backgroundColor: d.labels.map((_, i) => withAlpha(color(i), 0.75)), grouped: false, order: 2 },
              { label: 'min–max over seeds', data: d.ranges, backgroundColor: 'rgba(29, 35, 48, 0.85)', barPercentage: 0.12, grouped: false, order: 1 },
            ],
          },
          options: {
            animation: false,
            plugins: {
              legend: { display: false },
              tooltip: { callbacks: { label: (ctx) => {
                const raw = ctx.raw as number | [number, number] | null;
                if (Array.isArray(raw)) return `min–max: ${raw[0].toFixed(digits)} – ${raw[1].toFixed(digits)}`;
                return `mean: ${fixed(raw, digits)}`;
              } } },
            },
            scales: { y: { beginAtZero: true, title: { display: true, text: yTitle } } },
          },
        }, { testId, height: 260 });
        return withTable(tag(chart.box, chart.chart as unknown as Chart), chart.chart, { caption: `${yTitle} per policy: mean and min\u2013max over seeds`, xTitle: 'policy' });
      };

      const util = laneUtilisation(r.summary);
      const utilChart = chartIn({
        type: 'bar',
        data: { labels: util.lanes, datasets: [{ label: 'utilisation, every layer on its fastest lane', data: util.percent, backgroundColor: util.percent.map((p) => (p > 100 ? '#b42318' : '#3056d3')) }] },
        options: { animation: false, indexAxis: 'y', plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => `${fixed(ctx.parsed.x, 1)}% busy` } } }, scales: { x: { beginAtZero: true, suggestedMax: 100, title: { display: true, text: '% of the lane\'s time (> 100% = overloaded)' } } } },
      }, { testId: 'sim-chart-util', height: Math.max(120, 50 + util.lanes.length * 36) });

      const tenants = Object.keys(r.summary.rate);
      return h('section', { class: 'card' },
        h('h2', {}, 'Charts'),
        h('div', { class: 'grid2' },
          h('div', {}, h('h3', {}, 'Deadline-miss rate per tenant'), withTable(tag(missChart.box, missChart.chart as unknown as Chart), missChart.chart, { caption: 'Deadline-miss rate (%) per tenant and policy', xTitle: 'tenant' })),
          h('div', {}, h('h3', {}, 'UXCost per policy ', h('span', { class: 'muted sim-small' }, "(Tessera's definition; bar = mean, dark line = min–max over seeds)")), rangeChart('uxcost', 'sim-chart-uxcost', 'UXCost', 3)),
          h('div', {}, h('h3', {}, 'Energy per policy ', estimated ? badge('ESTIMATE', 'warn', c.energySource.detail) : null), rangeChart('energyJ', 'sim-chart-energy', `energy (J)${estimated ? ', estimated' : ''}`, 1)),
          h('div', {}, h('h3', {}, 'Lane utilisation (demand)'), withTable(tag(utilChart.box, utilChart.chart as unknown as Chart), utilChart.chart, { caption: 'Lane utilisation (%) with every layer on its fastest lane', xTitle: 'lane' }),
            util.overloaded.length ? h('p', { class: 'sim-bad sim-small' }, `Overloaded even with every layer on its fastest lane: ${util.overloaded.join(', ')}. Some frames must miss or move to a slower lane.`) : null,
            h('table', { class: 'data sim-small', 'data-testid': 'sim-tenant-summary' },
              h('thead', {}, h('tr', {}, h('th', {}, 'Tenant'), h('th', { class: 'num' }, 'Rate (fps)'), h('th', { class: 'num', title: 'Latency alone with every layer on its fastest lane, over the relative deadline' }, 'Isolated latency / deadline'))),
              h('tbody', {}, ...tenants.map((t) => h('tr', {}, h('td', {}, t), h('td', { class: 'num' }, fixed(r.summary.rate[t], 1)),
                h('td', { class: `num${(r.summary.isolatedOverDeadline[t] ?? 0) > 1 ? ' sim-bad' : ''}` }, pct(r.summary.isolatedOverDeadline[t], 0)))))),
            h('p', { class: 'muted sim-small' }, 'From the latency table alone: no contention, no transfers.'))),
      );
    }

    return () => {
      disposed = true;
      running?.abort();
      destroyResults();
    };
  },
};

/** What to do, where the engine's message does not say it already. */
function hint(code: string | undefined, message: string): string {
  // A bad-scenario message about profiles says what to do already.
  const text = errorHint(code, { 'bad-scenario': /profile/i.test(message) ? '' : 'Choose the profiles of the scenario\'s models (or profile them first in the Profiles view), or pick a synthetic scenario.' });
  return text ? ` — ${text}` : '';
}
