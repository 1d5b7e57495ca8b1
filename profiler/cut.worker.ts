// Cuts a model off the caller's thread: the cut runs the model (capture) and the chained layers
// (verification) with ONNX Runtime, whose run() blocks its thread for the whole inference. The
// result (layer models and sample tensors) is posted back with its buffers transferred.
import { cutModel, type CutOptions } from './onnx/cut';
import { loadModel } from './onnx/model';
import * as wt from 'node:worker_threads';
import { workerPort } from '../base/worker-side';

// Node >= 21 marks pooled Buffer memory untransferable (postMessage throws "Cannot transfer object of
// unsupported type"); such buffers, and any buffer a view covers only part of, are copied instead.
const untransferable = (wt as { isMarkedAsUntransferable?: (o: object) => boolean }).isMarkedAsUntransferable ?? (() => false);
function transferable(v: ArrayBufferView): ArrayBuffer | undefined {
  const b = v.buffer;
  return b instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === b.byteLength && !untransferable(b) ? b : undefined;
}

interface CutRequest {
  op: 'cut';
  source: string | Uint8Array;
  name?: string;
  opts: Pick<CutOptions, 'granularity' | 'shapes' | 'inputValues'>;
}

const port = workerPort();
const controller = new AbortController();
port.onMessage(async (msg: CutRequest | { op: 'cancel' }) => {
  if (msg.op === 'cancel') {
    controller.abort(new Error('cancelled'));
    return;
  }
  try {
    const model = await loadModel(msg.source, { name: msg.name });
    const cut = await cutModel(model, { ...msg.opts, signal: controller.signal, onProgress: (p) => port.post({ type: 'progress', progress: p }) });
    const transfer = new Set<ArrayBuffer>();
    const add = (b: ArrayBuffer | undefined) => b && transfer.add(b);
    for (const l of cut.layers) add(transferable(l.bytes));
    for (const t of cut.tensors.values()) {
      const d = t.data as unknown;
      if (ArrayBuffer.isView(d)) add(transferable(d));
    }
    // Transfer only buffers no other view still needs after posting (the worker ends right after).
    port.post({ type: 'result', cut }, [...transfer]);
  } catch (e) {
    port.post({ type: 'error', message: e instanceof Error ? e.message : String(e), name: e instanceof Error ? e.name : 'Error' });
  }
});
