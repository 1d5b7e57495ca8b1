// One Content-Security-Policy for the app, in Electron and in browser mode: only our own scripts,
// no inline script, no remote content. Connections go only to the app's own origin: in browser
// mode its WebSocket (named explicitly, since older engines do not let 'self' cover ws:), in
// Electron none at all (the engine is reached over IPC).
export function contentSecurityPolicy(connect: string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src ${["'self'", ...connect].join(' ')}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** Electron's policy: no WebSocket or remote connection. */
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();
