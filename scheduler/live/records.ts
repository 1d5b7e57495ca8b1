// What a live run keeps of what happened, within caps that keep memory bounded: the job records and
// the trace slices for the report (the oldest tenth gives way at a cap), the items of the next
// telemetry batch (beyond its cap they are counted as omitted), and the lane-to-lane moves.
import type { LiveJobRecord, LiveSlice, TelemetryJob, TelemetrySlice } from './types';

export interface RecordCaps {
  slices: number;
  jobs: number;
  telemetryItems: number;
}

export class RunRecords {
  records: LiveJobRecord[] = [];
  recordsDropped = 0;
  slices: LiveSlice[] = [];
  slicesDropped = 0;
  readonly transfers = { count: 0, bytes: 0, samples: [] as number[] };
  private pendingJobs: TelemetryJob[] = [];
  private pendingSlices: TelemetrySlice[] = [];
  private omitted = { jobs: 0, slices: 0 };

  constructor(readonly caps: RecordCaps) {}

  /** A job was created: keep its record (the same object: it fills in as the job runs). */
  addJob(r: LiveJobRecord): void {
    this.records.push(r);
    if (this.records.length > this.caps.jobs) {
      const n = Math.ceil(this.caps.jobs / 10);
      this.records.splice(0, n);
      this.recordsDropped += n;
    }
  }

  /** A job ended: it goes in the next telemetry batch. */
  jobEnded(r: LiveJobRecord): void {
    if (this.pendingJobs.length < this.caps.telemetryItems) this.pendingJobs.push({ id: r.id, tenant: r.tenant, release: r.release, deadline: r.deadline, finish: r.dropped ? null : r.finish, dropped: r.dropped, reason: r.dropReason });
    else this.omitted.jobs++;
  }

  addSlice(s: LiveSlice): void {
    this.slices.push(s);
    if (this.slices.length > this.caps.slices) {
      const n = Math.ceil(this.caps.slices / 10);
      this.slices.splice(0, n);
      this.slicesDropped += n;
    }
    if (this.pendingSlices.length < this.caps.telemetryItems) this.pendingSlices.push({ job: s.job, tenant: s.tenant, lane: s.lane, layer: s.layer, start: s.start, end: s.end, kind: s.kind });
    else this.omitted.slices++;
  }

  addTransfer(bytes: number, us: number): void {
    this.transfers.count++;
    this.transfers.bytes += bytes;
    if (this.transfers.samples.length < 100_000) this.transfers.samples.push(us);
  }

  /** The items for the next telemetry batch (and starts a new one). */
  takeTelemetry(): { jobs: TelemetryJob[]; slices: TelemetrySlice[]; omitted: { jobs: number; slices: number } } {
    const out = { jobs: this.pendingJobs, slices: this.pendingSlices, omitted: this.omitted };
    this.pendingJobs = [];
    this.pendingSlices = [];
    this.omitted = { jobs: 0, slices: 0 };
    return out;
  }
}
