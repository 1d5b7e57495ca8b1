// Renders the app icon from its one source, assets/icon.svg, into what electron-builder uses:
// a PNG set for Linux (icons/NxN.png), icon.icns for macOS and icon.ico for Windows. Run by
// `npm run dist` before electron-builder (and by test/packaging.test.ts into a temp folder).
// Usage: node scripts/icons.mjs [OUT_DIR]   (default assets/generated, ignored by git)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';
import png2icons from 'png2icons';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ICON_SOURCE = join(root, 'assets', 'icon.svg');
export const DEFAULT_OUT = join(root, 'assets', 'generated');
/** Linux icon theme sizes (electron-builder takes the folder); 1024 is also the .icns/.ico source. */
export const PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];

export function renderPng(svg, size) {
  return new Resvg(svg, { fitTo: { mode: 'width', value: size }, background: 'rgba(0,0,0,0)' }).render().asPng();
}

/** Writes icons/NxN.png, icon.png (512), icon.icns and icon.ico under outDir; returns the paths. */
export function generateIcons(outDir = DEFAULT_OUT) {
  const svg = readFileSync(ICON_SOURCE);
  mkdirSync(join(outDir, 'icons'), { recursive: true });
  const pngs = {};
  for (const size of PNG_SIZES) {
    pngs[size] = renderPng(svg, size);
    writeFileSync(join(outDir, 'icons', `${size}x${size}.png`), pngs[size]);
  }
  writeFileSync(join(outDir, 'icon.png'), pngs[512]);
  const icns = png2icons.createICNS(pngs[1024], png2icons.BICUBIC2, 0);
  // forWinExe: the sizes Windows shows for an executable (16-256), 256 stored as PNG.
  const ico = png2icons.createICO(pngs[1024], png2icons.BICUBIC2, 0, false, true);
  if (!icns || !ico) throw new Error(`icons: png2icons could not convert ${ICON_SOURCE}`);
  writeFileSync(join(outDir, 'icon.icns'), icns);
  writeFileSync(join(outDir, 'icon.ico'), ico);
  return { dir: outDir, pngDir: join(outDir, 'icons'), icns: join(outDir, 'icon.icns'), ico: join(outDir, 'icon.ico'), png: join(outDir, 'icon.png') };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = generateIcons(process.argv[2] ?? DEFAULT_OUT);
  process.stderr.write(`[icons] ${ICON_SOURCE} -> ${out.dir}\n`);
}
