// One history of what the user measured and simulated: stored profiles (profiler/store.ts),
// simulations (simulations-store.ts) and live runs (live/runs-store.ts), newest first, each with a
// kind, id, title, scenario, time and one headline figure. historyItems() is pure (the summaries in,
// the list out); listHistory() reads the three stores. An unreadable item is listed with its error.
import type { ProfileSummary } from '../../profiler/store';
import type { StoredRunSummary } from '../live/runs-store';
import type { SimulationSummary } from './types';

export type HistoryKind = 'profile' | 'simulation' | 'run';

export interface HistoryItem {
  kind: HistoryKind;
  id: string;
  /** The model (profile), or the scenario and policies (simulation) or policy (run). */
  title: string;
  scenario?: string;
  /** ISO 8601: when the profile was made, the simulation stored, the run started (else ended). */
  when: string;
  /** The figure the item is for, in words (e.g. "whole model 4.1 ms on cpu:1", "miss 3.2% (best: edf)"). */
  headline: string;
  /** The same figure as a number with its unit, where there is one. */
  figure?: { name: string; value: number; unit: 'ms' | 'rate' };
  /** Status where it matters: partial profile, stopped / failed / interrupted run. */
  status?: string;
  error?: string;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function profileItem(p: ProfileSummary): HistoryItem {
  const first = p.wholeModel?.[0];
  const item: HistoryItem = {
    kind: 'profile',
    id: p.id,
    title: p.model,
    when: p.createdAt,
    headline: p.error ? 'unreadable' : first ? `whole model ${first.ms < 1 ? first.ms.toFixed(3) : first.ms.toFixed(2)} ms on ${first.lane}${p.wholeModel!.length > 1 ? ` (+${p.wholeModel!.length - 1} lane${p.wholeModel!.length > 2 ? 's' : ''})` : ''}` : `${p.layers} layers, no whole-model latency`,
    ...(first ? { figure: { name: `whole model on ${first.lane}`, value: first.ms, unit: 'ms' as const } } : {}),
  };
  if (p.status !== 'complete') item.status = p.status;
  if (p.error) item.error = p.error;
  return item;
}

export function simulationItem(s: SimulationSummary): HistoryItem {
  const item: HistoryItem = {
    kind: 'simulation',
    id: s.id,
    title: `${s.scenario}: ${s.policies.join(', ')}`,
    scenario: s.scenario,
    when: s.createdAt,
    headline: s.error ? 'unreadable' : s.best ? `miss ${pct(s.best.missRate)} (best: ${s.best.policy}; ${s.seeds} seeds${s.load !== undefined ? `, load ${s.load}` : ''}${s.latencySource === 'synthetic' ? ', SYNTHETIC latencies' : ''})` : 'no policy finished a frame',
    ...(s.best ? { figure: { name: `miss rate of ${s.best.policy}`, value: s.best.missRate, unit: 'rate' as const } } : {}),
  };
  if (s.error) item.error = s.error;
  return item;
}

export function runItem(r: StoredRunSummary): HistoryItem {
  const policy = r.policy ? `${r.policy}${r.policySwitches?.length ? ` -> ${r.policySwitches.map((p) => p.policy).join(' -> ')}` : ''}` : '?';
  const miss = typeof r.missRate === 'number' ? r.missRate : undefined;
  const item: HistoryItem = {
    kind: 'run',
    id: r.id,
    title: `${r.scenario ?? '?'}: ${policy}`,
    ...(r.scenario ? { scenario: r.scenario } : {}),
    when: r.startedAt ?? r.endedAt ?? '',
    headline: r.error && !r.status ? 'unreadable' : miss !== undefined ? `miss ${pct(miss)} measured (${r.elapsedSec !== undefined ? `${r.elapsedSec.toFixed(1)} s, ` : ''}lanes ${(r.lanes ?? []).join(',')})` : 'no frame released',
    ...(miss !== undefined ? { figure: { name: 'miss rate', value: miss, unit: 'rate' as const } } : {}),
  };
  if (r.status && r.status !== 'completed') item.status = r.status;
  if (r.error) item.error = r.error;
  return item;
}

/** Every item, newest first (ties by kind, then id). */
export function historyItems(parts: { profiles: ProfileSummary[]; simulations: SimulationSummary[]; runs: StoredRunSummary[] }): HistoryItem[] {
  const items = [...parts.profiles.map(profileItem), ...parts.simulations.map(simulationItem), ...parts.runs.map(runItem)];
  return items.sort((a, b) => b.when.localeCompare(a.when) || a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
}
