// The Models & profiles view: stored profiles (newest first), a "New profile" form (a model file on
// the engine's machine or a model from the library, lanes, granularity, budget, energy, shapes) that
// runs profile.run with progress and cancel, and one profile in detail: facts, verification, lanes,
// whole model vs sum of layers, per-layer chart, heat map, sortable layer table, export and compare.
import './profiles.css';
import type { ParamsOf, ResultOf } from '../../engine/api';
import type { Profile } from '../../profiler/types';
import { chartIn, color, withTable, type Chart } from '../charts';
import { badge, clear, errorBox, h, table } from '../dom';
import { downloadText } from '../download';
import * as pm from './profiles-model';
import { errorHint, type Hints } from '../error-hints';
import type { View, ViewContext } from './view';
import { isRecord, isStringArray, remembered } from '../remember';
import { precheckModelFile, uploadModel } from '../upload';
import { matchesModel } from './scenarios-model';

type ProfileSummary = ResultOf<'profiles.list'>[number];
type LibraryModel = ResultOf<'scenarios.models'>[number];
type LaneInfo = ResultOf<'lanes.list'>[number];
type RunParams = ParamsOf<'profile.run'>;
type Diff = ResultOf<'profiles.diff'>;
type Client = ViewContext['client'];

const profileHref = (id: string) => `#/profiles/${encodeURIComponent(id)}`;

/** What to do about an engine error, by its code. */
const HINTS: Hints = {
  'bad-model': 'Check the path (a file on the machine the engine runs on) or pick a model from the library.',
  'bad-shape': 'Give the missing or wrong input shape under "Input shapes", e.g. input=1,3,224,224.',
  'not-found': 'The profile is no longer in the store; go back to the list.',
  'bad-profile': 'The stored file is not a readable profile.',
};

function failure(what: string, e: unknown): HTMLElement {
  const err = e as { message?: string; code?: string };
  const hint = errorHint(err?.code, HINTS);
  return errorBox(what, `${err?.message ?? String(e)}${hint ? ` ${hint}` : ''}`);
}

// ---------------------------------------------------------------------------------------------
// The profiling job outlives the view: leaving the view does not cancel it, coming back shows it.

interface RunState {
  status: 'running' | 'done' | 'cancelled' | 'failed';
  what: string;
  message: string;
  fraction?: number;
  etaSec?: number;
  pairs?: { done: number; total: number };
  cancelRequested: boolean;
  controller: AbortController;
  profiles?: Profile[];
  error?: { message: string; code?: string };
  /** Set once a mounted view has opened the result. */
  opened?: boolean;
}

let run: RunState | undefined;
const runListeners = new Set<() => void>();
const notify = () => runListeners.forEach((l) => l());

function startRun(client: Client, params: RunParams, what: string): void {
  const controller = new AbortController();
  const state: RunState = { status: 'running', what, message: 'starting…', cancelRequested: false, controller };
  run = state;
  notify();
  client
    .call('profile.run', params, {
      signal: controller.signal,
      onProgress: (p) => {
        state.message = p.message;
        state.fraction = p.fraction;
        const d = p.detail as { etaSec?: number; done?: number; total?: number } | undefined;
        state.etaSec = d?.etaSec;
        if (d?.total) state.pairs = { done: d.done ?? 0, total: d.total };
        notify();
      },
    })
    .then((r) => {
      state.profiles = r.profiles;
      // A cancel that arrives after the last measurement changes nothing: the profiles are complete.
      state.status = controller.signal.aborted && r.profiles.some((p) => p.status === 'partial') ? 'cancelled' : 'done';
    })
    .catch((e: { message?: string; code?: string }) => {
      state.error = { message: e?.message ?? String(e), code: e?.code };
      state.status = e?.code === 'cancelled' || controller.signal.aborted ? 'cancelled' : 'failed';
    })
    .finally(notify);
}

/** The running job's panel, updated in place on progress so that its Cancel button stays put. */
function runningPanel(s: RunState): { el: HTMLElement; update(): void } {
  const bar = h('div', {});
  const barBox = h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100 }, bar);
  const msg = h('p', { class: 'prof-run-msg', 'data-testid': 'run-message' });
  const cancel = h('button', { class: 'secondary', 'data-testid': 'run-cancel', onclick: () => { s.cancelRequested = true; s.message = 'cancelling… the engine keeps what it has measured'; s.controller.abort(); notify(); } }, 'Cancel');
  const el = h('section', { class: 'prof-run', 'data-testid': 'run-progress', 'aria-live': 'polite' },
    h('h3', {}, `Profiling ${s.what}`),
    barBox,
    msg,
    h('div', { class: 'row' }, cancel,
      h('span', { class: 'muted' }, 'Cancel stops the measurements; the engine keeps those already made in a partial profile that a later run with the same settings resumes.')),
  );
  const update = () => {
    const pct = pm.progressPercent(s.fraction);
    const eta = s.etaSec !== undefined ? ` \u00b7 about ${pm.fmtSec(s.etaSec)} left` : '';
    const pairs = s.pairs ? ` \u00b7 ${s.pairs.done}/${s.pairs.total} (layer, lane) measurements` : '';
    bar.style.width = `${pct}%`;
    barBox.setAttribute('aria-valuenow', String(pct));
    msg.textContent = `${pct}% \u00b7 ${s.message}${pairs}${eta}`;
    cancel.disabled = s.cancelRequested;
    cancel.textContent = s.cancelRequested ? 'Cancelling…' : 'Cancel';
  };
  update();
  return { el, update };
}

/** The panel of a finished, cancelled or failed job. */
function runPanel(s: RunState, ctx: ViewContext): HTMLElement {
  if (s.status === 'failed') {
    return h('section', { class: 'prof-run', 'data-testid': 'run-failed' }, h('h3', {}, `Profiling ${s.what} failed`), failure('The engine could not profile this model', s.error));
  }
  const links = (s.profiles ?? []).map((p) => {
    const m = pm.measuredPairs(p);
    return h('li', {}, h('a', { href: profileHref(p.id) }, p.model.name), ' ', badge(p.status, p.status === 'complete' ? 'ok' : 'warn'), h('span', { class: 'muted' }, ` ${m.done} of ${m.total} (layer, lane) measurements \u00b7 ${p.id}`));
  });
  if (s.status === 'cancelled') {
    const kept = (s.profiles ?? []).length > 0;
    const layersDone = (s.profiles ?? []).reduce((n, p) => n + pm.measuredPairs(p).done, 0);
    return h('section', { class: 'prof-run', 'data-testid': 'run-cancelled' },
      h('h3', {}, `Profiling ${s.what}: cancelled`),
      kept
        ? h('p', {}, layersDone > 0
          ? `The engine kept the ${layersDone} (layer, lane) measurement${layersDone === 1 ? '' : 's'} finished before the cancel in a partial profile.`
          : 'No layer was finished before the cancel; the engine saved the lane set-up it had measured (baseline, peak, whole model) in a partial profile.',
        ' Start again with the same model, lanes, granularity and shapes, with "Resume" ticked, to continue where it stopped.')
        : h('p', {}, `Cancelled before any measurement was kept${s.error ? ` (${s.error.message})` : ''}.`),
      kept ? h('ul', {}, ...links) : null,
    );
  }
  return h('section', { class: 'prof-run', 'data-testid': 'run-done' }, h('h3', {}, `Profiled ${s.what}`), h('ul', {}, ...links),
    (s.profiles ?? []).length === 1 ? h('button', { class: 'small', onclick: () => ctx.navigate('profiles', s.profiles![0].id) }, 'Open the profile') : null);
}

// ---------------------------------------------------------------------------------------------
// The list and the form

function renderList(root: HTMLElement, ctx: ViewContext): () => void {
  const { client } = ctx;
  const listBody = h('div', {}, h('p', { class: 'muted' }, 'Loading the stored profiles…'));
  const runBox = h('div', {});
  const formCard = h('section', { class: 'card', 'data-testid': 'new-profile' }, h('h2', {}, 'New profile'), h('p', { class: 'muted' }, 'Reading the lanes of this machine and the model library…'));
  root.append(
    h('header', { class: 'view-header' }, h('h1', {}, 'Models & profiles'), h('button', { class: 'secondary', onclick: () => void loadList() }, 'Refresh')),
    h('p', { class: 'muted' }, 'A profile is what Tessera measured for one model on this machine: each layer\u2019s latency on each lane (median, spread, samples), in-graph times, GEMM peak and energy with its source. Stored profiles feed the scenarios, the simulator and live runs.'),
    h('section', { class: 'card' }, h('h2', {}, 'Stored profiles'), listBody),
    formCard,
  );
  // The job's progress sits under the Start button, where the user clicked (not below the fold).
  formCard.append(runBox);

  let alive = true;
  let live: { state: RunState; update(): void } | undefined;
  const onRun = () => {
    if (!alive) return;
    if (run && run.status === 'running' && live?.state === run) {
      live.update();
      return;
    }
    clear(runBox);
    live = undefined;
    if (!run) return;
    if (run.status === 'running') {
      const panel = runningPanel(run);
      live = { state: run, update: panel.update };
      runBox.append(panel.el);
      if (typeof panel.el.scrollIntoView === 'function') panel.el.scrollIntoView({ block: 'nearest' });
    } else runBox.append(runPanel(run, ctx));
    if (run.status !== 'running') {
      void loadList();
      if (run.status === 'done' && !run.opened && run.profiles?.length === 1) {
        run.opened = true;
        ctx.navigate('profiles', run.profiles[0].id);
      }
    }
    setStartEnabled();
  };
  runListeners.add(onRun);
  let setStartEnabled = () => {};

  async function loadList() {
    try {
      const list = await client.call('profiles.list', {});
      if (!alive) return;
      clear(listBody);
      listBody.append(list.length === 0 ? h('p', { class: 'muted', 'data-testid': 'profiles-empty' }, 'No stored profiles yet: profile a model below (or run tessera profile MODEL).') : profileTable(list, ctx));
    } catch (e) {
      if (!alive) return;
      clear(listBody);
      listBody.append(failure('Could not list the stored profiles', e));
    }
  }

  async function loadForm() {
    const [lanes, library] = await Promise.allSettled([client.call('lanes.list', {}), client.call('scenarios.models', {})]);
    if (!alive) return;
    clear(formCard);
    formCard.append(h('h2', {}, 'New profile'));
    if (lanes.status === 'rejected') {
      formCard.append(failure('Could not read this machine\u2019s lanes', lanes.reason));
      return;
    }
    const form = buildForm(lanes.value, library.status === 'fulfilled' ? library.value : [], library.status === 'rejected' ? library.reason : undefined, ctx);
    setStartEnabled = form.setStartEnabled;
    formCard.append(form.el, runBox);
    setStartEnabled();
  }

  onRun();
  void loadList();
  void loadForm();
  return () => {
    alive = false;
    runListeners.delete(onRun);
  };
}

function profileTable(list: ProfileSummary[], ctx: ViewContext): HTMLElement {
  const t = table(list, {
    Model: (p) => (p.error ? h('span', {}, p.id) : h('a', { href: profileHref(p.id), onclick: (e: Event) => e.stopPropagation() }, p.model)),
    Lanes: (p) => p.lanes.join(', ') || pm.DASH,
    Granularity: (p) => (p.error ? pm.DASH : pm.fmtGranularity(p.granularity)),
    Layers: (p) => (p.error ? pm.DASH : String(p.layers)),
    Date: (p) => pm.fmtDate(p.createdAt, true),
    Status: (p) => (p.error ? badge('unreadable', 'bad', p.error) : p.status === 'complete' ? badge('complete', 'ok') : badge('partial (resumable)', 'warn', 'Interrupted: a run with the same model, lanes, granularity and shapes resumes it')),
    Machine: (p) => p.machine || pm.DASH,
  }, { class: 'data prof-list', 'data-testid': 'profiles-list' });
  t.querySelectorAll('tbody tr').forEach((tr, i) => {
    const p = list[i];
    if (p.error) {
      tr.setAttribute('title', p.error);
      return;
    }
    tr.classList.add('clickable');
    tr.addEventListener('click', () => ctx.navigate('profiles', p.id));
  });
  return t;
}

/** The new-profile form's settings, remembered so that opening a profile and coming back (or a reload) keeps them. */
interface ProfileForm {
  source: 'file' | 'library';
  path: string;
  library: string;
  lanes: string[];
  granularity: string;
  granularityN: string;
  budget: string;
  energy: string;
  shapes: string;
  values: string;
  resume: boolean;
}
const formMemory = remembered<ProfileForm>('profiles.form', 1, (x) => {
  if (!isRecord(x) || (x.source !== 'file' && x.source !== 'library') || !isStringArray(x.lanes) || typeof x.resume !== 'boolean') return undefined;
  const str = ['path', 'library', 'granularity', 'granularityN', 'budget', 'energy', 'shapes', 'values'] as const;
  return str.every((k) => typeof x[k] === 'string') ? (x as unknown as ProfileForm) : undefined;
});

function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  return h('label', { class: 'prof-field' }, label, control, hint ? h('span', { class: 'prof-hint' }, hint) : null);
}

function buildForm(lanes: LaneInfo[], library: LibraryModel[], libraryError: unknown, ctx: ViewContext): { el: HTMLElement; setStartEnabled(): void } {
  const srcFile = h('input', { type: 'radio', name: 'prof-src', value: 'file', checked: true, 'data-testid': 'source-file' });
  const srcLib = h('input', { type: 'radio', name: 'prof-src', value: 'library', 'data-testid': 'source-library', disabled: library.length === 0 });
  const path = h('input', { type: 'text', class: 'prof-path', placeholder: '/home/me/models/model.onnx', 'data-testid': 'model-path', spellcheck: 'false' });
  const libSelect = h('select', { 'data-testid': 'model-library' });
  const families: [string, string][] = [['xrbench', 'XRBench layer-shape replicas'], ['npm', 'Pretrained models (npm packages)'], ['architecture', 'Reference architectures']];
  for (const [fam, title] of families) {
    const entries = library.filter((m) => m.family === fam);
    if (entries.length === 0) continue;
    libSelect.append(h('optgroup', { label: title }, ...entries.map((m) => h('option', { value: m.id, disabled: !m.available, title: m.available ? m.description : m.reason },
      `${m.id}${m.layers !== undefined ? ` · ${m.layers} layers` : ''}${m.macs !== undefined ? ` · ${(m.macs / 1e9).toFixed(2)} GMACs` : ''}${m.available ? '' : ' (not available here)'}`))));
  }
  // Search: hides the models (and groups) that do not match every word.
  const libSearch = h('input', { type: 'search', placeholder: 'Search the library', 'data-testid': 'library-search', 'aria-label': 'Search the model library', spellcheck: 'false' });
  libSearch.addEventListener('input', () => {
    for (const g of libSelect.querySelectorAll('optgroup')) {
      let any = false;
      for (const o of g.querySelectorAll('option')) {
        const m = library.find((x) => x.id === o.value);
        o.hidden = !!m && !matchesModel(m, libSearch.value);
        any ||= !o.hidden;
      }
      g.hidden = !any;
    }
    const first = libSelect.querySelector<HTMLOptionElement>('option:not([hidden]):not([disabled])');
    if (first && libSelect.selectedOptions[0]?.hidden) {
      libSelect.value = first.value;
      showLib();
    }
  });
  const libInfo = h('div', { class: 'prof-hint', 'data-testid': 'library-info' });
  const showLib = () => {
    clear(libInfo);
    const m = library.find((x) => x.id === libSelect.value);
    if (!m) return;
    libInfo.append(badge(m.synthetic ? 'synthetic weights' : 'real weights', m.synthetic ? 'warn' : 'ok', m.label), ` ${m.label}. Inputs ${pm.fmtShapes(m.inputShapes)}`,
      m.inputValues ? `, fixed values ${Object.entries(m.inputValues).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : v}`).join(', ')}` : '',
      m.layers !== undefined ? `; ${m.layers} compute layers` : '', m.macs !== undefined ? `, ${(m.macs / 1e9).toFixed(2)} GMACs` : '', '. ', m.description);
  };
  libSelect.addEventListener('change', showLib);
  showLib();

  const choices = pm.laneChoices(lanes);
  const laneBoxes = choices.map((c) => ({ c, box: h('input', { type: 'checkbox', value: c.id, checked: c.checked, disabled: c.disabled, 'data-lane': c.id }) }));
  const laneList = h('div', { class: 'prof-lanes', 'data-testid': 'lanes' },
    // Unavailable lanes are greyed out; why, on hover or keyboard focus (not a block of error text).
    ...laneBoxes.map(({ c, box }) => h('label', { class: `prof-lane${c.disabled ? ' unavailable' : ''}`, title: c.reason ? `unavailable: ${c.reason}` : '' }, h('span', { class: 'prof-lane-line' }, box, c.label,
      c.disabled ? h('span', { class: 'prof-lane-why term', tabindex: 0, 'data-tip': `Unavailable: ${c.reason}`, 'data-testid': `lane-why-${c.id}` }, 'unavailable') : null))));

  const granMode = h('select', { 'data-testid': 'granularity' }, h('option', { value: 'group' }, 'group (default)'), h('option', { value: 'node' }, 'node'), h('option', { value: 'layers' }, 'N layers'));
  const granN = h('input', { type: 'number', min: 1, step: 1, value: '4', class: 'prof-num', disabled: true, 'data-testid': 'granularity-n' });
  granMode.addEventListener('change', () => (granN.disabled = granMode.value !== 'layers'));
  const budget = h('input', { type: 'number', min: 0.01, step: 'any', value: '15', class: 'prof-num', 'data-testid': 'budget' });
  const energy = h('select', { 'data-testid': 'energy' }, h('option', { value: 'auto' }, 'auto'), h('option', { value: 'off' }, 'off'));
  const shapes = h('input', { type: 'text', placeholder: 'input=1,3,224,224', 'data-testid': 'shapes', spellcheck: 'false' });
  const values = h('input', { type: 'text', placeholder: 'sr=16000', 'data-testid': 'input-values', spellcheck: 'false' });
  const resume = h('input', { type: 'checkbox', checked: true, 'data-testid': 'resume' });
  const start = h('button', { 'data-testid': 'run-start' }, 'Start profiling');
  const errors = h('div', { 'data-testid': 'form-error' });

  // A picked or dropped file is uploaded to the engine's data directory (the page cannot name a path
  // on the engine's machine), checked there like a path, and its stored path fills the field.
  const picker = h('input', { type: 'file', accept: '.onnx', class: 'prof-file-input', 'data-testid': 'model-file', tabindex: -1, 'aria-hidden': 'true' });
  const choose = h('button', { type: 'button', class: 'secondary small', 'data-testid': 'model-choose', onclick: () => picker.click() }, 'Choose an .onnx file…');
  const uploadStatus = h('div', { class: 'prof-upload', 'data-testid': 'upload-status', 'aria-live': 'polite' });
  const drop = h('div', { class: 'prof-drop', 'data-testid': 'model-drop' }, h('span', {}, 'Drop an .onnx file here or '), choose,
    h('span', { class: 'prof-hint' }, ' It is uploaded to the engine\u2019s data directory (up to 512 MiB) and checked like a path.'), picker);
  let uploading: AbortController | undefined;
  async function take(file: File | undefined) {
    if (!file) return;
    uploading?.abort();
    const problem = precheckModelFile(file);
    if (problem) {
      uploadStatus.replaceChildren(errorBox('Cannot use this file', problem));
      return;
    }
    const ac = (uploading = new AbortController());
    const bar = h('div', { style: 'width: 0%' });
    const msg = h('span', { class: 'muted' }, `uploading ${file.name}…`);
    uploadStatus.replaceChildren(h('div', { class: 'progress', role: 'progressbar', 'aria-label': `Uploading ${file.name}` }, bar),
      h('div', { class: 'row' }, msg, h('button', { type: 'button', class: 'secondary small', 'data-testid': 'upload-cancel', onclick: () => ac.abort() }, 'Cancel')));
    try {
      const r = await uploadModel(ctx.client, file, { signal: ac.signal, onProgress: (sent, total) => {
        bar.style.width = `${Math.round((100 * sent) / total)}%`;
        msg.textContent = `uploading ${file.name}: ${(sent / 1048576).toFixed(1)} of ${(total / 1048576).toFixed(1)} MiB`;
      } });
      path.value = r.path;
      path.dispatchEvent(new Event('input', { bubbles: true }));
      uploadStatus.replaceChildren(h('p', { 'data-testid': 'upload-done' }, badge(r.existed ? 'already stored' : 'uploaded', 'ok'), ' ',
        `${file.name}: ${(r.bytes / 1048576).toFixed(1)} MiB, ${r.nodeCount} nodes, opset ${r.opsets[''] ?? '?'}, inputs ${r.inputs.map((i) => `${i.name} ${i.type}[${(i.dims ?? ['?']).join(',')}]`).join(', ')}. Stored as `, h('code', {}, r.path), '.',
        ...r.warnings.map((w) => h('span', { class: 'muted' }, ` Note: ${w}.`))));
    } catch (e) {
      const err = e as { message?: string; code?: string };
      uploadStatus.replaceChildren(err.code === 'cancelled' ? h('p', { class: 'muted' }, `${file.name}: upload cancelled.`) : errorBox(`Could not take ${file.name}`, err.message ?? String(e)));
    } finally {
      if (uploading === ac) uploading = undefined;
      picker.value = '';
    }
  }
  picker.addEventListener('change', () => void take(picker.files?.[0]));
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length > 1) uploadStatus.replaceChildren(errorBox('One file at a time', `${files.length} files were dropped; drop one .onnx file.`));
    else void take(files[0]);
  });

  const fileRow = h('div', { class: 'prof-src-body' }, field('Model file (path on the machine the engine runs on)', path,
    'Give the full path of an .onnx file on the engine\u2019s machine, or choose or drop a file below.'), drop, uploadStatus);
  const libRow = h('div', { class: 'prof-src-body', hidden: true }, h('div', { class: 'row' }, field('Search', libSearch), field('Model from the library', libSelect)), libInfo,
    libraryError ? failure('Could not read the model library', libraryError) : null);
  const syncSrc = () => {
    fileRow.hidden = !srcFile.checked;
    libRow.hidden = !srcLib.checked;
  };
  srcFile.addEventListener('change', syncSrc);
  srcLib.addEventListener('change', syncSrc);

  start.addEventListener('click', () => {
    clear(errors);
    const problems: string[] = [];
    const model = srcFile.checked ? path.value.trim() : libSelect.value;
    if (!model) problems.push(srcFile.checked ? 'Give the path of an .onnx file, or pick a model from the library.' : 'Pick a model from the library.');
    const laneIds = laneBoxes.filter(({ box }) => box.checked && !box.disabled).map(({ c }) => c.id);
    if (laneIds.length === 0) problems.push('Tick at least one available lane.');
    const g = pm.parseGranularity(granMode.value, granN.value);
    const b = pm.parseBudget(budget.value);
    const s = pm.parseShapes(shapes.value);
    const v = pm.parseInputValues(values.value);
    for (const r of [g, b, s, v]) if (!r.ok) problems.push(r.error);
    if (problems.length || !g.ok || !b.ok || !s.ok || !v.ok) {
      errors.append(errorBox('Check the form', problems.join(' ')));
      return;
    }
    const params: RunParams = { models: [model], lanes: laneIds, granularity: g.value, budgetSec: b.value, energy: energy.value as 'auto' | 'off', resume: resume.checked };
    if (s.value) params.shapes = s.value;
    if (v.value) params.inputValues = v.value;
    startRun(ctx.client, params, model.replace(/^.*[\\/](?=[^\\/]+\.onnx$)/i, ''));
  });

  // Remembered settings (a lane or library model this machine no longer offers is left as it is).
  const saved = formMemory.load();
  if (saved) {
    srcFile.checked = saved.source === 'file' || srcLib.disabled;
    srcLib.checked = !srcFile.checked;
    path.value = saved.path;
    if (library.some((m) => m.id === saved.library && m.available)) libSelect.value = saved.library;
    for (const { c, box } of laneBoxes) if (!c.disabled) box.checked = saved.lanes.includes(c.id);
    if ([...granMode.options].some((o) => o.value === saved.granularity)) granMode.value = saved.granularity;
    granN.value = saved.granularityN;
    granN.disabled = granMode.value !== 'layers';
    budget.value = saved.budget;
    if (saved.energy === 'auto' || saved.energy === 'off') energy.value = saved.energy;
    shapes.value = saved.shapes;
    values.value = saved.values;
    resume.checked = saved.resume;
    syncSrc();
    showLib();
  }
  const persist = () =>
    formMemory.save({ source: srcLib.checked ? 'library' : 'file', path: path.value, library: libSelect.value, lanes: laneBoxes.filter(({ box }) => box.checked).map(({ c }) => c.id), granularity: granMode.value, granularityN: granN.value, budget: budget.value, energy: energy.value, shapes: shapes.value, values: values.value, resume: resume.checked });

  const el = h('div', { class: 'prof-form' },
    h('div', { class: 'prof-src' },
      h('div', { class: 'row' }, h('label', { class: 'prof-radio' }, srcFile, 'ONNX file'), h('label', { class: 'prof-radio', title: library.length ? '' : 'The model library could not be read' }, srcLib, `Model library (${library.length} models)`)),
      fileRow, libRow),
    field('Lanes', laneList, 'A lane is an execution target: a CPU lane with its thread count, or a GPU/NPU execution provider. Unavailable ones say why.'),
    h('div', { class: 'row' },
      field('Granularity', h('span', { class: 'prof-inline' }, granMode, granN), 'group: an op with its activation etc.; node: every ONNX node; N layers: the model in N pieces of about equal FLOPs.'),
      field('Time budget per lane (s)', budget, 'Split across the layers; 10–20 s is enough for most models (more for big ones or noisy machines); warm-up, sessions and energy windows come on top.'),
      field('Energy', energy, 'auto: a meter where one covers the lane, else an estimate labelled as such.')),
    h('div', { class: 'row' },
      field('Input shapes for dynamic dims', shapes, 'NAME=D1,D2,...; several separated by ";". Library models bring their own.'),
      field('Input values', values, 'e.g. sr=16000, for inputs that need fixed values'),
      h('label', { class: 'prof-check' }, h('span', {}, resume, ' Resume an interrupted run with the same settings'))),
    h('div', { class: 'row' }, start),
    errors,
  );
  el.addEventListener('input', persist);
  el.addEventListener('change', persist);
  return { el, setStartEnabled: () => { start.disabled = run?.status === 'running'; start.title = start.disabled ? 'A profile is being measured; wait for it or cancel it' : ''; } };
}

// ---------------------------------------------------------------------------------------------
// One profile

function renderDetail(root: HTMLElement, ctx: ViewContext, id: string): () => void {
  const charts: Chart[] = [];
  let alive = true;
  const body = h('div', { class: 'stack' }, h('p', { class: 'muted' }, `Loading ${id}…`));
  root.append(h('header', { class: 'view-header' }, h('h1', {}, 'Profile'), h('a', { href: '#/profiles', class: 'prof-back' }, '\u2190 All profiles')), body);
  ctx.client.call('profiles.get', { id }).then(
    (p) => {
      if (!alive) return;
      clear(root);
      root.append(detailHeader(p, ctx), detailBody(p, ctx, charts));
    },
    (e) => {
      if (!alive) return;
      clear(body);
      body.append(failure(`Could not open profile ${id}`, e));
    },
  );
  return () => {
    alive = false;
    charts.forEach((c) => c.destroy());
  };
}

function detailHeader(p: Profile, ctx: ViewContext): HTMLElement {
  const note = h('span', { class: 'muted', 'data-testid': 'export-status' });
  const exp = (format: 'csv' | 'json') => async () => {
    note.textContent = `exporting ${format.toUpperCase()}…`;
    try {
      const r = await ctx.client.call('profiles.export', { id: p.id, format });
      downloadText(r.filename, r.content, format === 'csv' ? 'text/csv' : 'application/json');
      note.textContent = `saved ${r.filename} (${r.content.length.toLocaleString()} characters)`;
    } catch (e) {
      note.replaceChildren(failure(`Could not export ${p.id}`, e));
    }
  };
  return h('header', { class: 'view-header' },
    h('h1', { 'data-testid': 'profile-title' }, p.model.name, ' ', p.status === 'complete' ? badge('complete', 'ok') : badge('partial', 'warn', 'Interrupted; a run with the same settings resumes it')),
    note,
    h('button', { class: 'secondary', 'data-testid': 'export-csv', onclick: exp('csv') }, 'Export CSV'),
    h('button', { class: 'secondary', 'data-testid': 'export-json', onclick: exp('json') }, 'Export JSON'),
    h('a', { href: '#/profiles', class: 'prof-back' }, '\u2190 All profiles'));
}

function detailBody(p: Profile, ctx: ViewContext, charts: Chart[]): HTMLElement {
  // Summary first (what the user came for), then the details on demand.
  const layers = layerTableCard(p);
  return h('div', { class: 'stack' }, summaryCard(p, layers.reveal), warningsCard(p), layers.el, wholeCard(p), chartCard(p, charts), heatCard(p), lanesCard(p), verificationCard(p), factsCard(p, ctx), compareCard(p, ctx));
}

function factsCard(p: Profile, ctx: ViewContext): HTMLElement {
  const m = pm.measuredPairs(p);
  const t = p.timings;
  const facts: [string, Node | string][] = [
    ['Model', h('span', {}, p.model.name, p.model.path ? h('span', { class: 'muted' }, ` \u00b7 ${p.model.path}`) : '')],
    ['sha256', h('code', { title: p.model.sha256 }, `${p.model.sha256.slice(0, 12)}\u2026`)],
    ['Inputs', `${pm.fmtShapes(p.model.inputShapes)}; opsets ${Object.entries(p.model.opsets).map(([d, v]) => `${d || 'ai.onnx'} ${v}`).join(', ')}`],
    ['Granularity', `${pm.fmtGranularity(p.granularity)}, ${p.layers.length} layers`],
    ['Machine', `${p.machine.cpu}, ${p.machine.cores} cores, ${p.machine.memoryGiB} GiB; ${p.machine.os}${p.machine.gpus.length ? `; GPUs: ${p.machine.gpus.join(', ')}` : '; no GPU'} (${p.machine.hostname}, id ${p.machine.id.slice(0, 8)})`],
    ['ONNX Runtime', p.ortVersion],
    ['Created', pm.fmtDate(p.createdAt, true)],
    ['Status', p.status === 'complete' ? `complete (${m.done} of ${m.total} measurements)` : `partial: ${m.done} of ${m.total} (layer, lane) measurements; rerunning with the same model, lanes, granularity and shapes resumes it`],
    ['Settings', `budget ${pm.fmtSec(p.settings.budgetSec)} per lane, ${p.settings.warmup} warm-up runs, CI target \u00b1${(p.settings.ciTarget * 100).toFixed(0)}% of the median, ${p.settings.contention ? 'lanes at the same time (contention)' : 'lanes one after another'}, energy ${p.settings.energy ?? 'auto'}`],
    ['Timings', t ? `cut ${pm.fmtSec(t.cutSec)}, measure ${pm.fmtSec(t.measureSec)}, total ${pm.fmtSec(t.totalSec)}` : pm.DASH],
    ['Id', h('code', {}, p.id)],
  ];
  const card = h('section', { class: 'card' }, h('h2', {}, 'Profile details'), h('dl', { class: 'facts', 'data-testid': 'profile-facts' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
  if (p.status === 'partial' && p.model.path) {
    const resume = h('button', { class: 'small', 'data-testid': 'resume-run', onclick: () => {
      startRun(ctx.client, { models: [p.model.path!], lanes: p.lanes.map((l) => l.id.replace(/#\d+$/, '')), granularity: p.granularity, shapes: p.model.inputShapes, budgetSec: p.settings.budgetSec, warmup: p.settings.warmup, ciTarget: p.settings.ciTarget, contention: p.settings.contention, energy: p.settings.energy, resume: true }, p.model.name);
      ctx.navigate('profiles');
    } }, 'Resume this profile');
    card.append(h('div', { class: 'row prof-resume' }, resume, h('span', { class: 'muted' }, 'Measures the missing (layer, lane) pairs with the same settings. Input values given at the start are not stored: a model that needs them (e.g. a sample rate) resumes from the form instead.')));
  }
  return card;
}

function verificationCard(p: Profile): HTMLElement {
  const v = p.verification;
  return h('section', { class: 'card', 'data-testid': 'verification' },
    h('h2', {}, 'Verification: chained layers vs the whole model ', v.passed ? badge('passed', 'ok') : badge('FAILED', 'bad')),
    h('p', {}, `Max abs error ${v.maxAbsError.toExponential(2)}, max rel error ${v.maxRelError.toExponential(2)} (tolerance rel ${v.tolerance.rel})${v.graphOptimizationLevel ? `, ORT optimisation '${v.graphOptimizationLevel}'` : ''}.`,
      ...(v.otherLevels ?? []).map((o) => ` At '${o.graphOptimizationLevel}': max rel ${o.maxRelError.toExponential(2)}${o.layerErrors ? `, ${o.layerErrors} layer errors` : ''}.`)),
    v.relErrorDefinition ? h('p', { class: 'muted prof-small' }, v.relErrorDefinition) : null,
    v.layerErrors?.length ? h('ul', { class: 'prof-errors' }, ...v.layerErrors.map((e) => h('li', {}, `layer ${e.layer} ${e.name}: ${e.error}`))) : null,
  );
}

function lanesCard(p: Profile): HTMLElement {
  const meters = p.energy?.meters ?? [];
  const cards = p.lanes.map((l, i) => {
    const drift = pm.driftFlag(l.drift);
    const w = p.wholeModel.find((m) => m.lane === l.id);
    const energyLine: (Node | string)[] = l.meter
      ? [badge('measured', 'ok'), ` ${l.meter.id}, ${l.meter.sampleHz} Hz: ${l.meter.detail}`]
      : p.settings.energy === 'off'
        ? ['off for this profile']
        : w?.energy?.source.kind === 'estimated' || p.energy?.estimate
          ? [badge('ESTIMATE', 'warn', 'No meter covers this lane: the figures are an estimate, not a measurement'), ` ${(w?.energy?.source.detail ?? `no meter; ${p.energy?.estimate ?? ''}`).replace(/^ESTIMATE\s*/, '')}`]
          : [pm.DASH];
    return h('div', { class: 'prof-lane-card', 'data-testid': `lane-${l.id}` },
      h('h3', {}, h('span', { class: 'prof-swatch', style: `background:${color(i)}` }), l.id, ' ', l.error ? badge('unavailable', 'bad') : badge(l.ep, 'info')),
      l.error ? errorBox(`Lane ${l.id} could not be used`, l.error) : null,
      h('dl', { class: 'facts' },
        h('dt', {}, 'Baseline'), h('dd', {}, l.baselineMs !== undefined ? `${pm.fmtMsBare(l.baselineMs)} ms per call (empty model; subtracted from every median)` : pm.DASH),
        h('dt', {}, 'GEMM peak'), h('dd', {}, l.peakGflops !== undefined ? `${pm.fmtNum(l.peakGflops)} GFLOP/s${l.gemmN ? ` (${l.gemmN}\u00d7${l.gemmN} GEMM)` : ''}` : pm.DASH),
        h('dt', {}, 'Energy'), h('dd', {}, ...energyLine),
        h('dt', {}, 'Drift'), h('dd', {}, drift ? badge(drift.text, drift.kind, 'Whole-model median before the layers vs after them: a change beyond noise means the machine drifted') : pm.DASH),
        l.threads ? [h('dt', {}, 'Threads'), h('dd', {}, String(l.threads))] : null),
    );
  });
  return h('section', { class: 'card' }, h('h2', {}, 'Lanes'), h('div', { class: 'prof-lane-cards' }, ...cards),
    meters.length ? h('details', { class: 'prof-meters' }, h('summary', {}, `Energy meters on this machine (${meters.filter((m) => m.ok).length} of ${meters.length} readable)`),
      h('ul', {}, ...meters.map((m) => h('li', {}, m.ok ? badge('ok', 'ok') : badge('no', 'bad'), ` ${m.id} (${m.domain}): ${m.ok ? m.detail ?? 'readable' : m.reason ?? 'not readable'}`)))) : null);
}

function summaryCard(p: Profile, reveal: (index: number) => void): HTMLElement {
  const s = pm.profileSummary(p);
  const laneColor = new Map(p.lanes.map((l, i) => [l.id, color(i)]));
  const tiles = s.lanes.length
    ? h('div', { class: 'prof-tiles' }, ...s.lanes.map((l) => h('div', { class: `prof-tile${l.best ? ' best' : ''}`, 'data-testid': `summary-lane-${l.lane}` },
        h('div', { class: 'prof-tile-head' }, h('span', { class: 'prof-swatch', style: `background:${laneColor.get(l.lane)}` }), h('code', {}, l.lane), l.best ? badge('fastest', 'ok', 'Lowest whole-model median of the lanes') : null),
        h('div', { class: 'prof-tile-main' }, h('span', { class: 'prof-big' }, pm.fmtMsBare(l.p50Ms)), ' ms ', h('span', { class: 'muted' }, 'p50')),
        h('div', { class: 'prof-tile-sub' }, `p95 ${pm.fmtMsBare(l.p95Ms)} ms · `, h('strong', {}, l.fps !== undefined ? pm.fmtNum(l.fps, l.fps >= 100 ? 0 : 1) : pm.DASH), ' frames/s'))))
    : h('p', { class: 'muted' }, 'No lane has a whole-model figure yet.');
  const slow = s.slowest.length
    ? h('ol', { class: 'prof-slowest', 'data-testid': 'summary-slowest' }, ...s.slowest.map((l) => h('li', {},
        h('button', { class: 'link', title: 'Show this layer in the layer table', onclick: () => reveal(l.index) }, `#${l.index} ${l.name}`),
        ' ', h('span', { class: 'muted' }, l.ops), ' — ', h('strong', {}, `${pm.fmtMsBare(l.ms)} ms`), ` on ${l.lane}`, l.share !== undefined ? h('span', { class: 'muted' }, ` (${pm.fmtPct(l.share, 0)} of the layers’ sum)`) : null)))
    : h('p', { class: 'muted' }, 'No layer measured yet.');
  const v = s.verdict;
  return h('section', { class: 'card prof-summary', 'data-testid': 'profile-summary' },
    h('h2', {}, 'Summary'),
    h('p', { class: 'muted prof-small' }, 'Whole model per lane: median (p50) and p95 with the lane’s per-call baseline subtracted; frames/s one frame at a time, back to back (1000 / the raw median, per-call overhead included).'),
    tiles,
    h('div', { class: 'prof-summary-row' },
      h('div', {}, h('h3', {}, `The ${s.slowest.length} slowest layers`), slow),
      h('div', { 'data-testid': 'summary-verdict' }, h('h3', {}, 'Verification'),
        h('p', {}, badge(v.kind === 'ok' ? 'verified' : v.kind === 'bad' ? 'FAILED' : 'partial', v.kind === 'ok' ? 'ok' : v.kind === 'bad' ? 'bad' : 'warn'), ' ', v.text, '.'),
        h('ul', { class: 'prof-small muted prof-verdict-details' }, ...v.details.map((d) => h('li', {}, d))),
        p.warnings.length ? h('p', {}, badge(`${p.warnings.length} warning${p.warnings.length === 1 ? '' : 's'}`, 'warn'), ' listed below.') : null)),
    p.notes?.length ? h('p', { class: 'prof-notes', 'data-testid': 'profile-notes' }, h('strong', {}, 'About the model: '), p.notes.join('; ')) : null);
}

function warningsCard(p: Profile): HTMLElement | null {
  if (p.warnings.length === 0) return null;
  return h('section', { class: 'card', 'data-testid': 'warnings' }, h('h2', {}, `Warnings (${p.warnings.length})`), h('ul', { class: 'prof-warnings' }, ...p.warnings.map((w) => h('li', {}, w))));
}

function wholeCard(p: Profile): HTMLElement {
  const rows = pm.wholeRows(p);
  return h('section', { class: 'card' }, h('h2', {}, 'Whole model vs sum of layers'),
    table(rows, {
      Lane: (r) =>
        h('span', {},
          h('code', {}, r.lane),
          r.adapter ? h('div', { class: 'muted prof-small', title: r.adapter.vendor }, r.adapter.software ? badge('SOFTWARE', 'warn', 'A CPU rasteriser: GPU code paths, never a GPU performance figure') : null, ` ${r.adapter.name}`) : null),
      'Whole model median ms': (r) => (r.error && r.wholeMs === undefined ? badge('error', 'bad', r.error) : h('span', {}, pm.fmtMsBare(r.wholeMs), r.p5 !== undefined ? h('div', { class: 'prof-sub' }, `raw p5\u2013p95 ${pm.fmtMsBare(r.p5)}\u2013${pm.fmtMsBare(r.p95)}, n ${r.n}, \u00b1${pm.fmtPct(r.ciRel)}`) : null)),
      'Sum of layers ms': (r) => `${pm.fmtMsBare(r.sumLayersMs)}${r.measuredLayers < r.layers ? ` (${r.measuredLayers} of ${r.layers} layers)` : ''}`,
      'Sum / whole (cut overhead)': (r) => (r.overhead !== undefined ? badge(pm.fmtRatio(r.overhead), Math.abs(r.overhead - 1) > 0.25 ? 'warn' : 'info', 'Sum of the cut layers\u2019 medians over the whole model\u2019s median: above 1 the cuts cost extra (sessions, copies, lost fusions)') : pm.DASH),
      'ORT in-graph kernels ms': (r) => pm.fmtMsBare(r.inGraphKernelMs),
      'Energy per run': (r) => (r.energy ? h('span', {}, `${pm.fmtMJ(r.energy.joulesPerRun)} mJ `, energyBadge(r.energy)) : pm.DASH),
    }, { class: 'data', 'data-testid': 'whole-model' }),
    h('p', { class: 'muted prof-small' }, 'Medians with the lane\u2019s per-call baseline subtracted. In-graph: ONNX Runtime\u2019s own profiler, kernel time of the whole model.'));
}

function energyBadge(e: Profile['wholeModel'][number]['energy']): HTMLElement | null {
  const k = pm.energyKind(e);
  return k ? badge(k.text, k.kind, k.title) : null;
}

function chartCard(p: Profile, charts: Chart[]): HTMLElement {
  const s = pm.chartSeries(p);
  if (s.lanes.length === 0 || s.lanes.every((l) => l.data.every((x) => x === null))) {
    return h('section', { class: 'card' }, h('h2', {}, 'Per-layer latency'), h('p', { class: 'muted' }, 'No layer was measured on any lane yet.'));
  }
  const laneIndex = new Map(p.lanes.map((l, i) => [l.id, i]));
  const { box, chart } = chartIn({
    type: 'bar',
    data: { labels: s.labels, datasets: s.lanes.map((l) => ({ label: l.id, data: l.data, backgroundColor: color(laneIndex.get(l.id) ?? 0), borderWidth: 0 })) },
    options: {
      animation: false,
      interaction: { mode: 'index', intersect: false },
      scales: { y: { title: { display: true, text: 'median ms (baseline subtracted)' }, beginAtZero: true }, x: { title: { display: true, text: 'layer' } } },
      plugins: {
        legend: { position: 'top' },
        tooltip: { callbacks: { title: (items) => (items.length ? `#${items[0].dataIndex} ${s.names[items[0].dataIndex]}` : ''), label: (it) => `${it.dataset.label}: ${pm.fmtMsBare(it.parsed.y ?? undefined)} ms` } },
      },
    },
  }, { testId: 'latency-chart', height: 300 });
  charts.push(chart);
  return h('section', { class: 'card' }, h('h2', {}, 'Per-layer latency by lane'), withTable(box, chart, { caption: 'Median ms per layer (baseline subtracted) by lane', xTitle: 'layer', maxRows: 2000 }));
}

function heatCard(p: Profile): HTMLElement {
  const rows = pm.heatRows(p);
  const laneIds = p.lanes.map((l) => l.id);
  const legendStops = [1, 2, 4, 8].map((r) => h('span', { class: 'prof-legend-cell', style: `background:${pm.heatColor(pm.heatScale(r))}` }, r === 8 ? '\u22658\u00d7' : `${r}\u00d7`));
  return h('section', { class: 'card' },
    h('h2', {}, 'Heat map: layer \u00d7 lane'),
    h('p', { class: 'muted prof-small' }, 'Each cell: the layer\u2019s median ms on that lane and how many times slower it is than the layer\u2019s preferred lane (marked \u201cfastest\u201d), also as colour on a log scale: ', ...legendStops),
    h('div', { class: 'prof-scroll prof-heat-scroll' },
      h('table', { class: 'prof-heat', 'data-testid': 'heatmap' },
        h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'layer'), ...laneIds.map((id) => h('th', {}, id)))),
        h('tbody', {}, ...rows.map((r) => h('tr', {}, h('td', { class: 'num' }, String(r.index)), h('td', { class: 'prof-heat-name', title: r.name }, r.name),
          ...r.cells.map((c) => h('td', { style: `background:${c.color}`, title: c.title, class: `num${c.preferred ? ' preferred' : ''}` }, c.text, c.ratio !== undefined && c.ratio > 1.005 ? h('span', { class: 'prof-sub' }, ` ${pm.fmtRatio(c.ratio)}`) : null,
            // Not by colour alone: the ratio above, and the fastest lane named in words.
            c.preferred && laneIds.length > 1 ? h('span', { class: 'prof-sub' }, ' fastest') : null))))))));
}

interface Column {
  label: string;
  key?: pm.SortKey;
  num?: boolean;
  title?: string;
  /** Pinned while the table scrolls sideways: left offset in px. */
  pin?: number;
  width?: number;
  cell(r: pm.LayerRow): Node | string;
}

// Widths of the pinned columns (px): the drawer toggle, #, layer, then one median per lane.
const W_TOGGLE = 30;
const W_INDEX = 44;
const W_NAME = 210;
const W_MEDIAN = 118;

/**
 * The layer table: the layer and each lane's median, pinned, with the preferred lane and flags; every
 * secondary statistic (spread, n, GFLOP/s, energy, in-graph, gap, ops, FLOPs, bytes) in a drawer
 * under the row. Sticky headers, a filter box and a sort choice for the drawer's statistics too.
 */
function layerTableCard(p: Profile): { el: HTMLElement; reveal(index: number): void } {
  const rows = pm.layerRows(p);
  const peak = new Map(p.lanes.map((l) => [l.id, l.peakGflops]));
  const laneIds = p.lanes.map((l) => l.id);
  const cellOf = (r: pm.LayerRow, id: string) => r.cells.find((c) => c.lane === id)!;
  const expanded = new Set<number>();
  const median = (id: string, i: number): Column => ({
    label: `${id} median ms`, key: `ms:${id}`, num: true, pin: W_TOGGLE + W_INDEX + W_NAME + i * W_MEDIAN, width: W_MEDIAN,
    title: `Median per call on ${id} with the lane\u2019s baseline subtracted; below: p5\u2013p95 (baseline subtracted). Expand a row for the rest.`,
    cell: (r) => {
      const c = cellOf(r, id);
      if (c.m?.error) return badge(c.m.error.startsWith('lane unavailable') ? 'n/a' : 'error', 'bad', c.m.error);
      if (c.latencyMs === undefined) return pm.DASH;
      return h('span', {}, h('span', { class: 'prof-val' }, pm.fmtMsBare(c.latencyMs)), c.preferred && laneIds.length > 1 ? h('span', { class: 'prof-best', title: 'Fastest lane for this layer' }, ' \u2605') : null,
        c.m?.raw ? h('div', { class: 'prof-sub' }, `${pm.fmtMsBare(c.p5Ms)}\u2013${pm.fmtMsBare(c.p95Ms)}`) : null);
    },
  });
  const columns: Column[] = [
    { label: '#', key: 'index', num: true, pin: W_TOGGLE, width: W_INDEX, cell: (r) => String(r.index) },
    { label: 'layer', key: 'name', pin: W_TOGGLE + W_INDEX, width: W_NAME, cell: (r) => h('span', {}, h('span', { class: 'prof-layer-name', title: r.name }, r.name), h('div', { class: 'prof-sub prof-ops' }, r.ops)) },
    ...laneIds.map(median),
    { label: 'preferred', key: 'preferred', cell: (r) => (r.preferredLane ? badge(r.preferredLane, 'ok', 'Fastest lane for this layer') : pm.DASH) },
    { label: 'GFLOPs', key: 'flops', num: true, cell: (r) => pm.fmtGflops(r.flops) },
    { label: 'notes', cell: (r) => h('span', {}, ...r.fallback.map((f) => badge('CPU fallback', 'warn', `Nodes the execution provider handed to the CPU: ${f}`)), ...r.errors.map((e) => badge('error', 'bad', e))) },
  ];
  const pinStyle = (c: Column) => (c.pin !== undefined ? `left:${c.pin}px;min-width:${c.width}px;max-width:${c.width}px` : '');

  // The drawer: every statistic of the layer on every lane.
  const drawer = (r: pm.LayerRow): HTMLElement => {
    const stat = (label: string, f: (c: pm.LaneCell, id: string) => Node | string) => h('tr', {}, h('th', { scope: 'row' }, label), ...laneIds.map((id) => h('td', { class: 'num' }, f(cellOf(r, id), id))));
    return h('div', { class: 'prof-drawer-body' },
      h('p', { class: 'prof-small' }, h('strong', {}, r.name), ` \u00b7 ops ${r.ops} \u00b7 ${pm.fmtGflops(r.flops)} GFLOPs \u00b7 ${pm.fmtMB(r.bytesMoved)} MB moved (inputs, outputs and weights)`),
      h('table', { class: 'data prof-drawer-table' },
        h('thead', {}, h('tr', {}, h('th', {}, 'statistic'), ...laneIds.map((id) => h('th', { class: 'num' }, id)))),
        h('tbody', {},
          stat('median ms', (c) => pm.fmtMsBare(c.latencyMs)),
          stat('p5\u2013p95 ms', (c) => (c.m?.raw ? `${pm.fmtMsBare(c.p5Ms)}\u2013${pm.fmtMsBare(c.p95Ms)}` : pm.DASH)),
          stat('CV, 95% CI of the median', (c) => (c.m?.raw ? `${pm.fmtPct(c.m.raw.cv)}, \u00b1${pm.fmtPct(c.m.raw.ciHalfWidthRel)}${c.m.raw.converged ? '' : ' (budget ran out first)'}` : pm.DASH)),
          stat('timed runs (n)', (c) => (c.m?.raw ? String(c.m.raw.n) : pm.DASH)),
          stat('GFLOP/s (% of peak)', (c, id) => {
            const t = pm.throughputCell(c.m);
            if (t.kind === 'unresolved') return badge(t.text, 'warn', t.why);
            return t.kind === 'value' ? h('span', { title: `Lane GEMM peak ${pm.fmtNum(peak.get(id))} GFLOP/s` }, t.text, t.sub ? ` (${t.sub})` : '') : pm.DASH;
          }),
          stat('energy mJ', (c) => (c.m?.energy ? h('span', {}, pm.fmtMJ(c.m.energy.joulesPerRun), ' ', energyBadge(c.m.energy)) : pm.DASH)),
          stat('in-graph ms (cut / in-graph)', (c) => (c.inGraphMs !== undefined ? `${pm.fmtMsBare(c.inGraphMs)}${c.cutToInGraph !== undefined ? ` (${pm.fmtRatio(c.cutToInGraph)})` : ''}` : pm.DASH)),
          stat('gap to the preferred lane', (c) => (c.preferred ? badge('best', 'ok') : c.gap !== undefined ? pm.fmtRatio(c.gap) : pm.DASH)))),
      r.fallback.length ? h('p', { class: 'prof-small' }, badge('CPU fallback', 'warn'), ` ${r.fallback.join('; ')}`) : null,
      r.errors.length ? h('ul', { class: 'prof-errors prof-small' }, ...r.errors.map((e) => h('li', {}, e))) : null);
  };

  let sort: pm.SortState = { key: 'index', dir: 'asc' };
  let query = '';
  const tbody = h('tbody', {});
  const count = h('span', { class: 'muted prof-small', 'data-testid': 'layer-count', 'aria-live': 'polite' });
  const headCells: { th: HTMLTableCellElement; col: Column }[] = [];
  const sortChoices: [pm.SortKey, string][] = [['index', 'layer order'], ['name', 'name'], ['ops', 'ops'], ['flops', 'GFLOPs'], ['bytes', 'MB moved'], ['preferred', 'preferred lane'],
    ...laneIds.flatMap((id): [pm.SortKey, string][] => [[`ms:${id}`, `${id}: median`], [`n:${id}`, `${id}: timed runs`], [`gflops:${id}`, `${id}: GFLOP/s`], [`energy:${id}`, `${id}: energy`], [`ingraph:${id}`, `${id}: in-graph`], [`gap:${id}`, `${id}: gap to preferred`]])];
  const sortSelect = h('select', { 'data-testid': 'layer-sort', 'aria-label': 'Sort the layers by' }, ...sortChoices.map(([k, label]) => h('option', { value: k }, label)));
  const dirBtn = h('button', { class: 'secondary small', 'data-testid': 'layer-sort-dir', type: 'button' });
  const renderBody = () => {
    clear(tbody);
    const shown = pm.sortRows(pm.filterRows(rows, query), sort);
    for (const r of shown) {
      const open = expanded.has(r.index);
      const drawerId = `prof-drawer-${r.index}`;
      const toggle = h('button', { class: 'prof-toggle', type: 'button', 'aria-expanded': String(open), 'aria-controls': drawerId, 'aria-label': `${open ? 'Hide' : 'Show'} all statistics of layer ${r.index}`, 'data-testid': `layer-toggle-${r.index}`,
        onclick: () => { if (expanded.has(r.index)) expanded.delete(r.index); else expanded.add(r.index); renderBody(); document.querySelector<HTMLElement>(`[data-testid="layer-toggle-${r.index}"]`)?.focus(); } }, open ? '\u25BE' : '\u25B8');
      tbody.append(h('tr', { class: `${r.fallback.length || r.errors.length ? 'prof-flag' : ''}${open ? ' open' : ''}`, 'data-layer': r.index },
        h('td', { class: 'prof-pin', style: `left:0;min-width:${W_TOGGLE}px;max-width:${W_TOGGLE}px` }, toggle),
        ...columns.map((c) => h('td', { class: `${c.num ? 'num' : ''}${c.pin !== undefined ? ' prof-pin' : ''}`, style: pinStyle(c), 'data-col': c.key ?? c.label }, c.cell(r)))));
      if (open) tbody.append(h('tr', { class: 'prof-drawer', id: drawerId }, h('td', { colspan: columns.length + 1 }, drawer(r))));
    }
    count.textContent = shown.length === rows.length ? `${rows.length} layers` : `${shown.length} of ${rows.length} layers match`;
    for (const { th, col } of headCells) {
      th.classList.toggle('sorted-asc', col.key === sort.key && sort.dir === 'asc');
      th.classList.toggle('sorted-desc', col.key === sort.key && sort.dir === 'desc');
      th.setAttribute('aria-sort', col.key === sort.key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none');
    }
    sortSelect.value = sort.key;
    dirBtn.textContent = sort.dir === 'asc' ? 'ascending \u25B2' : 'descending \u25BC';
  };
  sortSelect.addEventListener('change', () => { sort = pm.nextSort({ key: '', dir: 'asc' }, sortSelect.value); renderBody(); });
  dirBtn.addEventListener('click', () => { sort = { key: sort.key, dir: sort.dir === 'asc' ? 'desc' : 'asc' }; renderBody(); });
  const head = h('tr', {}, h('th', { class: 'prof-pin', style: `left:0;min-width:${W_TOGGLE}px;max-width:${W_TOGGLE}px` }, h('span', { class: 'sr-only' }, 'details')), ...columns.map((col) => {
    const laneAt = col.key?.startsWith('ms:') ? laneIds.indexOf(col.key.slice(3)) : -1;
    const th = h('th', { class: `${col.num ? 'num ' : ''}${col.key ? 'sortable' : ''}${col.pin !== undefined ? ' prof-pin' : ''}`, style: pinStyle(col), title: col.title ?? (col.key ? 'Click to sort' : ''), 'data-sort': col.key ?? '' },
      ...(laneAt >= 0 ? [h('span', { class: 'prof-swatch', style: `background:${color(laneAt)}` }), laneIds[laneAt], h('span', { class: 'prof-th-sub' }, 'median ms')] : [col.label]));
    if (col.key) {
      th.addEventListener('click', () => {
        sort = pm.nextSort(sort, col.key!);
        renderBody();
      });
      headCells.push({ th, col });
    }
    return th;
  }));
  const filter = h('input', { type: 'search', placeholder: 'Filter: name, op, lane or #index', 'aria-label': 'Filter the layers', 'data-testid': 'layer-filter', class: 'prof-filter' });
  filter.addEventListener('input', () => { query = filter.value; renderBody(); });
  renderBody();
  const scroller = h('div', { class: 'prof-scroll prof-layers-scroll' }, h('table', { class: 'data prof-layers', 'data-testid': 'layer-table' }, h('thead', {}, head), tbody));
  const fallbackCount = rows.filter((r) => r.fallback.length).length;
  const el = h('section', { class: 'card', 'data-testid': 'layers-card' },
    h('h2', {}, `Layers (${rows.length})`),
    fallbackCount ? errorBox(`${fallbackCount} layer(s) ran partly on the CPU (fallback)`, 'The execution provider handed some nodes to the CPU EP: those layers\u2019 times on that lane include CPU work. See the notes column.') : null,
    h('div', { class: 'row prof-table-tools' }, filter, h('label', { class: 'prof-inline-label' }, 'Sort by', sortSelect), dirBtn, count),
    h('p', { class: 'muted prof-small' }, 'Click a header to sort (again to reverse); \u25B8 opens a row\u2019s other statistics: spread, CV, n, GFLOP/s, energy, in-graph time, gap. \u2605 marks the fastest lane.'),
    scroller);
  return {
    el,
    reveal(index: number) {
      query = `#${index}`;
      filter.value = query;
      expanded.add(index);
      renderBody();
      el.scrollIntoView({ block: 'start' });
      document.querySelector<HTMLElement>(`[data-testid="layer-toggle-${index}"]`)?.focus({ preventScroll: true });
    },
  };
}

function compareCard(p: Profile, ctx: ViewContext): HTMLElement {
  const out = h('div', { 'data-testid': 'diff' });
  const pick = h('select', { 'data-testid': 'compare-with' }, h('option', { value: '' }, 'loading…'));
  const go = h('button', { class: 'secondary', disabled: true, 'data-testid': 'compare' }, 'Compare');
  ctx.client.call('profiles.list', {}).then(
    (list) => {
      const others = list.filter((x) => x.id !== p.id && !x.error);
      others.sort((a, b) => Number(b.sha256 === p.model.sha256) - Number(a.sha256 === p.model.sha256));
      clear(pick);
      if (others.length === 0) pick.append(h('option', { value: '' }, 'no other stored profile'));
      for (const o of others) pick.append(h('option', { value: o.id }, `${o.model}${o.sha256 === p.model.sha256 ? ' (same model)' : ''} \u00b7 ${o.lanes.join(', ')} \u00b7 ${pm.fmtDate(o.createdAt)} \u00b7 ${o.status}`));
      go.disabled = others.length === 0;
    },
    (e) => out.replaceChildren(failure('Could not list the stored profiles', e)),
  );
  go.addEventListener('click', async () => {
    if (!pick.value) return;
    out.replaceChildren(h('p', { class: 'muted' }, 'Comparing…'));
    try {
      const d = await ctx.client.call('profiles.diff', { a: p.id, b: pick.value });
      out.replaceChildren(diffView(d));
    } catch (e) {
      out.replaceChildren(failure('Could not compare the profiles', e));
    }
  });
  return h('section', { class: 'card' }, h('h2', {}, 'Compare with another profile'), h('div', { class: 'row' }, field('Other profile (B)', pick), go), out);
}

/** Two profiles side by side (profiles.diff); the History view shows the same. */
export function diffView(d: Diff): HTMLElement {
  const flagged = d.rows.filter((r) => r.change === 'slower' || r.change === 'faster');
  const onlyFlagged = h('input', { type: 'checkbox', checked: flagged.length > 0 });
  const box = h('div', {});
  const kind = (c: string) => (c === 'slower' ? 'bad' : c === 'faster' ? 'ok' : c === 'error' ? 'bad' : c === 'missing' ? 'warn' : 'info');
  const draw = () => {
    const rows = onlyFlagged.checked ? flagged : d.rows;
    const t = table(rows, {
      Layer: (r) => (r.layer < 0 ? h('strong', {}, 'whole model') : `#${r.layer} ${r.name}`),
      Lane: (r) => h('code', {}, r.lane),
      'A ms': (r) => pm.fmtMsBare(r.aMs),
      'B ms': (r) => pm.fmtMsBare(r.bMs),
      'B / A': (r) => pm.fmtRatio(r.ratio),
      'Noise ms': (r) => pm.fmtMsBare(r.noiseMs),
      Change: (r) => badge(r.change, kind(r.change), r.note),
    }, { class: 'data prof-diff' });
    t.querySelectorAll('tbody tr').forEach((tr, i) => tr.classList.add(`diff-${rows[i].change}`));
    box.replaceChildren(rows.length ? t : h('p', { class: 'muted' }, 'No change beyond noise.'));
  };
  onlyFlagged.addEventListener('change', draw);
  draw();
  const s = d.summary;
  return h('div', { class: 'stack' },
    h('p', {}, `A ${d.a.id} (${pm.fmtDate(d.a.createdAt, true)}) vs B ${d.b.id} (${pm.fmtDate(d.b.createdAt, true)}). Layers: `, badge(`${s.slower} slower`, s.slower ? 'bad' : 'info'), ' ', badge(`${s.faster} faster`, s.faster ? 'ok' : 'info'), ` ${s.same} same, ${s.missing} missing, of ${s.compared} compared. `,
      d.sameModel ? 'Same model. ' : 'Different models. ', d.sameMachine ? 'Same machine.' : 'Different machines.'),
    Object.keys(d.geomeanRatio).length ? h('p', {}, 'Geometric mean B/A per lane: ', Object.entries(d.geomeanRatio).map(([l, r]) => `${l} ${pm.fmtRatio(r)}`).join(', ')) : null,
    d.warnings.length ? h('ul', { class: 'prof-warnings' }, ...d.warnings.map((w) => h('li', {}, w))) : null,
    h('p', { class: 'muted prof-small' }, d.method),
    h('label', { class: 'prof-check' }, h('span', {}, onlyFlagged, ` Only changes beyond noise (${flagged.length})`)),
    box);
}

export const profilesView: View = {
  id: 'profiles',
  title: 'Models & profiles',
  render(root, ctx, param) {
    return param ? renderDetail(root, ctx, param) : renderList(root, ctx);
  },
};
