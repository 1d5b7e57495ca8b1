// A tiny DOM helper: the renderer uses no UI framework, only this and plain functions per view.
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: any) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, '').toLowerCase(), v);
    else if (k === 'class') el.className = String(v);
    else if (k in el && typeof v !== 'string') (el as any)[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el: Element): void {
  while (el.firstChild) el.firstChild.remove();
}

/** A table from rows; `columns` maps header → cell renderer. */
export function table<T>(rows: T[], columns: Record<string, (row: T) => Child>, attrs: Attrs = {}): HTMLTableElement {
  return h('table', attrs,
    h('thead', {}, h('tr', {}, ...Object.keys(columns).map((c) => h('th', {}, c)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...Object.values(columns).map((fn) => h('td', {}, fn(r)))))),
  );
}

export function badge(text: string, kind: 'ok' | 'warn' | 'bad' | 'info' = 'info', title?: string): HTMLSpanElement {
  return h('span', { class: `badge badge-${kind}`, title }, text);
}

export function errorBox(message: string, detail?: string): HTMLDivElement {
  return h('div', { class: 'error-box', role: 'alert' }, h('strong', {}, message), detail ? h('div', { class: 'muted' }, detail) : null);
}
