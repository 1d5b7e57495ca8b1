// Sends a model file the user picked or dropped to the engine (models.uploadStart / uploadChunk /
// uploadFinish, engine/features/models.ts): the page cannot name a file on the engine's machine, so
// the bytes go in bounded chunks and the engine checks and stores them. Cancel aborts the upload.
import type { ResultOf } from '../engine/api';
import type { EngineClient } from '../engine/client';

export type StoredModel = ResultOf<'models.uploadFinish'>;

/** Base64 of bytes, in slices (String.fromCharCode on a whole MiB overflows the argument limit). */
export function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** What is wrong with a file before any byte is sent (the engine checks again): its name. */
export function precheckModelFile(f: { name: string; size: number }): string | undefined {
  if (!/\.onnx$/i.test(f.name)) return `${f.name}: not an .onnx file. Pick an ONNX model (.onnx); export one with torch.onnx.export or tf2onnx first.`;
  if (f.size === 0) return `${f.name}: the file is empty. Pick the model's .onnx file.`;
  return undefined;
}

export async function uploadModel(
  client: EngineClient,
  file: Blob & { name: string },
  o: { signal?: AbortSignal; onProgress?: (sent: number, total: number) => void } = {},
): Promise<StoredModel> {
  const { uploadId, chunkBytes } = await client.call('models.uploadStart', { name: file.name, bytes: file.size });
  try {
    for (let off = 0; off < file.size; off += chunkBytes) {
      if (o.signal?.aborted) throw Object.assign(new Error(`${file.name}: upload cancelled`), { code: 'cancelled' });
      const bytes = new Uint8Array(await file.slice(off, off + chunkBytes).arrayBuffer());
      await client.call('models.uploadChunk', { uploadId, offset: off, data: toBase64(bytes) });
      o.onProgress?.(Math.min(file.size, off + bytes.length), file.size);
    }
    return await client.call('models.uploadFinish', { uploadId });
  } catch (e) {
    void client.call('models.uploadAbort', { uploadId }).catch(() => {});
    throw e;
  }
}
