// A scenario tenant (workloads format, milliseconds) in the scheduler's terms (seconds): shared by
// the simulator's workload builder and the live runtime.
import type { Tenant } from '../workloads/scenario';
import type { TenantDef } from './core/types';

/** A scenario tenant's arrivals, deadline, priority, cascade and SLOs in the scheduler's units (seconds). */
export function timing(t: Tenant): Omit<TenantDef, 'model' | 'layers'> {
  const a = t.arrival;
  return {
    id: t.id,
    arrival: a.type === 'periodic' ? { type: 'periodic', fps: a.fps, jitter: a.jitterMs !== undefined ? a.jitterMs / 1000 : undefined, phase: a.phaseMs !== undefined ? a.phaseMs / 1000 : undefined } : { type: 'poisson', ratePerSec: a.ratePerSec },
    deadline: t.deadlineMs !== undefined ? t.deadlineMs / 1000 : undefined,
    priority: t.priority ?? 3,
    cascade: t.cascade,
    slos: t.slos ? { minAccuracy: t.slos.minAccuracy, minThroughput: t.slos.minThroughputFps, maxLatency: t.slos.maxLatencyMs !== undefined ? t.slos.maxLatencyMs / 1000 : undefined } : undefined,
    accuracyBudget: t.accuracyBudget,
    baseAccuracy: t.baseAccuracy,
  };
}
