// Per-job traces as Chrome trace-event JSON (opens in Perfetto, ui.perfetto.dev, and
// chrome://tracing) and as CSV.
// Trace layout: one process (the run); one track (tid) per lane, named after the lane; a complete
// slice ('X') per layer run and per activation transfer; a flow ('s' -> 't' ... -> 'f') per job
// linking its layer slices across lanes; an instant event on a "frames" track per dropped frame.
// Times in microseconds, as the format wants.
import type { JobRecord, Slice } from './simulator';
import type { PolicyEvent, SimWorkload } from './types';

export interface TraceEvent {
  name: string;
  ph: 'X' | 'M' | 's' | 't' | 'f' | 'i';
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  cat?: string;
  id?: number;
  bp?: 'e';
  s?: 't' | 'p' | 'g';
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  metadata: Record<string, unknown>;
}

const US = 1e6;

export function chromeTrace(workload: SimWorkload, run: { slices: readonly Slice[]; jobs?: readonly JobRecord[]; policyEvents?: readonly PolicyEvent[] }, meta: Record<string, unknown> = {}): ChromeTrace {
  const nL = workload.lanes.length;
  const framesTid = nL + 1;
  const events: TraceEvent[] = [{ name: 'process_name', ph: 'M', ts: 0, pid: 1, tid: 0, args: { name: `Tessera: ${workload.name}` } }];
  workload.lanes.forEach((lane, i) => {
    events.push({ name: 'thread_name', ph: 'M', ts: 0, pid: 1, tid: i + 1, args: { name: `lane ${lane.id} (${lane.kind})` } });
    events.push({ name: 'thread_sort_index', ph: 'M', ts: 0, pid: 1, tid: i + 1, args: { sort_index: i } });
  });
  events.push({ name: 'thread_name', ph: 'M', ts: 0, pid: 1, tid: framesTid, args: { name: 'frames (drops)' } });
  events.push({ name: 'thread_sort_index', ph: 'M', ts: 0, pid: 1, tid: framesTid, args: { sort_index: nL } });

  const byJob = new Map<number, Slice[]>();
  for (const s of run.slices) {
    const tenant = workload.tenants[s.tenant];
    const layer = tenant.layers[s.layer];
    events.push({
      name: s.kind === 'transfer' ? `move → ${tenant.id} L${s.layer}` : `${tenant.id} L${s.layer}`,
      cat: s.kind,
      ph: 'X',
      ts: s.start * US,
      dur: Math.max(0, (s.end - s.start) * US),
      pid: 1,
      tid: s.lane + 1,
      args: { job: s.job, tenant: tenant.id, layer: layer?.name ?? s.layer, variant: layer?.variants[s.variant]?.id ?? s.variant },
    });
    if (s.kind === 'layer') {
      let list = byJob.get(s.job);
      if (!list) byJob.set(s.job, (list = []));
      list.push(s);
    }
  }
  for (const [job, list] of byJob) {
    if (list.length < 2) continue;
    list.sort((a, b) => a.start - b.start);
    for (let i = 0; i < list.length; i++) {
      const s = list[i];
      const ph = i === 0 ? 's' : i === list.length - 1 ? 'f' : 't';
      // Flow points sit inside their slice (mid-point) so that Perfetto binds them to it.
      const ev: TraceEvent = { name: `job ${job}`, cat: 'job', ph, id: job, ts: ((s.start + s.end) / 2) * US, pid: 1, tid: s.lane + 1 };
      if (ph !== 's') ev.bp = 'e';
      events.push(ev);
    }
  }
  for (const j of run.jobs ?? []) {
    if (!j.dropped) continue;
    const tenant = workload.tenants[j.tenant];
    events.push({ name: `drop ${tenant.id} #${j.frame}`, cat: 'drop', ph: 'i', s: 't', ts: (j.start >= 0 ? Math.max(j.release, j.start) : j.release) * US, pid: 1, tid: framesTid, args: { job: j.id, reason: j.dropReason, release: j.release, deadline: j.deadline } });
  }
  // The policy's switches (DREAM's model variants), global instants.
  for (const e of run.policyEvents ?? []) events.push({ name: e.detail, cat: e.kind, ph: 'i', s: 'g', ts: e.time * US, pid: 1, tid: framesTid, args: { tenant: workload.tenants[e.tenant]?.id } });
  return { traceEvents: events, displayTimeUnit: 'ms', metadata: { latencySource: workload.latencySource, energySource: workload.energySource, ...meta } };
}

function csvCell(v: unknown): string {
  const s = String(v ?? '');
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per slice: job, tenant, kind, lane, layer, variant, start_s, end_s. */
export function slicesCsv(workload: SimWorkload, slices: readonly Slice[]): string {
  const rows = ['job,tenant,kind,lane,layer,variant,start_s,end_s'];
  for (const s of slices) {
    const t = workload.tenants[s.tenant];
    rows.push([s.job, t.id, s.kind, workload.lanes[s.lane].id, t.layers[s.layer]?.name ?? s.layer, t.layers[s.layer]?.variants[s.variant]?.id ?? s.variant, s.start, s.end].map(csvCell).join(','));
  }
  return rows.join('\n') + '\n';
}

/** One row per job (frame): its release, deadline, start, finish or drop. */
export function jobsCsv(workload: SimWorkload, jobs: readonly JobRecord[]): string {
  const rows = ['job,tenant,frame,release_s,deadline_s,start_s,finish_s,dropped,drop_reason,late,accuracy_used,upstream'];
  for (const j of jobs) {
    rows.push([j.id, workload.tenants[j.tenant].id, j.frame, j.release, j.deadline, Number.isNaN(j.start) ? '' : j.start, j.dropped ? '' : j.finish, j.dropped, j.dropReason ?? '', !j.dropped && j.finish > j.deadline, j.accuracyUsed, j.upstream].map(csvCell).join(','));
  }
  return rows.join('\n') + '\n';
}

/** Kept for callers of the first version: the slices CSV. */
export const traceCsv = slicesCsv;
