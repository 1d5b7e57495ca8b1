// Scenarios for live runs: anything the scenario library loads (workloads/scenario-library.ts: library
// ids such as xrbench/vr_gaming or mixed/reading_assistant, user/NAME, a .json scenario file, an
// XRBench .m file), or a built-in demo ("demo", "demo:tiny": synthetic builder-made models, see
// demo.ts). Every model reference is resolved by the model library (workloads/library.ts) to its
// bytes, input shapes and fixed input values before the run starts.
import { resolveModel } from '../../workloads/library';
import { describeModelRef, type Scenario } from '../../workloads/scenario';
import { loadScenario as loadLibraryScenario } from '../../workloads/scenario-library';
import { timing } from '../tenant-timing';
import { demoScenario } from './demo';
import { LiveSetupError } from './models';
import type { LiveScenario, LiveTenantSpec } from './types';

export function isDemoScenario(ref: string): boolean {
  return ref === 'demo' || ref === 'demo:tiny';
}

/**
 * A scenario by reference, resolved for a live run: "demo", "demo:tiny", or anything the scenario
 * library's loadScenario takes (a library id or a scenario file), with every model resolved. Errors
 * name the scenario and the problem.
 */
export async function loadLiveScenario(ref: string): Promise<LiveScenario> {
  if (isDemoScenario(ref)) return demoScenario(ref === 'demo' ? 'demo' : 'tiny');
  let loaded;
  try {
    loaded = loadLibraryScenario(ref);
  } catch (e) {
    throw new LiveSetupError(`${(e as Error).message}${/demo/.test(ref) ? '' : ' (built-in demos: demo, demo:tiny)'}`, { cause: e });
  }
  return fromScenario(loaded.scenario, loaded.baseDir);
}

/** Converts a workloads-format scenario into the live runtime's tenants, resolving every model. */
export async function fromScenario(s: Scenario, baseDir?: string): Promise<LiveScenario> {
  const tenants: LiveTenantSpec[] = [];
  for (const t of s.tenants) {
    let resolved;
    try {
      resolved = await resolveModel(t.model, { baseDir });
    } catch (e) {
      throw new LiveSetupError(`tenant "${t.id}": model ${describeModelRef(t.model)} cannot be resolved: ${(e as Error).message}`, { cause: e });
    }
    tenants.push({
      ...timing(t),
      model: { bytes: resolved.bytes, name: resolved.name },
      shapes: t.inputShapes ?? (Object.keys(resolved.inputShapes).length ? resolved.inputShapes : undefined),
      inputValues: t.inputValues ?? resolved.inputValues,
      priority: t.priority,
      ...(t.maxOutputRelErr !== undefined ? { maxOutputRelErr: t.maxOutputRelErr } : {}),
      ...(t.maxTop1Drop !== undefined ? { maxTop1Drop: t.maxTop1Drop } : {}),
      ...(t.minMapIoU !== undefined ? { minMapIoU: t.minMapIoU } : {}),
      ...(t.maxDecisionChange !== undefined ? { maxDecisionChange: t.maxDecisionChange } : {}),
    });
  }
  return { name: s.name, tenants };
}
