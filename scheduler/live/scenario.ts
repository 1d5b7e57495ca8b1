// Scenarios for live runs: a scenario file in the workloads format (workloads/scenario.ts), or a
// built-in demo ("demo", "demo:tiny": synthetic builder-made models, see demo.ts). Model references
// become what resolveExecModel understands: file paths (relative to the scenario file), npm package
// files (resolved from node_modules), and library / xrbench / architecture references through the
// model library (workloads/library.ts) when it is available.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { describeModelRef, parseScenarioText, type ModelRef as ScenarioModelRef, type Scenario } from '../../workloads/scenario';
import { demoScenario } from './demo';
import { LiveSetupError } from './models';
import type { LiveScenario, LiveTenantSpec, ModelRef } from './types';

/** Resolves model references the live runtime cannot resolve itself (set when the model library is wired). */
export type LibraryResolver = (ref: ScenarioModelRef) => Promise<{ bytes: Uint8Array; name: string; inputShapes?: Record<string, number[]> }>;

let libraryResolver: LibraryResolver | undefined;

/** Lets the model library (workloads/library.ts) resolve xrbench / architecture / library references. */
export function setLibraryResolver(r: LibraryResolver | undefined): void {
  libraryResolver = r;
}

export function isDemoScenario(ref: string): boolean {
  return ref === 'demo' || ref === 'demo:tiny';
}

/** A scenario by reference: "demo", "demo:tiny", or a scenario file path. Errors name the file and the problem. */
export async function loadScenario(ref: string, cwd = process.cwd()): Promise<LiveScenario> {
  if (isDemoScenario(ref)) return demoScenario(ref === 'demo' ? 'demo' : 'tiny');
  const path = isAbsolute(ref) ? ref : resolve(cwd, ref);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new LiveSetupError(`scenario ${ref}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give a scenario file or "demo"`);
  }
  let scenario: Scenario;
  try {
    scenario = parseScenarioText(text, ref);
  } catch (e) {
    throw new LiveSetupError((e as Error).message, { cause: e });
  }
  return fromScenario(scenario, dirname(path));
}

/** Converts a workloads-format scenario into the live runtime's tenants. */
export async function fromScenario(s: Scenario, baseDir: string): Promise<LiveScenario> {
  const tenants: LiveTenantSpec[] = [];
  for (const t of s.tenants) {
    let model: ModelRef;
    let shapes = t.inputShapes;
    const m = t.model;
    if (m.kind === 'file') model = isAbsolute(m.path) ? m.path : join(baseDir, m.path);
    else if (m.kind === 'npm') {
      try {
        model = createRequire(join(baseDir, 'noop.js')).resolve(`${m.package}/${m.file}`);
      } catch {
        try {
          model = createRequire(join(process.cwd(), 'noop.js')).resolve(`${m.package}/${m.file}`);
        } catch {
          throw new LiveSetupError(`tenant "${t.id}": ${describeModelRef(m)} not found (is the npm package ${m.package} installed?)`);
        }
      }
    } else {
      if (!libraryResolver) throw new LiveSetupError(`tenant "${t.id}": ${describeModelRef(m)} needs the model library, which this build does not provide to the live runtime yet; use a file or npm model`);
      try {
        const r = await libraryResolver(m);
        model = { bytes: r.bytes, name: r.name };
        shapes = shapes ?? r.inputShapes;
      } catch (e) {
        throw new LiveSetupError(`tenant "${t.id}": ${describeModelRef(m)} cannot be resolved: ${(e as Error).message}`, { cause: e });
      }
    }
    const a = t.arrival;
    tenants.push({
      id: t.id,
      model,
      shapes,
      inputValues: t.inputValues,
      arrival: a.type === 'periodic' ? { type: 'periodic', fps: a.fps, jitter: a.jitterMs !== undefined ? a.jitterMs / 1000 : undefined, phase: a.phaseMs !== undefined ? a.phaseMs / 1000 : undefined } : { type: 'poisson', ratePerSec: a.ratePerSec },
      deadline: t.deadlineMs !== undefined ? t.deadlineMs / 1000 : undefined,
      priority: t.priority,
      cascade: t.cascade,
      slos: t.slos ? { minAccuracy: t.slos.minAccuracy, minThroughput: t.slos.minThroughputFps, maxLatency: t.slos.maxLatencyMs !== undefined ? t.slos.maxLatencyMs / 1000 : undefined } : undefined,
      baseAccuracy: t.baseAccuracy,
    });
  }
  return { name: s.name, tenants };
}
