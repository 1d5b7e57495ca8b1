// The app's own origin in Electron, app://tessera/, instead of file:// (file:// pages share one
// origin with every local file). Pure functions, without Electron, so they are unit-tested:
// which file a request maps to, whether a URL is the app, and which external links may open.
import { normalize, join, sep } from 'node:path';
import { decodePath } from '../server/guards';

export const APP_SCHEME = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://tessera`;
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/** True for URLs of the app itself (any path, query or hash under app://tessera/). */
export function isAppUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === 'tessera' && !u.username && !u.password;
  } catch {
    return false;
  }
}

/** The file under `root` an app:// request maps to, or null (another host, a malformed or escaping path). */
export function appFileFor(url: string, root: string): string | null {
  if (!isAppUrl(url)) return null;
  const path = decodePath(new URL(url).pathname);
  if (path === null) return null;
  const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
  return file.startsWith(root.endsWith(sep) ? root : root + sep) ? file : null;
}

/** The only sites a link in the app may open in the user's browser. */
export const EXTERNAL_ALLOW_LIST = ['ui.perfetto.dev'];

/** shell.openExternal only for https links to the allow-list (no credentials, no other port). */
export function externalUrlAllowed(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && !u.username && !u.password && u.port === '' && EXTERNAL_ALLOW_LIST.includes(u.hostname);
  } catch {
    return false;
  }
}
