// Cuts a model off the caller's thread: the cut runs the model (capture) and the chained layers
// (verification) with ONNX Runtime, whose run() blocks its thread for the whole inference. The
// result (layer models and sample tensors) is posted back with its buffers transferred.
import { cutModel, type CutOptions } from './onnx/cut';
import { loadModel } from './onnx/model';
import { wholeBuffer } from '../base/transfer';
import { workerPort } from '../base/worker-side';

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
    for (const l of cut.layers) add(wholeBuffer(l.bytes));
    for (const t of cut.tensors.values()) {
      const d = t.data as unknown;
      if (ArrayBuffer.isView(d)) add(wholeBuffer(d));
    }
    // Transfer only buffers no other view still needs after posting (the worker ends right after).
    port.post({ type: 'result', cut }, [...transfer]);
  } catch (e) {
    port.post({ type: 'error', message: e instanceof Error ? e.message : String(e), name: e instanceof Error ? e.name : 'Error' });
  }
});
