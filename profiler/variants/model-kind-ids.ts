// The names of the model-level variant kinds (model-kinds.ts defines them), without their
// generators: the live runtime (and so tessera/runtime) tells a model kind from a layer kind by
// name without pulling in ONNX graph surgery.
export const MODEL_KIND_IDS = ['resolution', 'arch-prune'] as const;
export type ModelKindId = (typeof MODEL_KIND_IDS)[number];

/** Whether a kinds list (comma-separated, items "name[=param]") names a model kind. */
export function namesModelKind(spec?: string | string[]): boolean {
  const items = (Array.isArray(spec) ? spec : spec ? [spec] : []).flatMap((s) => s.split(','));
  return items.some((item) => (MODEL_KIND_IDS as readonly string[]).includes(item.trim().split('=')[0]));
}
