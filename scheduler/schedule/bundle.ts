// Schedule bundles: a folder that carries a tuned schedule with every model file it runs, so another
// machine can replay it, validate it and embed it (tessera/runtime) without the tuning machine's
// files or npm packages. Layout:
//   DIR/manifest.json   every file below with its sha256 and size (file.ts verifyBundle checks them all on load)
//   DIR/schedule.json   the schedule, its models pointing at models/ (relative paths)
//   DIR/models/*.onnx   one file per tenant, the exact bytes the schedule's sha256 names
// The archive form (`--out X.tgz`, `.tar.gz` or `.tar`) holds the same files, manifest first
// (archive.ts). Readers take DIR, DIR/manifest.json or the archive wherever they take a schedule file
// (file.ts readSchedule).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../profiler/store';
import { resolveModel } from '../../workloads/library';
import type { ModelRef } from '../../workloads/scenario';
import { BUNDLE_MANIFEST, BUNDLE_SCHEDULE, BundleManifest, ScheduleError } from './manifest';
import { archiveBundle, isArchivePath } from './archive';
import { Schedule } from './format';

export interface BundleResult {
  /** The bundle folder, or the archive file. */
  dir: string;
  /** 'folder' or 'archive' (.tgz, .tar.gz, .tar). */
  form: 'folder' | 'archive';
  manifest: BundleManifest;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

/**
 * Writes the bundle of a (loaded, checked) schedule into `out`: a new or empty folder, or a new
 * archive file when `out` ends in .tgz, .tar.gz or .tar. Each model is resolved as the schedule
 * records it and must still have its recorded sha256.
 */
export async function writeBundle(s: Schedule, out: string): Promise<BundleResult> {
  if (!isArchivePath(out)) return { ...(await writeBundleFolder(s, out)), form: 'folder' };
  const file = resolve(out);
  if (existsSync(file)) throw new ScheduleError(`bundle output ${file} exists; give a new file name`, 'bad-schedule');
  const staging = mkdtempSync(join(tmpdir(), 'tessera-bundle-out-'));
  try {
    const r = await writeBundleFolder(s, join(staging, 'b'));
    archiveBundle(r.dir, file, [BUNDLE_MANIFEST, ...r.manifest.files.map((f) => f.path)]);
    return { dir: file, form: 'archive', manifest: r.manifest };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

async function writeBundleFolder(s: Schedule, out: string): Promise<Omit<BundleResult, 'form'>> {
  const dir = resolve(out);
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) throw new ScheduleError(`bundle output ${dir} exists and is not an empty folder; give a new folder`, 'bad-schedule');
  mkdirSync(join(dir, 'models'), { recursive: true });
  const bundled: Schedule = structuredClone(s);
  const files: BundleManifest['files'] = [];
  for (const [i, m] of bundled.models.entries()) {
    let r;
    try {
      r = await resolveModel(m.ref);
    } catch (e) {
      throw new ScheduleError(`model of tenant "${m.tenant}" (${m.path ?? m.model}) cannot be read: ${(e as Error).message}`, 'missing-model', { cause: e });
    }
    const digest = sha(r.bytes);
    if (digest !== m.sha256) throw new ScheduleError(`${r.path ?? m.model}: sha256 ${digest} does not match the schedule's ${m.sha256} (tenant "${m.tenant}"): the model changed since it was tuned; re-tune or restore the file`, 'hash-mismatch');
    const rel = `models/${String(i).padStart(2, '0')}-${safe(m.tenant)}-${safe(m.model)}.onnx`;
    writeFileAtomic(join(dir, rel), r.bytes);
    const ref: ModelRef = { kind: 'file', path: rel };
    m.ref = ref;
    m.path = rel;
    // The scenario's tenant now reads the file: keep the shapes and fixed inputs the library gave its reference.
    const t = bundled.scenario.definition.tenants.find((x) => x.id === m.tenant);
    if (t) {
      t.model = ref;
      if (!t.inputShapes && Object.keys(r.inputShapes).length) t.inputShapes = r.inputShapes;
      if (!t.inputValues && r.inputValues && Object.keys(r.inputValues).length) t.inputValues = r.inputValues;
    }
    files.push({ path: rel, sha256: digest, bytes: r.bytes.byteLength, tenant: m.tenant });
  }
  const text = `${JSON.stringify(Schedule.parse(bundled), null, 2)}\n`;
  writeFileAtomic(join(dir, BUNDLE_SCHEDULE), text);
  files.unshift({ path: BUNDLE_SCHEDULE, sha256: sha(text), bytes: Buffer.byteLength(text) });
  const manifest = BundleManifest.parse({ kind: 'tessera-schedule-bundle', bundleVersion: 1, createdAt: new Date().toISOString(), schedule: BUNDLE_SCHEDULE, files });
  writeFileAtomic(join(dir, BUNDLE_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir, manifest };
}
