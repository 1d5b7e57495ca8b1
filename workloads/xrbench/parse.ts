// XRBench's scenario files: the `.m` (MAESTRO) format and its parser, and the facts every part of
// the import shares (citation, replica label, task names of the network prefixes).
// XRBench: Kwon et al., "XRBench: An Extended Reality (XR) Machine Learning Benchmark Suite for the
// Metaverse", MLSys 2023; repository XRBench/XRBench-MLSys2023 at 8915666, MIT licence (see
// workloads/data/XRBENCH_LICENSE).

export const REPLICA_LABEL = 'layer-shape replica: real layer shapes, synthetic weights';
export const XRBENCH_CITATION = 'XRBench (Kwon et al., MLSys 2023), XRBench/XRBench-MLSys2023 at 8915666, MIT licence';

export type XrLayerType = 'CONV' | 'DSCONV';
export const XR_LAYER_TYPES: readonly XrLayerType[] = ['CONV', 'DSCONV'];

export interface XrLayerSpec {
  name: string;
  type: XrLayerType;
  N: number;
  K: number;
  C: number;
  Y: number;
  X: number;
  R: number;
  S: number;
  /** MAESTRO files may give a stride; XRBench's never do. */
  stride?: { X: number; Y: number };
}

export interface XrNetworkSpec {
  name: string;
  fps: number;
  /** Cascade probability (only with a dependency); XRBench's default is 1. */
  probability?: number;
  /** Upstream networks this one runs after. */
  dependency?: string[];
  layers: XrLayerSpec[];
}

export interface XrScenarioFile {
  /** File name without .m, e.g. VR_gaming. */
  name: string;
  networks: XrNetworkSpec[];
}

export class XrbenchParseError extends Error {
  constructor(
    readonly where: string,
    readonly line: number,
    message: string,
  ) {
    super(`${where}:${line}: ${message}`);
    this.name = 'XrbenchParseError';
  }
}

interface Tok {
  t: string;
  line: number;
}

function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  const re = /\/\/[^\n]*|#[^\n]*|([A-Za-z_][\w.-]*|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|[{}:,])|(\n)|[ \t\r]+|(.)/g;
  let line = 1;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    if (m[2]) line++;
    else if (m[1]) out.push({ t: m[1], line });
    else if (m[3]) out.push({ t: m[3], line });
  }
  return out;
}

const DIM_KEYS = ['N', 'K', 'C', 'Y', 'X', 'R', 'S'] as const;

/**
 * Parses one XRBench / MAESTRO `.m` scenario file: `Network NAME { FPS: n  Probability: p
 * Dependency: { UP }  Layer NAME { Type: CONV  Dimensions: { N: 1, K: .., C: .., Y: .., X: .., R: .., S: .. } } ... }`.
 * Layer types: CONV (dense; fully connected layers are CONV with Y or X of 1 and R = S = 1) and
 * DSCONV (depthwise, MAESTRO: K = 1 per channel group). Errors name the file and line.
 */
export function parseXrbench(text: string, where = 'xrbench'): XrScenarioFile {
  const toks = tokenize(text);
  let i = 0;
  const fail = (msg: string, at = toks[Math.min(i, toks.length - 1)]): never => {
    throw new XrbenchParseError(where, at?.line ?? 1, msg);
  };
  const peek = () => toks[i]?.t;
  const next = () => {
    if (i >= toks.length) fail('unexpected end of file');
    return toks[i++];
  };
  const expect = (t: string) => {
    const got = next();
    if (got.t !== t) fail(`expected "${t}", got "${got.t}"`, got);
  };
  const number = (what: string): number => {
    const got = next();
    const v = Number(got.t);
    if (!Number.isFinite(v)) fail(`${what} must be a number, got "${got.t}"`, got);
    return v;
  };
  const dims = (what: string): Record<string, number> => {
    expect('{');
    const d: Record<string, number> = {};
    while (peek() !== '}') {
      const k = next();
      expect(':');
      d[k.t] = number(`${what} ${k.t}`);
      if (peek() === ',') i++;
    }
    expect('}');
    return d;
  };

  const networks: XrNetworkSpec[] = [];
  const base = where.replace(/^.*[\\/]/, '').replace(/\.m$/, '');
  while (i < toks.length) {
    const t = next();
    if (t.t === '}') continue; // stray closing brace between networks (seen in the sweep files)
    if (t.t !== 'Network') fail(`expected "Network", got "${t.t}"`, t);
    const nameTok = next();
    expect('{');
    const net: XrNetworkSpec = { name: nameTok.t, fps: NaN, layers: [] };
    while (peek() !== '}') {
      const key = next();
      if (key.t === 'Layer') {
        const lname = next();
        expect('{');
        let type: string | undefined;
        let d: Record<string, number> | undefined;
        let stride: Record<string, number> | undefined;
        while (peek() !== '}') {
          const k = next();
          if (k.t === 'Type') {
            expect(':');
            type = next().t;
          } else if (k.t === 'Dimensions') {
            if (peek() === ':') i++;
            d = dims(`layer ${lname.t} dimension`);
          } else if (k.t === 'Stride') {
            if (peek() === ':') i++;
            stride = dims(`layer ${lname.t} stride`);
          } else if (k.t === 'Dataflow') {
            // MAESTRO dataflow directives: irrelevant here, skipped (balanced braces).
            let depth = 0;
            do {
              const x = next();
              if (x.t === '{') depth++;
              else if (x.t === '}') depth--;
            } while (depth > 0);
          } else fail(`network ${net.name}, layer ${lname.t}: unknown field "${k.t}"`, k);
        }
        expect('}');
        if (!type) fail(`network ${net.name}, layer ${lname.t}: no Type`, lname);
        if (!XR_LAYER_TYPES.includes(type as XrLayerType)) fail(`network ${net.name}, layer ${lname.t}: layer Type ${type} is not supported (supported: ${XR_LAYER_TYPES.join(', ')})`, lname);
        if (!d) fail(`network ${net.name}, layer ${lname.t}: no Dimensions`, lname);
        const layer = { name: lname.t, type: type as XrLayerType } as XrLayerSpec;
        for (const k of DIM_KEYS) {
          const v = d![k] ?? (k === 'N' ? 1 : undefined);
          if (v === undefined) fail(`network ${net.name}, layer ${lname.t}: Dimensions lack ${k}`, lname);
          if (!Number.isInteger(v) || v! < 1) fail(`network ${net.name}, layer ${lname.t}: dimension ${k} must be a positive integer, got ${v}`, lname);
          layer[k] = v!;
        }
        if (stride) layer.stride = { X: stride.X ?? 1, Y: stride.Y ?? 1 };
        net.layers.push(layer);
      } else if (key.t === 'FPS') {
        expect(':');
        net.fps = number(`network ${net.name} FPS`);
      } else if (key.t === 'Probability') {
        expect(':');
        net.probability = number(`network ${net.name} Probability`);
      } else if (key.t === 'Dependency') {
        if (peek() === ':') i++;
        expect('{');
        const ups: string[] = [];
        while (peek() !== '}') {
          const u = next();
          if (u.t !== ',') ups.push(u.t);
        }
        expect('}');
        net.dependency = ups;
      } else fail(`network ${net.name}: unknown field "${key.t}"`, key);
    }
    expect('}');
    if (!(net.fps > 0)) fail(`network ${net.name}: FPS missing or not > 0`, nameTok);
    if (net.layers.length === 0) fail(`network ${net.name}: no layers`, nameTok);
    if (networks.some((n) => n.name === net.name)) fail(`network ${net.name} appears twice`, nameTok);
    networks.push(net);
  }
  if (networks.length === 0) throw new XrbenchParseError(where, 1, 'no Network blocks');
  for (const n of networks) {
    for (const u of n.dependency ?? []) {
      if (!networks.some((m) => m.name === u)) throw new XrbenchParseError(where, 1, `network ${n.name}: Dependency "${u}" is not a network of this file`);
    }
  }
  return { name: base, networks };
}

/** XRBench's task abbreviations (network name prefixes). */
const TASKS: Record<string, string> = {
  ES: 'eye segmentation',
  GE: 'gaze estimation',
  HT: 'hand tracking',
  KD: 'keyword detection',
  ASR: 'speech recognition',
  SS: 'semantic segmentation',
  DE: 'depth estimation',
  DR: 'depth refinement',
  PD: 'plane detection',
  OD: 'object detection',
  AS: 'action segmentation',
  D2go: 'object detection',
};

export function xrbenchTask(network: string): string {
  return TASKS[network.split('_')[0]] ?? 'unknown task';
}
