// Keyboard access for the whole app: view shortcuts (1-9, in navigation order), the theme (t), sortable table headers by
// Enter/Space, and the `?` overlay listing the shortcuts and the glossary. Views keep their own keys
// (e.g. the timelines' zoom and pan) and list them here through SHORTCUTS.
import { h } from './dom';
import { GLOSSARY, term } from './glossary';
import { cycleTheme } from './theme';

export interface Shortcut {
  keys: string[];
  what: string;
}

const SORTABLE = 'th.sortable, th.sim-sortable';

/** True when the key goes to a text field (shortcuts must not steal typing). */
function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || (el.tagName === 'INPUT' && !['checkbox', 'radio', 'button', 'submit'].includes((el as HTMLInputElement).type));
}

export function installKeyboard(opts: { views: { id: string; title: string }[]; navigate(id: string): void; content: HTMLElement }): { shortcuts: Shortcut[]; toggleHelp(show?: boolean): void } {
  const shortcuts: Shortcut[] = [
    { keys: ['?'], what: 'Show or hide this help' },
    { keys: ['Esc'], what: 'Close this help' },
    ...opts.views.slice(0, 9).map((v, i) => ({ keys: [String(i + 1)], what: `Go to ${v.title}` })),
    { keys: ['t'], what: 'Theme: follow the system, light, dark (cycles)' },
    { keys: ['Tab', 'Shift+Tab'], what: 'Move between links, fields, buttons, sortable headers and glossary terms' },
    { keys: ['Enter', 'Space'], what: 'On a column header: sort by it (again: reverse)' },
    // The timelines (Simulate, Live lane view), once focused (Tab or a click): Perfetto's keys.
    { keys: ['W', 'S'], what: 'On a timeline: zoom in, zoom out (around the pointer)' },
    { keys: ['A', 'D'], what: 'On a timeline: pan earlier, later (Shift: twice as far)' },
    { keys: ['0'], what: 'On a timeline: show the whole run' },
    { keys: ['Esc'], what: 'On a timeline: clear the selected range' },
  ];
  const closeBtn = h('button', { class: 'secondary small', onclick: () => toggleHelp(false) }, 'Close');
  const panel = h('div', { class: 'overlay-panel', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'help-title', tabindex: -1 },
    h('div', { class: 'view-header' }, h('h2', { id: 'help-title' }, 'Keyboard shortcuts and glossary'), closeBtn),
    h('table', { class: 'data', 'data-testid': 'shortcuts' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Keys'), h('th', {}, 'Does'))),
      h('tbody', {}, ...shortcuts.map((s) => h('tr', {}, h('td', {}, ...s.keys.flatMap((k, i) => [i ? ' or ' : '', h('kbd', {}, k)])), h('td', {}, s.what))))),
    h('h3', {}, 'Glossary'),
    h('dl', { class: 'facts', 'data-testid': 'glossary' }, ...GLOSSARY.flatMap((e) => [h('dt', {}, term(e)), h('dd', {}, e.definition)])),
  );
  const overlay = h('div', { class: 'overlay', hidden: true, 'data-testid': 'help-overlay', onclick: (e: MouseEvent) => e.target === overlay && toggleHelp(false) }, panel);
  document.body.append(overlay);
  let returnFocus: HTMLElement | null = null;

  function toggleHelp(show = overlay.hidden): void {
    if (show === !overlay.hidden) return;
    overlay.hidden = !show;
    if (show) {
      returnFocus = document.activeElement as HTMLElement | null;
      panel.focus();
    } else returnFocus?.focus?.();
  }

  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const target = e.target as HTMLElement | null;
    if (!overlay.hidden) {
      if (e.key === 'Escape' || e.key === '?') {
        e.preventDefault();
        toggleHelp(false);
      } else if (e.key === 'Tab') {
        // Keep focus inside the dialog.
        e.preventDefault();
        closeBtn.focus();
      }
      return;
    }
    if ((e.key === 'Enter' || e.key === ' ') && target?.matches?.(SORTABLE)) {
      e.preventDefault();
      const sel = ['data-key', 'data-sort'].map((a) => (target.hasAttribute(a) ? `th[${a}="${CSS.escape(target.getAttribute(a)!)}"]` : '')).find(Boolean);
      target.click();
      // Views redraw the table on sort: keep the focus on the same header.
      if (sel) requestAnimationFrame(() => opts.content.querySelector<HTMLElement>(sel)?.focus());
      return;
    }
    if (typing(target)) return;
    if (e.key === '?') {
      e.preventDefault();
      toggleHelp(true);
    } else if (/^[1-9]$/.test(e.key) && opts.views[Number(e.key) - 1]) {
      e.preventDefault();
      opts.navigate(opts.views[Number(e.key) - 1].id);
    } else if (e.key === 't') {
      cycleTheme();
    }
  });

  // Sortable headers become focusable as views render them.
  const focusable = () => {
    for (const th of opts.content.querySelectorAll<HTMLElement>(SORTABLE)) if (!th.hasAttribute('tabindex')) th.tabIndex = 0;
  };
  new MutationObserver(focusable).observe(opts.content, { childList: true, subtree: true });
  focusable();
  return { shortcuts, toggleHelp };
}
