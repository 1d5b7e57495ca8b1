// "Open in Perfetto" (renderer/perfetto.ts): the PING/PONG handshake with ui.perfetto.dev, then the
// trace posted; offline, in Electron (no window back) and without an answer, the trace is saved instead.
import { describe, expect, it } from 'vitest';
import { openInPerfetto, perfettoResultText, PERFETTO_ORIGIN, type PerfettoDeps } from '../renderer/perfetto';

function fake(opts: { online?: boolean; electron?: boolean; window?: boolean; answer?: 'PONG' | 'other-origin' | 'none' }) {
  const posted: { message: unknown; origin: string }[] = [];
  const saved: string[] = [];
  const opened: string[] = [];
  let listener: ((e: { origin: string; data: unknown; source: unknown }) => void) | undefined;
  let timeout: (() => void) | undefined;
  const win = {
    postMessage(message: unknown, origin: string) {
      posted.push({ message, origin });
      // Perfetto answers the second PING (it is still loading at the first).
      if (message === 'PING' && posted.filter((p) => p.message === 'PING').length === 2) {
        if (opts.answer === 'PONG') queueMicrotask(() => listener?.({ origin: PERFETTO_ORIGIN, data: 'PONG', source: win }));
        if (opts.answer === 'other-origin') queueMicrotask(() => listener?.({ origin: 'https://evil.example', data: 'PONG', source: win }));
        if (opts.answer === 'none' || opts.answer === 'other-origin') queueMicrotask(() => timeout?.());
      }
    },
  };
  let pinger: (() => void) | undefined;
  const deps: PerfettoDeps = {
    online: () => opts.online !== false,
    electron: !!opts.electron,
    open: (url) => {
      opened.push(url);
      return opts.window === false ? null : win;
    },
    listen: (fn) => {
      listener = fn;
      return () => (listener = undefined);
    },
    save: (name) => saved.push(name),
    every: (_ms, fn) => {
      pinger = fn;
      queueMicrotask(() => pinger?.());
      return () => (pinger = undefined);
    },
    after: (_ms, fn) => {
      timeout = fn;
      return () => (timeout = undefined);
    },
  };
  return { deps, posted, saved, opened };
}

const trace = async () => ({ filename: 'run.trace.json', content: '{"traceEvents":[]}' });

describe('open in Perfetto', () => {
  it('opens ui.perfetto.dev, pings until PONG, then posts the trace as a buffer with a title', async () => {
    const f = fake({ answer: 'PONG' });
    const r = await openInPerfetto({ title: 'run 1', trace }, f.deps);
    expect(r).toEqual({ kind: 'posted' });
    expect(f.opened).toEqual([PERFETTO_ORIGIN]);
    expect(f.posted.every((p) => p.origin === PERFETTO_ORIGIN)).toBe(true);
    const last = f.posted.at(-1)!.message as { perfetto: { buffer: ArrayBuffer; title: string; fileName: string } };
    expect(last.perfetto.title).toBe('run 1');
    expect(new TextDecoder().decode(last.perfetto.buffer)).toBe('{"traceEvents":[]}');
    expect(f.saved).toEqual([]);
    expect(perfettoResultText(r)).toMatch(/Sent/);
  });

  it('ignores a PONG from another origin and saves the trace when Perfetto does not answer', async () => {
    for (const answer of ['none', 'other-origin'] as const) {
      const f = fake({ answer });
      const r = await openInPerfetto({ title: 't', trace }, f.deps);
      expect(r).toEqual({ kind: 'no-answer', saved: 'run.trace.json' });
      expect(f.saved).toEqual(['run.trace.json']);
      expect(f.posted.some((p) => typeof p.message === 'object')).toBe(false);
    }
  });

  it('offline: opens nothing and saves the trace, saying so', async () => {
    const f = fake({ online: false });
    const r = await openInPerfetto({ title: 't', trace }, f.deps);
    expect(r).toEqual({ kind: 'offline', saved: 'run.trace.json' });
    expect(f.opened).toEqual([]);
    expect(perfettoResultText(r)).toMatch(/offline/);
  });

  it('Electron (the link opens in the system browser, no window back): saves the trace and says how to open it', async () => {
    const f = fake({ window: false, electron: true });
    const r = await openInPerfetto({ title: 't', trace }, f.deps);
    expect(r).toEqual({ kind: 'external', saved: 'run.trace.json', electron: true });
    expect(perfettoResultText(r)).toMatch(/Open trace file/);
    expect(perfettoResultText({ kind: 'external', saved: 'x', electron: false })).toMatch(/blocked/);
  });

  it('reports a trace that cannot be made', async () => {
    const f = fake({ answer: 'PONG' });
    const r = await openInPerfetto({ title: 't', trace: async () => { throw new Error('no such run'); } }, f.deps);
    expect(r).toEqual({ kind: 'error', message: 'no such run' });
  });
});
