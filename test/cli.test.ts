import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = join(__dirname, '..', 'bin', 'tessera.cjs');
function tessera(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('tessera CLI', () => {
  it('prints help listing the commands', () => {
    const r = tessera('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/devices/);
    expect(r.stdout).toMatch(/serve/);
  });

  it('rejects an unknown command and an unknown flag with exit code 2', () => {
    const a = tessera('frobnicate');
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/unknown command "frobnicate"/);
    const b = tessera('devices', '--frob');
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/Unknown option '--frob'/);
    expect(b.stderr).toMatch(/Usage: tessera devices/);
  });

  it('devices --json: cpu available, webgpu unavailable with a reason, JSON only on stdout', () => {
    const r = tessera('devices', '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.hardware.cpu.cores).toBeGreaterThan(0);
    const cpu = report.accelerators.find((a: { id: string }) => a.id === 'cpu');
    expect(cpu).toMatchObject({ ep: 'cpu', available: true });
    const webgpu = report.accelerators.find((a: { id: string }) => a.id === 'webgpu');
    expect(webgpu).toBeDefined();
    // On a machine with a GPU driver webgpu may be available; on CI it must say why not.
    if (!webgpu.available) expect(webgpu.reason).toMatch(/^webgpu: /);
    for (const a of report.accelerators) expect(a.available || typeof a.reason === 'string').toBe(true);
  });

  it('serve reports a bad port', () => {
    const r = tessera('serve', '--port', 'abc');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--port must be an integer/);
  });
});
