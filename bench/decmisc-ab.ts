// `npm run bench -- decmisc-ab [--reps N]`
// Convergo's, Terastal's and HEFT's decision cost before and after the issue-10 work, measured in one
// process: EDF, the frozen pre-work copies (test/fixtures/decmisc/*-reference.ts, test/fixtures/heft-reference.ts) and the current
// policies take turns on the scheduler bench's snapshots (bench/scheduler.ts: 8 tenants x 4 lanes x
// 64 ready jobs, one layer end's refinement update before every decide()), 1000 decisions per turn.
// Prints the median process-CPU microseconds per decide() of each, its ratio to EDF (issue 10's
// target: <= 3x), and the median of the per-turn ratios new/old (alternation cancels most of a busy
// machine's drift).
import os from 'node:os';
import { createPolicy } from '../scheduler/core/policies';
import type { Policy } from '../scheduler/core/types';
import { convergo as convergoRef } from '../test/fixtures/decmisc/convergo-reference';
import { terastal as terastalRef } from '../test/fixtures/decmisc/terastal-reference';
import { heftReference } from '../test/fixtures/heft-reference';
import { decisionSnapshot } from './scheduler';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function turn(p: Policy, snap: ReturnType<typeof decisionSnapshot>, n: number): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    snap.layerEnd(i);
    p.decide(snap);
  }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}

/** `extra`: more policies to take turns with the others (e.g. copies of an intermediate version). */
export async function main(argv: string[], extra: Record<string, () => Policy> = {}): Promise<number> {
  const at = argv.indexOf('--reps');
  const reps = at >= 0 ? Number(argv[at + 1]) : 31;
  process.stdout.write(`Convergo, Terastal, HEFT decision cost, old (frozen reference) vs new, alternating in one process (node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, ${reps} turns of 1000 decisions each)\n`);
  for (const idle of [4, 1]) {
    const snap = decisionSnapshot(idle);
    const make: Record<string, () => Policy> = { edf: () => createPolicy('edf'), convergo_old: () => convergoRef(), convergo: () => createPolicy('convergo'), terastal_old: () => terastalRef(), terastal: () => createPolicy('terastal'), heft_old: () => heftReference(), heft: () => createPolicy('heft'), ...extra };
    const ps = Object.fromEntries(Object.entries(make).map(([k, f]) => [k, f()]));
    for (const p of Object.values(ps)) turn(p, snap, 3000); // warm-up (JIT)
    const us: Record<string, number[]> = Object.fromEntries(Object.keys(ps).map((k) => [k, []]));
    const ratio = { convergo: [] as number[], terastal: [] as number[], heft: [] as number[] };
    for (let r = 0; r < reps; r++) {
      for (const [k, p] of Object.entries(ps)) us[k].push(turn(p, snap, 1000));
      ratio.convergo.push(us.convergo[r] / us.convergo_old[r]);
      ratio.terastal.push(us.terastal[r] / us.terastal_old[r]);
      ratio.heft.push(us.heft[r] / us.heft_old[r]);
    }
    const edf = median(us.edf);
    const cells = Object.keys(ps).map((k) => `${k} ${median(us[k]).toFixed(2)} us (x${(median(us[k]) / edf).toFixed(2)} EDF)`);
    process.stdout.write(`  ${idle} idle: ${cells.join(', ')}; new/old per turn: convergo ${median(ratio.convergo).toFixed(3)}, terastal ${median(ratio.terastal).toFixed(3)}, heft ${median(ratio.heft).toFixed(3)}\n`);
  }
  process.stdout.write(`  load average after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
  return 0;
}
