// Per-job traces: Chrome trace-event JSON (opens in Perfetto / chrome://tracing: one track per lane,
// a slice per layer or transfer, a flow arrow per job linking its slices) and CSV.
import type { Slice } from './simulator';
import type { SimWorkload } from './types';

export interface TraceEvent {
  name: string;
  ph: 'X' | 'M' | 's' | 't' | 'f';
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  cat?: string;
  id?: number;
  bp?: 'e';
  args?: Record<string, unknown>;
}

export function chromeTrace(workload: SimWorkload, slices: Slice[], meta: Record<string, unknown> = {}): { traceEvents: TraceEvent[]; displayTimeUnit: 'ms'; metadata: Record<string, unknown> } {
  const events: TraceEvent[] = [{ name: 'process_name', ph: 'M', ts: 0, pid: 1, tid: 0, args: { name: `Tessera: ${workload.name}` } }];
  workload.lanes.forEach((lane, i) => events.push({ name: 'thread_name', ph: 'M', ts: 0, pid: 1, tid: i + 1, args: { name: `lane ${lane.id} (${lane.kind})` } }));
  const byJob = new Map<number, Slice[]>();
  for (const s of slices) {
    const tenant = workload.tenants[s.tenant];
    events.push({
      name: s.kind === 'transfer' ? `transfer → ${tenant.id}` : `${tenant.id} L${s.layer}`,
      cat: s.kind,
      ph: 'X',
      ts: s.start * 1e6,
      dur: Math.max(0, (s.end - s.start) * 1e6),
      pid: 1,
      tid: s.lane + 1,
      args: { job: s.job, tenant: tenant.id, layer: s.layer, variant: tenant.layers[s.layer]?.variants[s.variant]?.id },
    });
    if (s.kind === 'layer') (byJob.get(s.job) ?? byJob.set(s.job, []).get(s.job)!).push(s);
  }
  for (const [job, list] of byJob) {
    if (list.length < 2) continue;
    list.forEach((s, i) => {
      const ph = i === 0 ? 's' : i === list.length - 1 ? 'f' : 't';
      events.push({ name: `job ${job}`, cat: 'job', ph, id: job, ts: s.start * 1e6 + (ph === 's' ? 0.001 : 0.001), pid: 1, tid: s.lane + 1, ...(ph !== 's' ? { bp: 'e' as const } : {}) });
    });
  }
  return { traceEvents: events, displayTimeUnit: 'ms', metadata: { latencySource: workload.latencySource, energySource: workload.energySource, ...meta } };
}

export function traceCsv(workload: SimWorkload, slices: Slice[]): string {
  const rows = ['job,tenant,kind,lane,layer,variant,start_s,end_s'];
  for (const s of slices) {
    const t = workload.tenants[s.tenant];
    rows.push([s.job, t.id, s.kind, workload.lanes[s.lane].id, s.layer, t.layers[s.layer]?.variants[s.variant]?.id ?? '', s.start, s.end].join(','));
  }
  return rows.join('\n') + '\n';
}
