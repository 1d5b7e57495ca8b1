// Lane layouts the tuner tries, from the lanes every profile measured. Pure.
//
// CPU: for each measured CPU lane `cpu:k` (k intra-op threads), as many copies as the machine's
// cores allow (floor(cores / k), at least 1, at most 4): one cpu:2 or two cpu:1 on a 2-core machine.
// Device lanes (every non-CPU lane): all of them, and each alone when there are several; each CPU
// choice with each device choice, and the devices without a CPU lane. At most `max` layouts (8),
// the first being the default, what an untuned run uses unless given: the live runtime's default
// CPU lanes (two of half the cores each, one core kept free above 2 cores: scheduler/live/lanes.ts)
// when measured, else the smallest measured CPU lane as many times as the cores allow, plus every
// device lane. Never every measured lane at once: cpu:1 + cpu:2 on 2 cores oversubscribes them.

/** "cpu:2#1" -> "cpu:2": the lane id as a profile measured it. */
export const measuredLane = (id: string) => id.replace(/#\d+$/, '');

const cpuThreads = (id: string): number | undefined => {
  const m = /^cpu:(\d+)$/.exec(measuredLane(id));
  return m ? Number(m[1]) : undefined;
};

export function laneLayouts(measured: readonly string[], cores: number, first?: readonly string[], max = 8): string[][] {
  const ids = [...new Set(measured.map(measuredLane))];
  const cpus = ids.filter((id) => cpuThreads(id) !== undefined);
  const devices = ids.filter((id) => cpuThreads(id) === undefined);
  const cpuChoices: string[][] = cpus.map((id) => Array.from({ length: Math.min(4, Math.max(1, Math.floor(cores / cpuThreads(id)!))) }, () => id));
  const deviceChoices: string[][] = devices.length ? [devices, ...(devices.length > 1 ? devices.map((d) => [d]) : [])] : [];
  const out: string[][] = [];
  const add = (l: string[]) => {
    if (l.length && !out.some((o) => o.join(',') === l.join(','))) out.push(l);
  };
  const half = Math.max(1, Math.floor((cores > 2 ? cores - 1 : cores) / 2));
  const smallest = [...cpus].sort((a, b) => cpuThreads(a)! - cpuThreads(b)!)[0];
  const defaultCpu = cpus.includes(`cpu:${half}`) ? [`cpu:${half}`, `cpu:${half}`] : smallest ? Array.from({ length: Math.min(4, Math.max(1, Math.floor(cores / cpuThreads(smallest)!))) }, () => smallest) : [];
  add(first?.length ? first.map(measuredLane) : [...defaultCpu, ...devices]);
  for (const c of cpuChoices.length ? cpuChoices : [[]]) for (const d of deviceChoices.length ? deviceChoices : [[]]) add([...c, ...d]);
  for (const c of cpuChoices) add(c);
  for (const d of deviceChoices) add(d);
  return out.slice(0, max);
}
