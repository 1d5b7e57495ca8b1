// The only bridge between the sandboxed page and the app: send protocol requests and receive replies
// (restarting the engine is the engine.restart call). No Node or Electron object reaches the page.
import { contextBridge, ipcRenderer } from 'electron';

contextBridge.exposeInMainWorld('tesseraBridge', {
  send: (request: unknown) => ipcRenderer.send('tessera:request', request),
  onReply: (listener: (reply: unknown) => void) => {
    ipcRenderer.on('tessera:reply', (_event, reply) => listener(reply));
  },
});
