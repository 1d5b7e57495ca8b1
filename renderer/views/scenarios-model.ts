// Pure helpers of the Scenarios view: grouping the library, model labels, number formats and the
// cascade graph's layout. No DOM here (unit-tested in test/scenarios-view-model.test.ts).
import { fmtCompact, fmtPct, finiteNum } from '../format';

/** The fields of a library entry (ScenarioSummary) that grouping needs. */
export interface LibraryItem {
  id: string;
  origin: string;
}

export interface LibraryGroup<T extends LibraryItem> {
  key: 'xrbench' | 'sweep' | 'mixed' | 'user' | 'other';
  title: string;
  blurb: string;
  items: T[];
}

const GROUPS: Omit<LibraryGroup<LibraryItem>, 'items'>[] = [
  { key: 'xrbench', title: 'XRBench usage scenarios', blurb: 'The seven multi-model usage scenarios of XRBench (Kwon et al., MLSys 2023): real layer shapes, rebuilt as layer-shape replicas with synthetic weights.' },
  { key: 'sweep', title: 'XRBench probability sweep', blurb: "VR gaming with the gaze model's cascade probability at 25 to 100%." },
  { key: 'mixed', title: 'Mixed examples', blurb: "Tessera's examples mixing real pretrained models with XRBench replicas." },
  { key: 'user', title: 'Your scenarios', blurb: 'Imported or saved from a scaling (stored in your Tessera data folder).' },
  { key: 'other', title: 'Other', blurb: '' },
];

/** Which group a library entry belongs to. */
export function groupKey(item: LibraryItem): LibraryGroup<LibraryItem>['key'] {
  if (item.origin === 'xrbench') return item.id.startsWith('xrbench/sweep/') ? 'sweep' : 'xrbench';
  if (item.origin === 'builtin') return 'mixed';
  if (item.origin === 'user') return 'user';
  return 'other';
}

/** The library grouped by source, in the engine's order within each group; empty groups are left out except "user" (which says how to add one). */
export function groupLibrary<T extends LibraryItem>(items: T[]): LibraryGroup<T>[] {
  return GROUPS.map((g) => ({ ...g, items: items.filter((i) => groupKey(i) === g.key) })).filter((g) => g.items.length > 0 || g.key === 'user');
}

/** A short badge text for a model label ("layer-shape replica: real layer shapes, synthetic weights" → "layer-shape replica"). */
export function shortLabel(label: string | undefined, family?: string): string {
  const l = (label ?? '').trim();
  if (!l) return family === 'file' ? 'ONNX file' : family ?? 'model';
  if (/pretrained/i.test(l)) return 'pretrained';
  const head = l.split(':')[0].trim();
  return head || l;
}

/** Badge kind: synthetic weights are flagged (warn) so nobody reads them as a real model's outputs. */
export function labelKind(synthetic: boolean): 'warn' | 'ok' {
  return synthetic ? 'warn' : 'ok';
}

// ---------------------------------------------------------------------------------------------
// Number formats (never NaN/undefined on screen): the general ones are renderer/format.ts; here
// only MACs and rates.

const finite = (x: unknown): x is number => finiteNum(x) !== undefined;

/** MACs of one inference with a unit: "5.7 G", "0.94 G", "6.76 M", "566 k". */
export function macsText(macs: number | null | undefined): string {
  if (!finite(macs)) return '–';
  const a = Math.abs(macs);
  if (a >= 1e8) return `${fmtCompact(macs / 1e9)} G`;
  if (a >= 1e5) return `${fmtCompact(macs / 1e6)} M`;
  if (a >= 1e2) return `${fmtCompact(macs / 1e3)} k`;
  return fmtCompact(macs);
}

/** MACs per second in the largest fitting unit: "575.3 GMAC/s", "17.7 MMAC/s", "1.2 TMAC/s". */
export function macsRate(perSec: number | null | undefined): string {
  if (!finite(perSec)) return '–';
  const units: [number, string][] = [[1e12, 'TMAC/s'], [1e9, 'GMAC/s'], [1e6, 'MMAC/s'], [1e3, 'kMAC/s']];
  for (const [v, u] of units) if (Math.abs(perSec) >= v) return `${+(perSec / v).toFixed(1)} ${u}`;
  return `${fmtCompact(perSec)} MAC/s`;
}

export type ArrivalLike = { type: 'periodic'; fps: number; jitterMs?: number; phaseMs?: number } | { type: 'poisson'; ratePerSec: number };

/** "60 fps", "60 fps ± 2 ms jitter", "Poisson 2/s". */
export function rateText(a: ArrivalLike): string {
  if (a.type === 'periodic') return `${fmtCompact(a.fps, 3)} fps${a.jitterMs ? ` ± ${fmtCompact(a.jitterMs)} ms jitter` : ''}${a.phaseMs ? `, phase ${fmtCompact(a.phaseMs)} ms` : ''}`;
  return `Poisson ${fmtCompact(a.ratePerSec, 3)}/s`;
}

/** SLOs in words, or '' when there are none. */
export function slosText(s: { minAccuracy?: number; minThroughputFps?: number; maxLatencyMs?: number } | undefined): string {
  if (!s) return '';
  const parts: string[] = [];
  if (finite(s.maxLatencyMs)) parts.push(`p95 latency ≤ ${fmtCompact(s.maxLatencyMs)} ms`);
  if (finite(s.minThroughputFps)) parts.push(`throughput ≥ ${fmtCompact(s.minThroughputFps, 3)} fps`);
  if (finite(s.minAccuracy)) parts.push(`accuracy ≥ ${fmtPct(s.minAccuracy, 1)}`);
  return parts.join('; ');
}

/** A shape like [1, 3, 224, 224] → "1×3×224×224"; a scalar input → "scalar". */
export function shapeText(shape: number[]): string {
  return shape.length ? shape.join('×') : 'scalar';
}

/** Input shapes of a model: "input 1×3×160×100" or "x 1×3×48×192, state 2×1×128". */
export function inputShapesText(shapes: Record<string, number[]> | undefined): string {
  if (!shapes) return '–';
  const e = Object.entries(shapes);
  if (!e.length) return '–';
  return e.map(([k, v]) => `${k} ${shapeText(v)}`).join(', ');
}

/** Conv padding [top, left, bottom, right] in words: "1" when all equal, else "t1 l1 b2 r2". */
export function padsText(p: [number, number, number, number] | number[] | undefined): string {
  if (!p || !p.length) return '–';
  if (p.every((v) => v === p[0])) return String(p[0]);
  const [t, l, b, r] = p;
  return `t${t} l${l} b${b} r${r}`;
}

// ---------------------------------------------------------------------------------------------
// Demand chart data: per lane, the busy fraction each tenant asks for (stacked), in percent.

export interface LaneDemandLike {
  id: string;
  utilisation: number;
  byTenant: Record<string, number>;
}

/** Stacked series for a utilisation chart: one series per tenant (in tenant order) with its % of each lane; `max` is the y-axis top (at least 110% so the 100% line shows). */
export function utilisationSeries(lanes: LaneDemandLike[], tenantIds: string[]): { labels: string[]; series: { tenant: string; data: number[] }[]; totals: number[]; max: number } {
  const labels = lanes.map((l) => l.id);
  const series = tenantIds
    .map((t) => ({ tenant: t, data: lanes.map((l) => ((l.byTenant[t] ?? 0) / 1000) * 100) }))
    .filter((s) => s.data.some((v) => v > 0));
  const totals = lanes.map((l) => l.utilisation * 100);
  const top = Math.max(100, ...totals.filter(Number.isFinite));
  const max = Math.ceil((top * 1.1) / 10 - 1e-9) * 10;
  return { labels, series, totals, max };
}

// ---------------------------------------------------------------------------------------------
// Cascade graph layout: tenants as boxes, arrows upstream → dependent. Layers by depth, left to
// right (roots in column 0, a dependent one column right of its upstream); within a column, each
// tenant sits on its upstream's row or the next free row below, so chains read straight across.
// Tenants in no cascade sit side by side below the trees.

export interface GraphNodeIn {
  id: string;
  /** Second line in the box (e.g. "60 fps"). */
  sub?: string;
}

export interface GraphEdgeIn {
  upstream: string;
  dependent: string;
  probability: number;
}

export interface GraphNode {
  id: string;
  sub?: string;
  depth: number;
  row: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  probability: number;
  /** SVG path ("M x y C ..."), from the upstream box's right side to the dependent's left side. */
  path: string;
  /** Where the probability label goes (middle of the edge, above it). */
  labelX: number;
  labelY: number;
  label: string;
}

export interface GraphLayout {
  width: number;
  height: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Cascades naming a tenant that is not in the scenario, or part of a cycle (drawn as roots). */
  problems: string[];
}

export interface LayoutOptions {
  /** Approximate width of one character of the node label, px. */
  charWidth?: number;
  minNodeWidth?: number;
  maxNodeWidth?: number;
  nodeHeight?: number;
  /** Horizontal gap between columns (room for the arrow and its label), px. */
  colGap?: number;
  rowGap?: number;
  margin?: number;
  /** Tenants in no cascade are laid side by side up to this width (or the trees' width if wider), then wrap. */
  maxWidth?: number;
}

/** "p = 0.25" → "25%"; 1 → "100%". */
export function probabilityLabel(p: number): string {
  return finite(p) ? `p = ${+(p * 100).toFixed(1)}%` : 'p = ?';
}

export function layoutCascadeGraph(nodesIn: GraphNodeIn[], edgesIn: GraphEdgeIn[], opts: LayoutOptions = {}): GraphLayout {
  const charWidth = opts.charWidth ?? 7.2;
  const minW = opts.minNodeWidth ?? 90;
  const maxW = opts.maxNodeWidth ?? 240;
  const nodeH = opts.nodeHeight ?? 44;
  const colGap = opts.colGap ?? 90;
  const rowGap = opts.rowGap ?? 18;
  const margin = opts.margin ?? 12;
  const problems: string[] = [];
  const ids = new Set(nodesIn.map((n) => n.id));

  // Each tenant has at most one upstream (a cascade names one); keep the first valid one.
  const parent = new Map<string, string>();
  const edges: GraphEdgeIn[] = [];
  for (const e of edgesIn) {
    if (!ids.has(e.upstream) || !ids.has(e.dependent)) {
      problems.push(`cascade ${e.upstream} → ${e.dependent}: ${!ids.has(e.upstream) ? e.upstream : e.dependent} is not a tenant`);
      continue;
    }
    if (parent.has(e.dependent)) {
      problems.push(`cascade ${e.upstream} → ${e.dependent}: ${e.dependent} already has an upstream`);
      continue;
    }
    parent.set(e.dependent, e.upstream);
    edges.push(e);
  }
  // Cycles: walking up from a node comes back to it. Break them by dropping the edge into the first node met.
  for (const n of nodesIn) {
    const seen = new Set<string>([n.id]);
    let cur = parent.get(n.id);
    while (cur !== undefined) {
      if (cur === n.id) {
        problems.push(`cascade cycle through ${n.id}: drawn without the edge into ${n.id}`);
        parent.delete(n.id);
        const i = edges.findIndex((e) => e.dependent === n.id);
        if (i >= 0) edges.splice(i, 1);
        break;
      }
      if (seen.has(cur)) break; // a cycle further up: broken when its own node comes
      seen.add(cur);
      cur = parent.get(cur);
    }
  }
  const children = new Map<string, string[]>();
  for (const n of nodesIn) {
    const p = parent.get(n.id);
    if (p !== undefined) children.set(p, [...(children.get(p) ?? []), n.id]);
  }

  const depth = new Map<string, number>();
  const row = new Map<string, number>();
  const nextFree: number[] = [];
  const place = (id: string, d: number, minRow: number) => {
    const r = Math.max(minRow, nextFree[d] ?? 0);
    depth.set(id, d);
    row.set(id, r);
    nextFree[d] = r + 1;
    for (const c of children.get(id) ?? []) place(c, d + 1, r);
  };
  // Trees (a root with dependents) first; each starts below every row used so far, so its chains
  // stay on their own band. Tenants in no cascade at all then go side by side, wrapping, below.
  const standalone = nodesIn.filter((n) => !parent.has(n.id) && !children.has(n.id));
  for (const n of nodesIn) if (!parent.has(n.id) && children.has(n.id)) place(n.id, 0, Math.max(0, ...nextFree.filter((v) => v !== undefined)));

  // Column widths: the widest label in each column.
  const textW = (n: GraphNodeIn) => Math.min(maxW, Math.max(minW, Math.ceil(Math.max(n.id.length, (n.sub ?? '').length) * charWidth) + 20));
  const cols = Math.max(0, ...[...depth.values()].map((d) => d + 1));
  const colW: number[] = Array.from({ length: cols }, () => minW);
  for (const n of nodesIn) if (depth.has(n.id)) colW[depth.get(n.id)!] = Math.max(colW[depth.get(n.id)!], textW(n));
  const colX: number[] = [];
  let x = margin;
  for (let c = 0; c < cols; c++) {
    colX.push(x);
    x += colW[c] + colGap;
  }
  const treeWidth = cols ? colX[cols - 1] + colW[cols - 1] + margin : 0;
  const treeRows = Math.max(0, ...[...row.values()].map((r) => r + 1));
  const rowY = (r: number) => margin + r * (nodeH + rowGap);

  const nodes: GraphNode[] = [];
  const placedAlone = new Map<string, GraphNode>();
  const wrapAt = Math.max(treeWidth, opts.maxWidth ?? 760);
  let ax = margin;
  let ar = treeRows;
  let width = treeWidth;
  for (const n of standalone) {
    const w = textW(n);
    if (ax > margin && ax + w + margin > wrapAt) {
      ax = margin;
      ar++;
    }
    placedAlone.set(n.id, { id: n.id, ...(n.sub !== undefined ? { sub: n.sub } : {}), depth: 0, row: ar, x: ax, y: rowY(ar), w, h: nodeH });
    width = Math.max(width, ax + w + margin);
    ax += w + rowGap * 2;
  }
  for (const n of nodesIn) {
    const alone = placedAlone.get(n.id);
    if (alone) {
      nodes.push(alone);
      continue;
    }
    const d = depth.get(n.id)!;
    const r = row.get(n.id)!;
    nodes.push({ id: n.id, ...(n.sub !== undefined ? { sub: n.sub } : {}), depth: d, row: r, x: colX[d], y: rowY(r), w: colW[d], h: nodeH });
  }
  const rows = standalone.length ? ar + 1 : treeRows;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const outEdges: GraphEdge[] = edges.map((e) => {
    const a = byId.get(e.upstream)!;
    const b = byId.get(e.dependent)!;
    const x1 = a.x + a.w;
    const y1 = a.y + a.h / 2;
    const x2 = b.x;
    const y2 = b.y + b.h / 2;
    const mx = (x1 + x2) / 2;
    const r = (v: number) => +v.toFixed(1);
    return {
      from: e.upstream,
      to: e.dependent,
      probability: e.probability,
      path: `M ${r(x1)} ${r(y1)} C ${r(mx)} ${r(y1)}, ${r(mx)} ${r(y2)}, ${r(x2)} ${r(y2)}`,
      labelX: r(mx),
      labelY: r((y1 + y2) / 2 - 6),
      label: probabilityLabel(e.probability),
    };
  });
  const height = rows ? margin * 2 + rows * nodeH + (rows - 1) * rowGap : 2 * margin;
  return { width: Math.max(width, 2 * margin), height, nodes, edges: outEdges, problems };
}

// ---------------------------------------------------------------------------------------------
// Next steps (profile the missing models, simulate, run live): the lanes carried between views

/** "cpu:1, cpu:1,webgpu" → ["cpu:1", "cpu:1", "webgpu"]: the lanes as Simulate and Live take them (repeats are lanes). */
export function lanesList(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

/** The distinct lanes to profile on ("cpu:1#1" is a second cpu:1 lane: measured as cpu:1). */
export function profileLanes(lanes: string[]): string[] {
  return [...new Set(lanes.map((l) => l.replace(/#\d+$/, '')))];
}

/** One line on which tenants have a profile, for the next-steps card. */
export function profilesLine(found: Record<string, string>, missing: { tenant: string; model: string }[], lanes: string[]): string {
  const n = Object.keys(found).length;
  const total = n + missing.length;
  const on = lanes.length ? ` on ${profileLanes(lanes).join(', ')}` : '';
  if (!missing.length) return `Every tenant (${total}) has a stored profile of its model${on}.`;
  return `${n} of ${total} tenants have a stored profile${on}; missing: ${missing.map((m) => `${m.tenant} (${m.model})`).join(', ')}.`;
}

// ---------------------------------------------------------------------------------------------
// The model library: grouped by source, searchable

/** The fields of a model library entry that grouping and search need. */
export interface ModelItem {
  id: string;
  family: string;
  title: string;
  description: string;
  label: string;
  synthetic: boolean;
}

export interface ModelGroup<T extends ModelItem> {
  family: string;
  title: string;
  /** What every model of the group is (said once for the group, not per model). */
  label: string;
  synthetic: boolean;
  items: T[];
  /** Models of the group before the search. */
  total: number;
}

const MODEL_GROUPS: { family: string; title: string }[] = [
  { family: 'xrbench', title: 'XRBench replicas' },
  { family: 'npm', title: 'Pretrained models from npm packages' },
  { family: 'architecture', title: 'Generated reference architectures' },
];

/** Case-insensitive match of every word of the query in the id, title, description, family or label. */
export function matchesModel(m: ModelItem, query: string): boolean {
  const text = `${m.id} ${m.title} ${m.description} ${m.family} ${m.label}`.toLowerCase();
  return query.toLowerCase().split(/\s+/).filter(Boolean).every((w) => text.includes(w));
}

/** The library by source (XRBench, npm, architectures, then any other family), filtered by the query; groups the query empties are kept with no items. */
export function groupModels<T extends ModelItem>(models: T[], query = ''): ModelGroup<T>[] {
  const known = MODEL_GROUPS.map((g) => g.family);
  const others = [...new Set(models.map((m) => m.family).filter((f) => !known.includes(f)))].map((family) => ({ family, title: family }));
  return [...MODEL_GROUPS, ...others]
    .map((g) => {
      const all = models.filter((m) => m.family === g.family);
      const labels = [...new Set(all.map((m) => m.label))];
      return { ...g, label: labels.join('; '), synthetic: all.some((m) => m.synthetic), items: all.filter((m) => matchesModel(m, query)), total: all.length };
    })
    .filter((g) => g.total > 0);
}

/** A model's size: the file's bytes where it is a file, else its weights count; undefined when neither is known. */
export function modelSizeText(m: { bytes?: number; params?: number }): string | undefined {
  if (m.bytes !== undefined) return m.bytes >= 1048576 ? `${(m.bytes / 1048576).toFixed(1)} MiB` : `${(m.bytes / 1024).toFixed(0)} KiB`;
  if (m.params !== undefined) return `${fmtCompact(m.params / 1e6, 3)} M weights`;
  return undefined;
}
