// Models given as bytes rather than a path (the app's file picker and drag-and-drop: in browser mode
// the page cannot name a file on the engine's machine): received in bounded chunks into a temporary
// file in the data directory, checked with the same rules as a path (base/files.ts size cap, the
// intake checks of profiler/onnx/model.ts) and kept under <data dir>/models/uploads/<sha256>/<name>.onnx,
// so a profile of it is named after the user's file and the same content is stored once per name.
// `addModelFile` stores a file from a path the same way (the CLI's `tessera models add`).
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { dataDir } from '../base/paths';
import { checkFile, FileAccessError, readCheckedFile } from '../base/files';
import { loadModel, ModelLoadError, type ModelIO } from './onnx/model';

/** Largest model accepted by upload (a path takes up to base/files.ts MAX_MODEL_BYTES). */
export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;
/** Largest decoded chunk: its base64 text stays far below the server's 4 MiB message limit. */
export const UPLOAD_CHUNK_BYTES = 1024 * 1024;
/** Uploads open at once; more are refused until one finishes, is aborted or expires. */
export const MAX_OPEN_UPLOADS = 4;
/** An upload that receives nothing for this long is dropped with its temporary file. */
export const UPLOAD_IDLE_MS = 10 * 60 * 1000;

export type UploadErrorCode = 'bad-request' | 'bad-model' | 'too-large' | 'not-found' | 'rate-limited';

export class UploadError extends Error {
  constructor(
    message: string,
    readonly code: UploadErrorCode,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

export function uploadsDir(): string {
  return join(dataDir(), 'models', 'uploads');
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MiB`;

/** A file name safe to store: the base name, no control or path characters, ".onnx" kept; undefined when it is not an .onnx name. */
export function safeModelName(name: string): string | undefined {
  const base = basename(name.replace(/\\/g, '/')).normalize('NFC');
  if (!/\.onnx$/i.test(base)) return undefined;
  const stem = base.slice(0, -5).replace(/[^\p{L}\p{N}._+-]+/gu, '_').replace(/^[._]+/, '').slice(0, 100);
  return `${stem || 'model'}.onnx`;
}

export interface StoredModel {
  /** Absolute path of the stored copy: give it to profile.run like any path. */
  path: string;
  name: string;
  sha256: string;
  bytes: number;
  /** The same content under the same name was stored already (nothing new was written). */
  existed: boolean;
  inputs: ModelIO[];
  opsets: Record<string, number>;
  nodeCount: number;
  warnings: string[];
}

/** Runs the intake checks on a received file; errors name the user's file and say what to do. */
async function validate(tmp: string, shownName: string) {
  let bytes: Buffer;
  try {
    bytes = readCheckedFile(tmp, { what: 'model', maxBytes: MAX_UPLOAD_BYTES });
  } catch (e) {
    if (e instanceof FileAccessError) throw new UploadError(`${shownName}: ${e.message.replace(tmp, 'the received file')}`, e.code === 'too-large' ? 'too-large' : 'bad-model');
    throw e;
  }
  if (bytes.length === 0) throw new UploadError(`${shownName}: the file is empty; pick the model's .onnx file`, 'bad-model');
  try {
    return { model: await loadModel(bytes, { name: shownName }), bytes };
  } catch (e) {
    if (!(e instanceof ModelLoadError)) throw e;
    const msg = e.message.replace(/^<bytes>/, shownName);
    if (e.code === 'external-data') throw new UploadError(`${shownName}: its weights are in separate external-data files, which an upload cannot bring along; give the model's path instead (the Profiles view's path field, or tessera profile PATH), or save it with the weights inside (onnx.save(model, path, save_as_external_data=False))`, 'bad-model');
    throw new UploadError(`${msg.startsWith(shownName) ? msg : `${shownName}: ${msg}`}. Pick an ONNX model file (.onnx).`, 'bad-model');
  }
}

/** Moves a checked file into the store (or drops it when that content is stored under that name already). */
async function keep(tmp: string, name: string): Promise<StoredModel> {
  const { model, bytes } = await validate(tmp, name);
  const dir = join(uploadsDir(), model.sha256);
  const path = join(dir, name);
  const existed = existsSync(path);
  if (existed) rmSync(tmp, { force: true });
  else {
    mkdirSync(dir, { recursive: true });
    renameSync(tmp, path);
  }
  return { path, name, sha256: model.sha256, bytes: bytes.length, existed, inputs: model.inputs, opsets: model.opsets, nodeCount: model.nodeCount, warnings: model.warnings };
}

function tmpPath(): string {
  mkdirSync(uploadsDir(), { recursive: true });
  return join(uploadsDir(), `.incoming-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** Stores a copy of a model file from a path (checked as any path is), as an upload would. */
export async function addModelFile(path: string): Promise<StoredModel> {
  const name = safeModelName(path);
  if (!name) throw new UploadError(`${path}: not an .onnx file; give an ONNX model (.onnx)`, 'bad-model');
  let data: Buffer;
  try {
    checkFile(path, { what: 'model', maxBytes: MAX_UPLOAD_BYTES });
    data = readCheckedFile(path, { what: 'model', maxBytes: MAX_UPLOAD_BYTES });
  } catch (e) {
    if (e instanceof FileAccessError) throw new UploadError(e.message, e.code === 'too-large' ? 'too-large' : e.code === 'not-found' ? 'not-found' : 'bad-model');
    throw e;
  }
  const tmp = tmpPath();
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
  try {
    return await keep(tmp, name);
  } finally {
    rmSync(tmp, { force: true });
  }
}

interface Upload {
  id: string;
  name: string;
  /** The name as the user gave it, for messages. */
  given: string;
  bytes: number;
  received: number;
  fd: number;
  tmp: string;
  hash: Hash;
  touched: number;
}

/** Chunked uploads in progress, bounded in number, size and idle time. */
export class Uploads {
  private readonly open = new Map<string, Upload>();
  constructor(private readonly now: () => number = Date.now) {}

  /** Starts an upload of `bytes` bytes named `name` (an .onnx name). */
  start(name: string, bytes: number): { uploadId: string; chunkBytes: number; maxBytes: number } {
    this.expire();
    const safe = safeModelName(name);
    if (!safe) throw new UploadError(`${name}: not an .onnx file; pick an ONNX model (.onnx)`, 'bad-model');
    if (!Number.isInteger(bytes) || bytes <= 0) throw new UploadError(`${name}: the file is empty; pick the model's .onnx file`, 'bad-model');
    if (bytes > MAX_UPLOAD_BYTES) throw new UploadError(`${name}: ${mib(bytes)}, over the ${mib(MAX_UPLOAD_BYTES)} upload limit; give its path instead (on the machine the engine runs on)`, 'too-large');
    if (this.open.size >= MAX_OPEN_UPLOADS) throw new UploadError(`${MAX_OPEN_UPLOADS} uploads are in progress already; wait for one to finish`, 'rate-limited');
    const tmp = tmpPath();
    const fd = openSync(tmp, 'wx', 0o600);
    const id = randomBytes(12).toString('hex');
    this.open.set(id, { id, name: safe, given: name, bytes, received: 0, fd, tmp, hash: createHash('sha256'), touched: this.now() });
    return { uploadId: id, chunkBytes: UPLOAD_CHUNK_BYTES, maxBytes: MAX_UPLOAD_BYTES };
  }

  /** Appends a chunk at `offset` (chunks come in order); returns the bytes received so far. */
  chunk(uploadId: string, offset: number, base64: string): { received: number } {
    const u = this.get(uploadId);
    const data = Buffer.from(base64, 'base64');
    if (data.length === 0) throw new UploadError(`${u.given}: an empty or malformed chunk (base64 expected)`, 'bad-request');
    if (data.length > UPLOAD_CHUNK_BYTES) throw new UploadError(`${u.given}: a chunk of ${data.length} bytes, over the ${UPLOAD_CHUNK_BYTES}-byte chunk limit`, 'bad-request');
    if (offset !== u.received) throw new UploadError(`${u.given}: chunk at offset ${offset}, expected ${u.received} (chunks go in order)`, 'bad-request');
    if (u.received + data.length > u.bytes) {
      this.drop(u);
      throw new UploadError(`${u.given}: more than the ${u.bytes} bytes announced; upload cancelled`, 'too-large');
    }
    writeSync(u.fd, data, 0, data.length, u.received);
    u.hash.update(data);
    u.received += data.length;
    u.touched = this.now();
    return { received: u.received };
  }

  /** Checks the complete file and stores it. The upload is closed whatever the outcome. */
  async finish(uploadId: string): Promise<StoredModel> {
    const u = this.get(uploadId);
    this.open.delete(u.id);
    closeSync(u.fd);
    try {
      if (u.received !== u.bytes) throw new UploadError(`${u.given}: ${u.received} of ${u.bytes} bytes arrived; upload it again`, 'bad-request');
      return await keep(u.tmp, u.name);
    } finally {
      rmSync(u.tmp, { force: true });
    }
  }

  abort(uploadId: string): void {
    const u = this.open.get(uploadId);
    if (u) this.drop(u);
  }

  /** Drops every upload (engine shutdown). */
  close(): void {
    for (const u of [...this.open.values()]) this.drop(u);
  }

  get size(): number {
    return this.open.size;
  }

  private get(uploadId: string): Upload {
    this.expire();
    const u = this.open.get(uploadId);
    if (!u) throw new UploadError(`no upload ${uploadId} in progress (finished, aborted, or idle for over ${UPLOAD_IDLE_MS / 60000} minutes); start it again`, 'not-found');
    return u;
  }

  private drop(u: Upload): void {
    this.open.delete(u.id);
    try {
      closeSync(u.fd);
    } catch {
      // closed already
    }
    rmSync(u.tmp, { force: true });
  }

  private expire(): void {
    const t = this.now();
    for (const u of [...this.open.values()]) if (t - u.touched > UPLOAD_IDLE_MS) this.drop(u);
  }
}

/** The stored uploaded models, newest first. */
export function listStoredModels(): { path: string; name: string; sha256: string; bytes: number; storedAt: string }[] {
  const root = uploadsDir();
  if (!existsSync(root)) return [];
  const out: { path: string; name: string; sha256: string; bytes: number; storedAt: string }[] = [];
  for (const sha of readdirSync(root)) {
    if (!/^[0-9a-f]{64}$/.test(sha)) continue;
    for (const f of readdirSync(join(root, sha))) {
      if (!f.endsWith('.onnx')) continue;
      const st = statSync(join(root, sha, f));
      out.push({ path: join(root, sha, f), name: f, sha256: sha, bytes: st.size, storedAt: st.mtime.toISOString() });
    }
  }
  return out.sort((a, b) => b.storedAt.localeCompare(a.storedAt));
}
