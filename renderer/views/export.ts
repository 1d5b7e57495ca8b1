// The Export view: what Tessera can export, each with its download. Profiles come from
// profiles.export, a simulated run's trace from simulate.trace, the stored live runs' reports and
// traces from runs.list and runs.export, tuned schedules from schedule.list / schedule.export (a
// schedule file opened here is stored by schedule.import; its archive bundle from
// schedule.exportBundle in chunks), and replaying one is schedule.replay.
import './export.css';
import type { ResultOf } from '../../engine/api';
import { badge, clear, errorBox, h, table } from '../dom';
import { DEFAULT_POLICIES, syntheticLabel } from './simulate-model';
import { DASH, fmtBytes, fmtPct } from '../format';
import { runLengthText, runPolicyText } from './live-model';
import { downloadParts, downloadText, fromBase64, mimeFor } from '../download';
import type { View } from './view';
import { replayRows, toleranceText, type ReplayResult, type StoredSchedule } from './tune-model';

type ProfileSummary = ResultOf<'profiles.list'>[number];
type PolicyInfo = ResultOf<'policies.list'>[number];
type StoredRun = ResultOf<'runs.list'>[number];

export const exportView: View = {
  id: 'export',
  title: 'Export',
  render(root, { client, navigate }) {
    let disposed = false;
    const profilesBody = h('div', {}, h('p', { class: 'muted' }, 'Loading stored profiles…'));
    const traceBody = h('div', {}, h('p', { class: 'muted' }, 'Loading scenarios and policies…'));
    const liveNow = h('span', {});
    const liveBody = h('div', {}, h('p', { class: 'muted' }, 'Loading stored live runs…'));
    const tunedBody = h('div', {}, h('p', { class: 'muted' }, 'Loading stored schedules…'));
    const replayArea = h('div', { 'data-testid': 'export-replay' });
    let replaying: AbortController | undefined;
    const fileInput: HTMLInputElement = h('input', { type: 'file', accept: '.json,application/json', 'data-testid': 'export-schedule-file', 'aria-label': 'Open a schedule file', onchange: () => void openFile() });

    root.append(
      h('header', { class: 'view-header' }, h('h1', {}, 'Export')),
      h('p', { class: 'muted export-intro' }, 'What Tessera can export today. Downloads go through your browser; files the engine writes itself live in its data directory (TESSERA_HOME, else ~/.tessera, on the machine the engine runs on).'),
      h('section', { class: 'card', 'data-testid': 'export-profiles' },
        h('h2', {}, 'Profiles ', h('span', { class: 'muted export-sub' }, 'measured latency tables, per layer and lane')),
        h('p', { class: 'muted' }, 'CSV: one row per layer and lane, plus the whole model (median, p5/p95, CV, samples, in-graph time, FLOPs, energy with its source where a meter was read). JSON: the whole profile as stored, with the machine and the settings it was measured with.'),
        profilesBody,
        h('p', { class: 'muted export-cli' }, 'From a terminal: ', h('code', {}, 'tessera profiles export ID --format csv --out FILE'))),
      h('section', { class: 'card', 'data-testid': 'export-trace' },
        h('h2', {}, 'Trace of a simulated run ', h('span', { class: 'muted export-sub' }, 'Perfetto JSON or CSV')),
        h('p', { class: 'muted' }, 'One run of one policy in the simulator: a track per lane, a slice per layer, a flow per frame (open the JSON in ', h('a', { href: 'https://ui.perfetto.dev', target: '_blank', rel: 'noopener' }, 'ui.perfetto.dev'), '); or CSV files of slices and frames.'),
        traceBody,
        h('p', { class: 'muted export-cli' }, 'To compare policies first, simulate a library scenario on your measured profiles, or pick the run from its timeline: ',
          h('button', { class: 'secondary small', onclick: () => navigate('simulate') }, 'Open Simulate'),
          ' · From a terminal: ', h('code', {}, 'tessera simulate SCENARIO --policies P --trace out.json'))),
      h('section', { class: 'card', 'data-testid': 'export-live' },
        h('h2', {}, 'Live runs: report and trace ', h('span', { class: 'muted export-sub' }, 'stored by the engine, newest first')),
        h('p', { class: 'muted' }, 'Every live run writes ', h('code', {}, 'report.json'), ' (measured metrics per tenant beside the simulator\u2019s prediction, transfers, overload, faults, energy with its source) and ',
          h('code', {}, 'trace.json'), ' (Chrome trace JSON) to ', h('code', {}, 'runs/<run id>/'), ' under the engine\u2019s data directory when it ends. Open a trace in ',
          h('a', { href: 'https://ui.perfetto.dev', target: '_blank', rel: 'noopener' }, 'ui.perfetto.dev'), ' ("Open trace file"): a track per lane with every layer run and transfer, drops, policy switches and faults.'),
        liveBody,
        h('p', { class: 'muted export-cli' }, liveNow, ' ',
          h('button', { class: 'secondary small', onclick: () => navigate('live') }, 'Open Live'), ' ',
          h('button', { class: 'secondary small', 'data-testid': 'export-runs-refresh', onclick: () => void loadRuns() }, 'Refresh'),
          ' · From a terminal: ', h('code', {}, 'tessera runs list'), ', ', h('code', {}, 'tessera runs export ID --file trace --out trace.json'))),
      h('section', { class: 'card', 'data-testid': 'export-tuned' },
        h('h2', {}, 'Tuned schedules ', h('span', { class: 'muted export-sub' }, 'stored by Tune runs and by files opened here, newest first')),
        h('p', { class: 'muted' }, 'A tuned schedule records the machine, ONNX Runtime, lanes, every model with its sha256, the policy with its parameters, the predicted figures with confidence intervals and how it was found. Replay runs it live here and compares each tenant with what it expects: a regression check for a new machine, driver or ONNX Runtime.'),
        h('p', { class: 'row' }, h('label', {}, 'Open a schedule file ', fileInput), ' ',
          h('button', { class: 'secondary small', 'data-testid': 'export-schedules-refresh', onclick: () => void loadSchedules() }, 'Refresh'),
          h('button', { class: 'secondary small', onclick: () => navigate('tune') }, 'Open Tune')),
        tunedBody,
        replayArea,
        h('p', { class: 'muted export-cli' }, 'From a terminal: ', h('code', {}, 'tessera replay FILE --duration 30s'), ', ', h('code', {}, 'tessera schedule bundle FILE --out DIR'), '; in your app: ', h('code', {}, "import { openSchedule } from 'tessera/runtime'"))),
    );

    async function loadSchedules(): Promise<void> {
      try {
        const list = await client.call('schedule.list', {});
        if (disposed) return;
        clear(tunedBody);
        tunedBody.append(schedulesTable(list));
      } catch (e) {
        if (disposed) return;
        clear(tunedBody);
        tunedBody.append(errorBox('Could not list the stored schedules', (e as Error).message));
      }
    }

    async function openFile(): Promise<void> {
      const f = fileInput.files?.[0];
      if (!f) return;
      try {
        const stored = await client.call('schedule.import', { name: f.name, text: await f.text() });
        if (disposed) return;
        await loadSchedules();
        tunedBody.prepend(h('p', { class: 'muted', 'data-testid': 'export-schedule-opened' }, `Opened ${f.name}: stored as ${stored.id}.`));
      } catch (e) {
        if (!disposed) tunedBody.prepend(errorBox(`Could not open ${f.name}`, (e as Error).message));
      } finally {
        fileInput.value = '';
      }
    }

    function schedulesTable(list: StoredSchedule[]): HTMLElement {
      if (!list.length) return h('p', { 'data-testid': 'export-no-schedules' }, 'No tuned schedules yet: tune a scenario in the Tune view, or open a schedule file.');
      const status = h('div', { class: 'export-status' });
      const download = async (id: string, btn: HTMLButtonElement) => {
        btn.disabled = true;
        clear(status);
        try {
          const r = await client.call('schedule.export', { id });
          if (disposed) return;
          downloadText(r.filename, r.content, 'application/json');
          status.append(h('p', { class: 'muted', 'data-testid': 'export-schedule-done' }, `Saved ${r.filename}.`));
        } catch (e) {
          if (!disposed) status.append(errorBox(`Could not export ${id}`, (e as Error).message));
        } finally {
          btn.disabled = false;
        }
      };
      // The archive bundle (schedule + model files + manifest), read from the engine in chunks.
      const downloadBundle = async (id: string, btn: HTMLButtonElement) => {
        btn.disabled = true;
        clear(status);
        const progress = h('p', { class: 'muted', 'data-testid': 'export-bundle-progress', role: 'status' }, `Building the bundle of ${id}…`);
        status.append(progress);
        try {
          const b = await client.call('schedule.exportBundle', { id });
          const parts: Uint8Array<ArrayBuffer>[] = [];
          for (let offset = 0; ; ) {
            if (disposed) return;
            const c = await client.call('schedule.exportBundleChunk', { id, offset });
            const bytes = fromBase64(c.data);
            parts.push(bytes);
            offset += bytes.length;
            progress.textContent = `Downloading ${b.filename}: ${fmtBytes(offset)} of ${fmtBytes(b.bytes)}…`;
            if (c.done) break;
          }
          if (disposed) return;
          downloadParts(b.filename, parts, mimeFor(b.filename));
          progress.remove();
          status.append(h('p', { class: 'muted', 'data-testid': 'export-bundle-done' }, `Saved ${b.filename} (${fmtBytes(b.bytes)}, ${b.files} files with their sha256 in its manifest; sha256 of the archive ${b.sha256.slice(0, 16)}…). On another machine: `, h('code', {}, `tessera replay ${b.filename}`), '.'));
        } catch (e) {
          progress.remove();
          if (!disposed) status.append(errorBox(`Could not bundle ${id}`, (e as Error).message));
        } finally {
          btn.disabled = false;
        }
      };
      const tbl = table(list, {
        Schedule: (s) => h('span', { class: 'export-run-id' }, h('code', {}, s.id), h('span', { class: 'muted' }, s.origin === 'opened' ? 'opened here' : 'from a tune run')),
        Scenario: (s) => s.scenario ?? DASH,
        Policy: (s) => (s.error ? badge('unreadable', 'bad', s.error) : h('code', { class: 'export-policy', title: s.policy }, s.policy ?? DASH)),
        Lanes: (s) => (s.lanes?.length ? s.lanes.join(', ') : DASH),
        'Predicted miss': (s) => fmtPct(s.predictedMissRate),
        'vs untuned': (s) => (typeof s.improvement === 'number' ? `${(100 * s.improvement).toFixed(1)}% better` : DASH),
        Tuned: (s) => (s.createdAt ? `${new Date(s.createdAt).toLocaleString()} on ${s.machine ?? DASH}` : DASH),
        Actions: (s) => {
          if (s.error) return h('span', { class: 'muted' }, s.error);
          const dl: HTMLButtonElement = h('button', { class: 'small secondary', 'data-testid': 'export-schedule-download', 'data-schedule': s.id, onclick: () => void download(s.id, dl) }, 'Download');
          const bd: HTMLButtonElement = h('button', { class: 'small secondary', 'data-testid': 'export-schedule-bundle', 'data-schedule': s.id, title: 'The schedule with its model files and a manifest of their sha256, as one .tgz archive that replay and tessera/runtime open on another machine', onclick: () => void downloadBundle(s.id, bd) }, 'Download bundle');
          const rp: HTMLButtonElement = h('button', { class: 'small', 'data-testid': 'export-schedule-replay', 'data-schedule': s.id, onclick: () => replayForm(s) }, 'Replay…');
          return h('span', { class: 'export-buttons' }, dl, bd, rp);
        },
      }, { class: 'data', 'data-testid': 'export-schedules-table' });
      return h('div', {}, h('div', { class: 'export-table-scroll' }, tbl), status);
    }

    function replayForm(s: StoredSchedule): void {
      replaying?.abort();
      clear(replayArea);
      const duration = h('input', { type: 'number', min: 1, max: 3600, step: 'any', value: '10', class: 'export-num', 'data-testid': 'export-replay-duration' });
      const miss = h('input', { type: 'number', min: 0, max: 100, step: 'any', value: '5', class: 'export-num', 'data-testid': 'export-replay-miss' });
      const p99 = h('input', { value: '50', class: 'export-num', 'data-testid': 'export-replay-p99' });
      const out = h('div', {});
      const go: HTMLButtonElement = h('button', { 'data-testid': 'export-replay-run', onclick: () => void replay(s, Number(duration.value), toleranceText(miss.value, p99.value), go, out) }, 'Replay live');
      replayArea.append(h('section', { class: 'card export-replay-card' },
        h('h3', {}, 'Replay ', h('code', {}, s.id)),
        h('div', { class: 'row' }, h('label', {}, 'Duration (s)', duration), h('label', {}, 'Miss tolerance (points)', miss), h('label', {}, 'p99 tolerance (%, or off)', p99), go),
        out));
    }

    async function replay(s: StoredSchedule, durationSec: number, tol: { text: string; error?: string }, go: HTMLButtonElement, out: HTMLElement): Promise<void> {
      clear(out);
      if (!(durationSec > 0 && durationSec <= 3600) || tol.error) {
        out.append(errorBox('Check the form', tol.error ?? 'Duration: seconds, > 0 and at most 3600.'));
        return;
      }
      replaying?.abort();
      const ac = (replaying = new AbortController());
      go.disabled = true;
      const bar = h('div', { style: 'width:0%' });
      const msg = h('p', { class: 'muted', 'data-testid': 'export-replay-message' }, 'checking the schedule…');
      const differences = h('p', { 'data-testid': 'export-replay-differences' });
      const cancel = h('button', { class: 'secondary small', 'data-testid': 'export-replay-cancel', onclick: () => ac.abort() }, 'Cancel');
      out.append(h('div', { class: 'row' }, h('div', { class: 'progress export-replay-progress' }, bar), cancel), msg, differences);
      const t0 = Date.now();
      const timer = setInterval(() => (bar.style.width = `${Math.min(95, Math.round((100 * (Date.now() - t0)) / 1000 / (durationSec + 10)))}%`), 500);
      try {
        const r: ReplayResult = await client.call('schedule.replay', { file: s.file!, durationSec, tolerance: tol.text, writeFiles: true }, {
          signal: ac.signal,
          onProgress: (p) => {
            if (disposed) return;
            if (p.message) msg.textContent = p.message;
            if (p.detail && typeof p.detail === 'object' && 'differences' in p.detail) differences.textContent = p.message ?? '';
          },
        });
        if (disposed || ac !== replaying) return;
        bar.style.width = '100%';
        cancel.remove();
        msg.textContent = `Live run ${r.runId}: ${r.durationSec} s, ${r.report.status}; energy ${r.report.energy.source.kind === 'measured' ? 'measured' : 'ESTIMATE'}.`;
        differences.textContent = r.differences.length ? `Differs from where it was tuned: ${r.differences.join('; ')}` : 'Same machine and ONNX Runtime as tuned.';
        out.append(
          h('p', { 'data-testid': 'export-replay-verdict' }, r.pass ? badge('PASS', 'ok') : badge('FAIL', 'bad'), ' ', r.pass ? 'every tenant within the tolerance' : 'regressed beyond the tolerance'),
          table(replayRows(r), {
            Tenant: (x) => x.tenant,
            'Expected miss': (x) => x.expected,
            'Measured miss': (x) => x.measured,
            'Expected p99': (x) => x.expectedP99,
            'Measured p99': (x) => x.measuredP99,
            Verdict: (x) => (x.pass ? badge('ok', 'ok') : h('span', {}, badge('regressed', 'bad'), ' ', x.why)),
          }, { class: 'data', 'data-testid': 'export-replay-table' }),
        );
      } catch (e) {
        if (disposed || ac !== replaying) return;
        cancel.remove();
        const err = e as Error & { code?: string };
        out.append(err.code === 'cancelled' ? h('p', { 'data-testid': 'export-replay-cancelled' }, badge('cancelled', 'warn'), ' ', err.message) : errorBox('The replay could not run', err.message));
      } finally {
        clearInterval(timer);
        go.disabled = false;
        if (ac === replaying) replaying = undefined;
      }
    }

    async function loadProfiles(): Promise<void> {
      try {
        const list = await client.call('profiles.list', {});
        if (disposed) return;
        clear(profilesBody);
        profilesBody.append(profilesTable(list));
      } catch (e) {
        if (disposed) return;
        clear(profilesBody);
        profilesBody.append(errorBox('Could not list the stored profiles', (e as Error).message));
      }
    }

    function profilesTable(list: ProfileSummary[]): HTMLElement {
      if (!list.length) {
        return h('p', { 'data-testid': 'export-no-profiles' }, 'No stored profiles yet: profile a model first. ',
          h('button', { class: 'secondary small', onclick: () => navigate('profiles') }, 'Open Models & profiles'));
      }
      const status = h('div', { class: 'export-status' });
      const download = async (id: string, format: 'csv' | 'json', btn: HTMLButtonElement) => {
        btn.disabled = true;
        clear(status);
        try {
          const r = await client.call('profiles.export', { id, format });
          if (disposed) return;
          downloadText(r.filename, r.content, mimeFor(r.filename));
          status.append(h('p', { class: 'muted', 'data-testid': 'export-profile-done' }, `Saved ${r.filename}.`));
        } catch (e) {
          if (!disposed) status.append(errorBox(`Could not export ${id}`, (e as Error).message));
        } finally {
          btn.disabled = false;
        }
      };
      const button = (id: string, format: 'csv' | 'json') => {
        const b: HTMLButtonElement = h('button', { class: `small${format === 'json' ? ' secondary' : ''}`, 'data-testid': `export-profile-${format}`, 'data-profile': id, onclick: () => void download(id, format, b) }, format.toUpperCase());
        return b;
      };
      return h('div', {},
        h('div', { class: 'export-table-scroll' }, table(list, {
          Profile: (p) => h('code', {}, p.id),
          Model: (p) => p.model || '–',
          Lanes: (p) => (p.lanes?.length ? p.lanes.join(', ') : '–'),
          Layers: (p) => (Number.isFinite(p.layers) ? String(p.layers) : '–'),
          Measured: (p) => (p.createdAt ? `${new Date(p.createdAt).toLocaleString()} on ${p.machine}` : '–'),
          Status: (p) => (p.error ? badge('unreadable', 'bad', p.error) : p.status === 'complete' ? badge('complete', 'ok') : badge(p.status, 'warn', 'Not every layer and lane was measured')),
          Download: (p) => (p.error ? h('span', { class: 'muted' }, p.error) : h('span', { class: 'export-buttons' }, button(p.id, 'csv'), button(p.id, 'json'))),
        }, { class: 'data', 'data-testid': 'export-profiles-table' })),
        status);
    }

    async function loadTraceForm(): Promise<void> {
      try {
        const [sims, policies] = await Promise.all([client.call('simulate.scenarios', {}), client.call('policies.list', {})]);
        if (disposed) return;
        clear(traceBody);
        traceBody.append(traceForm(sims.synthetic, policies));
      } catch (e) {
        if (disposed) return;
        clear(traceBody);
        traceBody.append(errorBox('Could not load the scenarios and policies', (e as Error).message));
      }
    }

    function traceForm(synthetic: string[], policies: PolicyInfo[]): HTMLElement {
      const scenario = h('select', { 'data-testid': 'export-trace-scenario' }, ...synthetic.map((s) => h('option', { value: s }, syntheticLabel(s))));
      if (synthetic.includes('synthetic:vr_gaming:skewed')) scenario.value = 'synthetic:vr_gaming:skewed';
      const policy = h('select', { 'data-testid': 'export-trace-policy' }, ...policies.map((p) => h('option', { value: p.name, title: p.description }, `${p.label} (${p.name})`)));
      policy.value = policies.some((p) => p.name === 'dream') ? 'dream' : (policies[0]?.name ?? DEFAULT_POLICIES[0]);
      const seed = h('input', { type: 'number', min: 0, step: 1, value: '1', class: 'export-num', 'data-testid': 'export-trace-seed' });
      const duration = h('input', { type: 'number', min: 0.1, max: 3600, step: 'any', value: '2', class: 'export-num', 'data-testid': 'export-trace-duration' });
      const format = h('select', { 'data-testid': 'export-trace-format' }, h('option', { value: 'json' }, 'Perfetto JSON'), h('option', { value: 'csv' }, 'CSV (slices + frames)'));
      const status = h('div', { class: 'export-status' });
      const go: HTMLButtonElement = h('button', { 'data-testid': 'export-trace-download', onclick: () => void run() }, 'Download trace');
      async function run(): Promise<void> {
        clear(status);
        const s = Number(seed.value);
        const d = Number(duration.value);
        if (!Number.isInteger(s) || s < 0 || !(d > 0) || d > 3600) {
          status.append(errorBox('Check the form', 'Seed: a whole number ≥ 0; duration: seconds, > 0 and at most 3600.'));
          return;
        }
        go.disabled = true;
        status.append(h('p', { class: 'muted' }, 'Simulating…'));
        try {
          const fmt = format.value as 'json' | 'csv';
          const r = await client.call('simulate.trace', { scenario: scenario.value, policy: policy.value, seed: s, durationSec: d, latencyNoise: 0.1, jobNoise: 0.1, preemption: 'layer', dropLate: false, window: 1, format: fmt });
          if (disposed) return;
          downloadText(r.filename, r.content, mimeFor(r.filename));
          const jobsName = r.filename.replace(/\.csv$/, '-jobs.csv');
          if (r.jobsCsv) downloadText(jobsName, r.jobsCsv, 'text/csv');
          clear(status);
          status.append(h('p', { class: 'muted', 'data-testid': 'export-trace-done' }, `Saved ${r.filename}${r.jobsCsv ? ` and ${jobsName}` : ''}.`));
        } catch (e) {
          if (disposed) return;
          clear(status);
          status.append(errorBox('Could not make the trace', (e as Error).message));
        } finally {
          go.disabled = false;
        }
      }
      return h('div', {},
        h('div', { class: 'row' },
          h('label', {}, 'Scenario', scenario),
          h('label', {}, 'Policy', policy),
          h('label', {}, 'Seed', seed),
          h('label', {}, 'Duration (s)', duration),
          h('label', {}, 'Format', format),
          go),
        h('p', { class: 'export-note' }, badge('synthetic', 'warn', 'Generated latency table, not measured'), ' These quick traces use the synthetic XRBench workloads: generated latency tables and estimated energy, not measurements. Default simulator settings (latency and job noise 0.1, preemption at layer boundaries).'),
        status);
    }

    async function loadRuns(): Promise<void> {
      try {
        const list = await client.call('runs.list', {});
        if (disposed) return;
        clear(liveBody);
        liveBody.append(runsTable(list));
      } catch (e) {
        if (disposed) return;
        clear(liveBody);
        liveBody.append(errorBox('Could not list the stored live runs', `${(e as Error).message}. Reconnect to the engine and press Refresh.`));
      }
      void loadLive();
    }

    function runsTable(list: StoredRun[]): HTMLElement {
      if (!list.length) {
        return h('p', { 'data-testid': 'export-no-runs' }, 'No stored live runs yet: run a scenario in the Live view (demo:tiny takes a few seconds). ');
      }
      const status = h('div', { class: 'export-status' });
      const download = async (id: string, file: 'report' | 'trace', btn: HTMLButtonElement) => {
        btn.disabled = true;
        clear(status);
        try {
          const r = await client.call('runs.export', { id, file });
          if (disposed) return;
          downloadText(r.filename, r.content, mimeFor(r.filename));
          status.append(h('p', { class: 'muted', 'data-testid': 'export-run-done' }, `Saved ${r.filename} (${fmtBytes(r.bytes)}).${file === 'trace' ? ' Open it in ui.perfetto.dev.' : ''}`));
        } catch (e) {
          if (!disposed) status.append(errorBox(`Could not export the ${file} of ${id}`, `${(e as Error).message}${(e as { code?: string }).code === 'not-found' ? ' Press Refresh: the run may have been removed.' : ''}`));
        } finally {
          btn.disabled = false;
        }
      };
      const button = (r: StoredRun, file: 'report' | 'trace') => {
        const b: HTMLButtonElement = h('button', { class: `small${file === 'trace' ? ' secondary' : ''}`, 'data-testid': `export-run-${file}`, 'data-run': r.id, title: `${r.id}.${file}.json${r.files[file === 'report' ? 'reportBytes' : 'traceBytes'] !== undefined ? `, ${fmtBytes(r.files[file === 'report' ? 'reportBytes' : 'traceBytes'])}` : ''}`, onclick: () => void download(r.id, file, b) }, file === 'report' ? 'Report' : 'Trace');
        return b;
      };
      const ok = (r: StoredRun) => !!r.status;
      const columns = {
        Run: (r: StoredRun) => h('span', { class: 'export-run-id' }, h('code', {}, r.id), h('span', { class: 'muted' }, r.endedAt ? `${r.status ? 'ended' : 'written'} ${new Date(r.endedAt).toLocaleString()}` : 'no files')),
        Scenario: (r: StoredRun) => r.scenario ?? DASH,
        Policy: (r: StoredRun) => runPolicyText(r.policy, r.policySwitches),
        Status: (r: StoredRun) => (!ok(r) ? badge('unreadable', 'bad', r.error) : r.status === 'completed' ? badge('completed', 'ok') : r.status === 'stopped' ? badge('stopped', 'warn', 'Stopped before the end: the report covers what was measured') : r.status === 'interrupted' ? badge('interrupted', 'warn', 'Its process ended mid-run (killed or crashed): the report is its last snapshot') : r.status === 'running' ? badge('running', 'info') : badge('failed', 'bad')),
        Length: (r: StoredRun) => (ok(r) ? runLengthText(r.elapsedSec, r.durationSec) : DASH),
        Lanes: (r: StoredRun) => (r.lanes?.length ? r.lanes.join(', ') : DASH),
        'Miss rate': (r: StoredRun) => (ok(r) ? (r.missRate === null || r.missRate === undefined ? h('span', { class: 'muted', title: 'No frame was released' }, DASH) : fmtPct(r.missRate)) : DASH),
        Energy: (r: StoredRun) => (!ok(r) ? DASH : r.energySource === 'measured' ? badge('measured', 'ok') : badge('ESTIMATE', 'warn', 'No readable meter: energy estimated from lane busy time')),
        Download: (r: StoredRun) => h('span', { class: 'export-buttons' }, ...(r.files.report ? [button(r, 'report')] : []), ...(r.files.trace ? [button(r, 'trace')] : [])),
      };
      const tbl = table(list, columns, { class: 'data export-runs', 'data-testid': 'export-runs-table' });
      // Each run's row is marked with its id; what is wrong with a run goes on a full-width line under it.
      const rows = [...tbl.tBodies[0].rows];
      list.forEach((r, i) => {
        rows[i].dataset.run = r.id;
        if (!r.error) return;
        const note = h('tr', { class: 'export-run-error-row' }, h('td', { colspan: Object.keys(columns).length, class: 'export-run-error', 'data-testid': 'export-run-error', title: r.error }, shortError(r)));
        rows[i].classList.add('export-run-has-error');
        rows[i].after(note);
      });
      return h('div', {},
        h('div', { class: 'export-table-scroll' }, tbl),
        h('p', { class: 'muted export-note' }, 'Miss rate: (finished late + dropped) / released, all tenants. Ended: when the engine wrote the report. Energy: read from a meter (measured) or an estimate.'),
        status);
    }

    /** The store names files by their full path; in the run's own row its folder goes without saying. */
    function shortError(r: StoredRun): string {
      return (r.error ?? '').split(`${r.dir}/`).join('').split(`${r.dir}\\`).join('').split(r.dir).join('the run folder');
    }

    async function loadLive(): Promise<void> {
      try {
        const runs = await client.call('live.list', {});
        if (disposed) return;
        liveNow.textContent = runs.length ? `${runs.length} live run(s) in progress now (${runs.map((r) => `${r.id}: ${r.policy} on ${r.scenario}`).join('; ')}).` : 'No live run in progress now.';
      } catch (e) {
        if (!disposed) liveNow.textContent = `Could not list live runs: ${(e as Error).message}.`;
      }
    }

    void loadProfiles();
    void loadTraceForm();
    void loadRuns();
    void loadSchedules();
    return () => {
      disposed = true;
      replaying?.abort();
    };
  },
};
