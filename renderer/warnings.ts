// Warnings where the user looks: the engine's warnings go next to the figure they qualify (a run's
// lane warnings by the lanes, energy warnings by the energy, ...), not into one list at the bottom.
// routeWarnings sorts them by topic (pure); warningList renders one group.
import { h } from './dom';

/** Sorts warnings into topics by the first pattern each matches; the rest go to `other`. */
export function routeWarnings<K extends string>(warnings: readonly string[], topics: readonly (readonly [K, RegExp])[]): { byTopic: Record<K, string[]>; other: string[] } {
  const byTopic = Object.fromEntries(topics.map(([k]) => [k, [] as string[]])) as Record<K, string[]>;
  const other: string[] = [];
  for (const w of warnings) {
    const hit = topics.find(([, re]) => re.test(w));
    if (hit) byTopic[hit[0]].push(w);
    else other.push(w);
  }
  return { byTopic, other };
}

/** A compact list of warnings (nothing when there are none). */
export function warningList(warnings: readonly string[], testId?: string, title?: string): HTMLElement | null {
  if (warnings.length === 0) return null;
  return h('div', { class: 'warn-block', role: 'note', 'data-testid': testId },
    title ? h('strong', { class: 'warn-inline' }, title) : null,
    h('ul', { class: 'warn-list' }, ...warnings.map((w) => h('li', {}, w))));
}
