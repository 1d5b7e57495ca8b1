// XRBench import: the real-time multi-model usage scenarios of XRBench (Kwon et al., "XRBench: An
// Extended Reality (XR) Machine Learning Benchmark Suite for the Metaverse", MLSys 2023; repository
// XRBench/XRBench-MLSys2023 at 8915666, MIT licence, see workloads/data/XRBENCH_LICENSE) become
// Tessera scenarios, and every network becomes a runnable ONNX model built from its layer list.
//
// The models are LAYER-SHAPE REPLICAS: real layer shapes, synthetic weights. The spec gives each
// layer's Type and N K C Y X R S (MAESTRO notation: batch, output channels, input channels, input
// rows x columns, filter rows x columns) but no strides, padding or topology; the builder derives
// them so that consecutive layers chain, and records every assumption per layer (see planNetwork).
//
// By role: parse.ts (the .m format), suite.ts (the bundled data, scenarios), plan.ts (strides,
// padding, adapters: the replica's plan), build.ts (the ONNX model).
export * from './parse';
export * from './suite';
export * from './plan';
export * from './build';
