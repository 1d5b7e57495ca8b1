// The engine's event topic names, declared once. Features key their `events` with these, the
// publishers emit on them, and the renderer and the CLI subscribe with them (never a hand-written
// string). Pure constants: the renderer imports them through engine/api.ts.
export const TOPICS = {
  /** The engine process started or stopped (features/engine.ts; published by engine/remote.ts). */
  engineState: 'engine.state',
  /** One telemetry batch per tick of a running live run (features/live.ts). */
  liveTelemetry: 'live.telemetry',
} as const;
