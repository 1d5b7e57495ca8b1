// The renderer's one number-format module: the same figure reads the same in every view.
import { describe, expect, it } from 'vitest';
import { DASH, finiteNum, fmtBytes, fmtCompact, fmtDate, fmtMs, fmtMsBare, fmtNum, fmtPct, fmtPts, fmtRatio, fmtRel, fmtSec, fmtSig } from '../renderer/format';

describe('renderer formats', () => {
  it('never shows NaN, Infinity, null or undefined', () => {
    for (const bad of [undefined, null, NaN, Infinity, -Infinity, 'x', {}]) {
      for (const f of [fmtNum, fmtCompact, fmtSig, fmtMs, fmtMsBare, fmtPct, fmtRel, fmtPts, fmtRatio, fmtBytes, fmtSec]) expect(f(bad as never), `${f.name}(${String(bad)})`).toBe(DASH);
      expect(finiteNum(bad)).toBeUndefined();
    }
    expect(fmtDate('')).toBe(DASH);
    expect(fmtDate('not a date')).toBe('not a date');
  });

  it('formats milliseconds with one digits rule, with or without the unit', () => {
    expect(fmtMs(123.4)).toBe('123 ms');
    expect(fmtMs(12.34)).toBe('12.3 ms');
    expect(fmtMs(1.234)).toBe('1.23 ms');
    expect(fmtMs(0.1234)).toBe('0.123 ms');
    expect(fmtMs(0.0012)).toBe('0.0012 ms');
    expect(fmtMs(0)).toBe('0 ms');
    expect(fmtMs(-12.34)).toBe('-12.3 ms');
    expect(fmtMsBare(12.34)).toBe('12.3');
  });

  it('formats fractions, differences, ratios, sizes and durations', () => {
    expect(fmtPct(0.0768)).toBe('7.7%');
    expect(fmtPct(1, 0)).toBe('100%');
    expect(fmtRel(0.12)).toBe('+12%');
    expect(fmtRel(-0.5)).toBe('-50%');
    expect(fmtPts(1.25)).toBe('+1.3 pts');
    expect(fmtRatio(2.5)).toBe('2.50\u00d7');
    expect(fmtRatio(12.3)).toBe('12\u00d7');
    expect(fmtBytes(512)).toBe('512 B');
    expect(fmtBytes(1536)).toBe('1.5 KiB');
    expect(fmtBytes(3 * 1024 ** 2)).toBe('3.0 MiB');
    expect(fmtBytes(1.25 * 1024 ** 3)).toBe('1.25 GiB');
    expect(fmtSec(4.25)).toBe('4.3 s');
    expect(fmtSec(42)).toBe('42 s');
    expect(fmtSec(90)).toBe('1.5 min');
  });

  it('compact and significant forms drop noise', () => {
    expect(fmtCompact(60)).toBe('60');
    expect(fmtCompact(16.666666)).toBe('16.67');
    expect(fmtCompact(250.4)).toBe('250');
    expect(fmtCompact(0.0123456)).toBe('0.012');
    expect(fmtCompact(0)).toBe('0');
    expect(fmtSig(1234.5)).toBe('1235');
    expect(fmtSig(0.012345)).toBe('0.0123');
    expect(fmtSig(2e7)).toBe('2.00e+7');
    expect(fmtNum(1.25, 1)).toBe('1.3');
  });
});
