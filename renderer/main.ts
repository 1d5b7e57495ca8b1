import './styles.css';
import { connect } from './api';
import { clear, h } from './dom';
import { watchTerms } from './glossary';
import { installKeyboard } from './keyboard';
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
  const [, id = 'devices', param] = location.hash.match(/^#\/([^/]+)(?:\/(.+))?/) ?? [];
  const view = views.find((v) => v.id === id) ?? views[0];
  if (typeof cleanup === 'function') cleanup();
  clear(main);
  for (const a of nav.querySelectorAll<HTMLAnchorElement>('a[data-view]')) {
    a.classList.toggle('active', a.dataset.view === view.id);
    if (a.dataset.view === view.id) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${view.title} · Tessera`;
  cleanup = view.render(main, { client: conn.client, navigate: (v, p) => (location.hash = `#/${v}${p ? `/${encodeURIComponent(p)}` : ''}`) }, param ? decodeURIComponent(param) : undefined);
}
window.addEventListener('hashchange', route);
route();
