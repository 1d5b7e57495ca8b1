// The machine's background load at a moment: load average and the CPU time other processes take
// (Linux /proc/stat, this process's own time taken out). A live run measures it at its start; the
// machine calibration records it (machine-calibration.ts). Kept apart so the runtime's import graph
// stays small (the tessera/runtime entry).
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import type { BackgroundLoad } from '../core/calibration';

/** Linux: jiffies busy and total over all CPUs (/proc/stat), or undefined. */
function procStat(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** The machine's background load over `windowMs`: load average, and other processes' CPU time in cores (this process's own time taken out). */
export async function measureBackground(windowMs = 300): Promise<BackgroundLoad> {
  const cores = availableParallelism();
  const a = procStat();
  const ca = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, windowMs));
  const b = procStat();
  const ours = process.cpuUsage(ca);
  const dt = (performance.now() - t0) / 1000;
  let othersBusyCores = NaN;
  if (a && b && b.total > a.total) {
    const busyCores = ((b.busy - a.busy) / (b.total - a.total)) * cores;
    othersBusyCores = Math.max(0, busyCores - (ours.user + ours.system) / 1e6 / dt);
  }
  return { at: new Date().toISOString(), loadavg1: loadavg()[0], cores, othersBusyCores, windowMs };
}

