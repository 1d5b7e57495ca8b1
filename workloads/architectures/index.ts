// Reference architectures (ResNet-50, VGG-16, MobileNetV2, an SSD-style detector, BERT-base), generated
// as ONNX at build time or first use and never committed as binaries. Real architectures, synthetic
// (deterministic pseudo-random, He-scaled) weights; optional pruning; measured activation sparsity.
export * from './types';
export { GENERATOR_VERSION, buildArchitecture, describeArchitecture, isArchitectureName, listArchitectures, resolveOptions } from './build';
export { measureActivationSparsity, seededNormal } from './sparsity';
export type { ActivationSparsityOptions, ActivationSparsityReport, LayerActivationSparsity } from './sparsity';
export { architectureKey, cachedArchitecture } from './cache';
export type { CachedArchitecture } from './cache';
