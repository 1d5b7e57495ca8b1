// The engine's error codes: one union, shared by the engine, every transport, the CLI and the
// renderer (whose hints are keyed on it). Pure: no Node or DOM imports. Which library error gets
// which code is decided in one place, engine/error-map.ts.

/** Every code a WireError may carry, with what it means. */
export const ERROR_CODES = {
  'bad-request': 'the request or its params are invalid (schema, unknown policy, conflicting or out-of-range options)',
  'unknown-method': 'no such engine method',
  'bad-scenario': 'the scenario does not parse or validate, or cannot be run as asked (missing profiles, lanes, models)',
  'bad-model': 'a model that cannot be found, loaded or generated',
  'bad-shape': 'an input shape or value the model does not accept',
  'bad-profile': 'a stored profile that cannot be read',
  'bad-run': 'a stored live run or simulation that cannot be read',
  'bad-schedule': 'a tuned schedule file that is refused: unknown schema version, invalid, a model missing or with another sha256, or lanes this machine lacks',
  'not-found': 'no stored item (profile, scenario, run, simulation) with that id',
  exists: 'an item with that name exists already',
  'too-large': 'a file too large to send or to read (over the cap for its kind)',
  'not-a-file': 'a path that is not a regular file (a device, FIFO, socket or folder)',
  forbidden: 'a path the engine may not read: outside the folders a served engine may read (tessera serve --allow-dir), or without permission',
  cancelled: 'the caller cancelled the job (or disconnected)',
  'engine-exited': 'the engine process stopped or the connection to it was lost',
  'engine-restarted': 'a client restarted the engine (engine.restart) while the call was running',
  'rate-limited': 'asked again too soon (engine.restart: at most once every 2 s)',
  'not-supported': 'not possible where the engine runs (engine.restart of an in-process engine)',
  failed: 'anything else: an internal failure, with its cause',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export const errorCodes = Object.keys(ERROR_CODES) as ErrorCode[];

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** An error for the user: a clear message, a code from the union, and the underlying cause. */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly code: ErrorCode = 'failed',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
