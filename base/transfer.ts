// What postMessage may move rather than copy. Node >= 21 marks pooled Buffer memory (small Buffers,
// and tensors deserialised from a child process's IPC) untransferable, and postMessage then throws
// "Cannot transfer object of unsupported type"; such buffers are copied instead. Node 20 has no mark.
import * as wt from 'node:worker_threads';

const isUntransferable: (o: object) => boolean = (wt as { isMarkedAsUntransferable?: (o: object) => boolean }).isMarkedAsUntransferable ?? (() => false);

/** The buffers of a transfer list that can be moved; the rest travel as copies. */
export function movable(list: readonly ArrayBuffer[] | undefined): ArrayBuffer[] {
  return list ? list.filter((b) => !isUntransferable(b)) : [];
}

/** The buffer behind a view, when the view covers all of it and it can be moved (else the view is copied). */
export function wholeBuffer(v: ArrayBufferView): ArrayBuffer | undefined {
  const b = v.buffer;
  return b instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === b.byteLength && !isUntransferable(b) ? b : undefined;
}
