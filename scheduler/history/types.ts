// The shapes of stored simulations (simulations-store.ts) and of what simulate.compare returns. Types
// only: the renderer and the pure comparison (compare.ts) import them without the store's I/O.
import type { Comparison } from '../core/compare';
import type { WorkloadSummary } from '../core/workload';

/** The timeline of one simulated run, as the Simulate view draws it. */
export interface Timeline {
  policy: string;
  seed: number;
  lanes: string[];
  tenants: string[];
  horizon: number;
  /** Slices in time order: [tenant, lane, layer, start, end, kind (0 layer, 1 transfer), job]. */
  slices: [number, number, number, number, number, 0 | 1, number][];
  truncated: boolean;
  /** Per job: [tenant, release, deadline, finish (null = dropped), dropped]. */
  jobs: [number, number, number, number | null, boolean][];
}

/** What simulate.compare returns. */
export interface SimulateResult {
  scenario: string;
  summary: WorkloadSummary;
  lanes: { id: string; kind: string; busyWatts: number; idleWatts: number }[];
  comparison: Comparison;
  timeline?: Timeline;
  elapsedSec: number;
  /** The id it was stored under (simulations.get); absent when it could not be stored (see saveError). */
  savedId?: string;
  /** Why the result could not be stored (the result itself is still returned). */
  saveError?: string;
}

export interface StoredSimulation {
  schemaVersion: number;
  id: string;
  /** When the result was stored (ISO 8601). */
  createdAt: string;
  scenario: string;
  policies: string[];
  lanes: string[];
  /** The load the rates were scaled to, if one was asked (or found). */
  load?: number;
  seeds: number[];
  durationSec: number;
  /** The simulate.compare parameters as run (defaults applied): enough to run it again. */
  params: Record<string, unknown>;
  result: SimulateResult;
}

export interface SimulationSummary {
  id: string;
  createdAt: string;
  scenario: string;
  policies: string[];
  lanes: string[];
  load?: number;
  seeds: number;
  durationSec: number;
  /** measured (profiles) or synthetic (generated latency tables). */
  latencySource?: 'measured' | 'synthetic';
  /** The policy with the lowest mean miss rate among those that finished frames. */
  best?: { policy: string; missRate: number };
  bytes: number;
  /** Set when the file could not be read as a stored simulation: what is wrong. */
  error?: string;
}

