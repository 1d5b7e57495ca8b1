// Lane lists for live runs: "cpu:1,cpu:1", "cpu:4,webgpu", "cpu:1,webgpu:sw". One parser for the whole engine
// (common/lane-spec.ts parseLanes: ids "cpu:2", a second identical lane "cpu:2#1"); the live runtime
// only differs in what a bare "cpu" means: one thread (lanes share the cores), where the profiler
// gives it every core.
import { availableParallelism } from 'node:os';
import { parseLanes as parseLaneList } from '../../common/lane-spec';
import type { LaneSpec } from '../../profiler/types';

export function parseLanes(text: string): LaneSpec[] {
  return parseLaneList(text, 1);
}

/** Two CPU lanes splitting the cores (one core left for the engine when there are more than 2). */
export function defaultLanes(): LaneSpec[] {
  const cores = availableParallelism();
  const per = Math.max(1, Math.floor((cores > 2 ? cores - 1 : cores) / 2));
  return parseLanes(`cpu:${per},cpu:${per}`);
}
