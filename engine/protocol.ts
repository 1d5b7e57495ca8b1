// The wire protocol every transport carries (in-process, Electron IPC/MessagePort, WebSocket).
// Plain JSON-compatible objects (structured-clone for IPC); no Node or DOM imports here.
import type { ErrorCode } from './errors';
import type { Progress } from './feature';

export type Request =
  | { type: 'call'; id: number; method: string; params: unknown }
  | { type: 'cancel'; id: number };

export interface WireError {
  message: string;
  /** Machine-readable, from the one union (engine/errors.ts). */
  code: ErrorCode;
  /** The underlying error's message, when there was one. */
  cause?: string;
  method?: string;
}

export type Reply =
  | { type: 'progress'; id: number; progress: Progress }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: WireError }
  | { type: 'event'; topic: string; data: unknown };

/** Validates an untrusted request (from a socket or IPC); returns an error message or null. */
export function checkRequest(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return 'request must be an object';
  const r = value as Record<string, unknown>;
  if (r.type !== 'call' && r.type !== 'cancel') return `unknown request type ${JSON.stringify(r.type)}`;
  if (typeof r.id !== 'number' || !Number.isSafeInteger(r.id)) return 'request id must be an integer';
  if (r.type === 'call' && typeof r.method !== 'string') return 'call.method must be a string';
  return null;
}
