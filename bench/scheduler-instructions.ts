// `npm run bench -- scheduler-instructions [--policies a,b] [--idle 1,4] [--throughput] [--jobs N] [--json]`
// The scheduler bench's costs counted in machine instructions instead of seconds: valgrind's
// cachegrind counts every instruction the process retires, and node runs with V8's --predictable
// and fixed seeds (one thread, no concurrent compilation), so the same code gives the same count run
// after run, where CPU seconds on this shared VM drifted up to 2x between runs minutes apart. (The
// counts depend on those flags: without them EDF's varied 2,773-3,358 between runs.) Made for A/B work on the policies: a change's
// effect shows in one run, without alternating pairs and medians. It is not issue 10's target (that is
// time, `npm run bench -- scheduler`): instructions do not weigh cache misses, divisions or
// dependency chains, and EDF's scan retires fewer instructions per cycle than the others (its
// ratios here come out higher than in time, e.g. convergo 4.5x here, 3.5x in time).
//   Decisions: instructions per decide() on the scheduler bench's snapshot (8 tenants x 4 lanes x 64
//   ready jobs, one layer end's refinement update before each; bench/scheduler.ts), and the ratio to
//   EDF's. Each figure is the difference of two processes that differ only in the number of decisions
//   counted (both first run 20,000 untimed ones): start-up, JIT compilation and the warm-up cancel out.
//   --throughput: instructions per simulated layer execution on the scheduler bench's balanced and
//   overloaded workloads (3 runs minus 1 run of 3 simulated s, compilation of the later runs
//   included), and L1 instruction-cache misses per layer execution (cachegrind's model of a 32 kB
//   I1): machine code that does not fit, not instruction count, is what made DREAM's runs slow.
// Needs valgrind (`apt install valgrind`); each measurement is two processes under valgrind
// (~25 s each for decisions, ~2.5 min for a simulation with the cache model), --jobs N at a time
// (default: CPUs): the default decision table takes ~15 min on 2 CPUs; --throughput ~5 min per policy.
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import { createPolicy, policyNames } from '../scheduler/core/policies';
import { simulate } from '../scheduler/core/simulator';
import { syntheticWorkload } from '../scheduler/core/synthetic';
import { decisionSnapshot, decisionTurn } from './scheduler';

const WARMUP_DECISIONS = 20_000;
const COUNTED_DECISIONS = 20_000;
const SIM_SECONDS = 3;

const workloads = {
  balanced: () => syntheticWorkload({ scenario: 'vr_gaming', load: 0.6, variants: true }),
  overloaded: () => syntheticWorkload({ scenario: 'vr_gaming', skew: 'gpu', load: 1.2, variants: true }),
};

/**
 * What one process under valgrind runs (`node -e "require(bundle).child([...])"`): decide <policy>
 * <idle> <n> runs the warm-up then n counted decisions; simulate <policy> <workload> <runs> runs that
 * many simulations and prints their layer executions.
 */
export function child(args: string[]): void {
  const [mode, policy, a, b] = args;
  if (mode === 'decide') {
    const snap = decisionSnapshot(Number(a));
    const p = createPolicy(policy);
    decisionTurn(p, snap, WARMUP_DECISIONS);
    if (Number(b) > 0) decisionTurn(p, snap, Number(b));
    return;
  }
  const w = workloads[a as keyof typeof workloads]();
  let layers = 0;
  for (let r = 0; r < Number(b); r++) layers += simulate(w, createPolicy(policy), { duration: SIM_SECONDS, seed: 100 + r, latencyNoise: 0.1, jobNoise: 0.1 }).layerExecutions;
  process.stdout.write(`layers ${layers}\n`);
}

interface Counts {
  instructions: number;
  /** NaN without the cache simulation. */
  i1Misses: number;
  /** Layer executions a `simulate` child printed (NaN for `decide`). */
  layers: number;
}

/**
 * The totals of cachegrind's summary (stderr): `==PID== I refs:  1,234,567` and, with the cache
 * simulation, `==PID== I1  misses:  8,901` (NaN where absent).
 */
export function cachegrindSummary(stderr: string): { instructions: number; i1Misses: number } {
  const num = (re: RegExp) => Number((stderr.match(re)?.[1] ?? 'NaN').replace(/,/g, ''));
  return { instructions: num(/I\s+refs:\s+([\d,]+)/), i1Misses: num(/I1\s+misses:\s+([\d,]+)/) };
}

/** One process under cachegrind: its instruction count (and I1 misses with cacheSim), from valgrind's summary. */
function counted(bundle: string, args: string[], cacheSim: boolean): Promise<Counts> {
  const script = `require(${JSON.stringify(bundle)}).child(${JSON.stringify(args)})`;
  const vg = ['--tool=cachegrind', `--cache-sim=${cacheSim ? 'yes' : 'no'}`, '--cachegrind-out-file=/dev/null', process.execPath, '--predictable', '--hash-seed=1', '--random-seed=1', '-e', script];
  return new Promise((resolve, reject) => {
    const c = spawn('valgrind', vg, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('error', reject);
    c.on('close', (code) => {
      const s = cachegrindSummary(err);
      if (code !== 0 || !(s.instructions > 0)) return reject(new Error(`valgrind ${args.join(' ')} exited ${code}: ${err.split('\n').slice(-8).join('\n')}`));
      resolve({ ...s, layers: Number(out.match(/layers (\d+)/)?.[1] ?? NaN) });
    });
  });
}

/** Runs the tasks, at most `jobs` at a time, in order of submission; progress on stderr (each process under valgrind takes tens of seconds). */
async function pool<T>(tasks: (() => Promise<T>)[], jobs: number, what: string): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const k = next++;
      out[k] = await tasks[k]();
      process.stderr.write(`  ${what}: ${++done}/${tasks.length} processes done\n`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, tasks.length)) }, worker));
  return out;
}

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const log = (s: string) => (json ? process.stderr.write(s) : process.stdout.write(s));
  const opt = (name: string) => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const v = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  if (v.status !== 0) {
    process.stderr.write('scheduler-instructions needs valgrind (cachegrind counts the instructions), and it was not found on PATH: install it (Debian/Ubuntu: `apt install valgrind`), or use `npm run bench -- scheduler` (CPU time).\n');
    return 2;
  }
  const all = policyNames();
  const policies = opt('--policies')?.split(',') ?? all;
  const unknown = policies.filter((p) => !all.includes(p));
  if (unknown.length) {
    process.stderr.write(`Unknown policy ${unknown.join(', ')}: the policies are ${all.join(', ')}\n`);
    return 2;
  }
  const idles = (opt('--idle') ?? '1,4').split(',').map(Number);
  if (idles.some((i) => !(i >= 1 && i <= 4 && Number.isInteger(i)))) {
    process.stderr.write(`--idle takes idle lane counts from 1 to 4 (the snapshot has 4 lanes), comma-separated; got "${opt('--idle')}"\n`);
    return 2;
  }
  const jobs = Number(opt('--jobs') ?? os.cpus().length);
  // This suite's own bundle (scripts/bench.mjs writes it to dist/bench/<suite>.cjs) runs in the children.
  const bundle = __filename;
  const names = ['edf', ...policies.filter((p) => p !== 'edf')];
  log(`Instructions per decide() (valgrind ${v.stdout.trim()}, node ${process.version}; ${COUNTED_DECISIONS} counted decisions after ${WARMUP_DECISIONS}), 8 tenants x 4 lanes x 64 ready jobs\n`);
  const tasks: (() => Promise<Counts>)[] = [];
  for (const idle of idles) for (const p of names) for (const n of [0, COUNTED_DECISIONS]) tasks.push(() => counted(bundle, ['decide', p, String(idle), String(n)], false));
  const res = await pool(tasks, jobs, 'decisions');
  const decisions: { policy: string; idle: number; instructions: number; perEdf: number }[] = [];
  let k = 0;
  for (const idle of idles) {
    let edf = NaN;
    for (const p of names) {
      const per = (res[k + 1].instructions - res[k].instructions) / COUNTED_DECISIONS;
      k += 2;
      if (p === 'edf') edf = per;
      decisions.push({ policy: p, idle, instructions: per, perEdf: per / edf });
      log(`  ${String(idle).padStart(1)} idle  ${p.padEnd(13)} ${Math.round(per).toLocaleString('en').padStart(9)} instructions  ${(per / edf).toFixed(2)}x EDF\n`);
    }
  }
  const throughput: { workload: string; policy: string; instructionsPerLayer: number; i1MissesPerLayer: number }[] = [];
  if (argv.includes('--throughput')) {
    log(`Instructions and L1 instruction-cache misses per simulated layer execution (3 runs minus 1 run of ${SIM_SECONDS} simulated s)\n`);
    const simTasks: (() => Promise<Counts>)[] = [];
    const keys = Object.keys(workloads);
    for (const wl of keys) for (const p of policies) for (const runs of [1, 3]) simTasks.push(() => counted(bundle, ['simulate', p, wl, String(runs)], true));
    const sres = await pool(simTasks, jobs, 'simulations');
    let q = 0;
    for (const wl of keys) {
      for (const p of policies) {
        const [a, b] = [sres[q], sres[q + 1]];
        q += 2;
        const layers = b.layers - a.layers;
        const t = { workload: wl, policy: p, instructionsPerLayer: (b.instructions - a.instructions) / layers, i1MissesPerLayer: (b.i1Misses - a.i1Misses) / layers };
        throughput.push(t);
        log(`  ${wl.padEnd(10)} ${p.padEnd(13)} ${Math.round(t.instructionsPerLayer).toLocaleString('en').padStart(7)} instructions  ${t.i1MissesPerLayer.toFixed(1).padStart(6)} I1 misses per layer execution\n`);
      }
    }
  }
  if (json) process.stdout.write(JSON.stringify({ machine: { node: process.version, valgrind: v.stdout.trim() }, decisions, throughput }, null, 2) + '\n');
  return 0;
}
