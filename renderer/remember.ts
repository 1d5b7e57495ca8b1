// Remembered settings: a form's values (or a result's id) kept in the browser's storage under a
// versioned key, so that leaving a view, reloading or restarting the app does not lose them. Every
// read is validated by the caller's check: a value from an older version, a garbled one, or one of
// the wrong shape is ignored (and removed), never trusted. Storage that is unavailable or full
// (sandboxed page, quota) only loses the memory, never the view.

export interface Remembered<T> {
  /** The stored value when it passes the check, else undefined. */
  load(): T | undefined;
  /** Stores the value; false when the storage refused it (full, unavailable). */
  save(value: T): boolean;
  clear(): void;
}

type Check<T> = (raw: unknown) => T | undefined;

const PREFIX = 'tessera.';

/** The storage key of a remembered thing: "tessera.<name>.v<version>". */
export function rememberKey(name: string, version: number): string {
  return `${PREFIX}${name}.v${version}`;
}

function storageOf(kind: 'local' | 'session'): Storage | undefined {
  try {
    return kind === 'local' ? globalThis.localStorage : globalThis.sessionStorage;
  } catch {
    return undefined; // access itself can throw (opaque origins)
  }
}

/**
 * A remembered value under "tessera.<name>.v<version>". Older versions of the same name are removed
 * on first use, so a changed shape needs only a new version number.
 */
export function remembered<T>(name: string, version: number, check: Check<T>, opts: { storage?: 'local' | 'session' | Storage } = {}): Remembered<T> {
  const key = rememberKey(name, version);
  const store = () => (typeof opts.storage === 'object' ? opts.storage : storageOf(opts.storage ?? 'local'));
  let pruned = false;
  const prune = (s: Storage) => {
    if (pruned) return;
    pruned = true;
    try {
      for (let v = 0; v < version; v++) s.removeItem(rememberKey(name, v));
    } catch {
      // nothing to do: an old value is ignored anyway
    }
  };
  return {
    load() {
      const s = store();
      if (!s) return undefined;
      prune(s);
      let text: string | null;
      try {
        text = s.getItem(key);
      } catch {
        return undefined;
      }
      if (text === null) return undefined;
      let value: T | undefined;
      try {
        value = check(JSON.parse(text));
      } catch {
        value = undefined;
      }
      if (value === undefined) {
        try {
          s.removeItem(key);
        } catch {
          // ignored
        }
      }
      return value;
    },
    save(value) {
      const s = store();
      if (!s) return false;
      try {
        s.setItem(key, JSON.stringify(value));
        return true;
      } catch {
        return false;
      }
    },
    clear() {
      try {
        store()?.removeItem(key);
      } catch {
        // ignored
      }
    },
  };
}

// Small checks for the callers' validators.

export const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
export const isStringArray = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');

/**
 * Copies the fields of `raw` that have the same type as in `defaults` (arrays: string arrays only;
 * strings: those in `allowed` when given) over the defaults; undefined when raw is not an object.
 * A stale value keeps what still fits and takes the defaults for the rest.
 */
export function pickLike<T extends Record<string, unknown>>(raw: unknown, defaults: T, allowed: Partial<Record<keyof T, readonly string[]>> = {}): T | undefined {
  if (!isRecord(raw)) return undefined;
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, d] of Object.entries(defaults)) {
    const v = raw[k];
    if (v === undefined) continue;
    if (Array.isArray(d)) {
      if (isStringArray(v)) out[k] = [...v];
    } else if (typeof v === typeof d && (typeof v !== 'number' || Number.isFinite(v))) {
      const ok = allowed[k as keyof T];
      if (!ok || ok.includes(v as string)) out[k] = v;
    }
  }
  return out as T;
}
