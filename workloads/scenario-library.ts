// The scenario library: XRBench's usage scenarios and probability sweep (bundled), Tessera's mixed
// examples (workloads/scenarios/*.json, bundled), and the user's own (dataDir()/scenarios/*.json,
// added with `tessera scenario import`).
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { FileAccessError, MAX_DOCUMENT_BYTES, mayRead, readCheckedText, readLimitNote } from '../base/files';
import { dataDir } from '../base/paths';
import { checkScenarioModels, userXrbenchDir, type ModelCheckOptions } from './library';
import { parseScenario, parseScenarioText, ScenarioError, SCENARIO_SCHEMA_VERSION, type Scenario } from './scenario';
import { listXrbenchScenarios, parseXrbench, XrbenchParseError, xrbenchScenario, xrbenchToScenario } from './xrbench';
import readingAssistant from './scenarios/reading_assistant.json';
import visionLanguage from './scenarios/vision_language.json';

export type ScenarioOrigin = 'xrbench' | 'builtin' | 'user' | 'file';

export interface ScenarioSummary {
  id: string;
  name: string;
  description: string;
  origin: ScenarioOrigin;
  tenants: { id: string; model: string; rate: string; cascade?: string }[];
  path?: string;
  /** User scenarios that no longer validate say why. */
  error?: string;
}

export interface LoadedScenario {
  id: string;
  origin: ScenarioOrigin;
  scenario: Scenario;
  /** Folder relative model paths resolve against. */
  baseDir?: string;
  path?: string;
}

const BUILTIN: Record<string, unknown> = {
  'mixed/reading_assistant': readingAssistant,
  'mixed/vision_language': visionLanguage,
};

export function userScenariosDir(): string {
  return join(dataDir(), 'scenarios');
}

function summarize(id: string, origin: ScenarioOrigin, s: Scenario, path?: string): ScenarioSummary {
  return {
    id,
    name: s.name,
    description: s.description ?? '',
    origin,
    tenants: s.tenants.map((t) => ({
      id: t.id,
      model: t.model.kind === 'xrbench' ? `xrbench/${t.model.network}` : t.model.kind === 'library' ? t.model.id : t.model.kind === 'architecture' ? `architecture/${t.model.name}` : t.model.kind === 'npm' ? `${t.model.package}/${t.model.file}` : t.model.path,
      rate: t.arrival.type === 'periodic' ? `${+t.arrival.fps.toFixed(3)} fps` : `poisson ${t.arrival.ratePerSec}/s`,
      ...(t.cascade ? { cascade: `after ${t.cascade.upstream} (p=${t.cascade.probability})` } : {}),
    })),
    ...(path ? { path } : {}),
  };
}

/** Reads a scenario (or XRBench .m) file given by the caller: a regular file under the document cap (base/files.ts). */
function readScenarioFile(path: string): string {
  try {
    return readCheckedText(path, { what: 'scenario', maxBytes: MAX_DOCUMENT_BYTES });
  } catch (e) {
    if (e instanceof FileAccessError) throw new ScenarioError([e.message], path);
    throw e;
  }
}

function userFiles(): string[] {
  const dir = userScenariosDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

/** Every scenario: XRBench (usage scenarios, then the sweep), built-in mixed ones, then the user's. */
export function listScenarios(): ScenarioSummary[] {
  const out: ScenarioSummary[] = [];
  for (const x of listXrbenchScenarios().sort((a, b) => Number(a.sweep) - Number(b.sweep) || a.id.localeCompare(b.id, undefined, { numeric: true }))) out.push(summarize(x.id, 'xrbench', xrbenchScenario(x.id)));
  for (const [id, raw] of Object.entries(BUILTIN)) out.push(summarize(id, 'builtin', parseScenario(raw, id)));
  for (const f of userFiles()) {
    const path = join(userScenariosDir(), f);
    const id = `user/${f.replace(/\.json$/, '')}`;
    try {
      out.push(summarize(id, 'user', parseScenarioText(readFileSync(path, 'utf8'), path), path));
    } catch (e) {
      out.push({ id, name: id, description: '', origin: 'user', tenants: [], path, error: (e as Error).message });
    }
  }
  return out;
}

/**
 * Loads a scenario by library id (xrbench/vr_gaming, xrbench/sweep/vr_gaming_25p, mixed/...,
 * user/NAME; also a bare XRBench file name like VR_gaming) or by path (.json scenario, or an
 * XRBench .m file). Structure and semantics are validated; model checks are separate (validateScenario).
 */
export function loadScenario(ref: string): LoadedScenario {
  if (BUILTIN[ref]) return { id: ref, origin: 'builtin', scenario: parseScenario(BUILTIN[ref], ref), baseDir: undefined };
  if (ref.startsWith('user/')) {
    const path = join(userScenariosDir(), `${ref.slice(5)}.json`);
    if (!existsSync(path)) throw new ScenarioError([`no user scenario "${ref}" (looked for ${path}; tessera scenario list shows them)`], ref);
    return { id: ref, origin: 'user', scenario: parseScenarioText(readScenarioFile(path), path), baseDir: dirname(path), path };
  }
  if (ref.startsWith('xrbench/') || listXrbenchScenarios().some((x) => x.file === ref)) {
    const s = xrbenchScenario(ref);
    return { id: s.name, origin: 'xrbench', scenario: s };
  }
  if (mayRead(ref)) {
    const path = resolve(ref);
    const text = readScenarioFile(path);
    if (path.endsWith('.m')) {
      const parsed = parseXrbench(text, path);
      return { id: `file:${path}`, origin: 'file', scenario: xrbenchToScenario(parsed, { id: `file/${parsed.name}`, origin: path }), path, baseDir: dirname(path) };
    }
    return { id: `file:${path}`, origin: 'file', scenario: parseScenarioText(text, path), baseDir: dirname(path), path };
  }
  const known = listScenarios().map((s) => s.id);
  throw new ScenarioError([`no scenario "${ref}": not a library id (${known.join(', ')}) nor an existing file`], ref);
}

export interface ValidationResult {
  ok: boolean;
  errors: string[];
  scenario?: Scenario;
  /** Which checks ran. */
  checked: { structure: boolean; semantics: boolean; models: boolean };
}

/**
 * Full validation of a raw document (parsed JSON) or text: structure (schema, unknown fields),
 * semantics (rates, ids, cascades) and, unless models: 'none', model references and input shapes.
 * Never throws for an invalid scenario: returns every error.
 */
export async function validateScenario(doc: unknown, opts: ModelCheckOptions & { where?: string } = {}): Promise<ValidationResult> {
  const where = opts.where ?? 'scenario';
  let scenario: Scenario;
  try {
    scenario = typeof doc === 'string' ? parseScenarioText(doc, where) : parseScenario(doc, where);
  } catch (e) {
    if (e instanceof ScenarioError) return { ok: false, errors: e.errors, checked: { structure: true, semantics: true, models: false } };
    throw e;
  }
  const errors = await checkScenarioModels(scenario, opts);
  return { ok: errors.length === 0, errors, scenario, checked: { structure: true, semantics: true, models: opts.level !== 'none' } };
}

/** Validates a file (.json scenario, or an XRBench .m file) with model paths relative to its folder. */
export async function validateScenarioFile(path: string, opts: ModelCheckOptions = {}): Promise<ValidationResult> {
  const abs = resolve(path);
  if (!mayRead(abs)) return { ok: false, errors: [`file not found: ${abs}${readLimitNote()}`], checked: { structure: false, semantics: false, models: false } };
  let text: string;
  try {
    text = readScenarioFile(abs);
  } catch (e) {
    if (e instanceof ScenarioError) return { ok: false, errors: e.errors, checked: { structure: false, semantics: false, models: false } };
    throw e;
  }
  if (abs.endsWith('.m')) {
    try {
      const parsed = parseXrbench(text, abs);
      const s = xrbenchToScenario(parsed, { id: `file/${parsed.name}`, origin: abs });
      return { ok: true, errors: [], scenario: s, checked: { structure: true, semantics: true, models: false } };
    } catch (e) {
      if (e instanceof XrbenchParseError) return { ok: false, errors: [e.message], checked: { structure: true, semantics: false, models: false } };
      throw e;
    }
  }
  return validateScenario(text, { ...opts, baseDir: opts.baseDir ?? dirname(abs), where: abs });
}

const slugify = (s: string) =>
  s
    .replace(/\.(json|m)$/, '')
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/^[._-]+|[._-]+$/g, '')
    .slice(0, 80) || 'scenario';

function writeAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Saves a (validated) scenario as user/<id>; refuses to overwrite unless `force`. Returns its id and path. */
export function saveUserScenario(s: Scenario, name: string, opts: { force?: boolean } = {}): { id: string; path: string } {
  const slug = slugify(name.replace(/^user\//, ''));
  const path = join(userScenariosDir(), `${slug}.json`);
  if (existsSync(path) && !opts.force) throw new ScenarioError([`user scenario "user/${slug}" already exists (${path}); pass --force to replace it or --id to name it differently`], `user/${slug}`);
  parseScenario(s, `user/${slug}`);
  // A relative $schema (the bundled examples') would point nowhere from the user folder.
  const { $schema: _schema, ...rest } = s;
  writeAtomic(path, `${JSON.stringify({ ...rest, schemaVersion: SCENARIO_SCHEMA_VERSION }, null, 2)}\n`);
  return { id: `user/${slug}`, path };
}

export interface ImportResult {
  id: string;
  path: string;
  scenario: Scenario;
  /** What import changed (relative paths made absolute, .m copied). */
  notes: string[];
}

/**
 * Copies a scenario into the user library after validating it (structure, semantics, models):
 * a .json scenario (relative model paths become absolute so the copy still finds them), or an
 * XRBench / MAESTRO .m file (copied to dataDir()/xrbench/, its networks become xrbench models
 * "user/<name>"). Invalid files are rejected with every error.
 */
export async function importScenario(file: string, opts: { id?: string; force?: boolean; models?: ModelCheckOptions['level'] } = {}): Promise<ImportResult> {
  const abs = resolve(file);
  if (!mayRead(abs)) throw new ScenarioError([`file not found: ${abs}${readLimitNote()}`], file);
  const text = readScenarioFile(abs);
  const notes: string[] = [];
  if (abs.endsWith('.m')) {
    let parsed;
    try {
      parsed = parseXrbench(text, abs);
    } catch (e) {
      throw new ScenarioError([(e as Error).message], abs);
    }
    const slug = slugify(opts.id ?? parsed.name);
    const mPath = join(userXrbenchDir(), `${slug}.m`);
    if (existsSync(mPath) && !opts.force && readFileSync(mPath, 'utf8') !== text) {
      throw new ScenarioError([`an imported XRBench file named ${slug}.m already exists (${mPath}); pass --force to replace it or --id to name it differently`], abs);
    }
    const s = xrbenchToScenario({ ...parsed, name: `user/${slug}` }, { id: `user/${slug}`, origin: abs });
    s.name = `user/${slug}`;
    mkdirSync(userXrbenchDir(), { recursive: true });
    const saved = saveUserScenario(s, slug, opts);
    writeFileSync(mPath, text); // the checked bytes, not a second read of a file that may have changed
    notes.push(`${basename(abs)} copied to ${mPath}; its networks resolve as {kind: 'xrbench', scenario: 'user/${slug}'}`);
    return { ...saved, scenario: s, notes };
  }
  const baseDir = dirname(abs);
  const result = await validateScenarioFile(abs, { level: opts.models ?? 'fast' });
  if (!result.ok || !result.scenario) throw new ScenarioError(result.errors, abs);
  const s = structuredClone(result.scenario);
  for (const t of s.tenants) {
    if (t.model.kind === 'file' && !isAbsolute(t.model.path)) {
      const p = resolve(baseDir, t.model.path);
      notes.push(`tenant "${t.id}": model.path ${t.model.path} -> ${p}`);
      t.model.path = p;
    }
  }
  delete (s as { $schema?: string }).$schema;
  const saved = saveUserScenario(s, opts.id ?? basename(abs), opts);
  return { ...saved, scenario: s, notes };
}

export function deleteUserScenario(id: string): void {
  const path = join(userScenariosDir(), `${slugify(id.replace(/^user\//, ''))}.json`);
  if (!existsSync(path)) throw new ScenarioError([`no user scenario "${id}"`], id);
  rmSync(path);
}
