// An engine in this process with a client wired to it (CLI, tests, browser-mode server).
import { EngineClient } from './client';
import { Engine } from './engine';
import { features } from './features';

export function createEngine(): Engine {
  return new Engine(features);
}

export function localClient(engine: Engine = createEngine()): { engine: Engine; client: EngineClient; close(): void } {
  let deliver: (r: import('./protocol').Reply) => void = () => {};
  const connection = engine.connect((reply) => queueMicrotask(() => deliver(reply)));
  const client = new EngineClient({
    send: (req) => connection.handle(req),
    onReply: (l) => (deliver = l),
  });
  return { engine, client, close: () => connection.close() };
}
