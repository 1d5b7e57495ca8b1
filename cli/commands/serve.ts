import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseNumber } from '../args';
import { UsageError, type CliCommand } from '../command';
import { forkEngine } from '../../engine/fork';
import { dataDir, projectRoot } from '../../base/paths';
import { isLoopback } from '../../server/guards';
import { startServer } from '../../server/server';

/**
 * The folders the engine may read when serving: unlimited on loopback (the user's own browser),
 * else the data directory, the model library's packages and the --allow-dir folders. Giving
 * --allow-dir on loopback applies the same limit.
 */
export function servedReadScope(host: string, allowDirs: string[]): string[] | undefined {
  if (isLoopback(host) && allowDirs.length === 0) return undefined;
  return [dataDir(), join(projectRoot(), 'node_modules'), ...allowDirs.map((d) => resolve(d))];
}

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Serve the app to a browser (browser mode): HTTP + WebSocket on 127.0.0.1 by default.',
  usage: 'tessera serve [--host H] [--port P] [--token T] [--allow-dir DIR ...]   (a non-loopback host requires a token, generated if not given or empty; it reads files only in the data directory and the --allow-dir folders)',
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '7070' },
    token: { type: 'string' },
    'allow-dir': { type: 'string', multiple: true },
  },
  async run(ctx) {
    const port = parseNumber(ctx.values.port, '--port', { integer: true, minInclusive: true, max: 65535 });
    // The engine runs in its own process: this one only serves the UI and relays messages, so it
    // stays responsive during inference and survives an engine crash (the UI offers a restart).
    const allowDirs = (ctx.values['allow-dir'] as string[] | undefined) ?? [];
    for (const d of allowDirs) {
      let isDir = false;
      try {
        isDir = statSync(d).isDirectory();
      } catch {
        // reported below
      }
      if (!isDir) throw new UsageError(`--allow-dir ${d}: not an existing folder`);
    }
    const host = String(ctx.values.host);
    const allowedDirs = servedReadScope(host, allowDirs);
    if (allowedDirs) ctx.stderr(`The engine reads files only in: ${allowedDirs.join(', ')}\n`);
    const engine = forkEngine({ allowedDirs });
    const running = await startServer({
      engine,
      host,
      port,
      token: (ctx.values.token as string | undefined) || process.env.TESSERA_TOKEN || undefined, // empty means none given: one is generated
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
