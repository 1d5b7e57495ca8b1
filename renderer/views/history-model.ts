// Pure logic of the History view (no DOM): filtering the list, picking two items to compare, where
// "reopen" goes, and the comparison as display rows. Also the route parameter other views read to
// reopen a stored result: #/simulate/saved:<id> and #/live/saved:<id>.
import type { ResultOf } from '../../engine/api';
import { deltaText, figureText, METRICS, type CompareRow, type ResultComparison } from '../../scheduler/history/compare';

export type HistoryItem = ResultOf<'history.list'>[number];
export type HistoryKind = HistoryItem['kind'];

export const KIND_LABEL: Record<HistoryKind, string> = { profile: 'Profile', simulation: 'Simulation', run: 'Live run' };

/** A view parameter that names a stored result rather than a scenario (scenario ids never start with it). */
export const SAVED_PREFIX = 'saved:';

export function savedParam(id: string): string {
  return `${SAVED_PREFIX}${id}`;
}

/** The stored id in a view parameter, or undefined where the parameter is something else (a scenario). */
export function savedId(param: string | undefined): string | undefined {
  return param?.startsWith(SAVED_PREFIX) && param.length > SAVED_PREFIX.length ? param.slice(SAVED_PREFIX.length) : undefined;
}

/** Where "Open" takes an item: the profile's detail page, the Simulate view's result, the Live view's report. */
export function reopenRoute(item: Pick<HistoryItem, 'kind' | 'id'>): { view: string; param: string } {
  if (item.kind === 'profile') return { view: 'profiles', param: item.id };
  return { view: item.kind === 'simulation' ? 'simulate' : 'live', param: savedParam(item.id) };
}

export interface HistoryFilter {
  kind: HistoryKind | 'all';
  /** Words that must all appear in the id, title, scenario or headline (case-insensitive). */
  text: string;
}

export function filterItems(items: HistoryItem[], f: HistoryFilter): HistoryItem[] {
  const words = f.text.toLowerCase().split(/\s+/).filter(Boolean);
  return items.filter((i) => {
    if (f.kind !== 'all' && i.kind !== f.kind) return false;
    const hay = `${i.id} ${i.title} ${i.scenario ?? ''} ${i.headline}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

export interface HistoryPick {
  kind: HistoryKind;
  id: string;
}

const same = (a: HistoryPick, b: HistoryPick) => a.kind === b.kind && a.id === b.id;

/** Ticks or unticks an item; at most two stay picked (a third replaces the first picked). */
export function togglePick(picked: HistoryPick[], item: HistoryPick): HistoryPick[] {
  if (picked.some((p) => same(p, item))) return picked.filter((p) => !same(p, item));
  return [...picked, { kind: item.kind, id: item.id }].slice(-2);
}

/** Why two picks cannot be compared, or undefined when they can (the engine's rule, said before asking it). */
export function pickProblem(picked: HistoryPick[]): string | undefined {
  if (picked.length < 2) return picked.length ? 'Pick one more item to compare.' : 'Pick two items to compare.';
  const profiles = picked.filter((p) => p.kind === 'profile').length;
  if (profiles === 1) return 'A profile compares only with another profile; simulations and live runs compare with each other.';
  return undefined;
}

export interface DisplayRow {
  tenant: string;
  /** First row of its tenant's group (the tenant cell spans the group). */
  first: boolean;
  span: number;
  figure: string;
  a: string;
  b: string;
  delta: string;
  change: CompareRow['change'];
}

/** The comparison's rows for a table: grouped by tenant (the whole run first), values in their units. */
export function displayRows(rows: CompareRow[]): DisplayRow[] {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.tenant, (counts.get(r.tenant) ?? 0) + 1);
  const seen = new Set<string>();
  return rows.map((r) => {
    const first = !seen.has(r.tenant);
    seen.add(r.tenant);
    return {
      tenant: r.tenant === '(all)' ? 'whole run' : r.tenant,
      first,
      span: counts.get(r.tenant)!,
      figure: METRICS[r.metric].label,
      a: figureText(r.metric, r.a),
      b: figureText(r.metric, r.b),
      delta: deltaText(r),
      change: r.change,
    };
  });
}

/** "b is better" etc. for a cell, and its badge kind. */
export function changeBadge(change: CompareRow['change']): { text: string; kind: 'ok' | 'bad' | 'info' | 'warn' } {
  if (change === 'better') return { text: 'B better', kind: 'ok' };
  if (change === 'worse') return { text: 'B worse', kind: 'bad' };
  if (change === 'same') return { text: 'same', kind: 'info' };
  return { text: 'missing', kind: 'warn' };
}

/** A side's one-line description. */
export function sideText(s: ResultComparison['a']): string {
  return `${s.kind === 'run' ? 'live run' : 'simulation'} ${s.id} · ${s.scenario} · ${s.policy} · lanes ${s.lanes.join(',') || '-'} · ${s.spanSec.toFixed(1)} s`;
}
