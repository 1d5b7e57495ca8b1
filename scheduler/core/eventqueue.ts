// A binary min-heap of events on typed arrays: (time, kind, arg), ties broken by insertion order.
// No allocation per event (the arrays double when full); pop() leaves the event in the fields
// `time`, `kind`, `arg`.
export class EventQueue {
  private times: Float64Array;
  private seqs: Float64Array;
  private kinds: Int32Array;
  private args: Int32Array;
  private n = 0;
  private seq = 0;
  /** The last popped event (time: a double field from the start, 0 from the constructor on). */
  time = 0.5;
  kind = 0;
  arg = 0;

  constructor(capacity = 256) {
    this.time = 0;
    this.times = new Float64Array(capacity);
    this.seqs = new Float64Array(capacity);
    this.kinds = new Int32Array(capacity);
    this.args = new Int32Array(capacity);
  }

  get size(): number {
    return this.n;
  }

  /** Time of the next event (Infinity when empty). */
  peekTime(): number {
    return this.n > 0 ? this.times[0] : Infinity;
  }

  push(time: number, kind: number, arg: number): void {
    if (this.n === this.times.length) this.grow();
    const times = this.times;
    const seqs = this.seqs;
    const kinds = this.kinds;
    const args = this.args;
    const s = this.seq++;
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = times[p];
      if (pt < time || (pt === time && seqs[p] < s)) break;
      times[i] = pt;
      seqs[i] = seqs[p];
      kinds[i] = kinds[p];
      args[i] = args[p];
      i = p;
    }
    times[i] = time;
    seqs[i] = s;
    kinds[i] = kind;
    args[i] = arg;
  }

  /** Removes the earliest event into (time, kind, arg). Returns false when empty. */
  pop(): boolean {
    if (this.n === 0) return false;
    const times = this.times;
    const seqs = this.seqs;
    const kinds = this.kinds;
    const args = this.args;
    this.time = times[0];
    this.kind = kinds[0];
    this.arg = args[0];
    const last = --this.n;
    if (last === 0) return true;
    const t = times[last];
    const s = seqs[last];
    const k = kinds[last];
    const a = args[last];
    let i = 0;
    const half = last >> 1;
    while (i < half) {
      let c = 2 * i + 1;
      const r = c + 1;
      if (r < last && (times[r] < times[c] || (times[r] === times[c] && seqs[r] < seqs[c]))) c = r;
      if (t < times[c] || (t === times[c] && s < seqs[c])) break;
      times[i] = times[c];
      seqs[i] = seqs[c];
      kinds[i] = kinds[c];
      args[i] = args[c];
      i = c;
    }
    times[i] = t;
    seqs[i] = s;
    kinds[i] = k;
    args[i] = a;
    return true;
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const t = new Float64Array(cap);
    t.set(this.times);
    this.times = t;
    const s = new Float64Array(cap);
    s.set(this.seqs);
    this.seqs = s;
    const k = new Int32Array(cap);
    k.set(this.kinds);
    this.kinds = k;
    const a = new Int32Array(cap);
    a.set(this.args);
    this.args = a;
  }
}
