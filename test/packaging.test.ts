// What can be checked about the installers without building them here: electron-builder accepts the
// configuration, its file filters keep exactly the right onnxruntime-node binaries per target, the
// icons it is configured to use are generated from assets/icon.svg in the right formats, and the
// afterPack hook flips the fuses (on a stand-in binary carrying Electron's fuse wire).
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
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

  it('uses the icons generated from assets/icon.svg: a PNG set, .icns and .ico', async () => {
    const { generateIcons, PNG_SIZES } = await import('../scripts/icons.mjs');
    const out = generateIcons();
    expect(resolve(root, build.linux.icon)).toBe(out.pngDir);
    expect(resolve(root, build.win.icon)).toBe(out.ico);
    expect(resolve(root, build.mac.icon)).toBe(out.icns);
    expect(build.directories.buildResources).toBe('assets');
    // Linux: NxN.png files, each a PNG of exactly that size.
    const pngs = readdirSync(out.pngDir).sort();
    for (const size of [16, 32, 48, 64, 128, 256, 512]) expect(pngs).toContain(`${size}x${size}.png`);
    for (const f of pngs) {
      const b = readFileSync(join(out.pngDir, f));
      expect(b.subarray(0, 8).toString('hex'), f).toBe('89504e470d0a1a0a');
      const n = Number(f.split('x')[0]);
      expect([b.readUInt32BE(16), b.readUInt32BE(20)], f).toEqual([n, n]);
    }
    expect(PNG_SIZES).toContain(1024);
    // Windows: an ICO directory with 16..256 px entries (0 means 256).
    const ico = readFileSync(out.ico);
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1]);
    const count = ico.readUInt16LE(4);
    const sizes = Array.from({ length: count }, (_, i) => ico[6 + 16 * i] || 256);
    for (const size of [16, 32, 48, 256]) expect(sizes).toContain(size);
    // macOS: an icns container whose length matches, with the 512 and 1024 px (retina) entries.
    const icns = readFileSync(out.icns);
    expect(icns.subarray(0, 4).toString('latin1')).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const types: string[] = [];
    for (let off = 8; off < icns.length; off += icns.readUInt32BE(off + 4)) types.push(icns.subarray(off, off + 4).toString('latin1'));
    expect(types).toEqual(expect.arrayContaining(['ic09', 'ic10']));
  });

  it('has the Linux desktop entry metadata', () => {
    expect(build.linux.desktop.entry).toMatchObject({ Name: 'Tessera', StartupWMClass: 'Tessera', Categories: expect.stringMatching(/^Development;/) });
    expect(build.linux.desktop.entry.Comment).toMatch(/ONNX/);
    expect(build.linux.category).toBe('Development');
  });

  it('flips the fuses after packing: NODE_OPTIONS, --inspect off, asar only, integrity on macOS/Windows', async () => {
    expect(build.afterPack).toBe('scripts/after-pack.cjs');
    const { SENTINEL } = await import('@electron/fuses/dist/constants');
    const afterPack = (await import('../scripts/after-pack.cjs')).default as (c: unknown) => Promise<void>;
    const ENABLE = 49;
    const DISABLE = 48;
    const cases: [string, string, number][] = [
      ['linux', 'tessera', DISABLE],
      ['win32', 'Tessera.exe', ENABLE],
    ];
    for (const [platform, exe, integrity] of cases) {
      const dir = mkdtempSync(join(tmpdir(), 'tessera-fuses-'));
      try {
        // A stand-in for the Electron binary: the fuse sentinel, wire version 1, 9 fuses all enabled.
        const wireAt = 100 + SENTINEL.length + 2;
        writeFileSync(join(dir, exe), Buffer.concat([Buffer.alloc(100, 7), Buffer.from(SENTINEL), Buffer.from([1, 9]), Buffer.alloc(9, ENABLE), Buffer.alloc(50, 7)]));
        await afterPack({ electronPlatformName: platform, appOutDir: dir, arch: 1, packager: { executableName: 'tessera', appInfo: { productFilename: 'Tessera' } } });
        const wire = [...readFileSync(join(dir, exe)).subarray(wireAt, wireAt + 9)];
        // RunAsNode, CookieEncryption, NODE_OPTIONS, --inspect, asar integrity, only asar, V8 snapshot, file:// privileges, (unknown: kept)
        expect(wire, platform).toEqual([ENABLE, ENABLE, DISABLE, DISABLE, integrity, ENABLE, DISABLE, DISABLE, ENABLE]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
