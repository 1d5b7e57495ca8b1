import type { CliCommand } from '../command';
import { parseNumber } from '../args';
import { forkEngine } from '../../engine/fork';
import { startServer } from '../../server/server';

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Serve the app to a browser (browser mode): HTTP + WebSocket on 127.0.0.1 by default.',
  usage: 'tessera serve [--host H] [--port P] [--token T]   (a non-loopback host requires a token; one is generated if not given)',
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '7070' },
    token: { type: 'string' },
  },
  async run(ctx) {
    const port = parseNumber(ctx.values.port, '--port', { integer: true, minInclusive: true, max: 65535 });
    // The engine runs in its own process: this one only serves the UI and relays messages, so it
    // stays responsive during inference and survives an engine crash (the UI offers a restart).
    const engine = forkEngine();
    const running = await startServer({
      engine,
      host: String(ctx.values.host),
      port,
      token: (ctx.values.token as string | undefined) ?? process.env.TESSERA_TOKEN,
      log: (l) => ctx.stderr(l + '\n'),
    }).catch((e) => {
      engine.stop();
      throw e;
    });
    running.server.on('close', () => engine.stop());
    if (ctx.json) ctx.stdout(JSON.stringify({ url: running.url, openUrl: running.openUrl, host: running.host, port: running.port, tokenRequired: Boolean(running.token) }) + '\n');
    ctx.stderr(`Tessera is serving the app at ${running.openUrl}\n(Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    await running.close();
    engine.stop();
    return 0;
  },
};
