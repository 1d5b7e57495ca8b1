// `tessera bench dysta DIR`: replays a parity folder through the eleven reference schedulers for
// every seed, rate and SLO multiplier, and reports violation rate, ANTT and STP (mean over seeds).
import { DYSTA_SCHEDULERS, runDysta, type DystaMetrics, type DystaScheduler } from './core/dysta/reference';
import { loadRequests, openParityFolder, ParityFolderError, writeTasksCsv } from './dysta-io';

export const DEFAULT_SLOS = [10, 25, 50, 75, 100, 150];

export interface DystaBenchOptions {
  seeds?: number[];
  rates?: number[];
  slos?: number[];
  schedulers?: DystaScheduler[];
  outDir?: string;
  compat?: 'reference' | 'tessera';
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface DystaBenchRow extends DystaMetrics {
  rate: number;
  slo: number;
  scheduler: DystaScheduler;
  seeds: number;
  perSeed: (DystaMetrics & { seed: number })[];
}

export function runDystaBench(dir: string, options: DystaBenchOptions = {}): { dir: string; rows: DystaBenchRow[]; wallMs: number; files: string[] } {
  const t0 = performance.now();
  const folder = openParityFolder(dir);
  const seeds = options.seeds ?? folder.seeds;
  const rates = options.rates ?? folder.rates;
  const slos = options.slos ?? DEFAULT_SLOS;
  const schedulers = options.schedulers ?? [...DYSTA_SCHEDULERS];
  for (const s of schedulers) if (!DYSTA_SCHEDULERS.includes(s)) throw new ParityFolderError(`Unknown scheduler "${s}". Known: ${DYSTA_SCHEDULERS.join(', ')}`);
  const rows: DystaBenchRow[] = [];
  const files: string[] = [];
  const total = rates.length * slos.length * schedulers.length * seeds.length;
  let done = 0;
  for (const rate of rates) {
    const requestsBySeed = new Map(seeds.map((seed) => {
      const entry = folder.requestFiles.find((r) => r.seed === seed && r.rate === rate);
      if (!entry) throw new ParityFolderError(`${dir} has no requests_seed${seed}_rate${rate}.csv`);
      return [seed, loadRequests(entry.file)] as const;
    }));
    for (const slo of slos) {
      for (const scheduler of schedulers) {
        const perSeed: DystaBenchRow['perSeed'] = [];
        for (const seed of seeds) {
          if (options.signal?.aborted) throw new Error('cancelled');
          const run = runDysta(scheduler, folder.lut, requestsBySeed.get(seed)!, { sloMult: slo, compat: options.compat });
          perSeed.push({ seed, ...run.metrics });
          if (options.outDir) files.push(writeTasksCsv(options.outDir, `tasks_seed${seed}_rate${rate}_slo${slo}_${scheduler}.csv`, run.tasks));
          options.onProgress?.(++done, total);
        }
        const mean = (k: keyof DystaMetrics) => perSeed.reduce((s, m) => s + m[k], 0) / perSeed.length;
        rows.push({ rate, slo, scheduler, seeds: perSeed.length, violationRate: mean('violationRate'), antt: mean('antt'), stp: mean('stp'), perSeed });
      }
    }
  }
  return { dir, rows, wallMs: performance.now() - t0, files };
}
