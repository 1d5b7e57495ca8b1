// Dysta-compatible mode: the reference simulator's single-accelerator loop and its eleven schedulers.
export * from './types';
export { pyFloat } from './pyfloat';
export { DYSTA_RULES, type DystaRule, type DystaTask } from './schedulers';
export { dystaMetrics, leftToRightSuffixSums, runDysta } from './simulate';
export { compareTasks, firstDecisionDivergence, PARITY_TOLERANCE_S, type TasksComparison } from './compare';
