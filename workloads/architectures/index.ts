// Reference architectures (ResNet-50, VGG-16, MobileNetV2, an SSD-style detector, BERT-base), generated
// as ONNX at build time or first use and never committed as binaries. Real architectures, synthetic
// (deterministic pseudo-random, He-scaled) weights; optional pruning; measured activation sparsity.
export * from './types';
import type { ArchitectureListing, ArchitectureName, ArchitectureOptions, BuiltArchitecture } from './types';

export function listArchitectures(): ArchitectureListing[] {
  throw new Error('not yet implemented');
}

export function buildArchitecture(_name: ArchitectureName, _options: ArchitectureOptions = {}): BuiltArchitecture {
  throw new Error('not yet implemented');
}
