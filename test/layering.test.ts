// The import-boundary rules must really fire: lint sample sources as if they lived in each layer.
import { ESLint } from 'eslint';
import { join } from 'node:path';
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

  it('the renderer uses no Node built-ins and reaches the engine only through its client', async () => {
    expect(await errors('renderer/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n")).toHaveLength(1);
    expect(await errors('renderer/x.ts', "import { deviceReport } from '../profiler/devices';\nexport const x = deviceReport;\n")).toHaveLength(1);
    expect(await errors('renderer/x.ts', "import type { DeviceReport } from '../profiler/devices';\nexport type X = DeviceReport;\n")).toHaveLength(0);
  });
});
