// The Scenarios view: the scenario library (XRBench usage scenarios and probability sweep, mixed
// examples, the user's), one scenario's tenants and cascade graph, demand vs capacity on stored
// profiles, load scaling, validation/import of a scenario file, and the model library.
import './scenarios.css';
import type { Plugin } from 'chart.js';
import type { MethodName, ParamsOf, ResultOf } from '../../engine/api';
import { chartIn, color, withAlpha, withTable, type Chart } from '../charts';
import { badge, clear, errorBox, h, table } from '../dom';
import * as fm from './scenarios-model';
import { fmtCompact, fmtMs, fmtPct } from '../format';
import { errorHint, type Hints } from '../error-hints';
import type { View, ViewContext } from './view';
import { checkLanes, coresFromLanes, defaultLanesFor } from './live-model';
import { isRecord, remembered } from '../remember';

type Summary = ResultOf<'scenarios.list'>[number];
type ScenarioDetail = ResultOf<'scenarios.get'>;
type Tenant = ScenarioDetail['tenants'][number];
type Demand = ResultOf<'scenarios.demand'>;
type LibraryModel = ResultOf<'scenarios.models'>[number];
type ModelInfo = ResultOf<'scenarios.model'>;
type ProfileSummary = ResultOf<'profiles.list'>[number];
type ScaleResult = ResultOf<'scenarios.scale'>;
type ModelRefParam = ParamsOf<'scenarios.model'>['ref'];

const scenarioHref = (id: string) => `#/scenarios/${encodeURIComponent(id)}`;

/** What to do about an engine error, by its code. */
const HINTS: Hints = {
  'not-found': 'Check the id or path (the scenario list and the Profiles view show what is stored).',
  'bad-scenario': 'Fix the scenario and validate it again (every error is listed).',
  'bad-model': 'The model cannot be produced on this machine: the Model library tab says which are available and why not.',
  exists: 'Tick "Replace" to overwrite it, or choose another name.',
  'bad-request': 'Change the inputs above as the message says.',
};

/** An engine failure as an error box naming what to do; a cancellation as a quiet line. */
function failure(what: string, e: unknown): HTMLElement {
  const err = e as { message?: string; code?: string };
  if (err?.code === 'cancelled') return h('p', { class: 'muted' }, `${what}: cancelled.`);
  const hint = errorHint(err?.code, HINTS);
  return errorBox(what, `${err?.message ?? String(e)}${hint ? ` ${hint}` : ''}`);
}

/** SVG elements (h() makes HTML elements only). */
function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, ...children: (SVGElement | string)[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

/** The nodes that are there (for append/replaceChildren, which take no null). */
const present = (...xs: (Node | null | undefined | false)[]): Node[] => xs.filter((x): x is Node => !!x);

function labelBadge(label: string | undefined, synthetic: boolean, family?: string): HTMLElement {
  return badge(fm.shortLabel(label, family), fm.labelKind(synthetic), label || undefined);
}

/** Runs engine jobs with a progress bar and a Cancel button; aborts whatever is still running when the view goes away. */
class Jobs {
  private controllers = new Set<AbortController>();
  constructor(private readonly client: ViewContext['client']) {}

  async run<M extends MethodName>(area: HTMLElement, label: string, method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    const ac = new AbortController();
    this.controllers.add(ac);
    const bar = h('div', { style: 'width: 100%' });
    const track = h('div', { class: 'progress scn-indeterminate' }, bar);
    const msg = h('span', { class: 'muted' }, `${label}…`);
    const box = h('div', { class: 'scn-job', 'data-testid': 'job-progress' }, track, h('div', { class: 'row scn-job-row' }, msg, h('button', { class: 'secondary small', onclick: () => ac.abort() }, 'Cancel')));
    area.append(box);
    try {
      return await this.client.call(method, params, {
        signal: ac.signal,
        onProgress: (p) => {
          if (typeof p.fraction === 'number' && Number.isFinite(p.fraction)) {
            track.classList.remove('scn-indeterminate');
            bar.style.width = `${Math.round(Math.min(1, Math.max(0, p.fraction)) * 100)}%`;
          }
          if (p.message) msg.textContent = p.message;
        },
      });
    } finally {
      box.remove();
      this.controllers.delete(ac);
    }
  }

  abortAll(): void {
    for (const ac of this.controllers) ac.abort();
    this.controllers.clear();
  }
}

export const scenariosView: View = {
  id: 'scenarios',
  title: 'Scenarios',
  render(root, ctx, param) {
    const jobs = new Jobs(ctx.client);
    const charts: Chart[] = [];
    const cleanup = () => {
      jobs.abortAll();
      for (const c of charts.splice(0)) c.destroy();
    };
    if (param) renderDetail(root, ctx, param, jobs, charts);
    else renderLibrary(root, ctx, jobs);
    return cleanup;
  },
};

// ---------------------------------------------------------------------------------------------
// The library page: scenarios by source, the model library, validate / import

function renderLibrary(root: HTMLElement, ctx: ViewContext, jobs: Jobs): void {
  const scenariosPane = h('div', { class: 'stack', id: 'scn-pane-scenarios', role: 'tabpanel', 'data-testid': 'scenario-library' }, h('p', { class: 'muted' }, 'Reading the scenario library…'));
  const modelsPane = h('div', { class: 'stack', id: 'scn-pane-models', role: 'tabpanel', hidden: true, 'data-testid': 'model-library-pane' });
  const tabScenarios = h('button', { class: 'scn-tab active', role: 'tab', 'aria-selected': 'true', 'aria-controls': 'scn-pane-scenarios', onclick: () => show('scenarios') }, 'Scenario library');
  const tabModels = h('button', { class: 'scn-tab', role: 'tab', 'aria-selected': 'false', 'aria-controls': 'scn-pane-models', onclick: () => show('models') }, 'Model library');
  let modelsLoaded = false;
  function show(which: 'scenarios' | 'models') {
    scenariosPane.hidden = which !== 'scenarios';
    modelsPane.hidden = which !== 'models';
    tabScenarios.classList.toggle('active', which === 'scenarios');
    tabModels.classList.toggle('active', which === 'models');
    tabScenarios.setAttribute('aria-selected', String(which === 'scenarios'));
    tabModels.setAttribute('aria-selected', String(which === 'models'));
    if (which === 'models' && !modelsLoaded) {
      modelsLoaded = true;
      void loadModels(modelsPane, ctx, jobs);
    }
  }
  root.append(
    h('header', { class: 'view-header' }, h('h1', {}, 'Scenarios')),
    h('div', { class: 'scn-tabs', role: 'tablist' }, tabScenarios, tabModels),
    scenariosPane,
    modelsPane,
  );

  const listArea = h('div', { class: 'stack' });
  scenariosPane.replaceChildren(listArea, validateCard(ctx));
  async function loadList() {
    listArea.replaceChildren(h('p', { class: 'muted' }, 'Reading the scenario library…'));
    try {
      const list = await ctx.client.call('scenarios.list', {});
      clear(listArea);
      for (const g of fm.groupLibrary(list)) listArea.append(groupCard(g));
    } catch (e) {
      listArea.replaceChildren(failure('Could not read the scenario library', e));
    }
  }
  void loadList();
}

function groupCard(g: fm.LibraryGroup<Summary>): HTMLElement {
  const body = g.items.length
    ? table(g.items, {
        Scenario: (s) => h('a', { href: scenarioHref(s.id), class: 'scn-link', 'data-scenario-id': s.id }, s.id),
        Tenants: (s) =>
          s.error
            ? badge('does not validate', 'bad', s.error)
            : h('div', { class: 'scn-tenant-list' }, h('strong', {}, String(s.tenants.length)), ' ', h('span', { class: 'muted' }, s.tenants.map((t) => `${t.id} (${t.rate}${t.cascade ? `, ${t.cascade}` : ''})`).join('; '))),
        Description: (s) => (s.error ? h('span', { class: 'scn-error-text' }, s.error) : h('span', { class: 'scn-desc' }, s.description || '–')),
      }, { class: 'data scn-library' })
    : h('p', { class: 'muted' }, 'None yet. Import a scenario file below, or save a scaled scenario from a scenario\u2019s Scale panel.');
  return h('section', { class: 'card', 'data-group': g.key }, h('h2', {}, g.title, ' ', h('span', { class: 'muted scn-count' }, `(${g.items.length})`)), g.blurb ? h('p', { class: 'muted scn-blurb' }, g.blurb) : null, body);
}

function validateCard(ctx: ViewContext): HTMLElement {
  const path = h('input', { type: 'text', placeholder: '/path/to/scenario.json or an XRBench .m file', size: 60, 'data-testid': 'validate-path' });
  const skipModels = h('input', { type: 'checkbox' });
  const importId = h('input', { type: 'text', placeholder: 'default: the file name', size: 22 });
  const force = h('input', { type: 'checkbox' });
  const out = h('div', { class: 'stack', 'data-testid': 'validate-result' });
  const validateBtn = h('button', { onclick: () => void validate() }, 'Validate');
  const importBtn = h('button', { class: 'secondary', disabled: true, onclick: () => void doImport() }, 'Import into my library');
  let validPath: string | undefined;
  path.addEventListener('input', () => {
    importBtn.disabled = path.value.trim() !== validPath;
  });

  async function validate() {
    const p = path.value.trim();
    if (!p) {
      out.replaceChildren(errorBox('Give the path of a scenario file', 'A .json scenario or an XRBench/MAESTRO .m file, on the machine that runs the engine.'));
      return;
    }
    validateBtn.disabled = true;
    importBtn.disabled = true;
    validPath = undefined;
    out.replaceChildren(h('p', { class: 'muted' }, 'Validating…'));
    try {
      const r = await ctx.client.call('scenarios.validate', { path: p, ...(skipModels.checked ? { models: 'none' as const } : {}) });
      const checked = `Checked: structure ${r.checked.structure ? 'yes' : 'no'}, semantics ${r.checked.semantics ? 'yes' : 'no'}, models ${r.checked.models ? 'yes' : 'no'}.`;
      if (r.ok) {
        validPath = p;
        importBtn.disabled = false;
        out.replaceChildren(h('p', {}, badge('valid', 'ok'), ' ', r.scenario ? `${r.scenario.name}: ${r.scenario.tenants.length} tenant(s) (${r.scenario.tenants.map((t) => t.id).join(', ')}).` : '', ' ', h('span', { class: 'muted' }, checked)));
      } else {
        out.replaceChildren(
          h('p', {}, badge(`${r.errors.length} error${r.errors.length === 1 ? '' : 's'}`, 'bad'), ' ', h('span', { class: 'muted' }, checked)),
          h('ul', { class: 'scn-errors', 'data-testid': 'validate-errors' }, ...r.errors.map((e) => h('li', {}, e))),
        );
      }
    } catch (e) {
      out.replaceChildren(failure('Could not validate', e));
    } finally {
      validateBtn.disabled = false;
    }
  }

  async function doImport() {
    const p = path.value.trim();
    importBtn.disabled = true;
    try {
      const r = await ctx.client.call('scenarios.import', { path: p, ...(importId.value.trim() ? { id: importId.value.trim() } : {}), ...(force.checked ? { force: true } : {}) });
      out.replaceChildren(
        h('p', {}, badge('imported', 'ok'), ' ', h('a', { href: scenarioHref(r.id), 'data-testid': 'imported-link' }, `Open ${r.id}`), h('span', { class: 'muted' }, ` (stored at ${r.path})`)),
        ...present(r.notes.length ? h('ul', { class: 'muted' }, ...r.notes.map((n) => h('li', {}, n))) : null),
      );
    } catch (e) {
      out.append(failure('Could not import', e));
      importBtn.disabled = false;
    }
  }

  return h('section', { class: 'card', 'data-testid': 'validate-card' },
    h('h2', {}, 'Validate or import a scenario file'),
    h('p', { class: 'muted' }, 'Checks the structure, unknown fields, rates, deadlines, cascades and (unless skipped) that every model can be produced with its input shapes; lists every error with the tenant and field it is about. The path is read on the machine that runs the engine.'),
    h('div', { class: 'row' },
      h('label', {}, 'Scenario file', path),
      h('label', { class: 'scn-check' }, h('span', {}, skipModels, ' skip model checks')),
      validateBtn),
    h('div', { class: 'row' },
      h('label', {}, 'Import as user/…', importId),
      h('label', { class: 'scn-check' }, h('span', {}, force, ' replace an existing one')),
      importBtn),
    out,
  );
}

async function loadModels(pane: HTMLElement, ctx: ViewContext, jobs: Jobs): Promise<void> {
  pane.replaceChildren(h('p', { class: 'muted' }, 'Reading the model library…'));
  const detail = h('div', {});
  let models: LibraryModel[];
  try {
    models = await ctx.client.call('scenarios.models', {});
  } catch (e) {
    pane.replaceChildren(failure('Could not read the model library', e));
    return;
  }
  const search = h('input', { type: 'search', placeholder: 'Search: id, task, architecture, package…', size: 40, 'data-testid': 'model-search', 'aria-label': 'Search the model library' });
  const count = h('span', { class: 'muted', 'data-testid': 'model-count', 'aria-live': 'polite' });
  const groupsBox = h('div', { class: 'stack', 'data-testid': 'model-library' });
  const notKnown = (what: string) => h('span', { class: 'muted', title: `${what} is known once the model has been generated or loaded (its first profile or scenario use); its profile lists it` }, '–');
  const draw = () => {
    const groups = fm.groupModels(models, search.value);
    const shown = groups.reduce((n, g) => n + g.items.length, 0);
    count.textContent = search.value.trim() ? `${shown} of ${models.length} models match` : `${models.length} models`;
    groupsBox.replaceChildren(...groups.map((g) => h('section', { class: 'card', 'data-testid': `model-group-${g.family}` },
      h('h2', {}, g.title, ' ', h('span', { class: 'muted scn-count' }, `(${g.items.length}${g.items.length !== g.total ? ` of ${g.total}` : ''})`)),
      // What the models of this group are, said once (not in every description).
      h('p', { class: 'scn-blurb' }, badge(fm.shortLabel(g.label, g.family), fm.labelKind(g.synthetic), g.label), ' ', h('span', { class: 'muted' }, `Every model here: ${g.label}.`)),
      g.items.length
        ? h('div', { class: 'scn-scroll' },
          table(g.items, {
            Id: (m) => h('button', { class: 'scn-linkbtn', onclick: () => void showModel(detail, ctx, jobs, { kind: 'library', id: m.id }, m.id) }, m.id),
            Model: (m) => h('div', {}, m.title, h('div', { class: 'muted scn-small' }, m.description)),
            'Input shapes': (m) => h('div', {}, ...Object.entries(m.inputShapes).map(([k, v]) => h('div', {}, h('code', {}, `${k} ${fm.shapeText(v)}`)))),
            Size: (m) => fm.modelSizeText(m) ?? notKnown('Its size'),
            Layers: (m) => (m.layers !== undefined ? String(m.layers) : notKnown('The layer count')),
            GMACs: (m) => (m.macs !== undefined ? fmtCompact(m.macs / 1e9, 3) : notKnown('The MAC count')),
            Available: (m: LibraryModel) => (m.available ? badge('available', 'ok') : h('div', {}, badge('unavailable', 'bad'), m.reason ? h('div', { class: 'muted scn-small' }, m.reason) : null)),
          }, { class: 'data scn-tbl scn-models', 'data-family': g.family }))
        : h('p', { class: 'muted' }, 'No model of this group matches the search.'),
    )));
  };
  search.addEventListener('input', draw);
  draw();
  pane.replaceChildren(
    h('section', { class: 'card' },
      h('h2', {}, 'Model library'),
      h('p', { class: 'muted' }, 'Models a scenario tenant can name by id, and the Profiles view can profile. Click an id for what it is; XRBench replicas list every layer as built.'),
      h('div', { class: 'row' }, h('label', {}, 'Search', search), count)),
    groupsBox,
    detail,
  );
}

function labelLegend(labels: string[]): HTMLElement {
  return h('p', { class: 'scn-legend muted' }, ...labels.filter(Boolean).flatMap((l) => [badge(fm.shortLabel(l), /synthetic/.test(l) ? 'warn' : 'ok', l), ` ${l}. `]));
}

/** One model: label, input shapes, stats and, for XRBench replicas, every layer as built. */
async function showModel(area: HTMLElement, ctx: ViewContext, jobs: Jobs, ref: ModelRefParam, title: string): Promise<void> {
  const card = h('section', { class: 'card', 'data-testid': 'model-detail' }, h('h2', {}, `Model ${title}`));
  area.replaceChildren(card);
  card.scrollIntoView({ block: 'start', behavior: 'smooth' });
  let m: ModelInfo;
  try {
    m = await jobs.run(card, `Describing ${title}`, 'scenarios.model', { ref });
  } catch (e) {
    card.append(failure(`Could not describe ${title}`, e));
    return;
  }
  const facts: [string, Node | string][] = [
    ['What it is', h('span', {}, labelBadge(m.label, m.synthetic, m.family), ' ', m.label)],
    ['Family', m.family],
    ['Input shapes', h('code', {}, fm.inputShapesText(m.inputShapes))],
  ];
  if (m.stats) facts.push(['Layers / MACs', `${m.stats.layers} layers, ${fm.macsText(m.stats.macs)}MACs per inference (${m.stats.source === 'generator' ? 'exact, from the generator' : m.stats.source})`]);
  card.append(h('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
  const notes = [...m.notes, ...(m.stats?.notes ?? [])];
  if (notes.length) card.append(h('h3', { class: 'scn-h3' }, 'Assumptions and notes'), h('ul', { class: 'scn-notes' }, ...notes.map((n) => h('li', {}, n))));
  if (!m.layers) {
    card.append(h('p', { class: 'muted' }, m.family === 'xrbench' ? 'No layer list.' : 'A layer list as built exists for XRBench layer-shape replicas only. For this model, profile it (Profiles view, or tessera profile) to see its layers with measured latencies.'));
    return;
  }
  const layers = m.layers;
  card.append(
    h('p', { class: 'muted' }, `${layers.length} layers as built. Strides and padding are derived from how the spec's layers chain (XRBench gives neither); MACs are of the layer as built.`),
    h('div', { class: 'scn-scroll scn-layers' },
      table(layers, {
        '#': (l) => String(l.index),
        Layer: (l) => h('code', {}, l.name),
        Op: (l) => `${l.type}${l.op !== 'Conv' ? ` (${l.op})` : ''}${l.group > 1 ? `, group ${l.group}` : ''}`,
        'Input → output': (l) => h('code', {}, `${fm.shapeText(l.inputShape)} → ${fm.shapeText(l.outputShape)}`),
        Kernel: (l) => `${l.weightShape.length === 4 ? `${l.weightShape[2]}×${l.weightShape[3]}` : '–'}`,
        Stride: (l) => (l.stride ? l.stride.join('×') : '–'),
        Padding: (l) => fm.padsText(l.pads),
        'MMACs': (l) => fmtCompact(l.macs / 1e6),
        Assumptions: (l) =>
          h('div', { class: 'scn-small' },
            ...l.assumptions.map((a) => h('div', {}, a)),
            ...l.before.map((b) => h('div', { class: 'muted' }, `before: ${b.adapter.op} ${fm.shapeText(b.from)} → ${fm.shapeText(b.to)} (${b.reason})`))),
      }, { class: 'data scn-tbl scn-layer-table', 'data-testid': 'model-layers' })),
  );
}

// ---------------------------------------------------------------------------------------------
// One scenario

interface DemandState {
  profiles: ProfileSummary[];
  selected: Set<string>;
  lanes: Set<string>;
  profileFor: Record<string, string>;
}

function renderDetail(root: HTMLElement, ctx: ViewContext, id: string, jobs: Jobs, charts: Chart[]): void {
  const body = h('div', { class: 'stack' });
  root.append(h('header', { class: 'view-header' }, h('a', { href: '#/scenarios', class: 'scn-back' }, '← All scenarios'), h('h1', {}, id)), body);
  void (async () => {
    let v: ScenarioDetail;
    try {
      body.append(h('p', { class: 'muted scn-small', 'data-testid': 'loading-note' }, 'Reading each tenant\u2019s model: XRBench replicas are counted from their layer list; other models are generated or loaded and their MACs counted with one CPU run the first time (cached after), which can take a while.'));
      v = await jobs.run(body, `Loading ${id} and its models`, 'scenarios.get', { id, models: true });
      body.querySelector('[data-testid="loading-note"]')?.remove();
    } catch (e) {
      body.querySelector('[data-testid="loading-note"]')?.remove();
      body.append(failure(`Could not load scenario "${id}"`, e));
      return;
    }
    const modelArea = h('div', {});
    const state: DemandState = { profiles: [], selected: new Set(), lanes: new Set(), profileFor: {} };
    let demand = demandCard(v, ctx, jobs, charts, state);
    // New profiles: the demand card lists them (a fresh card, its picks reset).
    const onProfiled = () => {
      const fresh = demandCard(v, ctx, jobs, charts, Object.assign(state, { profiles: [], selected: new Set<string>(), lanes: new Set<string>(), profileFor: {} }));
      demand.replaceWith(fresh);
      demand = fresh;
    };
    body.append(
      overviewCard(v),
      nextStepsCard(v, ctx, jobs, onProfiled),
      tenantsCard(v, (t) => void showModel(modelArea, ctx, jobs, v.scenario.tenants.find((x) => x.id === t.id)!.model, `${t.model} (tenant ${t.id})`)),
      graphCard(v),
      modelArea,
      demand,
      scaleCard(v, ctx, jobs, state),
    );
  })();
}

// ---------------------------------------------------------------------------------------------
// Next steps: profile the missing models here, then Simulate / Run live / Tune with the context

interface NextSettings {
  lanes: string;
  budget: string;
}
/** The lanes and budget of the next-steps card, remembered across scenarios and reloads. */
const nextMemory = remembered<NextSettings>('scenarios.next', 1, (x) =>
  isRecord(x) && typeof x.lanes === 'string' && typeof x.budget === 'string' && !checkLanes(x.lanes) && Number(x.budget) > 0 ? { lanes: x.lanes, budget: x.budget } : undefined,
);

function nextStepsCard(v: ScenarioDetail, ctx: ViewContext, jobs: Jobs, onProfiled: () => void): HTMLElement {
  const saved = nextMemory.load();
  const lanes = h('input', { type: 'text', size: 22, value: saved?.lanes ?? '', placeholder: 'cpu:1,cpu:1', 'data-testid': 'next-lanes', spellcheck: 'false' });
  const budget = h('input', { type: 'number', min: 1, step: 1, value: saved?.budget ?? '15', class: 'scn-num', style: 'width: 6em', 'data-testid': 'next-budget' });
  const lanesWarn = h('span', { class: 'scn-error-text scn-small', 'data-testid': 'next-lanes-problem' });
  const status = h('p', { 'data-testid': 'next-profiles' }, h('span', { class: 'muted' }, 'Checking which models have a stored profile…'));
  const work = h('div', { class: 'stack', 'data-testid': 'next-work' });
  const profileBtn = h('button', { 'data-testid': 'profile-missing', disabled: true, title: 'Profiles every model of this scenario that has no stored profile on these lanes, one after another' }, 'Profile missing models');
  const simBtn = h('button', { class: 'secondary', 'data-testid': 'next-simulate' }, 'Simulate');
  const liveBtn = h('button', { class: 'secondary', 'data-testid': 'next-live' }, 'Run live');
  const tuneBtn = ctx.hasView?.('tune') ? h('button', { class: 'secondary', 'data-testid': 'next-tune' }, 'Tune') : null;
  const why = h('span', { class: 'muted scn-small', 'data-testid': 'next-why' });
  let found: Record<string, string> = {};
  let missing: { tenant: string; model: string }[] = [];
  let checking = 0;

  const laneList = () => fm.lanesList(lanes.value);
  const remember = () => {
    if (!checkLanes(lanes.value) && Number(budget.value) > 0) nextMemory.save({ lanes: lanes.value.trim(), budget: budget.value });
  };
  const sync = (busy = false) => {
    const problem = checkLanes(lanes.value);
    lanesWarn.textContent = problem ?? '';
    const profiles = [...new Set(Object.values(found))];
    profileBtn.disabled = busy || !!problem || missing.length === 0;
    profileBtn.textContent = missing.length ? `Profile missing models (${missing.length})` : 'Profile missing models';
    simBtn.disabled = busy || !!problem || missing.length > 0;
    liveBtn.disabled = busy || !!problem;
    if (tuneBtn) tuneBtn.disabled = busy || !!problem;
    why.textContent = problem ? '' : missing.length ? 'Simulate needs a profile of every model: profile the missing ones first. A live run calibrates the models it has no profile for.' : `Simulate and Run live open with this scenario, its ${profiles.length} profile${profiles.length === 1 ? '' : 's'} and these lanes.`;
  };
  async function check() {
    const mine = ++checking;
    const problem = checkLanes(lanes.value);
    sync();
    if (problem) return;
    status.replaceChildren(h('span', { class: 'muted' }, 'Checking which models have a stored profile…'));
    try {
      const r = await ctx.client.call('scenarios.profiles', { id: v.id, lanes: fm.profileLanes(laneList()) });
      if (mine !== checking) return;
      found = r.found;
      missing = r.missing;
      status.replaceChildren(missing.length ? badge(`${missing.length} missing`, 'warn') : badge('all profiled', 'ok'), ' ', fm.profilesLine(found, missing, laneList()));
    } catch (e) {
      if (mine !== checking) return;
      found = {};
      missing = [];
      status.replaceChildren(failure('Could not check the stored profiles', e));
    }
    sync();
  }
  const carried = () => ({ profiles: [...new Set(Object.values(found))], lanes: laneList() });
  simBtn.addEventListener('click', () => ctx.navigate('simulate', v.id, carried()));
  liveBtn.addEventListener('click', () => ctx.navigate('live', v.id, carried()));
  tuneBtn?.addEventListener('click', () => ctx.navigate('tune', v.id, carried()));
  profileBtn.addEventListener('click', () => {
    void (async () => {
      const b = Number(budget.value);
      if (!(b > 0)) {
        work.replaceChildren(errorBox('Give a time budget', 'Seconds per lane and model, e.g. 15 (10-20 s is enough for most models).'));
        return;
      }
      remember();
      sync(true);
      work.replaceChildren();
      try {
        const r = await jobs.run(work, `Profiling ${missing.length} model${missing.length === 1 ? '' : 's'}`, 'scenarios.profileMissing', { id: v.id, lanes: fm.profileLanes(laneList()), budgetSec: b });
        work.replaceChildren(h('p', { 'data-testid': 'profile-missing-done' }, badge('profiled', 'ok'), ' ',
          r.profiled.length ? `On ${r.lanes.join(', ')}: ` : 'Nothing was missing.',
          ...r.profiled.flatMap((x, i) => [i ? ', ' : '', h('a', { href: `#/profiles/${encodeURIComponent(x.id)}` }, x.model), x.status === 'complete' ? '' : ` (${x.status})`]),
          r.profiled.length ? '.' : ''));
        onProfiled();
      } catch (e) {
        work.replaceChildren(failure('Could not profile the missing models', e));
      }
      await check();
    })();
  });
  lanes.addEventListener('input', () => {
    remember();
    void check();
  });
  budget.addEventListener('input', remember);

  void (async () => {
    if (!saved) {
      try {
        lanes.value = defaultLanesFor(coresFromLanes(await ctx.client.call('lanes.list', { probe: false })));
      } catch {
        lanes.value = 'cpu:1,cpu:1';
      }
    }
    void check();
  })();

  return h('section', { class: 'card', 'data-testid': 'scenario-next' },
    h('h2', {}, 'Next steps'),
    h('p', { class: 'muted' }, 'Profile the models on this machine, then compare policies in the simulator, run the scenario live', tuneBtn ? ' or tune a schedule' : '', '. The scenario, its profiles and the lanes go with you.'),
    h('div', { class: 'row' },
      h('label', { title: 'Comma-separated EP[:THREADS]; a repeated lane is a second lane of that kind (profiled once)' }, 'Lanes', lanes),
      h('label', { title: 'Measurement time per lane and model' }, 'Budget per model (s)', budget),
      profileBtn, simBtn, liveBtn, tuneBtn),
    lanesWarn,
    status,
    why,
    work,
  );
}

function overviewCard(v: ScenarioDetail): HTMLElement {
  return h('section', { class: 'card' },
    h('h2', {}, v.name, ' ', badge(v.origin === 'builtin' ? 'mixed example' : v.origin, 'info')),
    v.description ? h('p', {}, v.description) : null,
    v.source ? h('p', { class: 'muted scn-small' }, `Source: ${v.source}`) : null,
    v.notes.length ? h('ul', { class: 'scn-notes' }, ...v.notes.map((n) => h('li', {}, n))) : null,
    v.scaling?.length ? h('div', {}, h('h3', { class: 'scn-h3' }, 'Scaled from'), h('ul', { class: 'scn-notes' }, ...v.scaling.map((s) => h('li', {}, `${s.from}: ${s.mode} ×${fmtCompact(s.factor, 3)} on ${s.tenants.join(', ')} — ${s.reason}`)))) : null,
  );
}

function tenantsCard(v: ScenarioDetail, onModel: (t: Tenant) => void): HTMLElement {
  const labels = [...new Set(v.tenants.map((t) => t.label).filter(Boolean))];
  const anyEstimated = v.tenants.some((t) => t.macsSource === 'estimated');
  return h('section', { class: 'card' },
    h('h2', {}, `Tenants (${v.tenants.length})`),
    labels.length ? labelLegend(labels) : null,
    h('div', { class: 'scn-scroll' },
      table(v.tenants, {
        Tenant: (t) => h('div', {}, h('strong', {}, t.id), t.description ? h('div', { class: 'muted scn-small' }, t.description) : null),
        Model: (t) => h('div', {}, h('button', { class: 'scn-linkbtn', title: 'Show what this model is (layers as built for XRBench replicas)', onclick: () => onModel(t) }, t.model), h('div', {}, labelBadge(t.label, t.synthetic, t.family))),
        Layers: (t) => (t.layers !== undefined ? String(t.layers) : '–'),
        'MACs / inference': (t) => h('span', { title: t.macsSource ? `MACs ${t.macsSource === 'generator' ? 'exact from the model generator' : t.macsSource === 'counted' ? 'counted from one CPU run' : 'estimated from another input size'}` : '' }, fm.macsText(t.macs), t.macsSource === 'estimated' ? ' (est.)' : ''),
        Rate: (t) => h('div', {}, fm.rateText(t.arrival), t.cascade ? h('div', { class: 'muted scn-small' }, `effective ${fmtCompact(t.effectiveFps, 3)}/s`) : null),
        Deadline: (t) => fmtMs(t.deadlineMs),
        Priority: (t) => String(t.priority),
        Cascade: (t) => (t.cascade ? `after ${t.cascade.upstream}, ${fm.probabilityLabel(t.cascade.probability)}` : '–'),
        'SLOs': (t) => {
          const s = fm.slosText(t.slos);
          const b = t.accuracyBudget !== undefined ? `accuracy budget ${fmtPct(t.accuracyBudget, 1)}` : '';
          return [s, b].filter(Boolean).join('; ') || '–';
        },
        Demand: (t) => fm.macsRate(t.macsPerSec),
      }, { class: 'data scn-tbl scn-compact scn-tenants', 'data-testid': 'tenants' })),
    v.totals ? h('p', { 'data-testid': 'total-macs' }, h('strong', {}, `Total: ${fm.macsRate(v.totals.macsPerSec)}`), h('span', { class: 'muted' }, ` (${v.totals.layers} layers over ${v.tenants.length} models; cascade dependents at their effective rate = upstream rate × probability)${anyEstimated ? '; some MACs estimated' : ''}.`)) : null,
  );
}

function graphCard(v: ScenarioDetail): HTMLElement {
  const layout = fm.layoutCascadeGraph(
    v.tenants.map((t) => ({ id: t.id, sub: fm.rateText(t.arrival) })),
    v.cascades,
  );
  const markerId = 'scn-arrow';
  const drawing = svg('svg', { width: layout.width, height: layout.height, viewBox: `0 0 ${layout.width} ${layout.height}`, class: 'scn-graph', 'data-testid': 'cascade-graph', role: 'img', 'aria-label': `Cascade graph of ${v.name}` },
    svg('defs', {}, svg('marker', { id: markerId, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'scn-arrowhead' }))),
  );
  for (const e of layout.edges) {
    drawing.append(svg('g', { class: 'edge', 'data-from': e.from, 'data-to': e.to },
      svg('path', { d: e.path, class: 'scn-edge', 'marker-end': `url(#${markerId})` }),
      svg('text', { x: e.labelX, y: e.labelY, 'text-anchor': 'middle', class: 'scn-edge-label' }, e.label)));
  }
  v.tenants.forEach((t, i) => {
    const n = layout.nodes.find((x) => x.id === t.id)!;
    drawing.append(svg('g', { class: 'node', 'data-tenant': t.id, transform: `translate(${n.x} ${n.y})` },
      svg('rect', { width: n.w, height: n.h, rx: 6, fill: withAlpha(color(i), 0.1), stroke: color(i) }),
      svg('text', { x: n.w / 2, y: 18, 'text-anchor': 'middle', class: 'scn-node-id' }, t.id),
      svg('text', { x: n.w / 2, y: 34, 'text-anchor': 'middle', class: 'scn-node-sub' }, n.sub ?? '')));
  });
  return h('section', { class: 'card' },
    h('h2', {}, 'Cascade graph'),
    h('p', { class: 'muted' }, v.cascades.length ? 'An arrow runs from an upstream tenant to the one its finished frame releases, with the probability that it does.' : 'No cascades: every tenant releases its own frames.'),
    h('div', { class: 'scn-graph-box' }, drawing),
    layout.problems.length ? errorBox('The cascades do not form a forest', layout.problems.join('; ')) : null,
  );
}

// ---------------------------------------------------------------------------------------------
// Demand vs capacity

function demandCard(v: ScenarioDetail, ctx: ViewContext, jobs: Jobs, charts: Chart[], state: DemandState): HTMLElement {
  const picker = h('div', { class: 'stack' }, h('p', { class: 'muted' }, 'Reading the stored profiles…'));
  const out = h('div', { class: 'stack scn-out', 'data-testid': 'demand' });
  const card = h('section', { class: 'card' },
    h('h2', {}, 'Demand vs capacity'),
    h('p', { class: 'muted' }, 'With a profile of every model on this machine: each tenant\u2019s work per second on its preferred lane and each lane\u2019s utilisation with every layer on its fastest lane, computed from the profiles\u2019 measured layer latencies. Without profiles: the scenario\u2019s MACs per second only.'),
    picker,
    out,
  );

  async function compute(withProfiles: boolean) {
    for (const c of charts.splice(0)) c.destroy();
    out.replaceChildren();
    const params: ParamsOf<'scenarios.demand'> = { id: v.id };
    if (withProfiles) {
      params.profiles = [...state.selected];
      if (state.lanes.size) params.lanes = [...state.lanes];
      const pf = Object.fromEntries(Object.entries(state.profileFor).filter(([, p]) => p && state.selected.has(p)));
      if (Object.keys(pf).length) params.profileFor = pf;
    }
    try {
      const d = await jobs.run(out, withProfiles ? 'Computing demand vs capacity' : 'Computing MACs per second', 'scenarios.demand', params);
      out.replaceChildren(renderDemand(d, v, charts));
    } catch (e) {
      out.replaceChildren(failure('Could not compute the demand', e));
    }
  }

  void (async () => {
    try {
      state.profiles = (await ctx.client.call('profiles.list', {})).filter((p) => !p.error);
    } catch (e) {
      picker.replaceChildren(failure('Could not read the stored profiles', e));
    }
    renderPicker();
    void compute(false);
  })();

  function renderPicker() {
    if (!state.profiles.length) {
      picker.replaceChildren(h('p', { 'data-testid': 'no-profiles' }, badge('no profiles', 'warn'), ' No stored profiles yet, so there is no capacity check. Profile each model of this scenario on this machine in the ', h('a', { href: '#/profiles' }, 'Profiles view'), ' or from a terminal with ', h('code', {}, 'tessera profile MODEL'), ' (library ids work, e.g. ', h('code', {}, v.tenants[0]?.model ?? 'xrbench/ES_RITNet'), '), then come back here.'));
      return;
    }
    const lanesBox = h('div', { class: 'row scn-lanes' });
    const forBox = h('div', {});
    const button = h('button', { onclick: () => void compute(true), disabled: state.selected.size === 0, 'data-testid': 'demand-run' }, 'Compute demand vs capacity');
    const renderLanes = () => {
      const lanes = [...new Set(state.profiles.filter((p) => state.selected.has(p.id)).flatMap((p) => p.lanes))];
      for (const l of [...state.lanes]) if (!lanes.includes(l)) state.lanes.delete(l);
      clear(lanesBox);
      if (!lanes.length) {
        lanesBox.append(h('span', { class: 'muted' }, 'Lanes: pick profiles first.'));
        return;
      }
      lanesBox.append(h('span', { class: 'muted' }, 'Lanes:'));
      for (const l of lanes) {
        const cb = h('input', { type: 'checkbox', checked: state.lanes.has(l), onchange: () => (cb.checked ? state.lanes.add(l) : state.lanes.delete(l)) });
        lanesBox.append(h('label', { class: 'scn-check' }, h('span', {}, cb, ' ', h('code', {}, l))));
      }
      lanesBox.append(h('span', { class: 'muted scn-small' }, 'none ticked = every lane of the profiles'));
    };
    const renderFor = () => {
      const chosen = state.profiles.filter((p) => state.selected.has(p.id));
      clear(forBox);
      if (chosen.length < 2) return;
      forBox.append(
        h('details', {}, h('summary', {}, 'Profile per tenant (when matching by model hash or name is not enough)'),
          table(v.tenants, {
            Tenant: (t) => t.id,
            Model: (t) => h('code', {}, t.model),
            Profile: (t) => {
              const sel = h('select', { 'aria-label': `Profile for tenant ${t.id}`, onchange: () => (sel.value ? (state.profileFor[t.id] = sel.value) : delete state.profileFor[t.id]) },
                h('option', { value: '' }, 'automatic (model hash, then name)'),
                ...chosen.map((p) => h('option', { value: p.id, selected: state.profileFor[t.id] === p.id }, `${p.id} (${p.model})`)));
              return sel;
            },
          }, { class: 'data' })),
      );
    };
    const rows = table(state.profiles, {
      '': (p) => {
        const cb = h('input', {
          type: 'checkbox',
          checked: state.selected.has(p.id),
          'data-profile': p.id,
          'aria-label': `Use profile ${p.id} (${p.model})`,
          onchange: () => {
            if (cb.checked) state.selected.add(p.id);
            else state.selected.delete(p.id);
            button.disabled = state.selected.size === 0;
            renderLanes();
            renderFor();
          },
        });
        return cb;
      },
      Profile: (p) => h('code', {}, p.id),
      Model: (p) => p.model,
      Lanes: (p) => p.lanes.join(', '),
      Layers: (p) => String(p.layers),
      Status: (p) => (p.status === 'complete' ? badge('complete', 'ok') : badge(p.status, 'warn')),
      Measured: (p) => `${new Date(p.createdAt).toLocaleString()} on ${p.machine}`,
    }, { class: 'data', 'data-testid': 'profile-picker' });
    renderLanes();
    picker.replaceChildren(
      h('p', { class: 'muted' }, 'Pick a profile of each model (tenants are matched to profiles by model hash, then by name):'),
      h('div', { class: 'scn-scroll scn-profiles' }, rows),
      lanesBox,
      forBox,
      h('div', { class: 'row' }, button, h('button', { class: 'secondary', onclick: () => void compute(false) }, 'MACs/s only')),
    );
  }
  return card;
}

const capacityLine: Plugin<'bar'> = {
  id: 'scnCapacityLine',
  afterDatasetsDraw(chart) {
    const y = chart.scales.y?.getPixelForValue(100);
    if (y === undefined || !Number.isFinite(y)) return;
    const { left, right } = chart.chartArea;
    const c = chart.ctx;
    c.save();
    c.strokeStyle = '#b42318';
    c.lineWidth = 1.5;
    c.setLineDash([6, 4]);
    c.beginPath();
    c.moveTo(left, y);
    c.lineTo(right, y);
    c.stroke();
    c.setLineDash([]);
    c.font = '12px system-ui, sans-serif';
    c.textAlign = 'right';
    c.textBaseline = 'bottom';
    const text = '100% = lane fully busy';
    const w = c.measureText(text).width;
    c.fillStyle = 'rgba(255, 255, 255, 0.85)';
    c.fillRect(right - w - 8, y - 18, w + 6, 15);
    c.fillStyle = '#b42318';
    c.fillText(text, right - 4, y - 4);
    c.restore();
  },
};

function renderDemand(d: Demand, v: ScenarioDetail, charts: Chart[]): HTMLElement {
  const wrap = h('div', { class: 'stack' });
  const notes = d.notes.length ? h('ul', { class: 'scn-notes muted' }, ...d.notes.map((n) => h('li', {}, n))) : null;
  if (d.mode === 'macs') {
    wrap.append(
      h('p', { 'data-testid': 'macs-demand' }, badge('MACs/s only: not a capacity check', 'info'), ' ', h('strong', {}, `${fm.macsRate(d.totalMacsPerSec)} in total`), h('span', { class: 'muted' }, ': how much arithmetic the scenario asks for, not whether this machine keeps up. Pick profiles above for latency, lane utilisation and feasibility.')),
      table(d.tenants, {
        Tenant: (t) => t.id,
        Model: (t) => h('span', {}, h('code', {}, t.model), ' ', labelBadge(t.label, /synthetic/.test(t.label ?? ''))),
        'Effective rate': (t) => `${fmtCompact(t.effectiveFps, 3)}/s`,
        'MACs / inference': (t) => `${fm.macsText(t.macs)}${t.macsSource === 'estimated' ? ' (est.)' : ''}`,
        'MACs from': (t) => (t.macsSource === 'generator' ? 'model generator (exact)' : t.macsSource === 'counted' ? 'counted from one run' : 'estimated'),
        Demand: (t) => fm.macsRate(t.macsPerSec),
      }, { class: 'data' }),
      ...present(notes),
    );
    return wrap;
  }
  const feasibility = d.feasible
    ? badge('feasible (necessary conditions met)', 'ok', 'No lane over 100% and every tenant within its deadline alone; queueing and preemption can still cause misses.')
    : badge('infeasible', 'bad');
  wrap.append(
    h('div', { 'data-testid': 'feasibility' }, feasibility, ' ', h('span', { class: 'muted' }, `${fm.macsRate(d.totalMacsPerSec)} in total. Figures are computed from the profiles\u2019 measured layer latencies (isolated, no contention): an estimate of load, not a measurement of this scenario running.`)),
    ...present(d.reasons.length ? h('ul', { class: 'scn-reasons', 'data-testid': 'feasibility-reasons' }, ...d.reasons.map((r) => h('li', {}, r))) : null),
  );
  const ids = v.tenants.map((t) => t.id);
  const s = fm.utilisationSeries(d.lanes, ids);
  const { box, chart } = chartIn<'bar'>(
    {
      type: 'bar',
      data: {
        labels: s.labels,
        datasets: s.series.map((x) => ({ label: x.tenant, data: x.data, backgroundColor: withAlpha(color(ids.indexOf(x.tenant)), 0.75), borderColor: color(ids.indexOf(x.tenant)), borderWidth: 1, stack: 'u' })),
      },
      options: {
        animation: false,
        scales: {
          x: { stacked: true, title: { display: true, text: 'lane' } },
          y: { stacked: true, min: 0, max: s.max, title: { display: true, text: 'utilisation' }, ticks: { callback: (val) => `${val}%` } },
        },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${(c.parsed.y ?? 0).toFixed(1)}%`, footer: (items) => (items.length ? `lane total ${s.totals[items[0].dataIndex].toFixed(1)}%` : '') } },
        },
      },
      plugins: [capacityLine],
    },
    { testId: 'utilisation-chart', height: 280 },
  );
  charts.push(chart as unknown as Chart);
  const lanes = d.lanes.map((l) => l.id);
  const match = d.profileMatch ?? {};
  wrap.append(
    h('div', { class: 'grid2' },
      h('div', {}, withTable(box, chart, { caption: 'Utilisation (%) per lane, by tenant', xTitle: 'lane' }), h('p', { class: 'muted scn-small' }, 'Each lane\u2019s busy share with every layer on its fastest lane, stacked by tenant; the dashed line is 100% (the lane never idle).')),
      table(d.lanes, {
        Lane: (l) => h('code', {}, l.id),
        Utilisation: (l) => h('span', { class: l.utilisation > 1 ? 'scn-over' : '' }, fmtPct(l.utilisation)),
        'Busy ms/s': (l) => fmtCompact(l.busyMsPerSec),
      }, { class: 'data scn-lane-table', 'data-testid': 'lane-utilisation' })),
    h('div', { class: 'scn-scroll' },
      table(d.tenants, {
        Tenant: (t) => h('strong', {}, t.id),
        Profile: (t) => h('span', { class: 'scn-small' }, match[t.id] ?? t.profileId ?? '–'),
        'Rate': (t) => `${fmtCompact(t.effectiveFps, 3)}/s`,
        'Preferred lane': (t) => (t.preferredLane ? h('code', {}, t.preferredLane) : '–'),
        ...Object.fromEntries(lanes.map((l) => [`Alone on ${l}`, (t: Demand['tenants'][number]) => {
          const x = t.isolatedMs?.perLane[l];
          return x === null ? h('span', { class: 'muted', title: 'some layer cannot run on this lane' }, 'cannot run') : fmtMs(x);
        }])),
        'Best mix': (t) => fmtMs(t.isolatedMs?.bestMix),
        Deadline: (t) => fmtMs(t.deadlineMs),
        'Busy ms/s': (t) => h('span', { title: 'preferred lane / best mix' }, `${fmtCompact(t.busyMsPerSec?.preferred)} / ${fmtCompact(t.busyMsPerSec?.bestMix)}`),
        'Meets deadline alone': (t) => h('span', {}, t.meetsDeadlineIsolated ? badge('yes', 'ok') : badge('no', 'bad'), t.latencyEstimated ? ' ' : '', t.latencyEstimated ? badge('estimated', 'warn', 'Latency scaled from the profiled size by the MAC ratio') : ''),
      }, { class: 'data scn-tbl scn-compact', 'data-testid': 'demand-tenants' })),
    ...present(notes),
  );
  return wrap;
}

// ---------------------------------------------------------------------------------------------
// Load scaling

function scaleCard(v: ScenarioDetail, ctx: ViewContext, jobs: Jobs, state: DemandState): HTMLElement {
  const mode = h('select', {}, h('option', { value: 'rate' }, 'frame rates'), h('option', { value: 'resolution' }, 'input resolution'));
  const target = h('select', {},
    h('option', { value: 'factor' }, 'factor ×'),
    h('option', { value: 'util' }, 'target utilisation % (needs profiles)'),
    h('option', { value: 'macs' }, 'target GMAC/s'));
  const value = h('input', { type: 'number', min: '0', step: 'any', value: '1.5', size: 8, 'data-testid': 'scale-value' });
  const skewList = h('datalist', { id: 'scn-skew-lanes' });
  const skew = h('input', { type: 'text', placeholder: 'none', size: 10, list: 'scn-skew-lanes' });
  skew.addEventListener('focus', () => {
    const lanes = [...new Set(state.profiles.filter((p) => state.selected.has(p.id)).flatMap((p) => p.lanes))];
    skewList.replaceChildren(...lanes.map((l) => h('option', { value: l })));
  });
  const name = h('input', { type: 'text', placeholder: `default: ${v.name}@rate-x…`, size: 24 });
  const save = h('input', { type: 'text', placeholder: 'not saved', size: 18, 'data-testid': 'scale-save' });
  const force = h('input', { type: 'checkbox' });
  const out = h('div', { class: 'stack scn-out', 'data-testid': 'scale-result' });
  const run = h('button', { onclick: () => void doScale() }, 'Scale');
  target.addEventListener('change', () => {
    value.value = target.value === 'factor' ? '1.5' : target.value === 'util' ? '80' : String(Math.round((v.totals?.macsPerSec ?? 1e11) / 1e9));
  });

  async function doScale() {
    const x = Number(value.value);
    if (!(x > 0) || !Number.isFinite(x)) {
      out.replaceChildren(errorBox('Give a positive number', 'The factor, target utilisation (%) or target GMAC/s must be > 0.'));
      return;
    }
    const p: ParamsOf<'scenarios.scale'> = { id: v.id, mode: mode.value as 'rate' | 'resolution' };
    if (target.value === 'factor') p.factor = x;
    else if (target.value === 'util') p.targetUtilisation = x / 100;
    else p.targetMacsPerSec = x * 1e9;
    if (skew.value.trim()) p.skewLane = skew.value.trim();
    if (name.value.trim()) p.name = name.value.trim();
    if (save.value.trim()) p.save = save.value.trim();
    if (force.checked) p.force = true;
    if (state.selected.size) {
      p.profiles = [...state.selected];
      if (state.lanes.size) p.lanes = [...state.lanes];
    }
    run.disabled = true;
    out.replaceChildren();
    try {
      const r = await jobs.run(out, `Scaling ${v.id}`, 'scenarios.scale', p);
      out.replaceChildren(renderScale(r, v));
    } catch (e) {
      out.replaceChildren(failure('Could not scale the scenario', e));
    } finally {
      run.disabled = false;
    }
  }

  return h('section', { class: 'card' },
    h('h2', {}, 'Scale to a target load'),
    h('p', { class: 'muted' }, 'Makes a new scenario with frame rates (or input resolution) multiplied by one factor: a factor you give, or the one that reaches a target utilisation (on the profiles picked above) or a target GMAC/s. A skew lane scales only the tenants preferring that lane (needs profiles), to overload one lane on purpose.'),
    h('div', { class: 'row' },
      h('label', {}, 'Scale', mode),
      h('label', {}, 'By', target),
      h('label', {}, 'Value', value),
      h('label', {}, 'Skew lane (optional)', skew, skewList),
      h('label', {}, 'Name (optional)', name),
      h('label', {}, 'Save as user/…', save),
      h('label', { class: 'scn-check' }, h('span', {}, force, ' replace')),
      run),
    out,
  );
}

function renderScale(r: ScaleResult, v: ScenarioDetail): HTMLElement {
  const after = new Map(r.scenario.tenants.map((t) => [t.id, t]));
  const beforeD = new Map((r.before?.tenants ?? []).map((t) => [t.id, t]));
  const afterD = new Map((r.after?.tenants ?? []).map((t) => [t.id, t]));
  const rows = v.scenario.tenants.map((t) => ({ t, a: after.get(t.id) }));
  const wrap = h('div', { class: 'stack' },
    h('p', {}, badge(`×${fmtCompact(r.factor, 4)}`, 'info'), ' ', h('strong', {}, r.scenario.name), h('span', { class: 'muted' }, ` — ${r.reason}`)),
    r.saved
      ? h('p', {}, badge('saved', 'ok'), ' ', h('a', { href: scenarioHref(r.saved.id), 'data-testid': 'scaled-link' }, `Open ${r.saved.id}`), h('span', { class: 'muted' }, ` (${r.saved.path})`))
      : h('p', { class: 'muted' }, 'Not saved: give a name under "Save as" to keep it in your library.'),
    r.unscaled.length ? h('ul', { class: 'scn-notes' }, ...r.unscaled.map((u) => h('li', {}, `${u.id} not scaled: ${u.why}`))) : null,
    table(rows, {
      Tenant: ({ t }) => h('span', {}, t.id, r.scaled.includes(t.id) ? '' : h('span', { class: 'muted' }, ' (unchanged)')),
      'Rate before → after': ({ t, a }) => `${fm.rateText(t.arrival)} → ${a ? fm.rateText(a.arrival) : '–'}`,
      'Deadline after': ({ a }) => (a?.deadlineMs !== undefined ? fmtMs(a.deadlineMs) : a?.arrival.type === 'periodic' ? fmtMs(1000 / a.arrival.fps) : '–'),
      'MACs / inference before → after': ({ t }) => (beforeD.has(t.id) && afterD.has(t.id) ? `${fm.macsText(beforeD.get(t.id)!.macs)} → ${fm.macsText(afterD.get(t.id)!.macs)}` : '–'),
    }, { class: 'data' }),
  );
  if (r.before && r.after) {
    const line = [`${fm.macsRate(r.before.totalMacsPerSec)} → ${fm.macsRate(r.after.totalMacsPerSec)}`];
    if (r.after.mode === 'profile') line.push(...r.after.lanes.map((l) => `${l.id} ${fmtPct(r.before!.lanes.find((b) => b.id === l.id)?.utilisation)} → ${fmtPct(l.utilisation)}`));
    wrap.append(h('p', { class: 'muted' }, `Demand: ${line.join('; ')}${r.after.mode === 'profile' ? ' (utilisation computed from the profiles, every layer on its fastest lane)' : ''}.`));
  }
  return wrap;
}
