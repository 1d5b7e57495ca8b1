// What can be checked about the installers without building them here: electron-builder accepts the
// configuration, and its file filters keep exactly the right onnxruntime-node binaries per target.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { minimatch } from 'minimatch';
import { describe, expect, it } from 'vitest';
import pkg from '../package.json';

const root = join(__dirname, '..');
const ortBin = join(root, 'node_modules', 'onnxruntime-node', 'bin');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

/** Applies electron-builder's ordered include/exclude patterns, with ${arch} expanded. */
function kept(patterns: string[], arch: string): string[] {
  return files(ortBin)
    .map((f) => relative(root, f))
    .filter((f) => {
      let keep = true;
      for (const raw of patterns) {
        const p = raw.replace(/\$\{arch\}/g, arch);
        if (p.startsWith('!') ? minimatch(f, p.slice(1)) : false) keep = false;
      }
      return keep;
    });
}

const build = pkg.build as Record<string, any>;

describe('packaging (electron-builder)', () => {
  it('has a configuration electron-builder validates', async () => {
    const { validateConfiguration } = await import('app-builder-lib/out/util/config/config');
    const { DebugLogger } = await import('builder-util');
    await expect(validateConfiguration(build as never, new DebugLogger(false))).resolves.toBeUndefined();
    // ...and that the validator really rejects a broken one.
    await expect(validateConfiguration({ ...build, notAnOption: true } as never, new DebugLogger(false))).rejects.toThrow();
  });

  it('unpacks onnxruntime-node binaries from the asar', () => {
    expect(build.asarUnpack).toContain('node_modules/onnxruntime-node/bin/**');
    expect(pkg.dependencies).toHaveProperty('onnxruntime-node');
  });

  it.each([
    ['linux', 'x64'],
    ['linux', 'arm64'],
    ['win', 'x64'],
    ['mac', 'arm64'],
  ])('%s %s keeps only its own ORT binaries', (target, arch) => {
    const dir = { linux: 'linux', win: 'win32', mac: 'darwin' }[target]!;
    const out = kept(build[target].files, arch);
    expect(out.length).toBeGreaterThan(0);
    for (const f of out) expect(f).toMatch(new RegExp(`napi-v6/${dir}/${arch}/`));
    expect(out.some((f) => /onnxruntime_binding\.node$/.test(f))).toBe(true);
  });

  it('targets AppImage + deb, NSIS and dmg', () => {
    expect(build.linux.target).toEqual(['AppImage', 'deb']);
    expect(build.win.target).toEqual(['nsis']);
    expect(build.mac.target).toEqual(['dmg']);
  });
});
