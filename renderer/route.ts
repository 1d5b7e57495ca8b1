// The app's URL: hash routing "#/<view>[/<param>][?<query>]" so that a reload and back/forward keep
// the view, the id it shows (a profile, a scenario) and the context carried from the previous step
// (e.g. the profiles and lanes a scenario sent to Simulate). Pure: no DOM, unit-tested.

export interface Route {
  view: string;
  /** The view's id-like parameter (a profile id, a scenario id), decoded. */
  param?: string;
  /** Context carried between views: scenario, profiles, lanes... (string values). */
  query: Record<string, string>;
}

/** Parses location.hash; anything unparsable falls back to the default view with no context. */
export function parseHash(hash: string, defaultView = 'devices'): Route {
  const m = /^#\/([^/?]+)(?:\/([^?]*))?(?:\?(.*))?$/.exec(hash);
  if (!m) return { view: defaultView, query: {} };
  const decode = (s: string): string | undefined => {
    try {
      return decodeURIComponent(s);
    } catch {
      return undefined;
    }
  };
  const query: Record<string, string> = {};
  if (m[3]) for (const [k, v] of new URLSearchParams(m[3])) query[k] = v;
  const param = m[2] ? decode(m[2]) : undefined;
  return { view: decode(m[1]) ?? defaultView, ...(param ? { param } : {}), query };
}

/** The hash for a view, its parameter and the carried context (empty values are left out). */
export function formatHash(view: string, param?: string, query: Record<string, string | string[] | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    const text = Array.isArray(v) ? v.join(',') : v;
    if (text) q.set(k, text);
  }
  const qs = q.toString();
  return `#/${encodeURIComponent(view)}${param ? `/${encodeURIComponent(param)}` : ''}${qs ? `?${qs}` : ''}`;
}

/** A comma-separated list from the query ("a,b" → ["a", "b"]; missing → []). */
export function listParam(query: Record<string, string>, key: string): string[] {
  return (query[key] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}
