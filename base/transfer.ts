// Which buffers a postMessage may transfer. Node >= 21 marks pooled Buffer memory untransferable and
// postMessage then throws "Cannot transfer object of unsupported type" (DataCloneError); such buffers
// are cloned instead, which is what Node 20 silently did for them too.
import * as wt from 'node:worker_threads';

const untransferable = (wt as { isMarkedAsUntransferable?: (o: object) => boolean }).isMarkedAsUntransferable ?? (() => false);

/** The transfer list without buffers Node refuses to transfer (they are copied). */
export function transferList(list: readonly ArrayBuffer[] | undefined): ArrayBuffer[] {
  return list ? [...new Set(list)].filter((b) => !untransferable(b)) : [];
}
