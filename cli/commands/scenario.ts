// `tessera scenario list|show|validate|import|scale|models|profiles`: the scenario library over the engine.
import { writeFileSync } from 'node:fs';
import type { ResultOf } from '../../engine/api';
import { localClient } from '../../engine/local';
import type { DemandReport } from '../../workloads/demand';
import { parseDuration, parseList } from '../args';
import { UsageError, type CliCommand, type CliContext } from '../command';

const gmacs = (m: number | undefined) => (m === undefined ? '?' : m >= 1e9 ? `${(m / 1e9).toFixed(2)} G` : m >= 1e6 ? `${(m / 1e6).toFixed(1)} M` : `${(m / 1e3).toFixed(1)} k`);
const num = (x: number, d = 2) => (Number.isInteger(x) ? String(x) : x.toFixed(d));

function table(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]))).join('  ').trimEnd()).join('\n') + '\n';
}

async function withClient<T>(ctx: CliContext, fn: (client: ReturnType<typeof localClient>['client']) => Promise<T>): Promise<T> {
  const { client, close } = localClient();
  try {
    return await fn(client);
  } finally {
    close();
  }
}

const profilesOf = (v: Record<string, unknown>): string[] | undefined => parseList(v.profile);
const listOf = (v: unknown): string[] | undefined => parseList(v);

function printDemand(ctx: CliContext, d: DemandReport & { profileMatch?: Record<string, string> }): void {
  ctx.stdout(`\nDemand vs capacity (${d.mode === 'profile' ? 'from profiles' : 'MACs/s only'}): ${gmacs(d.totalMacsPerSec)}MAC/s in total\n`);
  if (d.mode === 'profile') {
    ctx.stdout(
      table([
        ['tenant', 'profile', 'preferred', 'isolated ms', 'best-mix ms', 'deadline ms', 'busy ms/s', 'alone ok'],
        ...d.tenants.map((t) => [t.id, d.profileMatch?.[t.id] ?? t.profileId ?? '', t.preferredLane ?? '-', num(t.isolatedMs!.preferred), num(t.isolatedMs!.bestMix), num(t.deadlineMs), num(t.busyMsPerSec!.preferred, 1), t.meetsDeadlineIsolated ? 'yes' : 'NO']),
      ]),
    );
    ctx.stdout('\n' + table([['lane', 'utilisation (every layer on its fastest lane)'], ...d.lanes.map((l) => [l.id, `${(l.utilisation * 100).toFixed(1)}%`])]));
    ctx.stdout(`\nFeasible: ${d.feasible ? 'yes (necessary conditions hold)' : 'NO'}\n`);
    for (const r of d.reasons) ctx.stdout(`  - ${r}\n`);
  }
  for (const n of d.notes) ctx.stdout(`Note: ${n}\n`);
}

export const scenarioListCommand: CliCommand = {
  name: 'scenario list',
  summary: 'List the scenario library: XRBench usage scenarios and probability sweep, mixed examples, your imported scenarios.',
  usage: 'tessera scenario list [--json]',
  options: {},
  async run(ctx) {
    const list = await withClient(ctx, (c) => c.call('scenarios.list', {}));
    if (ctx.json) {
      ctx.stdout(JSON.stringify(list, null, 2) + '\n');
      return 0;
    }
    ctx.stdout(
      table([
        ['id', 'origin', 'tenants'],
        ...list.map((s) => [s.id, s.origin, s.error ? `INVALID: ${s.error.split('\n')[0]}` : s.tenants.map((t) => `${t.id} ${t.rate}${t.cascade ? ` ${t.cascade}` : ''}`).join('; ')]),
      ]),
    );
    return 0;
  },
};

export const scenarioShowCommand: CliCommand = {
  name: 'scenario show',
  summary: "Show a scenario's tenants (frame rates, deadlines, cascades) and each model's layers and MACs; with --profile, demand vs capacity per lane.",
  usage: 'tessera scenario show ID|FILE [--profile PROFILE]... [--lanes a,b] [--json]',
  options: { profile: { type: 'string', multiple: true }, lanes: { type: 'string' } },
  async run(ctx) {
    const id = ctx.positionals[0];
    if (!id) throw new UsageError('give a scenario id (tessera scenario list) or a file');
    const v = await withClient(ctx, (c) => c.call('scenarios.get', { id, profiles: profilesOf(ctx.values), lanes: listOf(ctx.values.lanes) }, { onProgress: (p) => ctx.stderr(`${p.message}\n`) }));
    if (ctx.json) {
      ctx.stdout(JSON.stringify(v, null, 2) + '\n');
      return 0;
    }
    ctx.stdout(`${v.name}  (${v.origin})\n`);
    if (v.description) ctx.stdout(`${v.description}\n`);
    if (v.source) ctx.stdout(`Source: ${v.source}\n`);
    ctx.stdout('\n');
    ctx.stdout(
      table([
        ['tenant', 'model', 'rate', 'eff. fps', 'deadline ms', 'prio', 'cascade', 'layers', 'MACs', 'MAC/s'],
        ...v.tenants.map((t) => [
          t.id,
          t.model,
          t.arrival.type === 'periodic' ? `${num(t.rate)} fps` : `poisson ${num(t.rate)}/s`,
          num(t.effectiveFps),
          num(t.deadlineMs),
          String(t.priority),
          t.cascade ? `${t.cascade.upstream} p=${t.cascade.probability}` : '-',
          t.layers === undefined ? '?' : String(t.layers),
          gmacs(t.macs),
          gmacs(t.macsPerSec),
        ]),
      ]),
    );
    if (v.totals) ctx.stdout(`\nTotal: ${gmacs(v.totals.macsPerSec)}MAC/s\n`);
    const labels = new Map<string, string[]>();
    for (const t of v.tenants) if (t.label) labels.set(t.label, [...(labels.get(t.label) ?? []), t.id]);
    for (const [label, ids] of labels) ctx.stdout(`Models of ${ids.join(', ')}: ${label}\n`);
    for (const s of v.scaling ?? []) ctx.stdout(`Scaled from ${s.from}: ${s.mode} x${num(s.factor, 3)} on ${s.tenants.join(', ')} (${s.reason})\n`);
    for (const n of v.notes) ctx.stdout(`Note: ${n}\n`);
    if (v.demand) printDemand(ctx, v.demand);
    else ctx.stdout('\nNo --profile: demand in MACs/s only (profile the models, then pass --profile, for lane utilisation and feasibility).\n');
    return 0;
  },
};

export const scenarioValidateCommand: CliCommand = {
  name: 'scenario validate',
  summary: 'Validate a scenario file (.json, or an XRBench .m file) or library id: schema, unknown fields, rates, cascades, model files and input shapes. Lists every error.',
  usage: 'tessera scenario validate FILE|ID [--no-models] [--json]',
  options: { 'no-models': { type: 'boolean' } },
  async run(ctx) {
    const ref = ctx.positionals[0];
    if (!ref) throw new UsageError('give a scenario file or id');
    const models = ctx.values['no-models'] ? ('none' as const) : ('fast' as const);
    const { existsSync } = await import('node:fs');
    const result = await withClient(ctx, async (c) => {
      if (existsSync(ref)) return c.call('scenarios.validate', { path: ref, models });
      const v = await c.call('scenarios.get', { id: ref, models: false });
      return c.call('scenarios.validate', { document: v.scenario, models });
    });
    if (ctx.json) ctx.stdout(JSON.stringify(result, null, 2) + '\n');
    else if (result.ok) ctx.stdout(`${ref}: valid (${result.scenario!.tenants.length} tenants; ${result.checked.models ? 'models checked' : 'models not checked'})\n`);
    else ctx.stdout(`${ref}: ${result.errors.length} problem${result.errors.length === 1 ? '' : 's'}:\n${result.errors.map((e) => `  - ${e}`).join('\n')}\n`);
    return result.ok ? 0 : 1;
  },
};

export const scenarioImportCommand: CliCommand = {
  name: 'scenario import',
  summary: 'Copy a validated scenario (.json, or an XRBench/MAESTRO .m file) into your scenario library.',
  usage: 'tessera scenario import FILE [--id NAME] [--force] [--no-models] [--json]',
  options: { id: { type: 'string' }, force: { type: 'boolean' }, 'no-models': { type: 'boolean' } },
  async run(ctx) {
    const file = ctx.positionals[0];
    if (!file) throw new UsageError('give a scenario file');
    const r = await withClient(ctx, (c) => c.call('scenarios.import', { path: file, id: ctx.values.id as string | undefined, force: Boolean(ctx.values.force), models: ctx.values['no-models'] ? 'none' : 'fast' }));
    if (ctx.json) ctx.stdout(JSON.stringify(r, null, 2) + '\n');
    else {
      ctx.stdout(`imported as ${r.id} (${r.path}): ${r.scenario.tenants.length} tenants\n`);
      for (const n of r.notes) ctx.stdout(`  ${n}\n`);
    }
    return 0;
  },
};

export const scenarioScaleCommand: CliCommand = {
  name: 'scenario scale',
  summary: 'Produce a scenario at a target load: frame rates or input resolution x s, from a factor, a target lane utilisation (with --profile) or a target MAC/s; --skew-lane scales only the tenants preferring that lane.',
  usage:
    'tessera scenario scale ID (--factor S | --target-util U | --target-macs M) [--mode rate|resolution] [--skew-lane LANE] [--tenants a,b] [--profile P]... [--lanes a,b] [--name NAME] [--save NAME [--force]] [--out FILE] [--json]',
  options: {
    factor: { type: 'string' },
    'target-util': { type: 'string' },
    'target-macs': { type: 'string' },
    mode: { type: 'string', default: 'rate' },
    'skew-lane': { type: 'string' },
    tenants: { type: 'string' },
    profile: { type: 'string', multiple: true },
    lanes: { type: 'string' },
    name: { type: 'string' },
    save: { type: 'string' },
    force: { type: 'boolean' },
    out: { type: 'string' },
  },
  async run(ctx) {
    const id = ctx.positionals[0];
    if (!id) throw new UsageError('give a scenario id or file');
    const v = ctx.values;
    const numOpt = (k: string): number | undefined => {
      if (v[k] === undefined) return undefined;
      const s = String(v[k]).trim();
      const m = /^(\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*([kMGT]?)%?$/i.exec(s);
      if (!m) throw new UsageError(`--${k} must be a positive number (got ${s})`);
      let x = Number(m[1]) * ({ '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6, g: 1e9, G: 1e9, t: 1e12, T: 1e12 } as Record<string, number>)[m[2]];
      if (k === 'target-util' && s.endsWith('%')) x /= 100;
      if (!(x > 0)) throw new UsageError(`--${k} must be > 0 (got ${s})`);
      return x;
    };
    const factor = numOpt('factor');
    const targetUtilisation = numOpt('target-util');
    const targetMacsPerSec = numOpt('target-macs');
    if ([factor, targetUtilisation, targetMacsPerSec].filter((x) => x !== undefined).length !== 1) throw new UsageError('give exactly one of --factor, --target-util, --target-macs');
    const mode = String(v.mode);
    if (mode !== 'rate' && mode !== 'resolution') throw new UsageError(`--mode must be rate or resolution (got ${mode})`);
    const r = await withClient(ctx, (c) =>
      c.call(
        'scenarios.scale',
        {
          id,
          factor,
          targetUtilisation,
          targetMacsPerSec,
          mode,
          skewLane: v['skew-lane'] as string | undefined,
          tenants: listOf(v.tenants),
          profiles: profilesOf(v),
          lanes: listOf(v.lanes),
          name: v.name as string | undefined,
          save: v.save as string | undefined,
          force: Boolean(v.force),
        },
        { onProgress: (p) => ctx.stderr(`${p.message}\n`) },
      ),
    );
    if (v.out) writeFileSync(String(v.out), JSON.stringify(r.scenario, null, 2) + '\n');
    if (ctx.json) {
      ctx.stdout(JSON.stringify(r, null, 2) + '\n');
      return 0;
    }
    ctx.stdout(`${r.scenario.name}: ${mode} x${num(r.factor, 4)} on ${r.scaled.join(', ') || 'no tenant'}\nWhy: ${r.reason}\n`);
    for (const u of r.unscaled) ctx.stdout(`  not scaled: ${u.id} (${u.why})\n`);
    if (r.before && r.after && r.after.mode === 'profile') {
      ctx.stdout(
        '\n' +
          table([
            ['lane', 'before', 'after'],
            ...r.after.lanes.map((l) => [l.id, `${((r.before!.lanes.find((b) => b.id === l.id)?.utilisation ?? 0) * 100).toFixed(1)}%`, `${(l.utilisation * 100).toFixed(1)}%`]),
          ]),
      );
    } else if (r.before && r.after) ctx.stdout(`MAC/s: ${gmacs(r.before.totalMacsPerSec)} -> ${gmacs(r.after.totalMacsPerSec)}\n`);
    if (r.saved) ctx.stdout(`saved as ${r.saved.id} (${r.saved.path})\n`);
    if (v.out) ctx.stdout(`written to ${v.out}\n`);
    if (!r.saved && !v.out) ctx.stdout('(not saved: --save NAME adds it to your library, --out FILE writes it; --json prints it)\n');
    return 0;
  },
};

export const scenarioModelsCommand: CliCommand = {
  name: 'scenario models',
  summary: 'List the model library: XRBench layer-shape replicas, pretrained npm models (PP-OCR, Silero VAD), reference architectures.',
  usage: 'tessera scenario models [MODEL] [--json]   (MODEL: a library id such as xrbench/ES_RITNet: its layers as built)',
  options: {},
  async run(ctx) {
    const one = ctx.positionals[0];
    if (one) {
      const m = await withClient(ctx, (c) => c.call('scenarios.model', { ref: one }));
      if (ctx.json) {
        ctx.stdout(JSON.stringify(m, null, 2) + '\n');
        return 0;
      }
      ctx.stdout(`${one}: ${m.label}\n`);
      if (m.inputShapes) ctx.stdout(`inputs: ${Object.entries(m.inputShapes).map(([k, d]) => `${k}=${d.length ? d.join('x') : 'scalar'}`).join(' ')}\n`);
      if (m.stats) ctx.stdout(`${m.stats.layers} layers, ${gmacs(m.stats.macs)}MACs\n`);
      if (m.layers) {
        ctx.stdout('\n' + table([['layer', 'op', 'input', 'output', 'stride', 'pads', 'MACs', 'assumed'], ...m.layers.map((l) => [l.name, l.op, l.inputShape.join('x'), l.outputShape.join('x'), l.stride ? l.stride.join('x') : '-', l.pads ? l.pads.join(',') : '-', gmacs(l.macs), l.assumptions.join('; ')])]));
      }
      for (const n of m.notes) ctx.stdout(`Note: ${n}\n`);
      return 0;
    }
    const list = await withClient(ctx, (c) => c.call('scenarios.models', {}));
    if (ctx.json) {
      ctx.stdout(JSON.stringify(list, null, 2) + '\n');
      return 0;
    }
    ctx.stdout(
      table([
        ['id', 'inputs', 'layers', 'MACs', 'what', 'available'],
        ...list.map((e) => [e.id, Object.entries(e.inputShapes).map(([k, d]) => `${k}=${d.length ? d.join('x') : 'scalar'}`).join(' '), e.layers === undefined ? '-' : String(e.layers), e.macs === undefined ? '-' : gmacs(e.macs), e.label, e.available ? 'yes' : `no: ${e.reason}`]),
      ]),
    );
    return 0;
  },
};

export const scenarioProfilesCommand: CliCommand = {
  name: 'scenario profiles',
  summary: "Which of a scenario's models have a stored profile (newest complete one, by model hash then name) and which do not; --profile-missing profiles the missing ones.",
  usage: 'tessera scenario profiles ID|FILE [--lanes cpu:1,webgpu] [--profile-missing] [--budget 15s] [--json]',
  options: { lanes: { type: 'string' }, 'profile-missing': { type: 'boolean' }, budget: { type: 'string' } },
  async run(ctx) {
    const id = ctx.positionals[0];
    if (!id) throw new UsageError('give a scenario id (tessera scenario list) or a file');
    const lanes = listOf(ctx.values.lanes);
    type Result = ResultOf<'scenarios.profileMissing'>;
    const r: Partial<Pick<Result, 'profiled' | 'lanes'>> & Pick<Result, 'found' | 'missing'> = ctx.values['profile-missing']
      ? await withClient(ctx, (c) =>
          c.call('scenarios.profileMissing', { id, ...(lanes ? { lanes } : {}), ...(ctx.values.budget !== undefined ? { budgetSec: parseDuration(ctx.values.budget, '--budget') } : {}) }, { onProgress: (p) => ctx.stderr(`${p.message}\n`) }),
        )
      : await withClient(ctx, (c) => c.call('scenarios.profiles', { id, ...(lanes ? { lanes } : {}) }));
    if (ctx.json) {
      ctx.stdout(JSON.stringify(r, null, 2) + '\n');
      return 0;
    }
    const rows = [['tenant', 'profile', 'model'], ...Object.entries(r.found).map(([t, p]) => [t, p, '']), ...r.missing.map((m) => [m.tenant, 'MISSING', m.model])];
    ctx.stdout(table(rows));
    if (r.profiled?.length) ctx.stdout(`\nProfiled on ${(r.lanes ?? []).join(', ')}: ${r.profiled.map((x) => `${x.model} (${x.id}${x.status === 'complete' ? '' : `, ${x.status}`})`).join(', ')}\n`);
    if (r.missing.length) ctx.stdout(`\n${r.missing.length} tenant(s) without a profile${lanes ? ` on ${lanes.join(', ')}` : ''}: tessera scenario profiles ${id}${lanes ? ` --lanes ${lanes.join(',')}` : ''} --profile-missing\n`);
    return r.missing.length ? 1 : 0;
  },
};

export const scenarioCommands: CliCommand[] = [scenarioListCommand, scenarioShowCommand, scenarioValidateCommand, scenarioImportCommand, scenarioScaleCommand, scenarioModelsCommand, scenarioProfilesCommand];
