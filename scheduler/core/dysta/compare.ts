// Comparing a run with the reference simulator's outputs: per-task finish times and violated flags,
// and the decision log (the first step that differs is where to start debugging).
import type { DystaDecision, DystaTaskResult } from './types';

export const PARITY_TOLERANCE_S = 1e-9;

export interface TasksComparison {
  /** Same task count, ids, violated flags, and every finish within the tolerance. */
  match: boolean;
  compared: number;
  /** Largest |finish - reference finish| over the tasks compared. */
  worstFinishDiff: number;
  /** The first task that differs, in request order. */
  firstMismatch?: { index: number; reason: string; ours?: DystaTaskResult; reference?: DystaTaskResult };
}

export function compareTasks(ours: readonly DystaTaskResult[], reference: readonly DystaTaskResult[], tolerance = PARITY_TOLERANCE_S): TasksComparison {
  let worst = 0;
  let firstMismatch: TasksComparison['firstMismatch'];
  const n = Math.min(ours.length, reference.length);
  for (let i = 0; i < n; i++) {
    const a = ours[i];
    const b = reference[i];
    const diff = Math.abs(a.finishTime - b.finishTime);
    if (diff > worst || Number.isNaN(diff)) worst = Number.isNaN(diff) ? Infinity : diff;
    if (firstMismatch) continue;
    const reason =
      a.taskId !== b.taskId ? 'task id'
      : !(diff <= tolerance) ? 'finish time'
      : a.violated !== b.violated ? 'violated flag'
      : !(Math.abs(a.targetTime - b.targetTime) <= tolerance) ? 'target time'
      : undefined;
    if (reason) firstMismatch = { index: i, reason, ours: a, reference: b };
  }
  if (!firstMismatch && ours.length !== reference.length) {
    firstMismatch = { index: n, reason: `task count (ours ${ours.length}, reference ${reference.length})`, ours: ours[n], reference: reference[n] };
  }
  return { match: firstMismatch === undefined, compared: n, worstFinishDiff: worst, firstMismatch };
}

/** The first step where the decision logs differ (task, layer, or time beyond the tolerance), or undefined. */
export function firstDecisionDivergence(
  ours: readonly DystaDecision[],
  reference: readonly DystaDecision[],
  tolerance = PARITY_TOLERANCE_S,
): { step: number; ours?: DystaDecision; reference?: DystaDecision } | undefined {
  const n = Math.min(ours.length, reference.length);
  for (let i = 0; i < n; i++) {
    const a = ours[i];
    const b = reference[i];
    if (a.taskId !== b.taskId || a.layerIdx !== b.layerIdx || !(Math.abs(a.sysTimeBefore - b.sysTimeBefore) <= tolerance) || !(Math.abs(a.layerLat - b.layerLat) <= tolerance)) {
      return { step: i, ours: a, reference: b };
    }
  }
  return ours.length === reference.length ? undefined : { step: n, ours: ours[n], reference: reference[n] };
}
