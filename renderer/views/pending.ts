import { h } from '../dom';
import type { View } from './view';

/** A view whose UI is not built yet: says so plainly and points to the CLI. */
export function pendingView(id: string, title: string, cli: string): View {
  return {
    id,
    title,
    render(root) {
      root.append(h('header', { class: 'view-header' }, h('h1', {}, title)),
        h('p', { class: 'muted' }, `This view is not built yet. Its capability is being added to the engine; from a terminal: `, h('code', {}, cli)));
    },
  };
}
