// The import-boundary rules must really fire: lint sample sources as if they lived in each layer.
import { ESLint } from 'eslint';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: join(__dirname, '..') });

async function errors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(__dirname, '..', file) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layering rules', () => {
  it('scheduler/core imports no Node built-ins and no I/O layers', async () => {
    expect(await errors('scheduler/core/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n")).toHaveLength(1);
    expect(await errors('scheduler/core/x.ts', "import fs from 'fs';\nexport const x = fs;\n")).toHaveLength(1);
    expect(await errors('scheduler/core/x.ts', "import * as ort from 'onnxruntime-node';\nexport const x = ort;\n")).toHaveLength(1);
    expect(await errors('scheduler/core/x.ts', "import { loadModel } from '../../profiler/onnx/model';\nexport const x = loadModel;\n")).toHaveLength(1);
  });

  it('profiler, scheduler and workloads never import electron or the renderer', async () => {
    for (const dir of ['profiler', 'scheduler', 'workloads']) {
      expect(await errors(`${dir}/x.ts`, "import { app } from 'electron';\nexport const x = app;\n")).toHaveLength(1);
      expect(await errors(`${dir}/x.ts`, "import { h } from '../renderer/dom';\nexport const x = h;\n")).toHaveLength(1);
    }
    expect(await errors('profiler/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n")).toHaveLength(0);
  });

  it('base/ imports no other Tessera folder, and scheduler/core does not import base/', async () => {
    expect(await errors('base/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n")).toHaveLength(0);
    expect(await errors('base/x.ts', "import { loadModel } from '../profiler/onnx/model';\nexport const x = loadModel;\n")).toHaveLength(1);
    expect(await errors('base/x.ts', "import { Engine } from '../engine/engine';\nexport const x = Engine;\n")).toHaveLength(1);
    expect(await errors('scheduler/core/x.ts', "import { dataDir } from '../../base/paths';\nexport const x = dataDir;\n")).toHaveLength(1);
    expect(await errors('profiler/x.ts', "import { dataDir } from '../base/paths';\nexport const x = dataDir;\n")).toHaveLength(0);
  });

  it('common/ is pure and below every layer, and every layer (the renderer included) may import it', async () => {
    expect(await errors('common/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n")).toHaveLength(1);
    expect(await errors('common/x.ts', "import { dataDir } from '../base/paths';\nexport const x = dataDir;\n")).toHaveLength(1);
    expect(await errors('common/x.ts', "import { parseLanes } from '../profiler/measure';\nexport const x = parseLanes;\n")).toHaveLength(1);
    for (const file of ['renderer/views/x.ts', 'scheduler/core/x.ts', 'profiler/x.ts']) {
      const up = file.split('/').length - 1;
      expect(await errors(file, `import { parseLanes } from '${'../'.repeat(up)}common/lane-spec';\nexport const x = parseLanes;\n`)).toHaveLength(0);
    }
  });

  it('the renderer uses no Node built-ins and reaches the engine only through its client', async () => {
    expect(await errors('renderer/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n")).toHaveLength(1);
    expect(await errors('renderer/x.ts', "import { deviceReport } from '../profiler/devices';\nexport const x = deviceReport;\n")).toHaveLength(1);
    expect(await errors('renderer/x.ts', "import type { DeviceReport } from '../profiler/devices';\nexport type X = DeviceReport;\n")).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------------------------
// No import cycles in scheduler/. ESLint's import-x/no-cycle checks value imports; it skips
// type-only ones, so the graph below (every relative import, `import type` included) checks those.

/** The relative imports of each .ts file under `dir` (type-only ones included), as resolved paths. */
function importGraph(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f));
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const deps = [...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'(\.[^']+)'/gms)].map((m) => {
      const base = resolve(dirname(file), m[1]);
      return [`${base}.ts`, join(base, 'index.ts'), base].find((p) => existsSync(p) && p.endsWith('.ts')) ?? base;
    });
    graph.set(file, deps);
  }
  return graph;
}

/** One cycle of the graph (as a list of nodes, first = last), or undefined. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 1 | 2>(); // 1 on the stack, 2 done
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 2) return undefined;
    if (state.get(n) === 1) return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 1);
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 2);
    return undefined;
  };
  for (const n of graph.keys()) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

describe('no import cycles in scheduler/', () => {
  const root = join(__dirname, '..');

  it('ESLint (import-x/no-cycle) fails on a value import cycle', async () => {
    // jobs.ts importing the simulator, which imports jobs.ts.
    const [r] = await eslint.lintText("import { simulate } from './simulator';\nexport const x = simulate;\n", { filePath: join(root, 'scheduler/core/jobs.ts') });
    expect(r.messages.filter((m) => m.ruleId === 'import-x/no-cycle').map((m) => m.message)).toEqual(['Dependency cycle detected']);
    const [ok] = await eslint.lintText("import { cascadeFires } from './arrivals';\nexport const x = cascadeFires;\n", { filePath: join(root, 'scheduler/core/jobs.ts') });
    expect(ok.messages.filter((m) => m.ruleId === 'import-x/no-cycle')).toEqual([]);
  });

  it('the import graph, type-only imports included, has no cycle (and the check finds one when there is)', () => {
    const graph = importGraph(join(root, 'scheduler'));
    expect(graph.size).toBeGreaterThan(40);
    expect(findCycle(graph)?.map((f) => f.slice(root.length + 1))).toBeUndefined();
    // A type-only cycle like the one report.ts and runtime.ts had.
    const report = join(root, 'scheduler/live/report.ts');
    const runtime = join(root, 'scheduler/live/runtime.ts');
    graph.set(report, [...graph.get(report)!, runtime]);
    expect(findCycle(graph)).toEqual(expect.arrayContaining([report, runtime]));
  });
});
