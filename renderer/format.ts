// The renderer's number formats, one of each, so every view shows a figure with the same unit and
// digits. A missing or non-finite figure is an en dash, never NaN or "undefined". Pure: unit-tested.

export const DASH = '\u2013';

/** A finite number, or undefined (null, NaN, Infinity, anything else). */
export function finiteNum(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

/** Fixed decimals. */
export function fmtNum(x: unknown, digits = 1): string {
  const v = finiteNum(x);
  return v === undefined ? DASH : v.toFixed(digits);
}

/** Compact, without trailing noise: 60 → "60", 16.6667 → "16.67", 250.4 → "250", 0.0123456 → "0.012". */
export function fmtCompact(x: unknown, digits = 2): string {
  const v = finiteNum(x);
  if (v === undefined) return DASH;
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return String(+v.toFixed(digits));
  if (a === 0) return '0';
  return String(+v.toPrecision(Math.max(2, digits)));
}

/** `digits` significant digits in plain notation for everyday magnitudes, exponent outside [1e-4, 1e6). */
export function fmtSig(x: unknown, digits = 3): string {
  const v = finiteNum(x);
  if (v === undefined) return DASH;
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) return v.toExponential(digits - 1);
  return v.toFixed(Math.max(0, digits - 1 - Math.floor(Math.log10(a))));
}

/**
 * Milliseconds: 0 dp from 100 ms, 1 dp from 10 ms, 2 dp from 1 ms, 3 dp from 0.01 ms, 2 significant
 * digits below. With the unit ("12.3 ms") unless the column header carries it.
 */
export function fmtMs(x: unknown, opts: { unit?: boolean } = {}): string {
  const v = finiteNum(x);
  if (v === undefined) return DASH;
  const a = Math.abs(v);
  const text = v === 0 ? '0' : a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : a >= 0.01 ? v.toFixed(3) : v.toPrecision(2);
  return opts.unit === false ? text : `${text} ms`;
}

/** A fraction as a percentage: 0.0768 → "7.7%". */
export function fmtPct(x: unknown, digits = 1): string {
  const v = finiteNum(x);
  return v === undefined ? DASH : `${(v * 100).toFixed(digits)}%`;
}

/** A relative difference: 0.12 → "+12%". */
export function fmtRel(x: unknown): string {
  const v = finiteNum(x);
  return v === undefined ? DASH : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(0)}%`;
}

/** A difference in percentage points: 1.25 → "+1.3 pts". */
export function fmtPts(x: unknown): string {
  const v = finiteNum(x);
  return v === undefined ? DASH : `${v >= 0 ? '+' : ''}${v.toFixed(1)} pts`;
}

/** A ratio: 2.5 → "2.50×", 12.3 → "12×". */
export function fmtRatio(x: unknown): string {
  const v = finiteNum(x);
  return v === undefined ? DASH : `${v >= 10 ? v.toFixed(0) : v.toFixed(2)}\u00d7`;
}

/** Bytes in binary units: "512 B", "1.5 KiB", "2.0 MiB", "1.25 GiB". */
export function fmtBytes(x: unknown): string {
  const n = finiteNum(x);
  if (n === undefined) return DASH;
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** Seconds: "4.2 s", "42 s", "1.5 min". */
export function fmtSec(x: unknown): string {
  const s = finiteNum(x);
  if (s === undefined) return DASH;
  return s >= 90 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(s >= 10 ? 0 : 1)} s`;
}

/** An ISO time in local time: "2026-12-02 04:56" (with seconds: "04:56:43"). */
export function fmtDate(iso: string, seconds = false): string {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}${seconds ? `:${p(d.getSeconds())}` : ''}`;
}

/** fmtMs without the unit, for cells under a header that names it ("Median ms"). */
export function fmtMsBare(x: unknown): string {
  return fmtMs(x, { unit: false });
}
