// The bundled suite (workloads/data/xrbench.json, generated from the .m files by the
// workloads-xrbench test with TESSERA_UPDATE=1; networks deduplicated by name): packing it, looking
// files and networks up, and XRBench files as Tessera scenarios.
import type { Scenario, Tenant } from '../scenario';
import { SCENARIO_SCHEMA_VERSION } from '../scenario';
import xrbenchData from '../data/xrbench.json';
import { REPLICA_LABEL, XRBENCH_CITATION, xrbenchTask, type XrLayerSpec, type XrLayerType, type XrNetworkSpec, type XrScenarioFile } from './parse';

type PackedLayer = [string, string, number, number, number, number, number, number, number];
export interface PackedData {
  source: string;
  license: string;
  files: Record<string, { networks: { name: string; fps: number; probability?: number; dependency?: string[] }[] }>;
  networks: Record<string, PackedLayer[]>;
}

const DATA = xrbenchData as unknown as PackedData;

/** Packs parsed files into the bundled JSON form (networks by name; same-named networks must be identical). */
export function packXrbench(files: { path: string; parsed: XrScenarioFile }[], source: string, license: string): PackedData {
  const out: PackedData = { source, license, files: {}, networks: {} };
  for (const { path, parsed } of files) {
    out.files[path] = { networks: parsed.networks.map(({ name, fps, probability, dependency }) => ({ name, fps, ...(probability !== undefined ? { probability } : {}), ...(dependency ? { dependency } : {}) })) };
    for (const n of parsed.networks) {
      const packed = n.layers.map((l): PackedLayer => [l.name, l.type, l.N, l.K, l.C, l.Y, l.X, l.R, l.S]);
      const prev = out.networks[n.name];
      if (prev && JSON.stringify(prev) !== JSON.stringify(packed)) throw new Error(`network ${n.name} differs between files (${path})`);
      out.networks[n.name] = packed;
    }
  }
  return out;
}

/** The bundled JSON's text: one layer per line, so that diffs stay readable. */
export function serializeXrbench(data: PackedData): string {
  const files = Object.entries(data.files).map(([path, f]) => `    ${JSON.stringify(path)}: ${JSON.stringify(f)}`);
  const nets = Object.entries(data.networks).map(([name, layers]) => `    ${JSON.stringify(name)}: [\n${layers.map((l) => `      ${JSON.stringify(l)}`).join(',\n')}\n    ]`);
  return `{\n  "source": ${JSON.stringify(data.source)},\n  "license": ${JSON.stringify(data.license)},\n  "files": {\n${files.join(',\n')}\n  },\n  "networks": {\n${nets.join(',\n')}\n  }\n}\n`;
}

const unpack = (l: PackedLayer): XrLayerSpec => ({ name: l[0], type: l[1] as XrLayerType, N: l[2], K: l[3], C: l[4], Y: l[5], X: l[6], R: l[7], S: l[8] });

export interface XrbenchScenarioInfo {
  /** Library id, e.g. xrbench/vr_gaming or xrbench/sweep/vr_gaming_25p. */
  id: string;
  /** File name without .m, e.g. VR_gaming. */
  file: string;
  path: string;
  sweep: boolean;
  networks: string[];
}

/** Library id of an XRBench file: VR_gaming -> vr_gaming, social_interactionA -> social_interaction_a. */
export function xrbenchScenarioId(path: string): string {
  const file = path.replace(/^.*\//, '').replace(/\.m$/, '');
  const slug = file.replace(/([a-z])([A-Z])$/, '$1_$2').toLowerCase();
  return path.startsWith('probability_sweep/') ? `xrbench/sweep/${slug}` : `xrbench/${slug}`;
}

export function listXrbenchScenarios(): XrbenchScenarioInfo[] {
  return Object.entries(DATA.files).map(([path, f]) => ({
    id: xrbenchScenarioId(path),
    file: path.replace(/^.*\//, '').replace(/\.m$/, ''),
    path,
    sweep: path.startsWith('probability_sweep/'),
    networks: f.networks.map((n) => n.name),
  }));
}

export function listXrbenchNetworks(): string[] {
  return Object.keys(DATA.networks);
}

/** The layer list of a network of the bundled suite. */
export function xrbenchNetwork(name: string): XrNetworkSpec {
  const layers = DATA.networks[name];
  if (!layers) throw new Error(`XRBench has no network "${name}" (networks: ${listXrbenchNetworks().join(', ')})`);
  let fps = NaN;
  for (const f of Object.values(DATA.files)) {
    const n = f.networks.find((x) => x.name === name);
    if (n) {
      fps = n.fps;
      break;
    }
  }
  return { name, fps, layers: layers.map(unpack) };
}

/** Finds a bundled XRBench file by id (xrbench/vr_gaming), file name (VR_gaming) or path. */
export function findXrbenchScenario(ref: string): XrbenchScenarioInfo | undefined {
  const all = listXrbenchScenarios();
  const r = ref.replace(/\.m$/, '');
  return all.find((s) => s.id === r || s.file === r || s.path === `${r}.m` || s.id === `xrbench/${r}` || s.id === `xrbench/sweep/${r}`);
}

/** Does the bundled file `scenario` contain `network`? (Networks with one name are identical across files.) */
export function xrbenchHas(scenario: string, network: string): boolean {
  const s = findXrbenchScenario(scenario);
  return !!s && s.networks.includes(network);
}

export const XRBENCH_DATA_INFO = { source: DATA.source, license: DATA.license };

/**
 * An XRBench scenario file as a Tessera scenario: one tenant per network with its frame rate; a
 * network with a Dependency becomes a cascade on that upstream with its Probability (default 1);
 * the deadline is XRBench's, the next frame's release (1000 / FPS ms).
 */
export function xrbenchToScenario(file: XrScenarioFile, opts: { id?: string; origin?: string; sweep?: boolean } = {}): Scenario {
  const tenants: Tenant[] = file.networks.map((n) => {
    const t: Tenant = {
      id: n.name,
      // What the model is (the replica label) is said once, in the notes and each tenant's label.
      description: `${xrbenchTask(n.name)}: ${n.layers.length} layers`,
      model: { kind: 'xrbench', scenario: file.name, network: n.name },
      arrival: { type: 'periodic', fps: n.fps },
      deadlineMs: 1000 / n.fps,
      priority: 3,
    };
    if (n.dependency && n.dependency.length > 0) t.cascade = { upstream: n.dependency[0], probability: n.probability ?? 1 };
    return t;
  });
  const multi = file.networks.filter((n) => (n.dependency?.length ?? 0) > 1);
  return {
    schemaVersion: SCENARIO_SCHEMA_VERSION,
    name: opts.id ?? `xrbench/${file.name}`,
    description: `XRBench ${opts.sweep ? 'probability-sweep' : 'usage'} scenario ${file.name}: ${file.networks.map((n) => `${n.name} (${xrbenchTask(n.name)}, ${n.fps} FPS${n.dependency ? `, after ${n.dependency.join('+')} p=${n.probability ?? 1}` : ''})`).join('; ')}.`,
    source: `${XRBENCH_CITATION}${opts.origin ? `; file ${opts.origin}` : ''}`,
    notes: [
      `Every model is a ${REPLICA_LABEL}: each network is rebuilt from its layer list with derived strides/padding and deterministic pseudo-random weights; outputs carry no meaning.`,
      "Deadlines follow XRBench: a frame's deadline is the next frame's release (1000 / FPS ms).",
      'Cascades: a dependent network runs after its upstream frame with the given probability; its own FPS only sets its deadline.',
      'Priorities are not part of XRBench: every tenant gets the default 3.',
      ...(multi.length ? [`Only the first Dependency is used for ${multi.map((n) => n.name).join(', ')} (Tessera cascades have one upstream).`] : []),
    ],
    tenants,
  };
}

/** The bundled XRBench scenario by id (xrbench/vr_gaming, xrbench/sweep/vr_gaming_25p) or file name. */
export function xrbenchScenario(ref: string): Scenario {
  const info = findXrbenchScenario(ref);
  if (!info) throw new Error(`no XRBench scenario "${ref}" (known: ${listXrbenchScenarios().map((s) => s.id).join(', ')})`);
  const f = DATA.files[info.path];
  const file: XrScenarioFile = { name: info.file, networks: f.networks.map((n) => ({ ...n, layers: DATA.networks[n.name].map(unpack) })) };
  return xrbenchToScenario(file, { id: info.id, origin: info.path, sweep: info.sweep });
}
