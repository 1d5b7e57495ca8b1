// Electron's main process: a thin, locked-down shell. It creates the window, starts the engine in
// a utilityProcess (a crash there does not take the window down), and relays validated IPC
// messages between the renderer and the engine. No capability lives here.
import { app, BrowserWindow, ipcMain, session, shell, utilityProcess, type WebContents } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RemoteEngine, type EngineChild } from '../engine/remote';
import type { Reply } from '../engine/protocol';
import { CONTENT_SECURITY_POLICY } from '../server/csp';

const distDir = join(__dirname, '..');
const rendererIndex = join(distDir, 'renderer', 'index.html');
const rendererUrl = pathToFileURL(rendererIndex).toString();
const smoke = process.env.TESSERA_SMOKE === '1';

app.enableSandbox();
if (!app.requestSingleInstanceLock()) app.quit();

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
  return Boolean(frameUrl && frameUrl.split('#')[0].split('?')[0] === rendererUrl && BrowserWindow.fromWebContents(contents));
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'Tessera',
    show: !smoke,
    webPreferences: {
      preload: join(distDir, 'electron', 'preload.cjs'),
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
  void win.loadFile(rendererIndex);
  return win;
}

app.on('web-contents-created', (_e, contents) => {
  // No navigation away from the app and no new windows; external links open in the browser.
  contents.on('will-navigate', (e, url) => {
    if (url.split('#')[0] !== rendererUrl) e.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (/^https:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (e) => e.preventDefault());
});

app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
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
