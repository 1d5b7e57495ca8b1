// A live run's record as it goes, so that a run killed mid-way (kill -9, a crash, power loss) still
// leaves what it measured: under the run's folder (runs-store.ts' layout),
//   events.ndjson  append-only, one JSON object a line: start, ended frames per telemetry tick,
//                  policy switches, lane failures, snapshots, end
//   report.json    a report snapshot (status 'running') replaced atomically (temp file + rename)
//                  every few seconds, then by the final report
// After a kill, runs-store lists the run as 'interrupted' with the last snapshot's figures.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EVENTS_FILE, runDir, RUN_FILES } from './runs-store';
import type { LiveReport } from './types';

export type JournalEvent =
  | { type: 'start'; runId: string; pid: number; startedAt: string; scenario: string; policy: string; lanes: string[]; durationSec: number }
  /** Frames that ended since the previous line: [id, tenant, release, deadline, finish | null, drop cause | null]; omitted: beyond the per-tick cap. */
  | { type: 'jobs'; t: number; jobs: [number, number, number, number, number | null, string | null][]; omitted: number }
  | { type: 'policy'; t: number; policy: string }
  | { type: 'fault'; t: number; lane: string; reason: string }
  | { type: 'model-switch'; t: number; tenant: string; to: 'variant' | 'original'; detail: string }
  | { type: 'snapshot'; t: number; released: number; finished: number; dropped: number }
  | { type: 'end'; t: number; status: LiveReport['status']; error?: string };

export class RunJournal {
  readonly dir: string;
  private readonly events: WriteStream;
  private writing: Promise<void> | undefined;
  private failure: string | undefined;

  constructor(runId: string) {
    this.dir = runDir(runId);
    mkdirSync(this.dir, { recursive: true });
    this.events = createWriteStream(join(this.dir, EVENTS_FILE), { flags: 'a' });
    this.events.on('error', (e) => (this.failure ??= `${EVENTS_FILE}: ${e.message}`));
  }

  /** The first write error, if any (the run goes on; the report says so). */
  get error(): string | undefined {
    return this.failure;
  }

  event(e: JournalEvent): void {
    if (!this.events.writable) return;
    this.events.write(JSON.stringify(e) + '\n');
  }

  /** True while a snapshot is being written (the next one waits for its turn). */
  get busy(): boolean {
    return this.writing !== undefined;
  }

  /** Replaces report.json with this snapshot, atomically; skipped while the previous one is being written. */
  snapshot(report: LiveReport): void {
    if (this.writing) return;
    const file = join(this.dir, RUN_FILES.report);
    const tmp = `${file}.tmp-${process.pid}`;
    this.writing = (async () => {
      try {
        await writeFile(tmp, JSON.stringify(report, null, 2));
        await rename(tmp, file);
      } catch (e) {
        this.failure ??= `report snapshot: ${(e as Error).message}`;
        await rm(tmp, { force: true }).catch(() => {});
      } finally {
        this.writing = undefined;
      }
    })();
  }

  /** Waits for a snapshot being written (before the final report replaces it). */
  async settle(): Promise<void> {
    await this.writing;
  }

  /** Writes the end event and closes the events file. */
  async close(end?: JournalEvent): Promise<void> {
    await this.settle();
    if (end) this.event(end);
    if (this.events.writable) await new Promise<void>((resolve) => this.events.end(resolve));
  }
}
