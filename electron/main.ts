// Electron's main process: a thin, locked-down shell. It serves the renderer from its own origin
// (app://tessera/, electron/app-protocol.ts), creates the window, starts the engine in a
// utilityProcess (a crash there does not take the window down), and relays validated IPC messages
// between the renderer and the engine. No capability lives here. Fuses are flipped at build time
// (scripts/after-pack.cjs); `npm test` runs Electronegativity on this folder (test/electron-security.test.ts).
import { app, BrowserWindow, ipcMain, protocol, session, shell, utilityProcess, type WebContents } from 'electron';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RemoteEngine, type EngineChild } from '../engine/remote';
import type { Reply } from '../engine/protocol';
import { CONTENT_SECURITY_POLICY } from '../server/csp';
import { securityHeaders } from '../server/guards';
import { mimeType } from '../server/mime';
import { APP_INDEX_URL, APP_SCHEME, appFileFor, externalUrlAllowed, isAppUrl } from './app-protocol';

const distDir = join(__dirname, '..');
const rendererDir = join(distDir, 'renderer');
const smoke = process.env.TESSERA_SMOKE === '1';

app.enableSandbox();
if (!app.requestSingleInstanceLock()) app.quit();
// A standard, secure scheme: the page gets a real origin of its own (not file://'s shared one).
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

const engine = new RemoteEngine((): EngineChild => {
  const child = utilityProcess.fork(join(distDir, 'engine-host.cjs'), [], { serviceName: 'Tessera engine', stdio: 'inherit' });
  return {
    postMessage: (m) => child.postMessage(m),
    onMessage: (l) => child.on('message', l),
    onExit: (l) => child.on('exit', (code) => l(`exit code ${code}`)),
    kill: () => void child.kill(),
  };
});

function isOurFrame(contents: WebContents, frameUrl: string | undefined): boolean {
  return isAppUrl(frameUrl) && Boolean(BrowserWindow.fromWebContents(contents));
}

/** app://tessera/<path>: the built renderer's files, with the same security headers as browser mode. */
async function serveApp(request: Request): Promise<Response> {
  const file = appFileFor(request.url, rendererDir);
  const headers = { ...securityHeaders(CONTENT_SECURITY_POLICY), 'cache-control': 'no-cache' };
  if (!file) return new Response('not found', { status: 404, headers });
  try {
    return new Response(await readFile(file), { status: 200, headers: { ...headers, 'content-type': mimeType(file) } });
  } catch {
    return new Response('not found', { status: 404, headers });
  }
}

function createWindow(): BrowserWindow {
  // Middle-click (auxclick) opens go through setWindowOpenHandler, which denies every new window.
  const win = new BrowserWindow({ /* eng-disable AUXCLICK_JS_CHECK */
    width: 1400,
    height: 900,
    title: 'Tessera',
    show: !smoke,
    webPreferences: {
      // Electronegativity asks to review preloads: this one exposes two functions through contextBridge
      // (send a protocol request, receive replies), nothing else.
      preload: join(distDir, 'electron', 'preload.cjs'), /* eng-disable PRELOAD_JS_CHECK */
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  const connection = engine.connect((reply: Reply) => {
    if (!win.isDestroyed()) win.webContents.send('tessera:reply', reply);
  });
  win.on('closed', () => connection.close());
  // Requests are validated twice: here (sender + shape) and by the engine (params schema).
  const onRequest = (event: Electron.IpcMainEvent, request: unknown) => {
    if (event.sender !== win.webContents || !isOurFrame(event.sender, event.senderFrame?.url)) return;
    connection.handle(request);
  };
  ipcMain.on('tessera:request', onRequest);
  win.on('closed', () => ipcMain.off('tessera:request', onRequest));
  void win.loadURL(APP_INDEX_URL);
  return win;
}

app.on('web-contents-created', (_e, contents) => {
  // No navigation away from the app and no new windows; links to the allow-list open in the browser.
  contents.on('will-navigate', (e, url) => {
    if (!isAppUrl(url)) e.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    // Reviewed for Electronegativity: only https links to EXTERNAL_ALLOW_LIST (electron/app-protocol.ts) open.
    if (externalUrlAllowed(url)) void shell.openExternal(url); /* eng-disable OPEN_EXTERNAL_JS_CHECK */
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (e) => e.preventDefault());
});

app.whenReady().then(() => {
  // The app needs no permission (camera, notifications, clipboard read...): refuse requests and checks.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  protocol.handle(APP_SCHEME, serveApp);
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    // Electronegativity cannot read a CSP held in a constant; server/csp.ts is checked by test/server.test.ts.
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } }); /* eng-disable CSP_GLOBAL_CHECK */
  });
  engine.start();
  const win = createWindow();
  if (smoke) runSmoke(win);
});

app.on('window-all-closed', () => {
  engine.stop();
  app.quit();
});

/** TESSERA_SMOKE=1: load the app, ask the engine for the devices, print the result and quit. */
function runSmoke(win: BrowserWindow): void {
  const timer = setTimeout(() => {
    process.stderr.write('smoke: timed out\n');
    app.exit(1);
  }, 60_000);
  win.webContents.once('did-finish-load', async () => {
    try {
      const text: string = await win.webContents.executeJavaScript(
        `new Promise((resolve, reject) => { const t0 = Date.now(); (function poll() { const el = document.querySelector('[data-testid=accelerators]'); if (el) resolve(el.textContent); else if (Date.now() - t0 > 50000) reject(new Error('no accelerators table')); else setTimeout(poll, 200); })(); })`,
      );
      process.stdout.write(`smoke: ok ${JSON.stringify(text.slice(0, 200))}\n`);
      clearTimeout(timer);
      app.exit(text.includes('cpu') ? 0 : 1);
    } catch (e) {
      process.stderr.write(`smoke: ${(e as Error).message}\n`);
      app.exit(1);
    }
  });
}
