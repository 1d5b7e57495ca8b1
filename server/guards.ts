// Pure checks for untrusted HTTP/WebSocket input, used by server.ts before anything is parsed
// further or forwarded to the engine. No I/O here, so each rule is unit-tested on its own.

/** Largest WebSocket message the server parses (a scenario document is well under this). */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Deepest JSON nesting the server parses: protocol messages need about 10; V8's structured clone
 * and JSON.stringify recurse, so 10,000 nested arrays would overflow the stack when forwarded. */
export const MAX_MESSAGE_DEPTH = 64;

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Parses a request target (req.url) without throwing: null for anything `new URL` rejects. */
export function parseRequestUrl(raw: string | undefined): URL | null {
  if (raw === undefined || raw === '' || !raw.startsWith('/')) return null;
  try {
    return new URL(raw, 'http://request.invalid');
  } catch {
    return null;
  }
}

/** Decodes a URL path without throwing (`%` alone or `%E0%A4` are malformed): null when malformed or containing NUL. */
export function decodePath(pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  return decoded.includes('\0') ? null : decoded;
}

/** The hostname part of a Host header ("127.0.0.1:7070" → "127.0.0.1", "[::1]:7070" → "::1"); null when malformed. */
export function hostOf(header: string | undefined): { name: string; port?: number } | null {
  if (!header) return null;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/.exec(header);
  if (!m) return null;
  return { name: (m[1] ?? m[2]).toLowerCase(), port: m[3] === undefined ? undefined : Number(m[3]) };
}

/**
 * DNS-rebinding defence: a server bound to loopback answers only requests whose Host names a
 * loopback address (or the bound host) on its port. A page on evil.example that re-resolves to
 * 127.0.0.1 still sends `Host: evil.example`. Servers bound elsewhere are protected by the token.
 * Returns why the request is refused, or null.
 */
export function checkHost(header: string | undefined, boundHost: string, port: number): string | null {
  if (!isLoopback(boundHost)) return null;
  const h = hostOf(header);
  if (!h) return `a Host header naming this server is required (got ${header === undefined ? 'none' : JSON.stringify(header.slice(0, 100))})`;
  if (h.port !== undefined && h.port !== port) return `Host ${JSON.stringify(header)} names another port than ${port}`;
  if (!isLoopback(h.name) && h.name !== boundHost.toLowerCase()) return `Host ${JSON.stringify(header!.slice(0, 100))} is not this server (use http://127.0.0.1:${port}/)`;
  return null;
}

/** Same-origin check for WebSocket upgrades: an Origin, when sent, must be this server as the Host header names it. */
export function checkOrigin(origin: string | undefined, hostHeader: string | undefined): string | null {
  if (origin === undefined) return null; // non-browser clients (CLI, tests) send none; the token and Host checks still apply
  if (hostHeader && (origin === `http://${hostHeader}` || origin === `https://${hostHeader}`)) return null;
  return `origin ${JSON.stringify(origin.slice(0, 200))} is not allowed`;
}

/** An empty token (`--token ''`, `TESSERA_TOKEN=`) means no token was given, never "any token". */
export function normalizeToken(token: string | undefined): string | undefined {
  return token === undefined || token.trim() === '' ? undefined : token;
}

/**
 * Deepest nesting of arrays/objects in a JSON text, counted without parsing (strings skipped), so a
 * hostile message is refused before JSON.parse or any recursive walk. Stops counting past `limit`.
 */
export function jsonDepth(text: string, limit = MAX_MESSAGE_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 93 || c === 125) depth--;
  }
  return max;
}

export type MessageCheck = { ok: true; value: unknown } | { ok: false; message: string; id: number };

/** Checks and parses one WebSocket message: text only, bounded size and depth, valid JSON. */
export function parseMessage(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): MessageCheck {
  const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
  if (isBinary) return { ok: false, message: 'Malformed request: binary messages are not accepted (send JSON text)', id: -1 };
  if (bytes > MAX_MESSAGE_BYTES) return { ok: false, message: `Malformed request: message of ${bytes} bytes is over the ${MAX_MESSAGE_BYTES}-byte limit`, id: -1 };
  const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
  const depth = jsonDepth(text);
  if (depth > MAX_MESSAGE_DEPTH) return { ok: false, message: `Malformed request: nested more than ${MAX_MESSAGE_DEPTH} levels deep`, id: idOf(text) };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, message: 'Malformed request: not JSON', id: idOf(text) };
  }
}

/** The request id of an unparsable message when it is recognisable, so the caller's call still gets its answer. */
function idOf(text: string): number {
  const m = /"id"\s*:\s*(-?\d{1,15})\s*[,}]/.exec(text.slice(0, 4096));
  return m ? Number(m[1]) : -1;
}

/** Headers every HTTP response carries (static files, 404s, /healthz, errors). */
export function securityHeaders(csp: string): Record<string, string> {
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
}
