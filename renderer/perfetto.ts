// "Open in Perfetto": ui.perfetto.dev takes a trace by postMessage from a window that opened it
// (https://perfetto.dev/docs/visualization/deep-linking-to-perfetto-ui): open it, send PING until it
// answers PONG, then post the trace. In Electron the app may open only https links to
// ui.perfetto.dev, in the system browser (electron/app-protocol.ts), and gets no window back: then,
// and when the machine is offline or Perfetto does not answer, the trace is saved instead with what to
// do. The steps take their I/O as arguments, so the handshake is unit-tested.
import { downloadText } from './download';

export const PERFETTO_ORIGIN = 'https://ui.perfetto.dev';
/** How long Perfetto has to answer (it loads a few MB the first time). */
export const PERFETTO_TIMEOUT_MS = 20_000;

export type PerfettoResult =
  | { kind: 'posted' }
  | { kind: 'offline'; saved: string }
  | { kind: 'external'; saved: string; electron: boolean }
  | { kind: 'no-answer'; saved: string }
  | { kind: 'error'; message: string };

export interface PerfettoWindow {
  postMessage(message: unknown, targetOrigin: string, transfer?: Transferable[]): void;
}

export interface PerfettoDeps {
  online(): boolean;
  electron: boolean;
  open(url: string): PerfettoWindow | null;
  /** Subscribes to messages sent to this window; returns the unsubscribe. */
  listen(fn: (e: { origin: string; data: unknown; source: unknown }) => void): () => void;
  save(filename: string, content: string): void;
  every(ms: number, fn: () => void): () => void;
  after(ms: number, fn: () => void): () => void;
}

export function browserDeps(): PerfettoDeps {
  return {
    online: () => navigator.onLine !== false,
    electron: Boolean(window.tesseraBridge),
    open: (url) => window.open(url, '_blank'),
    listen: (fn) => {
      const l = (e: MessageEvent) => fn(e);
      window.addEventListener('message', l);
      return () => window.removeEventListener('message', l);
    },
    save: (filename, content) => downloadText(filename, content, 'application/json'),
    every: (ms, fn) => {
      const id = setInterval(fn, ms);
      return () => clearInterval(id);
    },
    after: (ms, fn) => {
      const id = setTimeout(fn, ms);
      return () => clearTimeout(id);
    },
  };
}

/**
 * Opens ui.perfetto.dev with a trace. Call it straight from a click (no await before it): the window
 * must open within the user's gesture, before the trace is fetched.
 */
export async function openInPerfetto(o: { title: string; trace: () => Promise<{ filename: string; content: string }> }, deps: PerfettoDeps = browserDeps(), timeoutMs = PERFETTO_TIMEOUT_MS): Promise<PerfettoResult> {
  const online = deps.online();
  const win = online ? deps.open(PERFETTO_ORIGIN) : null;
  let trace: { filename: string; content: string };
  try {
    trace = await o.trace();
  } catch (e) {
    return { kind: 'error', message: (e as Error).message };
  }
  if (!online) {
    deps.save(trace.filename, trace.content);
    return { kind: 'offline', saved: trace.filename };
  }
  if (!win) {
    deps.save(trace.filename, trace.content);
    return { kind: 'external', saved: trace.filename, electron: deps.electron };
  }
  const answered = await new Promise<boolean>((resolve) => {
    const stops: (() => void)[] = [];
    const done = (ok: boolean) => {
      stops.forEach((s) => s());
      resolve(ok);
    };
    stops.push(deps.listen((e) => {
      if (e.origin === PERFETTO_ORIGIN && e.data === 'PONG' && (e.source === undefined || e.source === null || e.source === win)) done(true);
    }));
    stops.push(deps.every(250, () => win.postMessage('PING', PERFETTO_ORIGIN)));
    stops.push(deps.after(timeoutMs, () => done(false)));
    win.postMessage('PING', PERFETTO_ORIGIN);
  });
  if (!answered) {
    deps.save(trace.filename, trace.content);
    return { kind: 'no-answer', saved: trace.filename };
  }
  const buffer = new TextEncoder().encode(trace.content).buffer;
  win.postMessage({ perfetto: { buffer, title: o.title, fileName: trace.filename } }, PERFETTO_ORIGIN, [buffer]);
  return { kind: 'posted' };
}

/** What to tell the user after openInPerfetto. */
export function perfettoResultText(r: PerfettoResult): string {
  switch (r.kind) {
    case 'posted':
      return 'Sent to ui.perfetto.dev in a new tab.';
    case 'offline':
      return `This machine is offline, so ui.perfetto.dev cannot open. Saved ${r.saved} instead: open it in Perfetto (Open trace file) when online, or in chrome://tracing.`;
    case 'external':
      return r.electron
        ? `Opened ui.perfetto.dev in your browser and saved ${r.saved}: in Perfetto, use "Open trace file" and pick it (the desktop app cannot hand the trace to the browser).`
        : `The browser blocked the new tab (a pop-up blocker?). Saved ${r.saved} instead: open https://ui.perfetto.dev and use "Open trace file".`;
    case 'no-answer':
      return `ui.perfetto.dev did not answer within ${PERFETTO_TIMEOUT_MS / 1000} s (offline, or blocked). Saved ${r.saved} instead: open it there with "Open trace file".`;
    case 'error':
      return `Could not make the trace: ${r.message}`;
  }
}
