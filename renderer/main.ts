import './styles.css';
import { connect } from './api';
import { clear, h } from './dom';
import { watchTerms } from './glossary';
import { installKeyboard } from './keyboard';
import { formatHash, parseHash } from './route';
import { cycleTheme, initTheme, onThemeChange, themeChoice } from './theme';
import { views } from './views';

initTheme();

const conn = connect();
const app = document.getElementById('app')!;
const status = h('span', { class: 'conn', 'data-testid': 'connection' }, 'connecting…');
const restart = h('button', { class: 'small', hidden: true, onclick: () => conn.restart().catch((e: Error) => (status.textContent = `restart failed: ${e.message}`)) }, conn.mode === 'electron' ? 'Restart engine' : 'Reconnect');
const themeLabel = () => `Theme: ${themeChoice() === 'system' ? `system (${document.documentElement.dataset.theme})` : themeChoice()}`;
const themeBtn = h('button', { class: 'small theme-toggle', 'data-testid': 'theme-toggle', title: 'Follow the system, light or dark (key t)', onclick: () => cycleTheme() }, themeLabel());
onThemeChange(() => (themeBtn.textContent = themeLabel()));
const helpBtn = h('button', { class: 'small theme-toggle', 'data-testid': 'help-button', title: 'Keyboard shortcuts and glossary (key ?)', onclick: () => keyboard.toggleHelp() }, 'Shortcuts and glossary (?)');
const nav = h('nav', { class: 'sidebar', 'aria-label': 'Views' },
  h('a', { class: 'skip-link', href: '#content', onclick: (e: MouseEvent) => { e.preventDefault(); main.focus(); } }, 'Skip to content'),
  h('div', { class: 'brand' }, 'Tessera'),
  ...views.map((v, i) => h('a', { href: `#/${v.id}`, 'data-view': v.id, title: `${v.title} (key ${i + 1})` }, v.title)),
  h('div', { class: 'nav-foot' }, themeBtn, helpBtn, status, restart),
);
const main = h('main', { class: 'content', id: 'content', tabindex: -1 });
app.append(nav, main);
const keyboard = installKeyboard({ views, navigate: (id) => (location.hash = `#/${id}`), content: main });
watchTerms(main);

conn.onState((state, detail) => {
  status.textContent = state === 'open' ? `engine connected (${conn.mode})` : state === 'connecting' ? 'connecting…' : `engine disconnected${detail ? `: ${detail}` : ''}`;
  status.className = `conn conn-${state}`;
  restart.hidden = state !== 'closed';
});

let cleanup: void | (() => void);
function route(): void {
  const r = parseHash(location.hash);
  const view = views.find((v) => v.id === r.view) ?? views[0];
  if (typeof cleanup === 'function') cleanup();
  clear(main);
  for (const a of nav.querySelectorAll<HTMLAnchorElement>('a[data-view]')) {
    a.classList.toggle('active', a.dataset.view === view.id);
    if (a.dataset.view === view.id) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${view.title} · Tessera`;
  const ctx = {
    client: conn.client,
    query: r.query,
    navigate: (v: string, p?: string, q?: Record<string, string | string[] | undefined>) => (location.hash = formatHash(v, p, q)),
    // The carried context has been taken into the view's remembered form: drop it from the URL so
    // that a reload shows what the user changed since (no hashchange, no re-render).
    consumeQuery: () => {
      if (Object.keys(r.query).length) history.replaceState(history.state, '', formatHash(view.id, r.param));
    },
    replaceParam: (p?: string) => history.replaceState(history.state, '', formatHash(view.id, p)),
    hasView: (id: string) => views.some((v) => v.id === id),
  };
  cleanup = view.render(main, ctx, r.param);
}
window.addEventListener('hashchange', route);
route();
