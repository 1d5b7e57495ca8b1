// Arrays for V8's fast paths on the simulator's and the policies' hot code.

/**
 * An empty array that will hold objects, created as one. An empty literal (`[]`) starts as an array
 * of small integers, and the first object pushed into it changes its kind; code compiled for the
 * arrays of an earlier run then deoptimises on each new run's arrays at their first push ("not a
 * Smi" at every `push`, measured in the simulator's job books and the policies' decisions).
 */
export function objectArray<T extends object>(): T[] {
  const a: (T | null)[] = [null];
  a.pop();
  return a as T[];
}
