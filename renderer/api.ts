// The renderer's way to the engine: Electron's preload bridge when present, else the browser-mode
// WebSocket (same origin, token from the page URL). Both carry the same protocol.
import { TOPICS } from '../engine/api';
import { EngineClient, type Transport } from '../engine/client';
import type { Reply, Request } from '../engine/protocol';

declare global {
  interface Window {
    /** Exposed by electron/preload.ts through contextBridge. */
    tesseraBridge?: { send(request: Request): void; onReply(listener: (reply: Reply) => void): void };
  }
}

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface Connection {
  client: EngineClient;
  mode: 'electron' | 'browser';
  onState(listener: (s: ConnectionState, detail?: string) => void): void;
  /** Restarts the engine (Electron) or reconnects (browser). */
  restart(): Promise<void>;
}

export function connect(): Connection {
  const stateListeners: ((s: ConnectionState, d?: string) => void)[] = [];
  const setState = (s: ConnectionState, d?: string) => stateListeners.forEach((l) => l(s, d));
  const bridge = window.tesseraBridge;
  if (bridge) {
    const client = new EngineClient({ send: (r) => bridge.send(r), onReply: (l) => bridge.onReply(l) });
    client.on(TOPICS.engineState, (e) => {
      if (e.state === 'closed') client.failAll({ message: `The engine stopped: ${e.detail ?? 'unknown reason'}`, code: 'engine-exited' });
      setState(e.state, e.detail);
    });
    queueMicrotask(() => setState('open'));
    return { client, mode: 'electron', onState: (l) => stateListeners.push(l), restart: async () => void (await client.call('engine.restart', {})) };
  }

  let listener: (r: Reply) => void = () => {};
  let socket: WebSocket | undefined;
  let queue: Request[] = [];
  const transport: Transport = {
    send: (r) => (socket && socket.readyState === WebSocket.OPEN ? socket.send(JSON.stringify(r)) : queue.push(r)),
    onReply: (l) => (listener = l),
  };
  const client = new EngineClient(transport);
  let engineDown = false;
  client.on(TOPICS.engineState, (e) => {
    engineDown = e.state === 'closed';
    setState(e.state === 'closed' ? 'closed' : 'open', e.state === 'closed' ? `engine stopped (${e.detail})` : undefined);
  });
  const token = new URLSearchParams(location.search).get('token') ?? sessionStorage.getItem('tessera-token');
  if (token) sessionStorage.setItem('tessera-token', token);
  const open = () =>
    new Promise<void>((resolve) => {
      setState('connecting');
      const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
      const ws = new WebSocket(`${scheme}://${location.host}/api${token ? `?token=${encodeURIComponent(token)}` : ''}`);
      socket = ws;
      ws.onopen = () => {
        setState('open');
        const pending = queue;
        queue = [];
        pending.forEach((r) => ws.send(JSON.stringify(r)));
        resolve();
      };
      ws.onmessage = (m) => listener(JSON.parse(String(m.data)) as Reply);
      ws.onclose = () => {
        client.failAll({ message: 'The connection to the Tessera engine was lost.', code: 'engine-exited' });
        setState('closed', 'connection lost');
        resolve();
      };
    });
  void open();
  const restart = async () => {
    // The server's relay (engine/remote.ts) answers engine.restart itself, even with the engine down.
    if (engineDown && socket?.readyState === WebSocket.OPEN) await client.call('engine.restart', {});
    else await open();
  };
  return { client, mode: 'browser', onState: (l) => stateListeners.push(l), restart };
}
