// Types for scripts/icons.mjs (used by test/packaging.test.ts).
export declare const ICON_SOURCE: string;
export declare const DEFAULT_OUT: string;
export declare const PNG_SIZES: number[];
export declare function renderPng(svg: Buffer | string, size: number): Buffer;
export declare function generateIcons(outDir?: string): { dir: string; pngDir: string; icns: string; ico: string; png: string };
