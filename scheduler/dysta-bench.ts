// `tessera bench dysta DIR`: replays a parity folder through the reference schedulers for every seed,
// rate and SLO multiplier, and reports violation rate, ANTT and STP per (rate, SLO, scheduler), mean
// over seeds and per seed. Where the folder holds the reference simulator's outputs, the runs that
// cover them are checked against them (per-task finish times, per-seed metrics, the summary).
import {
  compareTasks, DYSTA_COMPATS, DYSTA_POLICY_MAP, DYSTA_SCHEDULERS, isDystaScheduler, runDysta, runDystaOnSimulator,
  type DystaCompat, type DystaMetrics, type DystaRequest, type DystaScheduler, type TasksComparison,
} from './core/dysta';
import {
  loadReferenceResultsPerSeed, loadReferenceSummary, loadReferenceTasks, loadRequests, openParityFolder,
  ParityFolderError, requestFileFor, tasksFileName, writeTasksCsv, type ReferenceMetricsRow,
} from './dysta-io';

export const DEFAULT_SLOS = [10, 25, 50, 75, 100, 150];
/** Relative tolerance for metrics against the reference's (its means may sum in another order). */
export const METRICS_RTOL = 1e-9;

export interface DystaBenchOptions {
  /** Default: every seed in the folder (1-5 in ../shared/dysta-parity). */
  seeds?: number[];
  /** Default: every rate in the folder. */
  rates?: number[];
  slos?: number[];
  schedulers?: string[];
  /** Default ['dysta-reference']; give both to report Tessera's reading beside the reference's. */
  compats?: DystaCompat[];
  /** Write tasks_seed{S}_rate{R}_slo{X}_{scheduler}.csv here (dysta-reference runs only). */
  outDir?: string;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /**
   * Also run Tessera's own policy for each reference scheduler that has one (DYSTA_POLICY_MAP) in
   * the main simulator (one lane, layer preemption) and compare it with the reference's rules on a
   * monotonic clock (dysta-reference rows only).
   */
  tessera?: boolean;
}

/** Tessera's policy beside a reference scheduler, from the main simulator. */
export interface DystaTesseraRun extends DystaMetrics {
  policy: string;
  /** What it does differently on purpose (undefined: it should match exactly). */
  difference?: string;
  /** Seeds where every task finished at exactly the twin's time (twin on a monotonic clock). */
  seedsMatching: number;
}

export interface DystaBenchRow extends DystaMetrics {
  rate: number;
  slo: number;
  scheduler: DystaScheduler;
  compat: DystaCompat;
  /** Mean over these seeds. */
  seeds: number[];
  perSeed: (DystaMetrics & { seed: number })[];
  /** With options.tessera, where the scheduler has a Tessera counterpart. */
  tessera?: DystaTesseraRun;
}

export interface DystaParityReport {
  /** One entry per reference tasks_*.csv(.gz) whose run was part of this bench. */
  tasks: { file: string; seed: number; rate: number; slo: number; scheduler: string; comparison: TasksComparison }[];
  tasksMatched: number;
  /** results_per_seed.json entries covered by this bench. */
  perSeedCompared: number;
  perSeedMatched: number;
  /** summary_mean_over_seeds.csv rows covered by this bench (same seeds as the reference's). */
  summaryCompared: number;
  summaryMatched: number;
  worstMetricRelDiff: number;
  mismatches: string[];
}

export interface DystaBenchResult {
  dir: string;
  seeds: number[];
  rates: number[];
  slos: number[];
  schedulers: DystaScheduler[];
  compats: DystaCompat[];
  rows: DystaBenchRow[];
  /** Present when the folder has reference outputs. */
  parity?: DystaParityReport;
  files: string[];
  wallMs: number;
}

const relDiff = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));

function metricsMatch(ours: DystaMetrics, ref: ReferenceMetricsRow): number {
  return Math.max(relDiff(ours.violationRate, ref.violationRate), relDiff(ours.antt, ref.antt), relDiff(ours.stp, ref.stp));
}

export function runDystaBench(dir: string, options: DystaBenchOptions = {}): DystaBenchResult {
  const t0 = performance.now();
  const folder = openParityFolder(dir);
  const seeds = options.seeds ?? folder.seeds;
  const rates = options.rates ?? folder.rates;
  const slos = options.slos ?? DEFAULT_SLOS;
  const compats = options.compats ?? ['dysta-reference'];
  const names = options.schedulers ?? [...DYSTA_SCHEDULERS];
  for (const s of names) if (!isDystaScheduler(s)) throw new ParityFolderError(`Unknown scheduler "${s}". Known: ${DYSTA_SCHEDULERS.join(', ')}`);
  for (const c of compats) if (!DYSTA_COMPATS.includes(c)) throw new ParityFolderError(`Unknown compat "${c}". Known: ${DYSTA_COMPATS.join(', ')}`);
  for (const slo of slos) if (!(slo > 0)) throw new ParityFolderError(`SLO multiplier must be positive (got ${slo})`);
  const schedulers = names as DystaScheduler[];
  // Every request file is read (and checked against the LUT) before the first run.
  const requests = new Map<string, DystaRequest[]>();
  for (const rate of rates) for (const seed of seeds) requests.set(`${seed}/${rate}`, loadRequests(requestFileFor(folder, seed, rate), folder.lut));

  const referenceTasks = new Map(folder.referenceTasks.map((r) => [`${r.seed}/${r.rate}/${r.slo}/${r.scheduler}`, r]));
  const parityTasks: DystaParityReport['tasks'] = [];
  const rows: DystaBenchRow[] = [];
  const files: string[] = [];
  const total = rates.length * slos.length * schedulers.length * seeds.length * compats.length;
  const pairOf = (scheduler: DystaScheduler) => (options.tessera ? DYSTA_POLICY_MAP.find((p) => p.reference === scheduler) : undefined);
  let done = 0;
  for (const compat of compats) {
    for (const rate of rates) {
      for (const slo of slos) {
        for (const scheduler of schedulers) {
          const perSeed: DystaBenchRow['perSeed'] = [];
          const pair = compat === 'dysta-reference' ? pairOf(scheduler) : undefined;
          const ours: DystaMetrics[] = [];
          let seedsMatching = 0;
          for (const seed of seeds) {
            if (options.signal?.aborted) throw new Error('cancelled');
            const reqs = requests.get(`${seed}/${rate}`)!;
            const run = runDysta(scheduler, folder.lut, reqs, { sloMult: slo, compat });
            perSeed.push({ seed, ...run.metrics });
            if (pair) {
              const main = runDystaOnSimulator(pair.policy, scheduler, folder.lut, reqs, slo);
              const twin = runDysta(scheduler, folder.lut, reqs, { sloMult: slo, monotonicClock: true });
              if (compareTasks(main.tasks, twin.tasks, 0).match) seedsMatching++;
              ours.push(main.metrics);
            }
            if (compat === 'dysta-reference') {
              const ref = referenceTasks.get(`${seed}/${rate}/${slo}/${scheduler}`);
              if (ref) parityTasks.push({ file: ref.file, seed, rate, slo, scheduler, comparison: compareTasks(run.tasks, loadReferenceTasks(ref.file)) });
              if (options.outDir) files.push(writeTasksCsv(options.outDir, tasksFileName(seed, rate, slo, scheduler), run.tasks));
            }
            options.onProgress?.(++done, total);
          }
          const mean = (k: keyof DystaMetrics, of: DystaMetrics[] = perSeed) => of.reduce((s, m) => s + m[k], 0) / of.length;
          const row: DystaBenchRow = { rate, slo, scheduler, compat, seeds: [...seeds], violationRate: mean('violationRate'), antt: mean('antt'), stp: mean('stp'), perSeed };
          if (pair) row.tessera = { policy: pair.policy, difference: pair.difference, violationRate: mean('violationRate', ours), antt: mean('antt', ours), stp: mean('stp', ours), seedsMatching };
          rows.push(row);
        }
      }
    }
  }
  const parity = folder.referenceTasks.length || folder.resultsPerSeedFile || folder.summaryFile ? checkParity(folder.resultsPerSeedFile, folder.summaryFile, rows, parityTasks, seeds) : undefined;
  return { dir, seeds, rates, slos, schedulers, compats, rows, parity, files, wallMs: performance.now() - t0 };
}

function checkParity(resultsFile: string | undefined, summaryFile: string | undefined, rows: DystaBenchRow[], tasks: DystaParityReport['tasks'], seeds: number[]): DystaParityReport {
  const mismatches: string[] = [];
  let worst = 0;
  const reference = rows.filter((r) => r.compat === 'dysta-reference');
  const find = (ref: ReferenceMetricsRow) => reference.find((r) => r.rate === ref.rate && r.slo === ref.slo && r.scheduler === ref.scheduler);
  for (const t of tasks) {
    if (!t.comparison.match) mismatches.push(`${t.file}: first difference at task ${t.comparison.firstMismatch?.index} (${t.comparison.firstMismatch?.reason})`);
  }
  let perSeedCompared = 0;
  let perSeedMatched = 0;
  if (resultsFile) {
    for (const ref of loadReferenceResultsPerSeed(resultsFile)) {
      const ours = find(ref)?.perSeed.find((s) => s.seed === ref.seed);
      if (!ours) continue;
      perSeedCompared++;
      const d = metricsMatch(ours, ref);
      worst = Math.max(worst, d);
      if (d <= METRICS_RTOL) perSeedMatched++;
      else mismatches.push(`results_per_seed.json: seed ${ref.seed} rate ${ref.rate} slo ${ref.slo} ${ref.scheduler}: relative difference ${d.toExponential(2)}`);
    }
  }
  let summaryCompared = 0;
  let summaryMatched = 0;
  if (summaryFile) {
    for (const ref of loadReferenceSummary(summaryFile)) {
      const ours = find(ref);
      // The reference's summary is the mean over seeds 1..n_seeds; another set is not comparable.
      if (!ours || seeds.length !== ref.nSeeds || [...seeds].sort((a, b) => a - b).some((s, i) => s !== i + 1)) continue;
      summaryCompared++;
      const d = metricsMatch(ours, ref);
      worst = Math.max(worst, d);
      if (d <= METRICS_RTOL) summaryMatched++;
      else mismatches.push(`summary_mean_over_seeds.csv: rate ${ref.rate} slo ${ref.slo} ${ref.scheduler}: relative difference ${d.toExponential(2)}`);
    }
  }
  return {
    tasks,
    tasksMatched: tasks.filter((t) => t.comparison.match).length,
    perSeedCompared,
    perSeedMatched,
    summaryCompared,
    summaryMatched,
    worstMetricRelDiff: worst,
    mismatches,
  };
}
