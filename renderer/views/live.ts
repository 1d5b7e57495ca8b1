// The Live view: runs a scenario for real on this machine's lanes under a policy (live.start), with
// charts fed by the engine's 'live.telemetry' events, Stop (keeps what was measured) and Switch
// policy (live.setPolicy, without restarting), then the run's report: measured metrics beside the
// simulator's prediction, transfers, overload, faults, energy with its source and the trace file.
//
// The run lives at module level (not in the DOM): leaving the view does not stop it, and coming back
// shows it again. Telemetry is kept in a bounded rolling store (live-model.ts); the charts redraw from
// it at most 5 times a second, without animation.
import './live.css';
import { TOPICS, type ParamsOf, type Progress, type ResultOf } from '../../engine/api';
import type { EngineClient } from '../../engine/client';
import { describeDrops } from '../../scheduler/core/jobs';
import { Chart, chartIn, color, setMarkers, withAlpha, withTable } from '../charts';
import { openInPerfetto, perfettoResultText } from '../perfetto';
import { TimelineCanvas } from './timeline-canvas';
import { followWindow } from './timeline-nav';
import { badge, clear, errorBox, h, table } from '../dom';
import { downloadText, mimeFor } from '../download';
import { DASH, fmtBytes, fmtDate, fmtMs, fmtNum, fmtPct, fmtPts, fmtRatio, fmtRel } from '../format';
import {
  LiveTelemetryStore,
  missAxisMax,
  missShares,
  checkLanes,
  coresFromLanes,
  defaultLanesFor,
  diffKind,
  newRunId,
  ratioKind,
  scenarioChoices,
  splitPolicyState,
  startErrorHint,
  tenantCounters,
  variantsProblem,
  type LatencyPoint,
  type ScenarioChoice,
} from './live-model';
import { savedId } from './history-model';
import { switchRows } from './simulate-model';
import { variantUseBlock } from './variant-use-view';
import type { View } from './view';
import { explainDivergence, PREDICTION_TOLERANCE } from '../../scheduler/core/divergence';
import { routeWarnings, warningList } from '../warnings';
import { isRecord, isStringArray, pickLike, remembered } from '../remember';
import { listParam } from '../route';
import type { Granularity } from '../../common/granularity';

/** Where each kind of run warning is shown (first match wins); the rest head the report. */
const WARNING_TOPICS = [
  ['records', /capped|records|trace slices/i],
  ['energy', /energy|meter|power|watt|RAPL|nvidia-smi|battery/i],
  ['lanes', /\blanes?\b|adapter|software/i],
  ['prediction', /predict|calibrat|profile|clock|setTimeout/i],
] as const;

type LiveReport = ResultOf<'live.start'>;
type StartParams = ParamsOf<'live.start'>;
type PolicyInfo = ResultOf<'policies.list'>[number];
type ProfileSummary = ResultOf<'profiles.list'>[number];

const REDRAW_MS = 200; // at most 5 redraws a second
/** The lane view follows the last seconds of a run while it goes (W/S change it). */
const TIMELINE_SEC = 3;
const LANE_COLOR_OFFSET = 5; // lanes take palette colours apart from the tenants'
const BAD = '#b42318';
const OTHER_PATH = '__path__';

interface Session {
  runId: string;
  params: StartParams;
  store: LiveTelemetryStore;
  state: 'setup' | 'running' | 'done' | 'failed';
  progress?: Progress;
  report?: LiveReport;
  error?: { message: string; code: string };
  stopRequested: boolean;
  controller: AbortController;
  /** Views showing this session: told when its state changes (telemetry itself is polled). */
  listeners: Set<() => void>;
}

/** The run started from this window (kept while the user visits other views). */
let session: Session | undefined;

/** The last finished run of this window: reopened from the engine's run store after a reload. */
const lastRunMemory = remembered('live.lastRun', 1, (x) => (isRecord(x) && typeof x.runId === 'string' && x.runId ? { runId: x.runId } : undefined));

/** The start form's settings, remembered across views, reloads and restarts. */
interface LiveForm {
  scenario: string;
  path: string;
  policy: string;
  duration: string;
  lanes: string;
  granularity: string;
  scale: string;
  load: string;
  seed: string;
  variants: string;
  modelVariants: string;
  profiles: string[];
}
const LIVE_FORM: LiveForm = { scenario: '', path: '', policy: '', duration: '10', lanes: '', granularity: 'model', scale: '1', load: '', seed: '1', variants: '', modelVariants: '', profiles: [] };
const formMemory = remembered<LiveForm>('live.form', 1, (x) => {
  const f = pickLike(x, LIVE_FORM as LiveForm & Record<string, unknown>, { granularity: ['model', 'layer', 'group:2', 'group:4'] });
  return f && isStringArray(f.profiles) && !checkLanes(f.lanes || 'cpu:1') ? f : undefined;
});

function startSession(client: EngineClient, params: Omit<StartParams, 'runId'>): Session {
  const runId = newRunId();
  const s: Session = { runId, params: { ...params, runId }, store: new LiveTelemetryStore(runId, { timelineSec: TIMELINE_SEC }), state: 'setup', stopRequested: false, controller: new AbortController(), listeners: new Set() };
  const changed = () => s.listeners.forEach((l) => l());
  const off = client.on(TOPICS.liveTelemetry, (b) => {
    if (s.store.ingest(b) && s.state === 'setup') {
      s.state = 'running';
      changed();
    }
  });
  client
    .call('live.start', s.params, {
      signal: s.controller.signal,
      onProgress: (p) => {
        s.progress = p;
        if (s.state === 'setup') changed();
      },
    })
    .then(
      (report) => {
        s.report = report;
        s.state = 'done';
        lastRunMemory.save({ runId: report.runId });
      },
      (e: Error & { code?: string }) => {
        s.error = { message: e.message, code: e.code ?? 'failed' };
        s.state = 'failed';
      },
    )
    .finally(() => {
      off();
      changed();
    });
  session = s;
  return s;
}

/** Stop: live.stop keeps what was measured; before the engine knows the run (still loading), cancel the call. */
async function stopSession(client: EngineClient, s: Session): Promise<void> {
  s.stopRequested = true;
  try {
    await client.call('live.stop', { runId: s.runId });
  } catch {
    if (s.state === 'setup' || s.state === 'running') s.controller.abort();
  }
}

export const liveView: View = {
  id: 'live',
  title: 'Live',
  render(root, { client, query = {}, consumeQuery }, param) {
    const cleanups: (() => void)[] = [];
    root.append(
      h('header', { class: 'view-header' }, h('h1', {}, 'Live'), h('span', { class: 'muted' }, 'real runs on this machine\u2019s lanes, with telemetry')),
    );
    const formCard = h('section', { class: 'card', 'data-testid': 'live-form' }, h('h2', {}, 'Start a live run'), h('p', { class: 'muted' }, 'Loading scenarios, policies, lanes and profiles…'));
    const othersCard = h('div', {});
    const runArea = h('div', { 'data-testid': 'live-run' });
    // #/live/saved:<id> reopens a stored run's report (the History view's Open) above the form.
    const stored = savedId(param);
    const storedArea = h('div', { 'data-testid': 'live-stored' });
    if (stored) param = undefined;
    root.append(storedArea, formCard, othersCard, runArea);

    let policies: PolicyInfo[] = [];
    let form: ReturnType<typeof buildForm> | undefined;
    let runUi: RunUi | undefined;

    const showSession = () => {
      runUi?.destroy();
      runUi = undefined;
      clear(runArea);
      if (session) {
        runUi = new RunUi(client, session, policies);
        runArea.append(runUi.root);
      }
      form?.setBusy(!!session && (session.state === 'setup' || session.state === 'running'));
    };

    void (async () => {
      const [scen, pols, lanes, profiles] = await Promise.allSettled([
        client.call('scenarios.list', {}),
        client.call('policies.list', {}),
        client.call('lanes.list', { probe: false }),
        client.call('profiles.list', {}),
      ]);
      clear(formCard);
      formCard.append(h('h2', {}, 'Start a live run'));
      if (pols.status === 'rejected') {
        formCard.append(errorBox('Could not list the policies', `${(pols.reason as Error).message}. Reconnect to the engine and reload the view.`));
        return;
      }
      policies = pols.value;
      if (stored) void showStored(stored);
      const problems: HTMLElement[] = [];
      if (scen.status === 'rejected') problems.push(errorBox('Could not list the scenario library: only the built-in demos are offered', (scen.reason as Error).message));
      if (profiles.status === 'rejected') problems.push(errorBox('Could not list the stored profiles: the run will calibrate instead', (profiles.reason as Error).message));
      form = buildForm({
        choices: scenarioChoices(scen.status === 'fulfilled' ? scen.value : []),
        policies,
        defaultLanes: lanes.status === 'fulfilled' ? defaultLanesFor(coresFromLanes(lanes.value)) : 'cpu:1,cpu:1',
        otherEps: lanes.status === 'fulfilled' ? [...new Set(lanes.value.filter((l) => l.ep !== 'cpu').map((l) => l.ep))] : [],
        profiles: profiles.status === 'fulfilled' ? profiles.value : [],
        initialScenario: param,
        carried: { lanes: listParam(query, 'lanes'), profiles: listParam(query, 'profiles') },
        onStart: (params) => {
          if (session && (session.state === 'setup' || session.state === 'running')) return;
          const s = startSession(client, params);
          watch(s);
          showSession();
        },
      });
      formCard.append(...problems, form.root);
      consumeQuery?.();
      showSession();
      if (!session && !stored) void reopenLast(); // a stored run asked for (saved:ID) is shown instead
      void listOthers();
    })();

    /** After a reload: the last run's report, read back from the engine's run store. */
    async function reopenLast() {
      const lastRun = lastRunMemory.load();
      if (!lastRun) return;
      try {
        const report = await client.call('runs.get', { id: lastRun.runId });
        if (session) return;
        runArea.replaceChildren(h('section', { class: 'card', 'data-testid': 'live-reopened' },
          h('h2', {}, 'Last run ', h('code', {}, report.runId)),
          h('p', { class: 'muted' }, badge('reopened', 'info'), ` ${typeof report.scenario === 'string' ? report.scenario : 'scenario'} under ${report.policy}, read back from the run store (Export has its files). Start a run above for a new one.`)),
          renderReport(report, policies, client));
      } catch {
        lastRunMemory.clear(); // deleted or unreadable: nothing to reopen
      }
    }

    const watch = (s: Session) => {
      const onChange = () => {
        form?.setBusy(s.state === 'setup' || s.state === 'running');
        if (s.state === 'failed' && s.store.batches === 0) {
          // Refused before anything ran: show the error at the form and no run area.
          form?.showError(s.error!);
          if (session === s) session = undefined;
          showSession();
          return;
        }
        runUi?.stateChanged();
      };
      s.listeners.add(onChange);
      cleanups.push(() => s.listeners.delete(onChange));
    };
    if (session) watch(session);

    async function showStored(id: string) {
      storedArea.replaceChildren(h('p', { class: 'muted' }, `Loading stored run ${id}…`));
      try {
        const report = await client.call('runs.get', { id });
        storedArea.replaceChildren(h('section', { class: 'card' }, h('h2', {}, `Stored live run ${id}`),
          h('p', { class: 'muted' }, `${report.startedAt ? `Started ${fmtDate(report.startedAt, true)}. ` : ''}The report as the run wrote it; the History view compares it with another run or a simulation.`),
          renderReport(report, policies, client)));
      } catch (e) {
        storedArea.replaceChildren(errorBox(`Could not reopen live run ${id}`, `${(e as Error).message} The History view lists the stored runs.`));
      }
    }

    async function listOthers() {
      try {
        const runs = (await client.call('live.list', {})).filter((r) => r.id !== session?.runId);
        clear(othersCard);
        if (!runs.length) return;
        othersCard.append(
          h('section', { class: 'card' }, h('h2', {}, 'Other live runs in this engine'),
            h('p', { class: 'muted' }, 'Started from another window or tab: their report goes to whoever started them.'),
            table(runs, {
              Run: (r) => h('code', {}, r.id),
              Scenario: (r) => r.scenario,
              Policy: (r) => r.policy,
              Phase: (r) => badge(r.phase, 'info'),
              Progress: (r) => `${fmtNum(r.elapsed)} / ${r.duration} s`,
              '': (r) => h('button', { class: 'small secondary', onclick: async (e: Event) => {
                (e.target as HTMLButtonElement).disabled = true;
                try {
                  await client.call('live.stop', { runId: r.id });
                } catch (err) {
                  othersCard.append(errorBox(`Could not stop ${r.id}`, (err as Error).message));
                }
                setTimeout(() => void listOthers(), 1500);
              } }, 'Stop'),
            }, { class: 'data' })),
        );
      } catch (e) {
        clear(othersCard);
        othersCard.append(errorBox('Could not list the live runs in progress', (e as Error).message));
      }
    }

    return () => {
      cleanups.forEach((c) => c());
      runUi?.destroy();
    };
  },
};

// ---------------------------------------------------------------------------------------------
// The start form.

interface FormInput {
  choices: ScenarioChoice[];
  policies: PolicyInfo[];
  defaultLanes: string;
  otherEps: string[];
  profiles: ProfileSummary[];
  initialScenario?: string;
  /** Context carried from another view (a scenario's "Run live"): its lanes and profiles. */
  carried?: { lanes: string[]; profiles: string[] };
  onStart(params: Omit<StartParams, 'runId'>): void;
}

function policyDescription(p: PolicyInfo | undefined): string {
  if (!p) return '';
  const flags = [p.drops ? 'drops frames that cannot make it' : '', p.adaptive ? 'adapts online' : '', p.variants ? 'uses model variants' : ''].filter(Boolean);
  return `${p.description}. Source: ${p.source}.${flags.length ? ` (${flags.join('; ')})` : ''}`;
}

function policySelect(policies: PolicyInfo[], selected: string, testId: string): HTMLSelectElement {
  return h('select', { 'data-testid': testId },
    ...policies.map((p) => h('option', { value: p.name, selected: p.name === selected }, `${p.label} (${p.name})`)));
}

/** The demos' default target load: the busiest lane about 70% busy. */
const DEMO_LOAD = 0.7;

function buildForm(input: FormInput) {
  const known = new Set(input.choices.map((c) => c.value));
  const saved = formMemory.load();
  const carried = input.carried ?? { lanes: [], profiles: [] };
  // A scenario brought from another view wins; else the remembered one; else the demo, whose models
  // are deepened to the 70% load target: demo:tiny's sub-millisecond layers hit the dispatch cap at
  // ~12% busy, where switching the policy shows nothing.
  const wanted = input.initialScenario ?? (saved?.scenario === OTHER_PATH ? saved.path : saved?.scenario);
  input = { ...input, initialScenario: wanted || undefined };
  const initial = input.initialScenario && known.has(input.initialScenario) ? input.initialScenario : 'demo';
  const groups = new Map<string, ScenarioChoice[]>();
  for (const c of input.choices) groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
  const scenario = h('select', { 'data-testid': 'live-scenario' },
    ...[...groups].map(([g, cs]) => h('optgroup', { label: g }, ...cs.map((c) => h('option', { value: c.value, selected: c.value === initial, disabled: !!c.disabled, title: c.disabled ?? c.description }, c.disabled ? `${c.label} (invalid)` : c.label)))),
    h('optgroup', { label: 'Other' }, h('option', { value: OTHER_PATH, selected: !!input.initialScenario && !known.has(input.initialScenario) }, 'A scenario file path…')));
  const path = h('input', { type: 'text', placeholder: '/path/to/scenario.json', size: 40, value: input.initialScenario && !known.has(input.initialScenario) ? input.initialScenario : '', 'data-testid': 'live-scenario-path' });
  const pathLabel = h('label', {}, 'Scenario file (.json, or XRBench .m)', path);
  // [hidden] loses to the label's display rule: toggle display instead.
  const scenarioInfo = h('p', { class: 'muted live-desc', 'data-testid': 'live-scenario-info' });

  const policy = policySelect(input.policies, input.policies.some((p) => p.name === 'dream') ? 'dream' : input.policies[0]?.name ?? '', 'live-policy');
  const policyInfo = h('p', { class: 'muted live-desc' });
  const duration = h('input', { type: 'number', min: 1, max: 3600, step: 1, value: 10, style: 'width: 6em', 'data-testid': 'live-duration' });
  const lanes = h('input', { type: 'text', value: input.defaultLanes, size: 22, 'data-testid': 'live-lanes' });
  const lanesCheck = h('span', { class: 'live-inline-warn' });
  const granularity = h('select', { 'data-testid': 'live-granularity' },
    h('option', { value: 'model' }, 'model (one run per frame)'),
    h('option', { value: 'layer' }, 'layer (cut per layer: preemption points, transfers)'),
    h('option', { value: 'group:2' }, 'groups of 2 layers (cut every 2 layers)'),
    h('option', { value: 'group:4' }, 'groups of 4 layers (cut every 4 layers)'));
  const scale = h('input', { type: 'number', min: 0.05, max: 1000, step: 0.05, value: 1, style: 'width: 6em', 'data-testid': 'live-scale' });
  const seed = h('input', { type: 'number', min: 0, step: 1, value: 1, style: 'width: 6em', 'data-testid': 'live-seed' });
  // Demos default to lanes about 70% busy (at their own rates they idle and a policy switch shows nothing);
  // other scenarios run at their own rates unless a load is given.
  const load = h('input', { type: 'number', min: 0.05, max: 10, step: 0.05, value: DEMO_LOAD, placeholder: 'own rates', style: 'width: 6em', 'data-testid': 'live-load' });

  const ticked = new Set(carried.profiles.length ? carried.profiles : input.initialScenario && saved && input.initialScenario !== (saved.scenario === OTHER_PATH ? saved.path : saved.scenario) ? [] : saved?.profiles ?? []);
  const profileBoxes = input.profiles.map((p) => ({ p, box: h('input', { type: 'checkbox', value: p.id, disabled: !!p.error, checked: !p.error && ticked.has(p.id) }) }));
  const profilesPart = input.profiles.length
    ? h('details', { class: 'live-profiles' },
        h('summary', {}, 'Stored profiles to plan with (optional)'),
        h('p', { class: 'muted' }, 'Matched to the tenants by model hash, then name. Without them, the run first calibrates each model on the lanes (a few seconds).'),
        h('div', { class: 'live-profile-list' }, ...profileBoxes.map(({ p, box }) =>
          h('label', { class: 'live-check', title: p.error ?? p.id }, box, `${p.model} · ${p.lanes.join(', ')} · ${p.granularity} · ${p.createdAt.slice(0, 16).replace('T', ' ')}${p.error ? ` (unreadable: ${p.error})` : ''}`))))
    : h('p', { class: 'muted' }, 'No stored profiles: the run first calibrates each model on the lanes (a few seconds). Profiles from the Profiles view make the predictions use measured layer times.');

  const start = h('button', { 'data-testid': 'live-start' }, 'Start');
  const errorArea = h('div', { 'data-testid': 'live-form-error' });

  const updateScenario = () => {
    const other = scenario.value === OTHER_PATH;
    pathLabel.style.display = other ? '' : 'none';
    const c = input.choices.find((x) => x.value === scenario.value);
    scenarioInfo.textContent = other ? 'A scenario file in the workloads format (see the Scenarios view); relative model paths resolve against its folder.' : c?.description ?? '';
    load.value = /^demo/.test(scenario.value) ? String(DEMO_LOAD) : '';
  };
  const updatePolicy = () => (policyInfo.textContent = policyDescription(input.policies.find((p) => p.name === policy.value)));
  const updateLanes = () => (lanesCheck.textContent = checkLanes(lanes.value) ?? '');
  scenario.addEventListener('change', updateScenario);
  policy.addEventListener('change', updatePolicy);
  lanes.addEventListener('input', updateLanes);
  updateScenario();
  // Remembered settings, then what the previous step carried (its lanes).
  if (saved) {
    if (input.policies.some((p) => p.name === saved.policy)) policy.value = saved.policy;
    duration.value = saved.duration;
    if (saved.lanes) lanes.value = saved.lanes;
    granularity.value = saved.granularity;
    scale.value = saved.scale;
    seed.value = saved.seed;
    if ((saved.scenario === OTHER_PATH ? saved.path : saved.scenario) === (scenario.value === OTHER_PATH ? path.value : scenario.value)) load.value = saved.load;
  }
  if (carried.lanes.length) lanes.value = carried.lanes.join(',');
  updatePolicy();
  updateLanes();

  const variants = h('input', { type: 'text', value: '', size: 16, placeholder: 'none', 'data-testid': 'live-variants', spellcheck: 'false' });
  variants.value = saved?.variants ?? '';
  const modelVariants = h('input', { type: 'text', value: '', size: 16, placeholder: 'profiles\u2019', 'data-testid': 'live-model-variants', spellcheck: 'false' });
  modelVariants.value = saved?.modelVariants ?? '';
  const root = h('div', { class: 'live-form' },
    h('div', { class: 'row' }, h('label', {}, 'Scenario', scenario), pathLabel, h('label', {}, 'Policy', policy)),
    scenarioInfo,
    policyInfo,
    h('div', { class: 'row' },
      h('label', {}, 'Duration (s of frame releases)', duration),
      h('label', {}, 'Lanes', lanes),
      h('label', {}, 'Granularity', granularity),
      h('label', { title: 'Multiplies every arrival rate; default deadlines follow the rate' }, 'Load scale', scale),
      h('label', { title: 'Scales the rates (after the load scale) so that the busiest lane is this busy with every layer on its fastest lane, by the latencies the run measures first; empty: the scenario\u2019s own rates' }, 'Target load (busiest lane)', load),
      h('label', {}, 'Seed', seed),
      h('label', { title: 'Layer variants to generate, verify on the cut\u2019s activations and offer the policy (layer granularity), as tessera run --variants: families exact, fp16, int8, lowrank, prune or kind ids, e.g. exact,fp16' }, 'Layer variants', variants),
      h('label', { title: 'Model-level variants to make again from each model, verify end to end and load on every lane (model granularity), as tessera run --model-variants: resolution[=s], arch-prune[=sparsity]; tenants with whitelist limits may run a frame on one, and DREAM switches to it under overload. Empty: the checked profiles\u2019 model variants; none: off' }, 'Model variants', modelVariants)),
    h('p', { class: 'muted live-hint' },
      'Lanes: comma-separated EP[:THREADS], e.g. ', h('code', {}, 'cpu:1,cpu:1'), ' (two 1-thread CPU lanes) or ', h('code', {}, 'cpu:2,webgpu'), '. ',
      input.otherEps.length ? `ONNX Runtime here also lists ${input.otherEps.join(', ')} (the Devices view says whether each works). ` : 'This ONNX Runtime lists no GPU/NPU execution provider: CPU lanes only. ',
      lanesCheck),
    profilesPart,
    h('div', { class: 'row' }, start),
    errorArea,
  );

  if (carried.profiles.length) root.querySelector('details')?.setAttribute('open', '');
  const persist = () => {
    const f: LiveForm = { scenario: scenario.value, path: path.value, policy: policy.value, duration: duration.value, lanes: lanes.value, granularity: granularity.value, scale: scale.value, load: load.value, seed: seed.value, variants: variants.value, modelVariants: modelVariants.value, profiles: profileBoxes.filter((b) => b.box.checked).map((b) => b.p.id) };
    if (!checkLanes(f.lanes || 'cpu:1')) formMemory.save(f);
  };
  root.addEventListener('input', persist);
  root.addEventListener('change', persist);
  persist();

  start.addEventListener('click', () => {
    clear(errorArea);
    const scen = scenario.value === OTHER_PATH ? path.value.trim() : scenario.value;
    if (!scen) {
      errorArea.append(errorBox('Give a scenario file path', 'Or pick a scenario from the list.'));
      return;
    }
    const num = (el: HTMLInputElement) => (el.value.trim() === '' ? NaN : Number(el.value));
    const params: Omit<StartParams, 'runId'> = {
      scenario: scen,
      policy: policy.value,
      durationSec: num(duration),
      lanes: lanes.value.trim(),
      granularity: granularity.value as Granularity,
      scale: num(scale),
      load: num(load),
      seed: num(seed),
    };
    for (const k of ['durationSec', 'scale', 'load', 'seed'] as const) if (!Number.isFinite(params[k])) delete params[k];
    if (params.durationSec === undefined) {
      errorArea.append(errorBox('Give a duration', 'How many seconds frames are released (then the run drains), e.g. 10.'));
      return;
    }
    if (!params.lanes) delete params.lanes;
    const kinds = variants.value.trim();
    if (kinds) {
      const problem = variantsProblem(kinds, params.granularity ?? 'model');
      if (problem) {
        errorArea.append(errorBox(problem.message, problem.hint));
        return;
      }
      params.variants = kinds;
    }
    const modelKinds = modelVariants.value.trim();
    if (modelKinds) {
      if (modelKinds !== 'none' && (params.granularity ?? 'model') !== 'model') {
        errorArea.append(errorBox('Model variants run at granularity "model"', 'A model variant is a whole other model, run as one session per frame: choose granularity model, or clear the Model variants field.'));
        return;
      }
      params.modelVariants = modelKinds;
    }
    const chosen = profileBoxes.filter((b) => b.box.checked).map((b) => b.p.id);
    if (chosen.length) params.profiles = chosen;
    input.onStart(params);
  });

  const fields: (HTMLInputElement | HTMLSelectElement | HTMLButtonElement)[] = [scenario, path, policy, duration, lanes, granularity, scale, load, seed, variants, modelVariants, start, ...profileBoxes.map((b) => b.box)];
  return {
    root,
    setBusy(busy: boolean) {
      for (const f of fields) f.disabled = busy || (f instanceof HTMLInputElement && f.type === 'checkbox' && !!profileBoxes.find((b) => b.box === f)?.p.error);
      start.textContent = busy ? 'Running…' : 'Start';
      if (busy) clear(errorArea);
    },
    showError(e: { message: string; code: string }) {
      clear(errorArea);
      errorArea.append(errorBox(e.code === 'cancelled' ? 'The run was stopped before it started' : 'The run could not start', `${e.message} ${startErrorHint(e.code, e.message)}`));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A run: status and controls, live charts, then the report.

class RunUi {
  readonly root: HTMLElement;
  private charts: Chart<any>[] = [];
  private disposers: (() => void)[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private drawn = -1;
  private built = false;
  private readonly status = h('div', { class: 'live-status' });
  private readonly progressBar = h('div', {});
  private readonly progressText = h('span', { class: 'muted' });
  private readonly phase = h('span', {});
  private readonly policyNow = h('span', {});
  private readonly stopBtn: HTMLButtonElement;
  private readonly switchSelect: HTMLSelectElement;
  private readonly switchBtn: HTMLButtonElement;
  private readonly switchMsg = h('span', { class: 'muted', 'data-testid': 'live-switch-msg' });
  private readonly controlError = h('div', {});
  private readonly liveArea = h('div', { class: 'live-grid' });
  private readonly reportArea = h('div', {});
  private readonly responsiveness = h('span', { class: 'muted', 'data-testid': 'live-responsiveness' });
  private redrawMs = 0;
  private redraws = 0;
  private readonly offscreen = new Set<Element>();
  private requested: { policy: string; at: number } | undefined;
  // Live parts filled on each redraw.
  private latency?: Chart<'scatter'>;
  private latencyBox?: HTMLElement;
  private misses?: Chart<'bar'>;
  private counters = h('div', {});
  private laneView?: TimelineCanvas;
  /** The lane view follows the run's last `followSpan` seconds until the user navigates. */
  private follow = true;
  private followSpan = TIMELINE_SEC;
  private laneDataVersion = -1;
  private readonly timelineBox = h('div', { class: 'live-timeline', 'data-testid': 'live-timeline' });
  private readonly timelineNote = h('p', { class: 'muted live-note', 'data-testid': 'live-timeline-note' });
  private readonly followBtn = h('button', { class: 'secondary small', 'data-testid': 'live-timeline-follow', type: 'button' }, 'Follow the run');
  private readonly wholeBtn = h('button', { class: 'secondary small', 'data-testid': 'live-timeline-whole', type: 'button' }, 'Whole run');
  private timelineLegend = h('div', { class: 'live-legend' });
  private power?: Chart<'line'>;
  private powerSource = h('span', { 'data-testid': 'live-power-source' });
  private powerDetail = h('p', { class: 'muted live-note' });
  private util?: Chart<'line'>;
  private loop?: Chart<'line'>;
  private loopText = h('p', { class: 'muted' });
  private lanesTable = h('div', {});
  private weights = h('div', { 'data-testid': 'live-weights' });
  private switches = h('div', { 'data-testid': 'live-model-switches' });
  private switchesShown = -1;
  private ratios = h('div', { 'data-testid': 'live-ratios' });

  constructor(private readonly client: EngineClient, private readonly s: Session, private readonly policies: PolicyInfo[]) {
    this.stopBtn = h('button', { class: 'secondary', 'data-testid': 'live-stop', title: 'Stops releasing frames; layers in flight finish; the report covers what was measured' }, 'Stop');
    this.stopBtn.addEventListener('click', () => {
      this.stopBtn.disabled = true;
      this.stopBtn.textContent = 'Stopping…';
      void stopSession(client, s);
    });
    this.switchSelect = policySelect(policies, s.params.policy, 'live-switch-policy');
    this.switchBtn = h('button', { class: 'secondary', 'data-testid': 'live-switch' }, 'Switch policy');
    this.switchBtn.addEventListener('click', () => void this.switchPolicy());
    const scenarioName = typeof s.params.scenario === 'string' ? s.params.scenario : 'scenario document';
    this.root = h('div', {},
      h('section', { class: 'card', 'data-testid': 'live-status' },
        h('div', { class: 'live-status-head' },
          h('h2', {}, 'Run ', h('code', {}, s.runId)),
          h('span', { class: 'muted' }, `${scenarioName} · ${s.params.durationSec} s · lanes ${s.params.lanes ?? 'default'} · ${s.params.granularity ?? 'model'} granularity · scale ${s.params.scale ?? 1} · seed ${s.params.seed ?? 1}`)),
        this.status,
        h('div', { class: 'progress live-progress' }, this.progressBar),
        h('div', { class: 'row live-controls' },
          this.stopBtn,
          h('label', {}, 'Policy during the run', this.switchSelect),
          this.switchBtn,
          this.switchMsg),
        this.controlError,
      ),
      this.liveArea,
      this.reportArea,
    );
    this.status.append(this.phase, ' ', this.policyNow, ' ', this.progressText, ' ', this.responsiveness);
    this.stateChanged();
    this.timer = setInterval(() => this.redraw(), REDRAW_MS);
  }

  private async switchPolicy(): Promise<void> {
    const policy = this.switchSelect.value;
    clear(this.controlError);
    this.switchBtn.disabled = true;
    try {
      await this.client.call('live.setPolicy', { runId: this.s.runId, policy });
      this.requested = { policy, at: this.s.store.last?.t ?? 0 };
      this.switchMsg.textContent = `asked for ${policy} at ${fmtNum(this.requested.at)} s; waiting for the telemetry…`;
    } catch (e) {
      this.controlError.append(errorBox(`Could not switch to ${policy}`, `${(e as Error).message}${(e as { code?: string }).code === 'not-found' ? ' (the run has ended or has not started measuring yet)' : ''}`));
    } finally {
      this.switchBtn.disabled = !(this.s.state === 'running' || this.s.state === 'setup');
    }
  }

  /** The session's state changed (started measuring, ended, failed). */
  stateChanged(): void {
    const s = this.s;
    const active = s.state === 'setup' || s.state === 'running';
    this.stopBtn.hidden = !active;
    this.switchBtn.disabled = !active;
    this.switchSelect.disabled = !active;
    if (!s.stopRequested) {
      this.stopBtn.disabled = false;
      this.stopBtn.textContent = 'Stop';
    }
    this.redraw(true);
    if ((s.state === 'done' || s.state === 'failed') && this.built) this.showWholeRun();
    if (s.state === 'done' && s.report && !this.reportArea.firstChild) this.reportArea.append(renderReport(s.report, this.policies, this.client));
    if (s.state === 'failed' && !this.reportArea.firstChild) {
      this.reportArea.append(h('section', { class: 'card' }, errorBox(s.error?.code === 'cancelled' ? 'The run was stopped' : 'The run failed', `${s.error?.message ?? ''} ${startErrorHint(s.error?.code ?? 'failed', s.error?.message ?? '')}`)));
    }
  }

  private redraw(force = false): void {
    const s = this.s;
    const store = s.store;
    const t0 = performance.now();
    const last = store.last;
    // Status line.
    const phase = s.state === 'setup' ? 'setup' : s.state === 'failed' ? 'failed' : s.state === 'done' ? (s.report?.status ?? 'done') : last?.phase ?? 'running';
    const kind = phase === 'failed' ? 'bad' : phase === 'stopped' || phase === 'stopping' ? 'warn' : phase === 'completed' ? 'ok' : 'info';
    this.phase.replaceChildren(badge(phase, kind));
    this.phase.dataset.phase = phase;
    const policyName = last?.policy ?? s.params.policy;
    const label = this.policies.find((p) => p.name === policyName)?.label ?? policyName;
    this.policyNow.replaceChildren('policy ', h('strong', { 'data-testid': 'live-current-policy', 'data-policy': policyName }, label),
      store.policies.length > 1 ? h('span', { class: 'muted' }, ` (switches: ${store.policies.slice(1).map((p) => `${p.policy} at ${fmtNum(p.at)} s`).join(', ')})`) : '');
    if (this.requested && last?.policy === this.requested.policy) {
      this.switchMsg.textContent = `switched to ${label} (asked at ${fmtNum(this.requested.at)} s, confirmed by the telemetry at ${fmtNum(last.t)} s)`;
      this.requested = undefined;
    }
    const dur = s.params.durationSec;
    if (s.state === 'setup') {
      const msg = s.progress?.message ?? 'setting up';
      this.progressText.textContent = `${msg} (models, lanes, calibration: before the first frame)`;
      this.progressBar.style.width = '0%';
    } else if (last) {
      const frac = Math.min(1, last.t / dur);
      this.progressBar.style.width = `${(frac * 100).toFixed(1)}%`;
      const totals = tenantCounters(last).reduce((a, c) => ({ released: a.released + c.released, finished: a.finished + c.finished }), { released: 0, finished: 0 });
      this.status.dataset.t = last.t.toFixed(2);
      this.progressText.textContent = `t = ${last.t.toFixed(1)} / ${dur} s · ${totals.released} frames released, ${totals.finished} finished`;
    }
    if (!this.built && last) this.build();
    if (!this.built || (!force && store.version === this.drawn)) return;
    this.drawn = store.version;
    this.redraws++;
    this.updateCharts(force);
    this.redrawMs = performance.now() - t0;
    this.responsiveness.textContent = `· view redraw ${this.redrawMs.toFixed(1)} ms (≤ ${1000 / REDRAW_MS}/s)`;
  }

  private build(): void {
    const store = this.s.store;
    this.built = true;
    const tenants = store.tenants;
    // Latency per tenant, deadlines dashed, misses as red triangles, drops as crosses at the deadline.
    // Each tenant has an on-time and a missed dataset (no per-point scriptable options: cheap redraws).
    const tenantSets = tenants.map((t, i) => ({ label: t, data: [] as LatencyPoint[], backgroundColor: withAlpha(color(i), 0.65), borderColor: color(i), pointRadius: 2.5, borderWidth: 0 }));
    const missedSets = tenants.map((t, i) => ({ label: `${t} missed`, data: [] as LatencyPoint[], backgroundColor: withAlpha(color(i), 0.8), borderColor: BAD, pointStyle: 'triangle', pointRadius: 5, borderWidth: 1.5 }));
    const deadlineSets = tenants.map((t, i) => ({ label: `${t} deadline`, data: [] as { x: number; y: number }[], showLine: true, borderColor: color(i), borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0, backgroundColor: color(i) }));
    const dropSet = { label: 'dropped (drawn at the deadline)', data: [] as { x: number; y: number; tenant: number }[], pointStyle: 'crossRot', pointRadius: 6, borderWidth: 2, borderColor: (c: any) => color((c.raw as { tenant?: number } | undefined)?.tenant ?? 0), backgroundColor: BAD };
    const lat = chartIn<'scatter'>({
      type: 'scatter',
      data: { datasets: [...tenantSets, ...missedSets, ...deadlineSets, dropSet] as any },
      options: {
        animation: false,
        parsing: false,
        scales: { x: { type: 'linear', title: { display: true, text: 'run time (s): frame finish' } }, y: { beginAtZero: true, title: { display: true, text: 'latency (ms)' } } },
        plugins: {
          legend: { labels: { filter: (item) => !/ (deadline|missed)$/.test(item.text), usePointStyle: true } },
          tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${fmtMs((c.raw as { y: number }).y)} at ${fmtNum((c.raw as { x: number }).x, 2)} s${(c.raw as LatencyPoint).missed ? ' (missed)' : ''}` } },
        },
      },
    }, { testId: 'live-latency', height: 300 });
    this.latency = lat.chart;
    this.latencyBox = lat.box;

    // Shares of the frames released (not counts): one late frame among hundreds stays a sliver.
    const miss = chartIn<'bar'>({
      type: 'bar',
      data: { labels: tenants, datasets: [
        { label: 'finished late', data: [], backgroundColor: '#e8590c' },
        { label: 'dropped', data: [], backgroundColor: BAD },
      ] },
      options: {
        animation: false,
        indexAxis: 'y',
        scales: { x: { stacked: true, min: 0, max: 10, ticks: { callback: (v) => `${v}%` }, title: { display: true, text: '% of the frames released (whole run)' } }, y: { stacked: true } },
        plugins: { tooltip: { callbacks: { label: (c) => {
          const k = tenantCounters(this.s.store.last)[c.dataIndex];
          const n = c.datasetIndex === 0 ? k?.late : k?.dropped;
          return `${c.dataset.label}: ${fmtNum(c.parsed.x, 2)}% (${n ?? 0} of ${k?.released ?? 0} released)`;
        } } } },
      },
    }, { testId: 'live-misses', height: 150 });
    this.misses = miss.chart;

    const lanes = store.lanes;
    this.laneView = new TimelineCanvas({
      testId: 'live-timeline-canvas',
      label: 'What runs on each lane during the live run',
      onNavigate: (w) => {
        // While following, a zoom (W/S, wheel) changes how many seconds are followed; a pan stops following.
        const span = w.end - w.start;
        if (this.follow && Math.abs(span - this.followSpan) > 1e-9) {
          this.followSpan = span;
          this.updateLaneView(true);
        } else this.follow = false;
        this.syncFollow();
      },
    });
    this.followBtn.addEventListener('click', () => {
      this.follow = true;
      this.syncFollow();
      this.updateLaneView(true);
    });
    this.wholeBtn.addEventListener('click', () => {
      this.follow = false;
      this.syncFollow();
      this.laneView?.setWindow({ start: 0, end: Math.max(1e-3, this.s.store.last?.t ?? 1) });
    });
    this.timelineBox.append(this.laneView.el);
    this.syncFollow();
    this.timelineLegend.replaceChildren(
      ...tenants.map((t, i) => h('span', { class: 'live-key' }, h('i', { style: `background:${color(i)}` }), t)),
      h('span', { class: 'live-key' }, h('i', { class: 'sim-hatch' }), 'transfer (activations moved between lanes)'),
      h('span', { class: 'live-key' }, h('i', { style: 'background:#7a5af8; width:3px' }), 'policy switch'),
      h('span', { class: 'live-key' }, '✕ dropped frame (at its deadline)'),
    );

    const pw = chartIn<'line'>({
      type: 'line',
      data: { datasets: [
        { label: 'power (W)', data: [], borderColor: '#c11574', backgroundColor: '#c11574', pointRadius: 0, borderWidth: 1.5, yAxisID: 'y' },
        { label: 'energy (J, cumulative)', data: [], borderColor: '#0e9384', backgroundColor: '#0e9384', pointRadius: 0, borderWidth: 1.5, yAxisID: 'y1' },
      ] },
      options: { animation: false, parsing: false, scales: { x: { type: 'linear', title: { display: true, text: 'run time (s)' } }, y: { beginAtZero: true, title: { display: true, text: 'W' } }, y1: { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: 'J' } } } },
    }, { testId: 'live-power', height: 220 });
    this.power = pw.chart;

    const ut = chartIn<'line'>({
      type: 'line',
      data: { datasets: lanes.map((l, i) => ({ label: l, data: [], borderColor: color(i + LANE_COLOR_OFFSET), backgroundColor: color(i + LANE_COLOR_OFFSET), pointRadius: 0, borderWidth: 1.5 })) },
      options: { animation: false, parsing: false, scales: { x: { type: 'linear', title: { display: true, text: 'run time (s)' } }, y: { min: 0, max: 100, title: { display: true, text: 'busy (%)' } } } },
    }, { testId: 'live-utilisation', height: 200 });
    this.util = ut.chart;

    const lp = chartIn<'line'>({
      type: 'line',
      data: { datasets: [
        { label: 'max per tick (ms)', data: [], borderColor: '#b42318', backgroundColor: '#b42318', pointRadius: 0, borderWidth: 1.5 },
        { label: 'max since the start (ms)', data: [], borderColor: '#475467', backgroundColor: '#475467', pointRadius: 0, borderWidth: 1.5, borderDash: [5, 4], stepped: true },
      ] },
      options: { animation: false, parsing: false, scales: { x: { type: 'linear', title: { display: true, text: 'run time (s)' } }, y: { beginAtZero: true, suggestedMax: 5, title: { display: true, text: 'delay (ms)' } } } },
    }, { testId: 'live-loop', height: 200 });
    this.loop = lp.chart;
    this.charts = [lat.chart, miss.chart, pw.chart, ut.chart, lp.chart];
    const markerNote = h('p', { class: 'muted live-note' }, 'On every time chart: a dashed violet line at each policy switch, a red triangle on the time axis at each dropped frame.');

    const card = (title: string | Node, ...body: (Node | string)[]) => h('section', { class: 'card' }, h('h2', {}, title), ...body);
    this.liveArea.append(
      h('div', { class: 'live-wide' }, card('Latency per tenant', h('p', { class: 'muted live-note' }, `Each finished frame (last ${store.options.windowSec} s); dashed: each tenant\u2019s deadline; red-edged triangles: deadline missed; crosses: dropped frames.`), markerNote,
        withTable(lat.box, lat.chart, { caption: 'Finished frames: latency by finish time', xTitle: 'finish (s)', yTitle: 'latency (ms)', skip: (l) => / deadline$/.test(l) }))),
      h('div', { class: 'live-wide' }, card('Misses and drops per tenant', h('div', { class: 'live-split' }, this.counters, withTable(miss.box, miss.chart, { caption: 'Late and dropped frames, % of the frames released', xTitle: 'tenant', digits: 2 })))),
      h('div', { class: 'live-wide' }, card('What runs on each lane', h('div', { class: 'row live-timeline-tools' }, this.followBtn, this.wholeBtn, this.timelineNote), this.timelineBox, this.timelineLegend)),
      card(h('span', {}, 'Power and energy ', this.powerSource), this.powerDetail, withTable(pw.box, pw.chart, { caption: 'Power (W) and energy (J) by run time', xTitle: 'run time (s)', yTitle: 'value' })),
      card('Lanes', withTable(ut.box, ut.chart, { caption: 'Busy share of each lane by run time', xTitle: 'run time (s)', yTitle: 'busy (%)' }), this.lanesTable),
      card('Policy state', this.weights, this.switches, h('h3', { class: 'live-h3' }, 'Observed / expected latency per tenant × lane'), h('p', { class: 'muted live-note' }, 'The online refinement: the run scales its predictions by these ratios (×1.00: as calibrated/profiled).'), this.ratios),
      card('Engine responsiveness', h('p', { class: 'muted live-note' }, `Event-loop delay of the engine process (it also serves this window\u2019s API) within each telemetry tick (every ${fmtNum(1000 / (this.s.params.telemetryHz ?? 10), 0)} ms): low values mean the engine keeps up while the lanes run. The lanes run in their own threads. Dashed: the largest delay since the run started.`),
        withTable(lp.box, lp.chart, { caption: 'Engine event-loop delay (ms) by run time', xTitle: 'run time (s)', yTitle: 'delay (ms)' }), this.loopText),
    );
    this.disposers.push(() => this.laneView?.dispose());
    // Charts scrolled out of sight redraw once a second instead of five times; back in sight, at once.
    const io = new IntersectionObserver((entries) => {
      let shown = false;
      for (const e of entries) {
        if (e.isIntersecting) {
          shown ||= this.offscreen.delete(e.target);
        } else this.offscreen.add(e.target);
      }
      if (shown) this.redraw(true);
    });
    for (const el of [lat.box, miss.box, this.timelineBox, pw.box, ut.box, lp.box]) io.observe(el);
    this.disposers.push(() => io.disconnect());
  }

  /** Whether a chart is redrawn this time: in sight, or once a second (every 5th redraw), or when forced. */
  private due(el: Element | undefined, force: boolean): boolean {
    return force || !el || !this.offscreen.has(el) || this.redraws % 5 === 0;
  }

  private updateCharts(force: boolean): void {
    const store = this.s.store;
    const last = store.last!;
    const { min, max } = store.xRange();
    const n = store.tenants.length;
    const lat = this.latency!;
    // Policy switches and drops on every time chart, drawn on their update below.
    const marks = { lines: store.policies.slice(1).map((p) => ({ x: p.at, label: `\u2192 ${p.policy}` })), ticks: store.drops.map((d) => ({ x: d.x })) };
    for (const c of [lat, this.power!, this.util!, this.loop!]) setMarkers(c, marks);
    const maxDeadline = Math.max(0, ...store.deadlinesMs);
    store.latency.forEach((series, i) => {
      const onTime = lat.data.datasets[i];
      const missed = lat.data.datasets[n + i];
      if (onTime) onTime.data = series.filter((p) => !p.missed);
      if (missed) missed.data = series.filter((p) => p.missed);
    });
    store.deadlinesMs.forEach((d, i) => {
      const ds = lat.data.datasets[2 * n + i];
      if (ds) ds.data = [{ x: min, y: d }, { x: max, y: d }];
    });
    const dropDs = lat.data.datasets[3 * n];
    if (dropDs) dropDs.data = store.drops.slice() as any;
    const xs = lat.options.scales!.x!;
    xs.min = min;
    xs.max = max;
    (lat.options.scales!.y as { suggestedMax?: number }).suggestedMax = maxDeadline * 1.3;
    if (this.due(this.latencyBox, force)) lat.update('none');
    this.latencyBox!.dataset.points = String(store.latencyPoints);

    const counters = tenantCounters(last);
    const shares = missShares(counters);
    this.misses!.data.datasets[0].data = shares.late;
    this.misses!.data.datasets[1].data = shares.dropped;
    (this.misses!.options.scales!.x as { max?: number }).max = missAxisMax(shares);
    if (this.due(this.misses!.canvas.parentElement ?? undefined, force)) this.misses!.update('none');
    this.counters.replaceChildren(table(counters, {
      Tenant: (c) => h('span', {}, h('i', { class: 'live-dot', style: `background:${color(counters.indexOf(c))}` }), c.tenant),
      Deadline: (c) => fmtMs(c.deadlineMs),
      Released: (c) => c.released,
      Finished: (c) => c.finished,
      Late: (c) => c.late,
      Dropped: (c) => c.dropped,
      Queued: (c) => c.queued,
      'Miss rate': (c) => (Number.isFinite(c.missRate) ? badge(fmtPct(c.missRate), c.missRate > 0.1 ? 'bad' : c.missRate > 0.01 ? 'warn' : 'ok') : DASH),
    }, { class: 'data live-compact', 'data-testid': 'live-counters' }));

    if (this.due(this.timelineBox, force)) this.updateLaneView(force);

    const src = last.power.source;
    this.powerSource.replaceChildren(src.kind === 'measured' ? badge('measured', 'ok', src.detail) : badge('ESTIMATE', 'warn', src.detail));
    this.powerDetail.textContent = `${src.kind === 'measured' ? 'Measured: ' : 'Not measured (no readable meter): '}${src.detail}. Power per telemetry tick; energy cumulative since the first frame.`;
    const pw = this.power!;
    pw.data.datasets[0].data = store.watts.slice();
    pw.data.datasets[1].data = store.joules.slice();
    pw.data.datasets[0].label = `power (W${src.kind === 'measured' ? '' : ', ESTIMATE'})`;
    pw.data.datasets[1].label = `energy (J, cumulative${src.kind === 'measured' ? '' : ', ESTIMATE'})`;
    pw.options.scales!.x!.min = min;
    pw.options.scales!.x!.max = max;
    if (this.due(pw.canvas.parentElement ?? undefined, force)) pw.update('none');

    const ut = this.util!;
    store.utilisation.forEach((series, i) => {
      if (ut.data.datasets[i]) ut.data.datasets[i].data = series.slice();
    });
    ut.options.scales!.x!.min = min;
    ut.options.scales!.x!.max = max;
    if (this.due(ut.canvas.parentElement ?? undefined, force)) ut.update('none');
    this.lanesTable.replaceChildren(table(last.lanes, {
      Lane: (l) => h('code', {}, l.id),
      State: (l) => (l.alive ? badge('alive', 'ok') : badge('failed', 'bad')),
      'Busy now': (l) => fmtPct(l.utilisation, 0),
      Runs: (l) => l.runs,
      'Power above idle': (l) => h('span', { title: 'busy share × the lane\u2019s busy watts: an estimate even when a meter measures the total' }, `${fmtNum(l.estimatedWatts)} W `, badge('ESTIMATE', 'warn')),
    }, { class: 'data live-compact', 'data-testid': 'live-lanes-table' }));

    const lp = this.loop!;
    lp.data.datasets[0].data = store.loopTickMax.slice();
    lp.data.datasets[1].data = store.loopMax.slice();
    lp.options.scales!.x!.min = min;
    lp.options.scales!.x!.max = max;
    if (this.due(lp.canvas.parentElement ?? undefined, force)) lp.update('none');
    this.loopText.replaceChildren(h('span', { 'data-testid': 'live-loop-summary' }, `Engine since the start: max ${fmtNum(last.loop.maxMs)} ms, p99 ${fmtNum(last.loop.p99Ms)} ms (last tick: max ${fmtNum(last.loop.tickMaxMs)} ms).`), ` This view: last redraw ${this.redrawMs.toFixed(1)} ms. `,
      store.omitted.jobs || store.omitted.slices ? badge(`${store.omitted.jobs} frames and ${store.omitted.slices} slices left out of telemetry batches (per-batch cap; the report has them all)`, 'warn') : '');

    const info = this.policies.find((p) => p.name === last.policy);
    const st = splitPolicyState(last.policyState);
    this.weights.replaceChildren(st.bars.length || st.numbers.length
      ? h('div', {},
          h('p', { class: 'muted live-note' }, `${info?.label ?? last.policy} now${info?.adaptive ? ' (retuned online)' : ''}:`),
          h('div', { class: 'live-weights' }, ...st.bars.map((b) =>
            h('div', { class: 'live-weight' }, h('span', {}, b.key), h('div', { class: 'live-bar' }, h('div', { style: `width:${(b.fraction * 100).toFixed(1)}%` })), h('code', {}, fmtNum(b.value, 3))))),
          st.numbers.length ? h('p', { class: 'muted live-note' }, st.numbers.map((n) => `${n.key} ${fmtNum(n.value, Number.isInteger(n.value) ? 0 : 3)}`).join(' · ')) : '')
      : h('p', { class: 'muted' }, `${info?.label ?? last.policy} has no tunable weights.`));
    const sw = store.modelSwitches;
    if (sw.length !== this.switchesShown) {
      this.switchesShown = sw.length;
      this.switches.replaceChildren(...(sw.length ? [
        h('h3', { class: 'live-h3' }, `Model-variant switches (${sw.length})`),
        // The report's parser of the policy's words (from / to / why), on the last 12.
        h('ul', { class: 'live-switches', 'data-testid': 'live-model-switches-table' },
          ...switchRows(sw.map((e) => ({ time: e.t, tenant: store.tenants.indexOf(e.tenant), kind: e.to === 'variant' ? 'model-variant-on' : 'model-variant-off', detail: e.detail })), store.tenants).slice(-12).map((r) =>
            h('li', {}, h('code', {}, r.at), ' ', h('code', {}, r.tenant), ' \u2192 ', r.to.startsWith('original') ? badge(r.to, 'ok') : badge(r.to, 'warn'), h('span', { class: 'muted' }, ` ${r.why}`)))),
      ] : []));
    }
    this.ratios.replaceChildren(table(store.tenants.map((t, i) => ({ t, i })), {
      'Tenant \\ lane': (r) => r.t,
      ...Object.fromEntries(store.lanes.map((l, li) => [l, (r: { i: number }) => {
        const v = last.ratios[r.i]?.[li];
        return badge(fmtRatio(v), ratioKind(v));
      }])),
    }, { class: 'data live-compact' }));
  }

  private syncFollow(): void {
    const done = this.s.state === 'done' || this.s.state === 'failed';
    this.followBtn.hidden = done;
    this.followBtn.disabled = this.follow;
    this.followBtn.setAttribute('aria-pressed', String(this.follow));
    const store = this.s.store;
    const kept = store.runKeptFrom > 0 ? ` Slices and frames before ${fmtNum(store.runKeptFrom, 1)} s were let go (the view keeps at most ${store.options.maxRunSlices.toLocaleString()} slices); the trace has them all.` : '';
    const omitted = store.omitted.slices || store.omitted.jobs ? ` ${store.omitted.slices} slices and ${store.omitted.jobs} frames were left out of the telemetry (per-batch cap): the trace has them.` : '';
    this.timelineNote.textContent = (done
      ? 'The whole run, as the telemetry showed it.'
      : this.follow ? `Following the run\u2019s last ${fmtNum(this.followSpan, 1)} s (W/S change it). Pan (A/D, Shift+drag) to look back: the whole run is kept.` : 'Stopped following: the view stays where you put it while the run goes on.') + kept + omitted;
  }

  /** The lane view from the whole run kept so far: the last seconds while following, else where the user left it. */
  private updateLaneView(force = false): void {
    const store = this.s.store;
    const v = this.laneView;
    if (!v || !store.last || (!force && store.version === this.laneDataVersion)) return;
    this.laneDataVersion = store.version;
    const t0 = performance.now();
    const data = store.runTimeline();
    v.setMarkers(store.policies.slice(1).map((p) => ({ t: p.at, label: `\u2192 ${p.policy}` })));
    v.setData(data, this.follow ? followWindow(data.horizon, this.followSpan) : undefined, store.runLongest);
    // Its share of the redraw, for the status line's figure (the canvas itself draws on the next frame).
    this.timelineBox.dataset.updateMs = (performance.now() - t0).toFixed(2);
  }

  /** After the run: the whole run, not its last seconds. */
  private showWholeRun(): void {
    if (!this.laneView || !this.s.store.last) return;
    this.follow = false;
    this.updateLaneView(true);
    this.laneView.setWindow({ start: 0, end: Math.max(1e-3, this.s.store.last.t) });
    this.syncFollow();
  }

  destroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const c of this.charts) c.destroy();
    this.charts = [];
    this.disposers.forEach((d) => d());
    this.disposers = [];
  }
}

// ---------------------------------------------------------------------------------------------
// The report.

/** A button that downloads one of the run's stored files (runs.export), reporting in `status`. */
function runFileButton(client: EngineClient, runId: string, file: 'report' | 'trace', status: HTMLElement): HTMLButtonElement {
  const b: HTMLButtonElement = h('button', { class: 'small secondary', 'data-testid': `live-download-${file}`, title: `Saves ${runId}.${file}.json through the browser` }, file === 'report' ? 'Download report' : 'Download trace');
  b.addEventListener('click', async () => {
    b.disabled = true;
    clear(status);
    try {
      const x = await client.call('runs.export', { id: runId, file });
      downloadText(x.filename, x.content, mimeFor(x.filename));
      status.append(h('p', { class: 'muted live-note', 'data-testid': 'live-download-done' }, `Saved ${x.filename} (${fmtBytes(x.bytes)}).`));
    } catch (e) {
      status.append(errorBox(`Could not download the ${file}`, `${(e as Error).message}${(e as { code?: string }).code === 'not-found' ? ' The Export view lists the runs stored in the engine\u2019s data directory.' : ''}`));
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

/** Opens the run's trace in ui.perfetto.dev (or saves it, saying why), reporting in `status`. */
function perfettoButton(client: EngineClient, runId: string, status: HTMLElement): HTMLButtonElement {
  const b: HTMLButtonElement = h('button', { class: 'small', 'data-testid': 'live-open-perfetto', title: 'Opens https://ui.perfetto.dev with this run\u2019s trace (needs the internet)' }, 'Open in Perfetto');
  b.addEventListener('click', () => {
    clear(status);
    const note = h('p', { class: 'muted live-note', 'data-testid': 'live-perfetto-status' }, 'Opening ui.perfetto.dev…');
    status.append(note);
    void openInPerfetto({
      title: `Tessera live run ${runId}`,
      trace: async () => {
        const x = await client.call('runs.export', { id: runId, file: 'trace' });
        return { filename: x.filename, content: x.content };
      },
    }).then((res) => (note.textContent = perfettoResultText(res)));
  });
  return b;
}

function facts(rows: [string, Node | string][], testId?: string): HTMLElement {
  return h('dl', { class: 'facts', 'data-testid': testId }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function sourceBadge(src: { kind: 'measured' | 'estimated'; detail: string }): HTMLElement {
  // The engine's estimate details start with the word ESTIMATE already: the badge says it once.
  return h('span', {}, src.kind === 'measured' ? badge('measured', 'ok') : badge('ESTIMATE', 'warn'), ` ${src.detail.replace(/^ESTIMATE\s+/, '')}`);
}

type Comparison = NonNullable<LiveReport['comparison']>[number];

/** Measured vs predicted per tenant: four groups (mean, p95, miss rate, drop rate) of measured / predicted / difference. */
function comparisonTable(rows: Comparison[], testId?: string): HTMLElement {
  const groups: { title: string; measured: (c: Comparison) => string; predicted: (c: Comparison) => string; diff: (c: Comparison) => HTMLElement }[] = [
    { title: 'Mean latency', measured: (c) => fmtMs(c.measured.meanLatencyMs), predicted: (c) => fmtMs(c.predicted.meanLatencyMs), diff: (c) => badge(fmtRel(c.diff.meanLatencyRel), diffKind(c.diff.meanLatencyRel, 'rel')) },
    { title: 'p95 latency', measured: (c) => fmtMs(c.measured.p95LatencyMs), predicted: (c) => fmtMs(c.predicted.p95LatencyMs), diff: (c) => badge(fmtRel(c.diff.p95LatencyRel), diffKind(c.diff.p95LatencyRel, 'rel')) },
    { title: 'Miss rate', measured: (c) => fmtPct(c.measured.missRate), predicted: (c) => fmtPct(c.predicted.missRate), diff: (c) => badge(fmtPts(c.diff.missRatePts), diffKind(c.diff.missRatePts, 'pts')) },
    { title: 'Drop rate', measured: (c) => fmtPct(c.measured.dropRate), predicted: (c) => fmtPct(c.predicted.dropRate), diff: (c) => badge(fmtPts(c.diff.dropRatePts), diffKind(c.diff.dropRatePts, 'pts')) },
  ];
  return h('div', { class: 'live-scroll' }, h('table', { class: 'data live-compact live-cmp', 'data-testid': testId },
    h('thead', {},
      h('tr', {}, h('th', { rowspan: 2 }, 'Tenant'), ...groups.map((g) => h('th', { colspan: 3, class: 'live-group' }, g.title))),
      h('tr', {}, ...groups.flatMap(() => [h('th', {}, 'measured'), h('th', {}, 'predicted'), h('th', { class: 'live-group-end' }, 'diff')]))),
    h('tbody', {}, ...rows.map((c) => h('tr', {},
      h('td', {}, c.tenant === '(all)' ? h('strong', {}, 'all tenants') : c.tenant),
      ...groups.flatMap((g) => [h('td', {}, g.measured(c)), h('td', {}, g.predicted(c)), h('td', { class: 'live-group-end' }, g.diff(c))]))))));
}

/** Measured energy per tenant, attributed by regression (with n, R² and 95% intervals), or why it is not available. */
function energyAttribution(list: NonNullable<LiveReport['energy']['attribution']>): HTMLElement {
  const j = (e: { value: number; lo: number; hi: number }) => `${fmtNum(e.value, 2)} J [${fmtNum(e.lo, 2)}, ${fmtNum(e.hi, 2)}]`;
  return h('div', { 'data-testid': 'live-energy-attribution' }, ...list.map((a) =>
    a.attribution === 'unavailable'
      ? h('p', { class: 'muted live-note' }, badge('not available', 'warn'), ` ${a.reason}`)
      : h('div', {},
          h('p', { class: 'live-note', title: a.method }, badge('regression', 'ok'), ` on ${a.meter}: ${a.samples} samples, R² ${fmtNum(a.r2, 2)}, 95% intervals; baseline ${j(a.baselineJoules)} of ${fmtNum(a.measuredJoules, 2)} J measured`),
          h('ul', { class: 'live-list' }, ...a.tenants.map((t) => h('li', {}, `${t.tenant}: ${j(t.joules)} (${fmtNum(t.busySec, 2)} s busy)`))))));
}

/** The prediction without the calibration beside the measured figures, and how much of the error the calibration removed. */
function calibrationBlock(r: LiveReport, cmpTable: (rows: Comparison[], testId?: string) => HTMLElement): HTMLElement | null {
  const c = r.calibration;
  if (!c) return null;
  const removed = (x: number | null | undefined) => (x === null || x === undefined ? 'nothing to remove' : `${Math.round(100 * x)}%`);
  return h('div', { 'data-testid': 'live-calibration' },
    h('p', { class: 'live-note' },
      c.machine ? badge('calibrated', 'ok') : badge('no machine calibration', 'warn'),
      ` ${c.machine ? `Machine calibration ${c.machine.key} (${c.machine.createdAt.slice(0, 16).replace('T', ' ')}).` : 'Run `tessera calibrate` to measure lane interference, dispatch and copy costs on this machine.'}`,
      c.errorRemoved ? ` Error removed by the calibration: mean latency ${removed(c.errorRemoved.meanLatency)}, miss rate ${removed(c.errorRemoved.missRate)}.` : ''),
    h('p', { class: 'muted live-note' }, `Applied: ${c.applied.join('; ')}.`),
    c.dispatcher
      ? h('p', { class: 'muted live-note', 'data-testid': 'live-dispatcher' },
          c.dispatcher.errorRemoved
            ? `Dispatcher modelled: ${fmtNum(c.dispatcher.serviceUs ?? NaN, 0)} µs per dispatch, ${fmtPct(c.dispatcher.utilisation ?? 0, 1)} of a core, ${c.dispatcher.waited ?? 0} predicted waits; error it removes over the calibrated prediction without it: mean latency ${removed(c.dispatcher.errorRemoved.meanLatency)}, miss rate ${removed(c.dispatcher.errorRemoved.missRate)}.`
            : `Dispatcher: ${c.dispatcher.note}.`)
      : null,
    c.uncalibrated ? h('details', {}, h('summary', {}, 'Prediction without the calibration (one lane at a time, idle dispatch cost)'), cmpTable(c.uncalibrated, 'live-comparison-uncalibrated')) : null);
}

function renderReport(r: LiveReport, policies: PolicyInfo[], client: EngineClient): HTMLElement {
  const label = (name: string) => policies.find((p) => p.name === name)?.label ?? name;
  const statusBadge = r.status === 'completed' ? badge('completed', 'ok') : r.status === 'stopped' ? badge('stopped', 'warn') : badge('failed', 'bad');
  const m = r.metrics;
  const rows = [...m.perTenant.map((t, i) => ({ ...t, i })), { ...m.overall, tenant: '(all)', i: -1 }];
  const tenantInfo = (i: number) => r.tenants[i];
  const card = (title: string, ...body: (Node | string | null)[]) => h('section', { class: 'card' }, h('h2', {}, title), ...body);
  const warned = routeWarnings(r.warnings, WARNING_TOPICS);

  const head = card('Report',
    warningList(warned.other, 'live-warnings-general', 'Warnings'),
    h('div', { class: 'row live-report-head' }, statusBadge, h('code', {}, r.runId), h('span', {}, r.scenario)),
    r.status === 'stopped' ? h('p', { class: 'live-stopped' }, `Stopped after ${fmtNum(r.elapsedSec)} s of ${r.durationSec} s (${r.error ?? 'stopped'}): the report covers what was measured until then.${r.abandoned ? ` ${r.abandoned} frame(s) still in flight were left out of the metrics.` : ''}`) : null,
    r.status === 'failed' ? errorBox('The run failed', r.error ?? 'no reason given') : null,
    facts([
      ['Policy', `${label(r.policy)} (${r.policy})${r.policySwitches.length ? `; switched: ${r.policySwitches.map((s) => `${label(s.policy)} at ${fmtNum(s.at, 2)} s`).join(', ')}` : ''}`],
      ['Elapsed', `${fmtNum(r.elapsedSec, 2)} s (frames released for ${r.durationSec} s, then drained)`],
      ['Granularity, scale, seed', `${r.granularity}, ×${r.scale}, ${r.seed}`],
      ['Latency predictions from', r.latencySource],
    ]),
  );

  const tenants = card('Per-tenant metrics (measured)',
    h('div', { class: 'live-scroll' }, table(rows, {
      Tenant: (t) => (t.i >= 0 ? h('span', {}, h('i', { class: 'live-dot', style: `background:${color(t.i)}` }), t.tenant) : h('strong', {}, 'all tenants')),
      Model: (t) => (t.i >= 0 ? `${tenantInfo(t.i)?.model ?? ''} (${tenantInfo(t.i)?.units ?? '?'} unit${tenantInfo(t.i)?.units === 1 ? '' : 's'})` : ''),
      Deadline: (t) => (t.i >= 0 ? fmtMs(tenantInfo(t.i)?.deadlineMs) : ''),
      Released: (t) => t.released,
      Finished: (t) => t.finished,
      Late: (t) => t.finishedLate,
      Dropped: (t) => t.dropped,
      'Miss rate': (t) => badge(fmtPct(t.missRate), (t.missRate ?? 0) > 0.1 ? 'bad' : (t.missRate ?? 0) > 0.01 ? 'warn' : 'ok'),
      'Mean latency': (t) => fmtMs(t.meanLatency * 1000),
      p95: (t) => fmtMs(t.p95Latency * 1000),
      Max: (t) => fmtMs(t.maxLatency * 1000),
      'Frames/s': (t) => fmtNum(t.throughput),
      ANTT: (t) => fmtNum(t.antt, 2),
    }, { class: 'data live-compact', 'data-testid': 'live-tenant-metrics' })),
    h('p', { class: 'muted live-note' }, 'Miss rate = (finished late + dropped) / released. ANTT: mean latency over the latency alone on the machine (predicted).'),
  );

  let predicted: HTMLElement;
  if (r.comparison && r.predicted) {
    const cmpTable = (rows: NonNullable<LiveReport['comparison']>, testId?: string) => comparisonTable(rows, testId);
    predicted = card('Predicted vs measured',
      h('p', { class: 'muted live-note' }, 'The simulator run with the same latency table, scenario, policy and seed, beside what the live run measured. Latencies differ relatively (measured − predicted) / predicted; rates in percentage points.'),
      cmpTable(r.comparison, 'live-comparison'),
      divergenceBox(r, client),
      warningList(warned.byTopic.prediction, 'live-warnings-prediction'),
      h('p', { class: 'muted live-note' }, `How the prediction was made: ${r.predicted.note}.`),
      h('details', {}, h('summary', {}, 'Predicted latency of each whole model per lane'),
        table(r.tenants, {
          Tenant: (t) => t.id,
          ...Object.fromEntries(r.lanes.map((l, li) => [l.id, (t: LiveReport['tenants'][number]) => (t.predictedMs[li] === null ? 'cannot run' : fmtMs(t.predictedMs[li]))])),
        }, { class: 'data live-compact' })),
      calibrationBlock(r, cmpTable),
      r.hindsight ? h('details', {}, h('summary', {}, 'Hindsight: re-simulated with the latencies learnt online (not a prediction)'), h('p', { class: 'muted live-note' }, r.hindsight.note), cmpTable(r.hindsight.comparison)) : null,
    );
  } else {
    predicted = card('Predicted vs measured', h('p', { class: 'muted', 'data-testid': 'live-comparison' }, 'No prediction: the run released no frames before it ended.'));
  }

  const lanes = card('Lanes',
    table(r.lanes, {
      Lane: (l) => h('code', {}, l.id),
      EP: (l) => `${l.ep}${l.threads ? ` (${l.threads} thread${l.threads === 1 ? '' : 's'})` : ''}`,
      State: (l) => (l.alive ? badge('alive', 'ok') : badge(`failed at ${fmtNum(l.failure?.at, 2)} s`, 'bad', l.failure?.reason)),
      Busy: (l) => `${fmtNum(l.busySec, 2)} s`,
      Utilisation: (l) => fmtPct(l.utilisation),
      Runs: (l) => l.runs,
      'Dispatch overhead': (l) => `${fmtNum(l.dispatchOverheadUs, 0)} µs`,
    }, { class: 'data live-compact' }),
    warningList(warned.byTopic.lanes, 'live-warnings-lanes'),
  );

  const o = r.overload;
  const overload = card('Transfers and overload',
    facts([
      ['Transfers', r.transfers.count ? `${r.transfers.count} (mean ${fmtNum(r.transfers.meanUs, 0)} µs, p95 ${fmtNum(r.transfers.p95Us, 0)} µs, ${fmtBytes(r.transfers.bytes)} moved)` : 'none (model granularity, or every layer stayed on its lane)'],
      ['Queue maxima', r.tenants.map((t, i) => `${t.id} ${o.maxQueued[i] ?? DASH}`).join(', ')],
      ['Drops by cause', r.drops ? describeDrops(r.drops) : `${o.queueDrops} by a full queue, ${o.policyDrops} by the policy`],
      ['Engine event-loop delay', `max ${fmtNum(o.eventLoopDelayMs.max)} ms, p99 ${fmtNum(o.eventLoopDelayMs.p99)} ms, mean ${fmtNum(o.eventLoopDelayMs.mean, 2)} ms`],
      ['Faults', r.faults.length ? h('span', {}, ...r.faults.map((f) => h('div', {}, badge('fault', 'bad'), ` ${f.lane} at ${fmtNum(f.at, 2)} s: ${f.reason} (${f.rescheduledJobs} job(s) rescheduled)`))) : 'none'],
      ['Abandoned at stop', String(r.abandoned)],
      ['Records kept', `${r.caps.jobsKept} frames${r.caps.jobsDropped ? ` (${r.caps.jobsDropped} left out by the cap)` : ''}, ${r.caps.slicesKept} slices${r.caps.slicesDropped ? ` (${r.caps.slicesDropped} left out)` : ''}`],
    ], 'live-overload'),
    warningList(warned.byTopic.records, 'live-warnings-records'),
  );

  const e = r.energy;
  const energy = card('Energy and scores',
    facts([
      ['Energy', h('span', {}, `${fmtNum(e.joules, 2)} J, ${fmtNum(e.averageWatts, 2)} W average, ${fmtNum(m.energy.perFrameJ, 4)} J per frame `, e.source.kind === 'measured' ? badge('measured', 'ok') : badge('ESTIMATE', 'warn'))],
      ['Source', sourceBadge(e.source)],
      ...(e.attribution?.length ? [['Energy per tenant', energyAttribution(e.attribution)] as [string, Node]] : []),
      ...(e.meters.length ? [['Meters not used', h('ul', { class: 'live-list' }, ...e.meters.map((x) => h('li', {}, x)))] as [string, Node]] : []),
      ['XRBench score', h('span', { title: m.xrbench.constants }, `${fmtNum(m.xrbench.score, 3)} (real-time ${fmtNum(m.xrbench.realtime, 3)}, energy ${fmtNum(m.xrbench.energyScore, 3)}, QoE ${fmtNum(m.xrbench.qoe, 3)})`)],
      ['UXCost', h('span', { title: m.uxcost.definition }, `${fmtNum(m.uxcost.value, 4)} (Tessera\u2019s definition; energy ${e.source.kind === 'measured' ? 'measured' : 'estimated'})`)],
      ['STP', `${fmtNum(m.stp, 1)} frames/s`],
      ['SLOs met (all at once; no SLO counts as met)', `${fmtPct(m.slo.tenantsAll, 0)} of tenants, ${fmtPct(m.slo.windowsAll, 0)} of ${fmtNum(m.slo.windowLength, 1)} s windows`],
    ], 'live-energy'),
    warningList(warned.byTopic.energy, 'live-warnings-energy'),
  );

  const adaptation = card('Adaptation at the end',
    r.adaptation.policyState ? facts(Object.entries(r.adaptation.policyState).map(([k, v]) => [k, fmtNum(v, Number.isInteger(v) ? 0 : 3)])) : h('p', { class: 'muted' }, 'The final policy has no tunable weights.'),
    h('h3', { class: 'live-h3' }, 'Observed / expected latency per tenant × lane'),
    table(r.tenants.map((t, i) => ({ t, i })), {
      'Tenant \\ lane': (x) => x.t.id,
      ...Object.fromEntries(r.lanes.map((l, li) => [l.id, (x: { i: number }) => badge(fmtRatio(r.adaptation.ratios[x.i]?.[li]), ratioKind(r.adaptation.ratios[x.i]?.[li]))])),
    }, { class: 'data live-compact' }),
  );

  const variantBlock = variantUseBlock(r.variantUse, r.policyEvents, r.tenants.map((t) => t.id), 'live-variant-use');
  const variants = variantBlock ? card('Layer variants and model switches', variantBlock) : null;

  const fileStatus = h('div', { class: 'live-file-status', 'data-testid': 'live-file-status' });
  const files = card('Trace and files',
    r.files
      ? h('div', {},
          facts([
            ['Trace', h('span', {}, h('code', { 'data-testid': 'live-trace-path' }, r.files.trace), ' ', runFileButton(client, r.runId, 'trace', fileStatus))],
            ['Report', h('span', {}, h('code', {}, r.files.report), ' ', runFileButton(client, r.runId, 'report', fileStatus))],
          ]),
          h('div', { class: 'row' }, perfettoButton(client, r.runId, fileStatus)),
          fileStatus,
          h('p', { class: 'muted live-note' }, 'Open in Perfetto sends the trace to ', h('a', { href: 'https://ui.perfetto.dev', target: '_blank', rel: 'noopener' }, 'https://ui.perfetto.dev'), ' in a new tab (online only; offline, or from the desktop app, it saves the file to open there with "Open trace file"): a track per lane with every layer run and transfer, drops, policy switches and faults.'))
      : h('p', { class: 'muted' }, 'No files were written for this run.'),
  );

  return h('div', { 'data-testid': 'live-report', 'data-status': r.status }, head, tenants, predicted, h('div', { class: 'grid2' }, lanes, overload), h('div', { class: 'grid2' }, energy, adaptation), variants, files);
}

/** Predicted vs measured beyond the tolerance, with the likely reasons the run recorded. */
function divergenceBox(r: LiveReport, client: EngineClient): HTMLElement {
  const box = h('div', { 'data-testid': 'live-divergence' });
  const draw = (thisHost?: string) => {
    clear(box);
    const d = explainDivergence({
      comparison: r.comparison, hindsight: r.hindsight, lanes: r.lanes, ratios: r.adaptation.ratios, latencySource: r.latencySource,
      eventLoopDelayMaxMs: r.overload.eventLoopDelayMs.max, switches: r.policySwitches.length, faults: r.faults.length, thisHost,
    });
    const tol = `±${Math.round(PREDICTION_TOLERANCE.latencyRel * 100)}% latency, ±${PREDICTION_TOLERANCE.ratePts} points rates`;
    if (d.beyond.length === 0) box.append(h('p', { class: 'muted live-note' }, badge('within tolerance', 'ok'), ` Every tenant's figures are within the tolerance (${tol}).`));
    else box.append(h('div', { class: 'warn-block', role: 'note' },
      h('strong', {}, `Beyond the tolerance (${tol}): `), d.beyond.join('; '), '.',
      h('div', {}, h('strong', {}, 'Likely reasons: ')), h('ul', { class: 'warn-list', 'data-testid': 'live-divergence-reasons' }, ...d.reasons.map((x) => h('li', {}, x)))));
  };
  draw();
  // The engine's host tells profiles measured on another machine apart.
  client.call('engine.info', {}).then((i) => draw(i.hostname), () => {});
  return box;
}
