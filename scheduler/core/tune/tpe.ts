// A compact Tree-structured Parzen Estimator (Bergstra et al., "Algorithms for Hyper-Parameter
// Optimization", NIPS 2011), for mixed categorical and real parameters, some of them conditional.
// No npm library for this installs here as a maintained, dependency-free package, hence this file.
//
//   - The first `startup` suggestions are uniform random (the prior).
//   - Then observations are split at the gamma quantile of their scores (lower is better) into
//     "good" and "bad"; per parameter, l(x) = density of the good ones, g(x) = of the bad ones:
//     categorical: smoothed counts (+1 per choice, the prior); real: a Parzen window (one Gaussian
//     per observation, bandwidth (hi - lo) / sqrt(n), clipped to [hi-lo]/20..[hi-lo]) mixed with the
//     uniform prior at weight 1 / (n + 1).
//   - `candidates` full assignments are drawn from l, and the one maximising sum over its ACTIVE
//     parameters of log l(x) - log g(x) is suggested. A parameter's densities use only the
//     observations where it was active (conditional parameters: DREAM's weights when the policy is
//     dream, ...).
// Deterministic: every random draw comes from the seeded generator handed in.

export type ParamDef =
  | { name: string; kind: 'categorical'; choices: readonly (string | number | boolean)[] }
  | { name: string; kind: 'real'; lo: number; hi: number };

export type Assignment = Record<string, string | number | boolean>;

export interface Observation {
  values: Assignment;
  /** Names of the parameters that mattered for this assignment. */
  active: readonly string[];
  score: number;
}

export interface TpeOptions {
  /** Random suggestions before the model is used (default 10). */
  startup?: number;
  /** Share of observations counted as good (default 0.25). */
  gamma?: number;
  /** Assignments drawn from l(x) per suggestion (default 24). */
  candidates?: number;
}

export function suggest(params: readonly ParamDef[], history: readonly Observation[], isActive: (name: string, a: Assignment) => boolean, random: () => number, o: TpeOptions = {}): Assignment {
  const startup = o.startup ?? 10;
  const scored = history.filter((h) => Number.isFinite(h.score));
  if (scored.length < startup) return Object.fromEntries(params.map((p) => [p.name, uniform(p, random)]));
  const sorted = [...scored].sort((a, b) => a.score - b.score);
  const nGood = Math.max(1, Math.ceil((o.gamma ?? 0.25) * sorted.length));
  const good = sorted.slice(0, nGood);
  const bad = sorted.slice(nGood);
  const models = params.map((p) => {
    const of = (obs: Observation[]) => obs.filter((h) => h.active.includes(p.name)).map((h) => h.values[p.name]);
    return { p, l: density(p, of(good)), g: density(p, of(bad)) };
  });
  let best: Assignment | undefined;
  let bestScore = -Infinity;
  for (let c = 0; c < (o.candidates ?? 24); c++) {
    const a: Assignment = {};
    for (const m of models) a[m.p.name] = m.l.sample(random);
    let s = 0;
    for (const m of models) if (isActive(m.p.name, a)) s += Math.log(m.l.pdf(a[m.p.name])) - Math.log(m.g.pdf(a[m.p.name]));
    if (s > bestScore) {
      bestScore = s;
      best = a;
    }
  }
  return best!;
}

function uniform(p: ParamDef, random: () => number): string | number | boolean {
  if (p.kind === 'categorical') return p.choices[Math.min(p.choices.length - 1, Math.floor(random() * p.choices.length))];
  return p.lo + random() * (p.hi - p.lo);
}

interface Density {
  sample(random: () => number): string | number | boolean;
  pdf(x: string | number | boolean): number;
}

function density(p: ParamDef, xs: (string | number | boolean)[]): Density {
  if (p.kind === 'categorical') {
    const w = p.choices.map((c) => 1 + xs.filter((x) => x === c).length);
    const total = w.reduce((a, b) => a + b, 0);
    return {
      sample: (random) => {
        let r = random() * total;
        for (let i = 0; i < w.length; i++) if ((r -= w[i]) < 0) return p.choices[i];
        return p.choices[p.choices.length - 1];
      },
      pdf: (x) => {
        const i = p.choices.indexOf(x);
        return i < 0 ? 1e-12 : w[i] / total;
      },
    };
  }
  const width = p.hi - p.lo;
  const mus = xs.map(Number).filter(Number.isFinite);
  const n = mus.length;
  const bw = Math.min(width, Math.max(width / 20, width / Math.sqrt(Math.max(1, n))));
  const priorW = 1 / (n + 1);
  const kernelW = n ? (1 - priorW) / n : 0;
  return {
    sample: (random) => {
      if (n === 0 || random() < priorW) return p.lo + random() * width;
      const mu = mus[Math.min(n - 1, Math.floor(random() * n))];
      // Box-Muller, clipped to the range.
      const z = Math.sqrt(-2 * Math.log(Math.max(1e-12, random()))) * Math.cos(2 * Math.PI * random());
      return Math.min(p.hi, Math.max(p.lo, mu + bw * z));
    },
    pdf: (x) => {
      const v = Number(x);
      let d = priorW / width;
      for (const mu of mus) d += (kernelW * Math.exp(-0.5 * ((v - mu) / bw) ** 2)) / (bw * Math.sqrt(2 * Math.PI));
      return Math.max(d, 1e-12);
    },
  };
}
