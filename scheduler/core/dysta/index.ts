// Dysta-compatible mode: the reference simulator's single-accelerator loop and its eleven schedulers
// (the "twin"), and the bridge that runs Tessera's own policies on the same traces (mainsim.ts).
//
// Why the twin stays beside the main simulator: it is the bit-exact reproduction of the published
// simulator, quirks included (the clock rewind when the machine falls idle, strict admission, PREMA's
// token accrual, prema_sparse's last-task g, the sparsity monitor and the `_sparse` variants, none
// of which Tessera's policies have). It is checked against the reference's outputs where they exist
// (cnn_rates3-4: test/dysta-parity.test.ts) and is the oracle for the three folders without them:
// test/dysta-mainsim.test.ts checks Tessera's policies, in the main simulator, against it on all four.
// `tessera bench dysta` reproduces the published numbers with it.
export * from './types';
export { pyFloat } from './pyfloat';
export { DYSTA_RULES, type DystaRule, type DystaTask } from './schedulers';
export { dystaMetrics, leftToRightSuffixSums, runDysta } from './simulate';
export { compareTasks, firstDecisionDivergence, PARITY_TOLERANCE_S, type TasksComparison } from './compare';
export { DYSTA_POLICY_MAP, dystaSimWorkload, runDystaOnSimulator, type DystaMainRun, type DystaPolicyPair } from './mainsim';
