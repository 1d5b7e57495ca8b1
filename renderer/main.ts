import './styles.css';
import { connect } from './api';
import { clear, h } from './dom';
import { views } from './views';

const conn = connect();
const app = document.getElementById('app')!;
const status = h('span', { class: 'conn', 'data-testid': 'connection' }, 'connecting…');
const restart = h('button', { class: 'small', hidden: true, onclick: () => conn.restart().catch((e: Error) => (status.textContent = `restart failed: ${e.message}`)) }, conn.mode === 'electron' ? 'Restart engine' : 'Reconnect');
const nav = h('nav', { class: 'sidebar' },
  h('div', { class: 'brand' }, 'Tessera'),
  ...views.map((v) => h('a', { href: `#/${v.id}`, 'data-view': v.id }, v.title)),
  h('div', { class: 'nav-foot' }, status, restart),
);
const main = h('main', { class: 'content' });
app.append(nav, main);

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
  for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', a.dataset.view === view.id);
  cleanup = view.render(main, { client: conn.client, navigate: (v, p) => (location.hash = `#/${v}${p ? `/${encodeURIComponent(p)}` : ''}`) }, param ? decodeURIComponent(param) : undefined);
}
window.addEventListener('hashchange', route);
route();
