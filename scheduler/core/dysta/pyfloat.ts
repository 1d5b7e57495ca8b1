// Python's repr() of a float, which the reference uses for task ids and CSV cells. Both Python and
// JavaScript print the shortest digits that round-trip; they differ only in when they switch to
// exponent notation (Python: exponent < -4 or >= 16) and in how they write it ('1e-05', '3.0').

export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, e] = x.toExponential().split('e');
  const exp = Number(e);
  if (exp < -4 || exp >= 16) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  const s = String(x); // decimal notation throughout 1e-4 <= |x| < 1e16
  return s.includes('.') ? s : `${s}.0`;
}
