// The one rule for reading a file whose path came from outside (the engine API, a scenario
// document, the CLI): it must be a regular file (not a device, FIFO or directory: /dev/zero would
// be read forever), under a size cap, checked before a byte is read; when the engine serves other
// machines (a server bound beyond loopback) it must also lie inside the allowed folders. Errors
// name the path and never echo the content. Every reader of such paths goes through here.
import { closeSync, constants, existsSync, fstatSync, openSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { resolve, sep } from 'node:path';

/** JSON documents (profiles, scenarios, XRBench .m files): far above any real one. */
export const MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;
/** ONNX models (and their external data files): protobuf's own limit for one message. */
export const MAX_MODEL_BYTES = 2 * 1024 * 1024 * 1024 - 1;

export type FileAccessCode = 'not-found' | 'not-a-file' | 'too-large' | 'not-allowed' | 'unreadable';

export class FileAccessError extends Error {
  constructor(
    message: string,
    readonly code: FileAccessCode,
    readonly path: string,
  ) {
    super(message);
    this.name = 'FileAccessError';
  }
}

let allowedDirs: string[] | undefined;

/**
 * Limits every checked read to these folders (and their subfolders, after resolving symlinks);
 * undefined lifts the limit. The engine host sets it when it serves a non-loopback server.
 */
export function restrictFileAccess(dirs: string[] | undefined): void {
  // Each folder as given and with its symlinks resolved: a path is checked in both forms.
  allowedDirs = dirs?.flatMap((d) => {
    const abs = resolve(d);
    try {
      const real = realpathSync(abs);
      return real === abs ? [abs] : [abs, real];
    } catch {
      return [abs]; // a folder that does not exist yet (the data dir on first start)
    }
  });
}

function allowed(path: string): boolean {
  return !allowedDirs || allowedDirs.some((d) => within(path, d));
}

function notAllowed(path: string, what: string): FileAccessError {
  return new FileAccessError(`${what} ${path}: outside the folders this engine may read (${allowedDirs!.join(', ')}); start \`tessera serve\` with --allow-dir to add a folder`, 'not-allowed', path);
}

/** For "not found" messages: where a limited engine looks (empty when reads are not limited). */
export function readLimitNote(): string {
  return allowedDirs ? ` (this engine reads files only in ${allowedDirs.join(', ')})` : '';
}

/**
 * Whether a caller-given path names a file this engine may read: it exists and, when reads are
 * limited, lies inside the allowed folders. Outside them the answer is false whether or not the
 * file exists, so a remote caller cannot probe the file system. Use it instead of existsSync for
 * "is this a path or an id?" decisions.
 */
export function mayRead(path: string): boolean {
  const abs = resolve(path);
  if (!allowed(abs) || !existsSync(abs)) return false;
  if (!allowedDirs) return true;
  try {
    return allowed(realpathSync(abs));
  } catch {
    return false;
  }
}

export function fileAccessLimit(): readonly string[] | undefined {
  return allowedDirs;
}

/** Environment variable through which a parent process hands the allowed folders to the engine process (JSON array). */
export const ALLOWED_DIRS_ENV = 'TESSERA_ALLOWED_DIRS';

function within(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

function kind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function mib(n: number): string {
  return n < 1024 * 1024 ? `${n} bytes` : `${(n / 1024 / 1024).toFixed(0)} MiB`;
}

export interface CheckOptions {
  /** What the file is, for messages: "profile", "scenario", "model". */
  what: string;
  maxBytes: number;
}

/** Checks a path without reading it: exists, allowed, a regular file, within the cap. Returns the absolute path and size. */
export function checkFile(path: string, opts: CheckOptions): { abs: string; size: number } {
  const abs = resolve(path);
  // Outside the allowed folders: refused before the file system is touched (no existence probe).
  if (!allowed(abs)) throw notAllowed(path, opts.what);
  let real: string;
  let st: Stats;
  try {
    real = realpathSync(abs);
    st = statSync(real);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new FileAccessError(`${opts.what} ${path}: no such file`, 'not-found', path);
    if (code === 'ENAMETOOLONG' || code === 'ELOOP') throw new FileAccessError(`${opts.what} ${path}: no such file (${code === 'ELOOP' ? 'a loop of symbolic links' : 'the name is too long'})`, 'not-found', path);
    throw new FileAccessError(`${opts.what} ${path}: cannot be read (${code ?? (e as Error).message})`, 'unreadable', path);
  }
  if (!allowed(real)) throw notAllowed(path, opts.what); // a symlink out of the allowed folders
  if (!st.isFile()) throw new FileAccessError(`${opts.what} ${path}: ${kind(st)}, not a regular file`, 'not-a-file', path);
  if (st.size > opts.maxBytes) throw new FileAccessError(`${opts.what} ${path}: ${mib(st.size)}, over the ${mib(opts.maxBytes)} limit for a ${opts.what}`, 'too-large', path);
  return { abs: real, size: st.size };
}

/** Reads a checked file whole. The size is checked again on the open descriptor, and at most the cap is read. */
export function readCheckedFile(path: string, opts: CheckOptions): Buffer {
  const { abs } = checkFile(path, opts);
  let fd: number;
  try {
    // O_NONBLOCK: if the file was swapped for a FIFO after the check, open must not hang.
    fd = openSync(abs, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw new FileAccessError(`${opts.what} ${path}: cannot be opened (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'unreadable', path);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new FileAccessError(`${opts.what} ${path}: ${kind(st)}, not a regular file`, 'not-a-file', path);
    if (st.size > opts.maxBytes) throw new FileAccessError(`${opts.what} ${path}: ${mib(st.size)}, over the ${mib(opts.maxBytes)} limit for a ${opts.what}`, 'too-large', path);
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return off === buf.length ? buf : buf.subarray(0, off);
  } catch (e) {
    if (e instanceof FileAccessError) throw e;
    throw new FileAccessError(`${opts.what} ${path}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'unreadable', path);
  } finally {
    closeSync(fd);
  }
}

export function readCheckedText(path: string, opts: CheckOptions): string {
  return readCheckedFile(path, opts).toString('utf8');
}

export { parseJsonText } from './json-text';
