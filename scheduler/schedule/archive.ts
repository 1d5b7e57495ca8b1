// Bundles as one archive (.tgz, .tar.gz or .tar): the same three kinds of files as the folder form
// (manifest.json, schedule.json, models/*.onnx; bundle.ts), written and read with node-tar (the `tar`
// package, isaacs/node-tar). Reading never extracts blindly: every member is read into memory first,
// and the archive is refused, naming the member, when one
//   - is not a regular file or folder (links, devices), or its path is absolute or leaves the archive
//     (`..`), or appears twice;
//   - is listed in the manifest and absent, or present with another sha256 or size;
//   - is present and not listed in the manifest.
// Only then are the members written into a new private folder (mode 0700 under the OS temp folder,
// removed when the process exits), which the folder form's reader takes from there (file.ts).
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tar from 'tar';
import { BUNDLE_MANIFEST, BundleManifest, ScheduleError } from './manifest';

/** File names taken as bundle archives. */
export const ARCHIVE_PATTERN = /\.(tgz|tar\.gz|tar)$/i;

export const isArchivePath = (path: string): boolean => ARCHIVE_PATTERN.test(path);

/** Writes the bundle folder `dir` (bundle.ts) as one archive at `out` (gzip-compressed unless it ends in .tar). */
export function archiveBundle(dir: string, out: string, members: string[]): void {
  mkdirSync(dirname(out), { recursive: true });
  tar.c({ file: out, cwd: dir, sync: true, gzip: !/\.tar$/i.test(out), portable: true, noDirRecurse: true, mtime: new Date(0) }, members);
}

/** A member's path as the archive names it, checked: relative, inside the archive, no empty or dot segments. */
function memberPath(archive: string, raw: string): string {
  const p = raw.replace(/^\.\//, '').replace(/\/+$/, '');
  const bad = !p || p.startsWith('/') || /^[a-zA-Z]:/.test(p) || p.includes('\\') || p.split('/').some((seg) => seg === '..' || seg === '.' || seg === '');
  if (bad) throw new ScheduleError(`bundle ${archive}: member "${raw}" has a path outside the archive (absolute or with ..): refused`, 'bad-schedule');
  return p;
}

/** Every member of the archive, read into memory and checked (see the module comment). */
export function readArchiveMembers(archive: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const problems: ScheduleError[] = [];
  try {
    tar.t({
      file: archive,
      sync: true,
      onReadEntry: (entry) => {
        try {
          const p = memberPath(archive, entry.path);
          if (entry.type === 'Directory') return;
          if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') throw new ScheduleError(`bundle ${archive}: member "${entry.path}" is a ${entry.type}, not a regular file: refused`, 'bad-schedule');
          if (files.has(p)) throw new ScheduleError(`bundle ${archive}: member "${p}" appears twice: refused`, 'bad-schedule');
          const chunks: Buffer[] = [];
          entry.on('data', (c: Buffer) => chunks.push(c));
          entry.on('end', () => files.set(p, Buffer.concat(chunks)));
        } catch (e) {
          problems.push(e as ScheduleError);
          entry.resume();
        }
      },
    });
  } catch (e) {
    throw new ScheduleError(`bundle ${archive}: not a readable tar archive (${(e as Error).message})`, 'bad-schedule', { cause: e });
  }
  if (problems.length) throw problems[0];
  return files;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const extracted: string[] = [];
let cleanupHooked = false;

/**
 * Checks a bundle archive (every member against the manifest) and writes its members into a new
 * private folder; returns that folder (a bundle folder for file.ts verifyBundle).
 */
export function openBundleArchive(archive: string): string {
  let size: number;
  try {
    size = statSync(archive).size;
  } catch {
    throw new ScheduleError(`bundle ${archive}: no such file`, 'bad-schedule');
  }
  if (size === 0) throw new ScheduleError(`bundle ${archive}: empty file`, 'bad-schedule');
  const members = readArchiveMembers(archive);
  const mf = members.get(BUNDLE_MANIFEST);
  if (!mf) throw new ScheduleError(`bundle ${archive}: no ${BUNDLE_MANIFEST} member (\`tessera schedule bundle FILE --out X.tgz\` makes one)`, 'bad-schedule');
  let manifest: BundleManifest;
  try {
    manifest = BundleManifest.parse(JSON.parse(mf.toString('utf8')));
  } catch (e) {
    throw new ScheduleError(`bundle ${archive}: member ${BUNDLE_MANIFEST} is invalid (${(e as Error).message.slice(0, 300)})`, 'bad-schedule', { cause: e });
  }
  const listed = new Set<string>([BUNDLE_MANIFEST]);
  for (const f of manifest.files) {
    const p = memberPath(archive, f.path);
    listed.add(p);
    const bytes = members.get(p);
    const who = f.tenant ? ` (tenant "${f.tenant}")` : '';
    if (!bytes) throw new ScheduleError(`bundle ${archive}: member ${p} is missing (listed in ${BUNDLE_MANIFEST}${who}); bundle again`, 'missing-model');
    const actual = sha(bytes);
    if (actual !== f.sha256 || bytes.byteLength !== f.bytes) throw new ScheduleError(`bundle ${archive}: member ${p}: sha256 ${actual} (${bytes.byteLength} bytes) does not match the manifest's ${f.sha256} (${f.bytes} bytes)${who}: the archive changed after bundling; bundle again`, 'hash-mismatch');
  }
  for (const p of members.keys()) if (!listed.has(p)) throw new ScheduleError(`bundle ${archive}: member ${p} is not listed in ${BUNDLE_MANIFEST}: refused (an archive carries only what its manifest lists)`, 'bad-schedule');
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bundle-'));
  extracted.push(dir);
  if (!cleanupHooked) {
    cleanupHooked = true;
    process.once('exit', () => {
      for (const d of extracted) rmSync(d, { recursive: true, force: true });
    });
  }
  for (const [p, bytes] of members) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), bytes, { mode: 0o600 });
  }
  return dir;
}
