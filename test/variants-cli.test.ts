// `tessera variants` end to end through the CLI and the engine job: JSON per variant (kind, exact,
// verification, per-lane medians), inapplicable kinds with reasons, `variants show`, bad input.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tinyCnn } from './support/tiny-model';

const bin = join(__dirname, '..', 'bin', 'tessera.cjs');
const home = mkdtempSync(join(tmpdir(), 'tessera-variants-cli-'));
function tessera(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, TESSERA_HOME: home } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('tessera variants', () => {
  it('generates, verifies and measures; --json has every variant with its verification and lanes; show reads it back', () => {
    const model = join(home, 'tiny.onnx');
    writeFileSync(model, tinyCnn({ name: 'tiny', channels: 8, size: 16 }));
    const r = tessera('variants', model, '--kinds', 'exact,int8', '--lanes', 'cpu:1', '--budget', '1s', '--json');
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.run.status).toBe('complete');
    const all = out.layers.flatMap((l: { variants: unknown[] }) => l.variants);
    expect(all.length).toBeGreaterThan(4);
    for (const v of all) {
      expect(typeof v.kind).toBe('string');
      expect(typeof v.exact).toBe('boolean');
      expect(typeof v.verification.passed).toBe('boolean');
      expect(typeof v.verification.maxRelError).toBe('number');
      if (v.exact) expect(v.verification.passed).toBe(true);
      if (v.verification.passed) {
        expect(v.lanes[0].lane).toBe('cpu:1');
        expect(v.lanes[0].medianMs).toBeGreaterThanOrEqual(0);
      }
    }
    // Every layer lists each kind as a variant or as inapplicable with a reason.
    for (const l of out.layers) expect(l.variants.length + l.inapplicable.length).toBe(5);
    const head = out.layers.find((l: { opTypes: string[] }) => l.opTypes.includes('Gemm'));
    expect(head.inapplicable.find((x: { kind: string }) => x.kind === 'tile-h(t=2)').reason).toMatch(/no Conv node in the layer/);
    const shown = tessera('variants', 'show', out.profile);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/split-out\(g=2\)/);
    expect(shown.stdout).toMatch(/latency gap: needs two or more lanes/);
  }, 200_000);

  it('bad input: an unknown kind is a usage error; a dynamic model without --shape gets the profiler\'s error', () => {
    const bad = tessera('variants', 'x.onnx', '--kinds', 'warp');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown variant kind 'warp'/);
    const dyn = join(home, 'dyn.onnx');
    writeFileSync(dyn, tinyCnn({ name: 'dyn', dynamic: true }));
    const r = tessera('variants', dyn, '--lanes', 'cpu:1', '--budget', '1s');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--shape x=/);
  }, 60_000);
});
