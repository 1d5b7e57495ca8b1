// profile.run with model library references: an XRBench replica profiles with the library's own
// input shapes (tiny budget, one CPU lane, energy off); library input values (Silero VAD's sample
// rate) come along unless the caller overrides them; a string that is neither a file nor a library
// id is an error naming it. Needs `node scripts/build.mjs` (the lane workers are built bundles).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../engine/client';
import { Engine } from '../engine/engine';
import { profileFeature, resolveProfileModels } from '../engine/features/profile';
import type { Reply } from '../engine/protocol';
import { listProfiles } from '../profiler/store';
import type { Profile } from '../profiler/types';

const home = mkdtempSync(join(tmpdir(), 'tessera-profile-lib-'));
const before = process.env.TESSERA_HOME;
beforeAll(() => {
  process.env.TESSERA_HOME = home;
});
afterAll(() => {
  if (before === undefined) delete process.env.TESSERA_HOME;
  else process.env.TESSERA_HOME = before;
  rmSync(home, { recursive: true, force: true });
});

function client() {
  const engine = new Engine([profileFeature]);
  let deliver: (r: Reply) => void = () => {};
  const conn = engine.connect((r) => queueMicrotask(() => deliver(r)));
  return new EngineClient({ send: (r) => conn.handle(r), onReply: (l) => (deliver = l) }) as unknown as { call(m: string, p: unknown, o?: object): Promise<any> };
}

describe('profile.run with model library references', () => {
  it('profiles an XRBench layer-shape replica from the library with its own input shape', async () => {
    const { profiles } = (await client().call('profile.run', { models: ['xrbench/KD_res8_narrow'], lanes: ['cpu:1'], budgetSec: 0.05, warmup: 1, energy: 'off' })) as { profiles: Profile[] };
    expect(profiles).toHaveLength(1);
    const p = profiles[0];
    expect(p.model.name).toBe('xrbench/KD_res8_narrow');
    expect(p.model.inputShapes).toEqual({ input: [1, 1, 98, 40] });
    expect(p.status).toBe('complete');
    expect(p.layers.length).toBeGreaterThan(0);
    expect(p.layers.every((l) => l.lanes[0].latencyMs !== undefined)).toBe(true);
    expect(p.notes?.some((w) => /xrbench\/KD_res8_narrow from the model library: layer-shape replica/.test(w))).toBe(true);
    // A fact about the model, not a warning.
    expect(p.warnings.some((w) => /from the model library/.test(w))).toBe(false);
    // Saved with the library note.
    expect(listProfiles().some((s) => s.id === p.id && s.model === 'xrbench/KD_res8_narrow')).toBe(true);
  }, 120_000);

  it("resolves library ids with their input shapes and values; the caller's shapes reach the model", async () => {
    const [vad] = await resolveProfileModels(['npm/silero-vad-v5']);
    expect(vad.name).toBe('npm/silero-vad-v5');
    expect(vad.inputValues).toEqual({ sr: 16000 });
    expect(vad.shapes?.input).toEqual([1, 512]);
    expect(vad.note).toMatch(/pretrained/);
    const [replica] = await resolveProfileModels(['xrbench:VR_gaming/GE_FBNet_C']);
    expect(replica.shapes).toEqual({ input: [1, 3, 160, 100] });
    expect(typeof replica.source).toBe('string');
    // The caller's shapes reach the model (here rejected: the replica's input is static) and must name one of its inputs.
    const c = client();
    await expect(c.call('profile.run', { models: ['xrbench/KD_res8_narrow'], lanes: ['cpu:1'], shapes: { input: [1, 1, 98, 41] }, save: false })).rejects.toMatchObject({ code: 'bad-shape', message: expect.stringMatching(/dimension 3 is fixed to 40/) });
    await expect(c.call('profile.run', { models: ['xrbench/KD_res8_narrow'], lanes: ['cpu:1'], shapes: { x: [1] }, save: false })).rejects.toMatchObject({ code: 'bad-shape', message: expect.stringMatching(/'x'.*not an input/) });
  });

  it('names a string that is neither a file nor a library id, and what is accepted', async () => {
    const c = client();
    await expect(c.call('profile.run', { models: ['no/such/model.onnx'], lanes: ['cpu:1'] })).rejects.toMatchObject({
      code: 'bad-model',
      message: expect.stringMatching(/no\/such\/model\.onnx: no such file, and not a model library id.*xrbench\/KD_res8_narrow/),
    });
    await expect(c.call('profile.run', { models: ['xrbench/NoSuchNet'], lanes: ['cpu:1'] })).rejects.toMatchObject({
      code: 'bad-model',
      message: expect.stringMatching(/xrbench\/NoSuchNet: no library model/),
    });
  });
});
