// Probes one execution provider with a real tiny session, in its own process so that an EP which
// crashes or hangs cannot take the engine down. Replies once with { ok, ms } or { ok: false, error }.
import * as ort from 'onnxruntime-node';
import { probeModel } from './onnx/builder';
import { workerPort } from '../base/worker-side';

const port = workerPort();
port.onMessage(async (msg: { ep: string }) => {
  const t0 = performance.now();
  try {
    const session = await ort.InferenceSession.create(probeModel(64), { executionProviders: [msg.ep as any], logSeverityLevel: 3 });
    const x = new ort.Tensor('float32', new Float32Array(64).fill(1), [1, 64]);
    const out = await session.run({ x });
    const y = out.y.data as Float32Array;
    if (y.length !== 64 || !y.every(Number.isFinite)) throw new Error('probe output is wrong');
    await session.release();
    port.post({ ok: true, ms: performance.now() - t0 });
  } catch (e) {
    port.post({ ok: false, error: e instanceof Error ? e.message : String(e) });
  }
});
