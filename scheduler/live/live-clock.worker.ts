// A precise alarm clock for frame releases. Node's timers have millisecond resolution and fire up to
// ~1-2 ms late, which is a large share of a few-millisecond frame; this thread sleeps in
// Atomics.wait (sub-millisecond wake-ups, no CPU burnt) until the target time the main thread wrote
// into shared memory, then posts 'tick'. Control block (SharedArrayBuffer):
//   Int32 [0]: generation (bumped by the main thread on every new target; -1 = quit)
//   Float64 [1]: target time, µs since the clock origin (NaN = none)
import { parentPort, workerData } from 'node:worker_threads';

const { sab, originNs } = workerData as { sab: SharedArrayBuffer; originNs: string };
const ctl = new Int32Array(sab, 0, 2);
const target = new Float64Array(sab, 8, 1);
const origin = BigInt(originNs);
const nowUs = () => Number(process.hrtime.bigint() - origin) / 1000;

for (;;) {
  const gen = Atomics.load(ctl, 0);
  if (gen < 0) break;
  const t = target[0];
  if (!Number.isFinite(t)) {
    Atomics.wait(ctl, 0, gen);
    continue;
  }
  const waitMs = (t - nowUs()) / 1000;
  if (waitMs > 0) {
    Atomics.wait(ctl, 0, gen, waitMs);
    continue; // re-check: woken by a new target, or the time has come
  }
  parentPort!.postMessage({ gen, target: t, firedUs: nowUs() });
  // Wait for the next target (the main thread bumps the generation).
  Atomics.wait(ctl, 0, gen);
}
