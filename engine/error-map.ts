// The one place that decides which engine error code a library error gets. The engine applies it
// to whatever a method throws (engine.ts: toWireError), so features throw the libraries' own
// errors and need no mapper of their own; an EngineError thrown on purpose keeps its code.
import { FileAccessError } from '../base/files';
import { ModelLoadError } from '../profiler/onnx/model';
import { ShapeError } from '../profiler/onnx/shapes';
import { ProfileStoreError } from '../profiler/store';
import { ParityFolderError } from '../scheduler/dysta-io';
import { LiveSetupError } from '../scheduler/live/models';
import { RunStoreError } from '../scheduler/live/runs-store';
import { ScheduleError } from '../scheduler/schedule/file';
import { CompareError } from '../scheduler/history/compare';
import { SimulationStoreError } from '../scheduler/history/simulations-store';
import { SimWorkloadError } from '../scheduler/sim-workload';
import { TuneCancelled } from '../scheduler/tune-run';
import { DemandError } from '../workloads/demand';
import { ModelResolveError } from '../workloads/library';
import { ScenarioError } from '../workloads/scenario';
import { XrbenchParseError } from '../workloads/xrbench';
import { EngineError, type ErrorCode } from './errors';

const FILE_ACCESS_CODES: Record<FileAccessError['code'], ErrorCode> = { 'not-found': 'not-found', 'not-a-file': 'not-a-file', 'too-large': 'too-large', 'not-allowed': 'forbidden', unreadable: 'forbidden' };
const RUN_STORE_CODES: Record<RunStoreError['code'], ErrorCode> = { 'bad-id': 'bad-request', 'not-found': 'not-found', 'missing-file': 'not-found', corrupt: 'bad-run', 'too-large': 'too-large', io: 'failed' };
const SIM_STORE_CODES: Record<SimulationStoreError['code'], ErrorCode> = { 'bad-id': 'bad-request', 'not-found': 'not-found', corrupt: 'bad-run', io: 'failed' };

/** The code of an error: the EngineError's own, a library error's by its class, 'cancelled' for an abort, else 'failed'. */
export function errorCode(e: unknown): ErrorCode {
  if (e instanceof EngineError) return e.code;
  if (e instanceof ScenarioError || e instanceof XrbenchParseError || e instanceof SimWorkloadError || e instanceof LiveSetupError) return 'bad-scenario';
  if (e instanceof DemandError || e instanceof ParityFolderError) return 'bad-request';
  if (e instanceof ModelLoadError || e instanceof ModelResolveError) return 'bad-model';
  if (e instanceof ShapeError) return 'bad-shape';
  if (e instanceof ProfileStoreError) return e.code === 'not-found' ? 'not-found' : 'bad-profile';
  if (e instanceof RunStoreError) return RUN_STORE_CODES[e.code];
  if (e instanceof SimulationStoreError) return SIM_STORE_CODES[e.code];
  if (e instanceof CompareError) return 'bad-request';
  // A refused read of a caller-given path (base/files.ts) that no library wrapped in its own error.
  if (e instanceof FileAccessError) return FILE_ACCESS_CODES[e.code];
  if (e instanceof ScheduleError) return e.code === 'not-found' ? 'not-found' : 'bad-schedule';
  if (e instanceof TuneCancelled) return 'cancelled';
  if (e instanceof Error && e.name === 'AbortError') return 'cancelled';
  return 'failed';
}
