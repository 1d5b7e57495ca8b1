// The History view: stored profiles, simulations and live runs in one list (history.list), newest
// first, filtered by kind and text. "Open" reopens an item in its own view (the profile's detail page,
// the Simulate view's result, the Live view's report). Ticking two compares them side by side
// (history.compare): two profiles per layer and lane (the profile page's comparison), or two of
// simulations and live runs, overall and per tenant, with B - A and which is better.
// Pure logic: history-model.ts; the comparison itself: scheduler/history/compare.ts in the engine.
import './history.css';
import type { ResultOf } from '../../engine/api';
import { badge, clear, errorBox, h, table } from '../dom';
import { fmtDate } from '../format';
import { warningList } from '../warnings';
import { changeBadge, displayRows, filterItems, KIND_LABEL, pickProblem, reopenRoute, sideText, togglePick, type HistoryFilter, type HistoryItem, type HistoryKind, type HistoryPick } from './history-model';
import { diffView } from './profiles';
import type { View, ViewContext } from './view';

type Comparison = ResultOf<'history.compare'>;
type Results = Extract<Comparison, { kind: 'results' }>['comparison'];

/** Kept while the user visits other views (reopening an item and coming back keeps the picks). */
let filter: HistoryFilter = { kind: 'all', text: '' };
let picked: HistoryPick[] = [];
let policies: Partial<Record<'a' | 'b', string>> = {};

export const historyView: View = {
  id: 'history',
  title: 'History',
  render(root, ctx) {
    let items: HistoryItem[] = [];
    let disposed = false;
    const listArea = h('div', { 'data-testid': 'history-list' }, h('p', { class: 'muted' }, 'Loading the stored profiles, simulations and live runs…'));
    const compareBar = h('div', { class: 'row history-compare-bar' });
    const compareArea = h('div', { 'data-testid': 'history-compare' });

    const kindSel = h('select', { 'data-testid': 'history-kind', 'aria-label': 'Kind' },
      h('option', { value: 'all' }, 'Everything'),
      ...(Object.keys(KIND_LABEL) as HistoryKind[]).map((k) => h('option', { value: k }, `${KIND_LABEL[k]}s`)));
    kindSel.value = filter.kind;
    const search = h('input', { type: 'search', placeholder: 'Filter: model, scenario, policy, id', 'data-testid': 'history-search', 'aria-label': 'Filter the history', value: filter.text, class: 'history-search' });
    kindSel.addEventListener('change', () => {
      filter = { ...filter, kind: kindSel.value as HistoryFilter['kind'] };
      drawList();
    });
    search.addEventListener('input', () => {
      filter = { ...filter, text: search.value };
      drawList();
    });
    const refresh = h('button', { class: 'small secondary', onclick: () => void load() }, 'Refresh');

    root.append(
      h('header', { class: 'view-header' }, h('h1', {}, 'History'), h('span', { class: 'muted' }, 'Stored profiles, simulations and live runs: reopen one, or tick two to compare')),
      h('section', { class: 'card' },
        h('div', { class: 'row history-filters' }, h('label', {}, 'Show ', kindSel), h('label', { class: 'history-search-label' }, search), refresh),
        listArea),
      h('section', { class: 'card' }, h('h2', {}, 'Compare'), compareBar, compareArea),
    );

    async function load(): Promise<void> {
      try {
        items = await ctx.client.call('history.list', {});
      } catch (e) {
        if (disposed) return;
        listArea.replaceChildren(errorBox('Could not read the history', `${(e as Error).message}. Reconnect to the engine and press Refresh.`));
        return;
      }
      if (disposed) return;
      // Picks whose item is gone (deleted meanwhile) are dropped.
      picked = picked.filter((p) => items.some((i) => i.kind === p.kind && i.id === p.id));
      drawList();
      drawCompareBar();
    }

    function drawList(): void {
      const shown = filterItems(items, filter);
      if (items.length === 0) {
        listArea.replaceChildren(h('p', { class: 'muted', 'data-testid': 'history-empty' }, 'Nothing stored yet. Profiles (Models & profiles), simulations (Simulate) and live runs (Live) appear here once made.'));
        return;
      }
      const t = table(shown, {
        Compare: (i) => {
          const box = h('input', { type: 'checkbox', 'data-testid': 'history-pick', 'aria-label': `Compare ${KIND_LABEL[i.kind].toLowerCase()} ${i.id}` });
          box.addEventListener('change', () => {
            picked = togglePick(picked, i);
            policies = {};
            clear(compareArea);
            syncPicks();
            drawCompareBar();
          });
          return h('span', { class: 'history-pick' }, box, h('strong', { class: 'history-pick-letter' }));
        },
        Kind: (i) => badge(KIND_LABEL[i.kind], i.kind === 'profile' ? 'info' : i.kind === 'simulation' ? 'warn' : 'ok'),
        When: (i) => (i.when ? fmtDate(i.when, true) : '-'),
        What: (i) => h('div', {}, h('div', {}, i.title), h('code', { class: 'history-id' }, i.id)),
        Headline: (i) => (i.error ? h('span', { class: 'history-error', title: i.error }, `unreadable: ${i.error}`) : h('span', {}, i.headline, i.status ? ' ' : '', i.status ? badge(i.status, 'warn') : '')),
        '': (i) => h('button', { class: 'small secondary', disabled: !!i.error, 'data-testid': 'history-open', 'aria-label': `Open ${KIND_LABEL[i.kind].toLowerCase()} ${i.id}`, onclick: () => {
          const r = reopenRoute(i);
          ctx.navigate(r.view, r.param);
        } }, 'Open'),
      }, { class: 'data history-table' });
      t.querySelectorAll('tbody tr').forEach((tr, n) => {
        const i = shown[n];
        tr.setAttribute('data-kind', i.kind);
        tr.setAttribute('data-id', i.id);
      });
      listArea.replaceChildren(
        h('p', { class: 'muted history-count' }, `${shown.length} of ${items.length} item${items.length === 1 ? '' : 's'}`),
        shown.length ? h('div', { class: 'history-scroll' }, t) : h('p', { class: 'muted' }, 'Nothing matches the filter.'),
      );
      syncPicks();
    }

    /** Ticks, row highlight and the A / B letters follow `picked` (in place: the rows stay). */
    function syncPicks(): void {
      for (const tr of listArea.querySelectorAll<HTMLTableRowElement>('tbody tr[data-kind]')) {
        const n = picked.findIndex((p) => p.kind === tr.dataset.kind && p.id === tr.dataset.id);
        tr.classList.toggle('history-picked', n >= 0);
        const box = tr.querySelector<HTMLInputElement>('input[data-testid="history-pick"]');
        if (box) box.checked = n >= 0;
        const letter = tr.querySelector('.history-pick-letter');
        if (letter) letter.textContent = n < 0 ? '' : n === 0 ? 'A' : 'B';
      }
    }

    function drawCompareBar(): void {
      const problem = pickProblem(picked);
      const name = (p: HistoryPick | undefined) => (p ? `${KIND_LABEL[p.kind]} ${p.id}` : '(none)');
      const go = h('button', { 'data-testid': 'history-compare-button', disabled: !!problem, onclick: () => void compare() }, 'Compare A and B');
      compareBar.replaceChildren(
        h('span', {}, h('strong', {}, 'A: '), name(picked[0])),
        h('span', {}, h('strong', {}, 'B: '), name(picked[1])),
        go,
        ...(problem ? [h('span', { class: 'muted', 'data-testid': 'history-pick-note' }, problem)] : []),
      );
    }

    async function compare(): Promise<void> {
      if (pickProblem(picked)) return;
      const [a, b] = picked;
      compareArea.replaceChildren(h('p', { class: 'muted' }, 'Comparing…'));
      try {
        const ref = (p: HistoryPick, k: 'a' | 'b') => ({ kind: p.kind, id: p.id, ...(policies[k] ? { policy: policies[k] } : {}) });
        const c = await ctx.client.call('history.compare', { a: ref(a, 'a'), b: ref(b, 'b') });
        if (disposed) return;
        compareArea.replaceChildren(c.kind === 'profiles' ? diffView(c.diff) : resultsView(c.comparison, ctx));
      } catch (e) {
        if (disposed) return;
        compareArea.replaceChildren(errorBox('Could not compare them', (e as Error).message));
      }
    }

    function resultsView(c: Results, _ctx: ViewContext): HTMLElement {
      const policyPick = (k: 'a' | 'b') => {
        const s = c[k];
        if (s.kind !== 'simulation' || !s.otherPolicies?.length) return null;
        const sel = h('select', { 'data-testid': `history-policy-${k}`, 'aria-label': `Policy of ${k.toUpperCase()}` }, ...[s.policy, ...s.otherPolicies].map((p) => h('option', { value: p }, p)));
        sel.value = s.policy;
        sel.addEventListener('change', () => {
          policies = { ...policies, [k]: sel.value };
          void compare();
        });
        return h('span', { class: 'history-policy' }, 'policy ', sel);
      };
      const rows = displayRows(c.rows);
      const tbody = h('tbody', {}, ...rows.map((r) => {
        const ch = changeBadge(r.change);
        return h('tr', { class: `history-row history-${r.change}${r.first ? ' history-group-start' : ''}` },
          r.first ? h('th', { scope: 'rowgroup', rowspan: r.span, class: 'history-tenant' }, r.tenant) : null,
          h('td', {}, r.figure), h('td', { class: 'num' }, r.a), h('td', { class: 'num' }, r.b), h('td', { class: 'num' }, r.delta), h('td', {}, badge(ch.text, ch.kind)));
      }));
      const main = h('table', { class: 'data history-diff', 'data-testid': 'history-diff-table' },
        h('caption', { class: 'sr-only' }, 'A and B side by side, per tenant'),
        h('thead', {}, h('tr', {}, ...['Tenant', 'Figure', 'A', 'B', 'B \u2212 A', 'B is'].map((x) => h('th', { scope: 'col' }, x)))),
        tbody);
      const byPolicy = c.byPolicy?.length
        ? h('div', {}, h('h3', {}, 'Every policy both simulations ran (whole run)'),
          table(c.byPolicy.flatMap((p) => p.rows.filter((r) => r.metric === 'missRate' || r.metric === 'p95LatencyMs' || r.metric === 'averageWatts').map((r) => ({ policy: p.policy, d: displayRows([r])[0] }))), {
            Policy: (x) => x.policy,
            Figure: (x) => x.d.figure,
            A: (x) => x.d.a,
            B: (x) => x.d.b,
            'B \u2212 A': (x) => x.d.delta,
            'B is': (x) => badge(changeBadge(x.d.change).text, changeBadge(x.d.change).kind),
          }, { class: 'data history-by-policy', 'data-testid': 'history-by-policy' }))
        : null;
      return h('div', { class: 'stack', 'data-testid': 'history-results' },
        h('dl', { class: 'history-sides' },
          h('dt', {}, 'A'), h('dd', {}, sideText(c.a), ' ', policyPick('a'), h('div', { class: 'muted' }, `${c.a.source}; energy ${c.a.energySource}`)),
          h('dt', {}, 'B'), h('dd', {}, sideText(c.b), ' ', policyPick('b'), h('div', { class: 'muted' }, `${c.b.source}; energy ${c.b.energySource}`))),
        warningList(c.warnings, 'history-warnings', 'Read with care'),
        warningList(c.reasons ?? [], 'history-reasons', 'Beyond the prediction tolerance (\u00b125% latency, \u00b15 points); likely reasons, from the run\u2019s record'),
        h('div', { class: 'history-scroll' }, main),
        byPolicy,
        h('p', { class: 'muted history-method' }, c.method));
    }

    drawCompareBar();
    // Back from reopening an item: the two picked are compared again.
    void load().then(() => {
      if (!disposed && !pickProblem(picked)) void compare();
    });
    return () => {
      disposed = true;
    };
  },
};
