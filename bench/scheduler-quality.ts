// `npm run bench -- scheduler-quality [--json] [--seeds 5] [--duration 10] [--scenarios a,b] [--balanced-load 0.8] [--skewed-load 1.2] [--quick]`
// Scheduling quality on XRBench-like workloads: every policy, deadline-miss rate, energy and UXCost,
// at a balanced and at a skewed load, over several seeds, in the simulator.
// Workloads: XRBench's usage scenarios (models, frame rates, cascades) with SYNTHETIC latency tables
// (scheduler/core/synthetic.ts: a CPU lane and a GPU lane, heterogeneous per-layer speed-ups, fp16
// and CPU-friendly approximate variants within a 2% accuracy budget), not measured ones.
//   balanced: models shared out between the lanes by their preference, busiest lane at 0.8 with
//             every layer on its fastest lane;
//   skewed:   every model prefers the GPU, GPU lane at 1.2 (overloaded), CPU lane nearly idle.
// Real latencies differ from the table: 10% per-layer noise and a 10% per-frame factor (lognormal);
// predictions are refined online. UXCost is Tessera's definition with E_ref = FCFS's mean energy.
import { comparePolicies, type Comparison } from '../scheduler/core/compare';
import { policyNames } from '../scheduler/core/policies';
import { XR_SCENARIOS, syntheticWorkload } from '../scheduler/core/synthetic';
import { describeWorkload } from '../scheduler/core/workload';

const TESSERA = ['dream', 'dream_static', 'terastal', 'convergo'];
const BASELINE_TRIO = ['fcfs', 'edf', 'sdrm3'];

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

export interface QualityCase {
  scenario: string;
  load: 'balanced' | 'skewed';
  utilisation: Record<string, number>;
  comparison: Comparison;
  /** Lowest mean UXCost over all policies, and over the baselines (non-Tessera policies). */
  bestPolicy: string;
  bestBaseline: string;
  tesseraLowestUxcost: boolean;
  /** Best Tessera policy's miss rate vs the best of FCFS, EDF and SDRM3: relative reduction. */
  missReductionVsTrio: number;
  bestTesseraByMiss: string;
  bestTrio: string;
}

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const quick = argv.includes('--quick');
  const nSeeds = Number(arg(argv, 'seeds') ?? (quick ? 3 : 5));
  const duration = Number(arg(argv, 'duration') ?? (quick ? 5 : 10));
  const balancedLoad = Number(arg(argv, 'balanced-load') ?? 0.8);
  const skewedLoad = Number(arg(argv, 'skewed-load') ?? 1.2);
  const scenarios = (arg(argv, 'scenarios') ?? (quick ? 'vr_gaming,social_a,outdoor_a' : Object.keys(XR_SCENARIOS).join(','))).split(',');
  for (const s of scenarios) if (!XR_SCENARIOS[s]) throw new Error(`unknown scenario "${s}"; known: ${Object.keys(XR_SCENARIOS).join(', ')}`);
  const policies = policyNames();
  const seeds = Array.from({ length: nSeeds }, (_, i) => i + 1);
  const log = (s: string) => (json ? process.stderr.write(s) : process.stdout.write(s));
  log(`Scheduling quality, synthetic XRBench-like tables (NOT measured), ${seeds.length} seeds x ${duration} s, noise 10% per layer + 10% per frame; UXCost = (E / E_ref) x (miss rate + 0.01), Tessera's definition, E_ref = FCFS's mean energy\n`);
  const cases: QualityCase[] = [];
  const t0 = performance.now();
  for (const scenario of scenarios) {
    for (const load of ['balanced', 'skewed'] as const) {
      const w = syntheticWorkload({ scenario, skew: load === 'skewed' ? 'gpu' : 'balanced', load: load === 'skewed' ? skewedLoad : balancedLoad, variants: true });
      const c = comparePolicies(w, policies, { duration, seeds, latencyNoise: 0.1, jobNoise: 0.1, reference: 'fcfs' });
      const util = describeWorkload(w).favouriteUtilisation;
      const byUx = [...c.rows].sort((a, b) => a.uxcost.mean - b.uxcost.mean);
      const baselines = byUx.filter((r) => !TESSERA.includes(r.policy));
      const trio = c.rows.filter((r) => BASELINE_TRIO.includes(r.policy)).sort((a, b) => a.missRate.mean - b.missRate.mean)[0];
      const bestT = c.rows.filter((r) => TESSERA.includes(r.policy) && r.policy !== 'dream_static').sort((a, b) => a.missRate.mean - b.missRate.mean)[0];
      const qc: QualityCase = {
        scenario,
        load,
        utilisation: util,
        comparison: c,
        bestPolicy: byUx[0].policy,
        bestBaseline: baselines[0].policy,
        tesseraLowestUxcost: TESSERA.includes(byUx[0].policy),
        missReductionVsTrio: trio.missRate.mean > 0 ? 1 - bestT.missRate.mean / trio.missRate.mean : 0,
        bestTesseraByMiss: bestT.policy,
        bestTrio: trio.policy,
      };
      cases.push(qc);
      log(`\n== ${scenario}, ${load} (favourite-lane utilisation ${Object.entries(util).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')})\n`);
      log(`   ${'policy'.padEnd(13)} ${'miss rate'.padStart(17)} ${'drops'.padStart(6)} ${'energy J'.padStart(9)} ${'UXCost'.padStart(15)}\n`);
      for (const r of c.rows) {
        log(`   ${r.policy.padEnd(13)} ${`${r.missRate.mean.toFixed(3)} ±${r.missRate.sd.toFixed(3)}`.padStart(17)} ${r.dropRate.mean.toFixed(3).padStart(6)} ${r.energyJ.mean.toFixed(1).padStart(9)} ${`${r.uxcost.mean.toFixed(4)} ±${r.uxcost.sd.toFixed(4)}`.padStart(15)}${r.policy === byUx[0].policy ? '  <- lowest UXCost' : ''}\n`);
      }
      log(`   lowest UXCost: ${qc.bestPolicy}${qc.tesseraLowestUxcost ? ' (Tessera)' : ' (a baseline)'}; best baseline ${qc.bestBaseline}; ${bestT.policy} misses ${(100 * qc.missReductionVsTrio).toFixed(1)}% fewer than ${trio.policy} (best of FCFS, EDF, SDRM3)\n`);
    }
  }
  const summary = {
    cases: cases.length,
    tesseraLowestUxcost: cases.filter((c) => c.tesseraLowestUxcost).length,
    skewedMissReductionVsTrio: cases.filter((c) => c.load === 'skewed').map((c) => ({ scenario: c.scenario, policy: c.bestTesseraByMiss, vs: c.bestTrio, reduction: c.missReductionVsTrio })),
    seconds: (performance.now() - t0) / 1000,
  };
  log(`\nSummary: a Tessera policy has the lowest UXCost in ${summary.tesseraLowestUxcost} of ${summary.cases} cases; skewed-load miss reduction vs the best of FCFS/EDF/SDRM3: ${summary.skewedMissReductionVsTrio.map((x) => `${x.scenario} ${(100 * x.reduction).toFixed(1)}% (${x.policy} vs ${x.vs})`).join(', ')} (${summary.seconds.toFixed(0)} s)\n`);
  if (json) {
    process.stdout.write(
      JSON.stringify(
        {
          setup: { latencies: 'synthetic (XRBench models, rates, cascades; generated per-layer latencies)', seeds, duration, balancedLoad, skewedLoad, latencyNoise: 0.1, jobNoise: 0.1, uxcost: "Tessera's definition, E_ref = FCFS mean energy" },
          summary,
          cases: cases.map((c) => ({ ...c, comparison: { ...c.comparison, rows: c.comparison.rows.map((r) => ({ policy: r.policy, missRate: r.missRate, dropRate: r.dropRate, energyJ: r.energyJ, uxcost: r.uxcost, perTenant: r.perTenant })) } })),
        },
        null,
        2,
      ) + '\n',
    );
  }
  return 0;
}
