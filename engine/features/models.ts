// Models given to the engine as bytes: the app's file picker and drag-and-drop send an .onnx file in
// chunks (each a bounded message, like every other call: the server's token, origin and message
// limits apply unchanged), the engine checks it as it checks a path and stores it in its data
// directory (profiler/uploads.ts); the stored path then goes to profile.run like any other. A path
// can be stored the same way (`tessera models add FILE`).
import { z } from 'zod';
import { addModelFile, listStoredModels, MAX_UPLOAD_BYTES, UPLOAD_CHUNK_BYTES, UploadError, Uploads, type StoredModel } from '../../profiler/uploads';
import { EngineError, method } from '../feature';

const uploads = new Uploads();

/** Runs an upload step, giving its errors their engine codes. */
async function step<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof UploadError) throw new EngineError(e.message, e.code, { cause: e });
    throw e;
  }
}

const uploadId = z.string().min(1).max(64);

export const modelsFeature = {
  name: 'models',
  methods: {
    'models.uploadStart': method({
      summary: `Starts an upload of an .onnx file (at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB, sent in chunks of at most ${UPLOAD_CHUNK_BYTES / 1024 / 1024} MiB): its name and size; returns the upload id.`,
      params: z.object({ name: z.string().min(1).max(255), bytes: z.number().int().positive() }).strict(),
      run: async (p) => step(() => uploads.start(p.name, p.bytes)),
    }),
    'models.uploadChunk': method({
      summary: 'One chunk of an upload, base64, at the offset of the bytes received so far.',
      // base64 of a full chunk, plus padding: longer strings are refused before they are decoded.
      params: z.object({ uploadId, offset: z.number().int().nonnegative(), data: z.string().min(1).max(Math.ceil(UPLOAD_CHUNK_BYTES / 3) * 4) }).strict(),
      run: async (p) => step(() => uploads.chunk(p.uploadId, p.offset, p.data)),
    }),
    'models.uploadFinish': method({
      summary: 'Ends an upload: checks the file as a model path is checked (ONNX, opset, graph) and stores it under the data directory (models/uploads/<sha256>/<name>.onnx); returns its path and inputs.',
      params: z.object({ uploadId }).strict(),
      run: async (p): Promise<StoredModel> => step(() => uploads.finish(p.uploadId)),
    }),
    'models.uploadAbort': method({
      summary: 'Cancels an upload and removes what it received.',
      params: z.object({ uploadId }).strict(),
      run: async (p) => {
        uploads.abort(p.uploadId);
        return { aborted: true };
      },
    }),
    'models.add': method({
      summary: 'Stores a checked copy of a model file (a path) in the data directory, as an upload would.',
      params: z.object({ path: z.string().min(1) }).strict(),
      run: async (p): Promise<StoredModel> => step(() => addModelFile(p.path)),
    }),
    'models.list': method({
      summary: 'The models stored by upload or models.add, newest first: path, name, sha256, size.',
      params: z.object({}).strict(),
      run: async () => listStoredModels(),
    }),
  },
};
