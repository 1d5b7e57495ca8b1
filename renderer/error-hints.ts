// What to do about an engine error, keyed on the one error-code union (engine/errors.ts): each view
// gives the hints that fit its forms, over the common ones. A code outside the union gets none.
import { isErrorCode, type ErrorCode } from '../engine/errors';

export type Hints = Partial<Record<ErrorCode, string>>;

/** Hints that read the same in every view. */
export const COMMON_HINTS: Hints = {
  'engine-exited': 'The engine is not connected: reconnect (bottom left) and try again.',
  'bad-request': 'Check the form: the values above were refused.',
};

export function errorHint(code: string | undefined, hints: Hints = {}): string {
  if (!isErrorCode(code)) return '';
  return hints[code] ?? COMMON_HINTS[code] ?? '';
}
