// Types for scripts/after-pack.cjs (used by test/packaging.test.ts).
declare function afterPack(context: unknown): Promise<void>;
declare namespace afterPack {
  export { afterPack as default };
  export function fuseSettings(platform: string): Record<string, boolean>;
  export function electronBinary(context: unknown): string;
}
export = afterPack;
