// `tessera simulations list|show ID|diff A B` (the stored simulations: every `tessera simulate` and
// the app's Simulate view store their result) and `tessera history` (stored profiles, simulations
// and live runs in one list), through the engine. formatResultComparison prints a side-by-side
// comparison for `simulations diff` and `runs diff`.
import { localClient } from '../../engine/local';
import { deltaText, figureText, METRICS, type CompareRow, type ResultComparison } from '../../scheduler/history/compare';
import type { HistoryItem } from '../../scheduler/history/history';
import type { SimulationSummary } from '../../scheduler/history/simulations-store';
import { UsageError, type CliCommand } from '../command';
import { formatProfileDiff } from './profiles';
import { formatComparison } from './simulate';

const when = (iso: string) => (iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : '-');

export function formatSimulationLine(s: SimulationSummary): string {
  if (s.error) return `${s.id}  UNREADABLE: ${s.error}\n`;
  const best = s.best ? `best ${s.best.policy} miss ${(100 * s.best.missRate).toFixed(1)}%` : 'no policy finished a frame';
  return `${s.id}  ${when(s.createdAt)}  ${s.scenario}  ${s.policies.join(',')}  lanes ${s.lanes.join(',')}  ${s.load !== undefined ? `load ${s.load}  ` : ''}${s.seeds} seeds x ${s.durationSec} s  ${best}${s.latencySource === 'synthetic' ? '  SYNTHETIC latencies' : ''}\n`;
}

export function formatHistoryLine(i: HistoryItem): string {
  return `${i.kind.padEnd(10)} ${when(i.when)}  ${i.id}  ${i.title}  ${i.error ? `UNREADABLE: ${i.error}` : i.headline}${i.status ? `  [${i.status}]` : ''}\n`;
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows].map((cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd());
}

/** A side-by-side comparison as text: who is a and b, warnings, then one row per tenant and figure. */
export function formatResultComparison(c: ResultComparison): string {
  const out: string[] = [];
  for (const [k, s] of [['a', c.a], ['b', c.b]] as const) {
    out.push(`${k}: ${s.kind} ${s.id}  ${s.scenario}  policy ${s.policy}  lanes ${s.lanes.join(',')}  ${s.spanSec.toFixed(1)} s  (${s.source}; energy ${s.energySource === 'measured' ? 'measured' : 'ESTIMATED'})`);
  }
  for (const w of c.warnings) out.push(`! ${w}`);
  if (c.reasons?.length) out.push('Beyond the prediction tolerance; likely reasons (from the run\u2019s record):', ...c.reasons.map((r) => `  - ${r}`));
  out.push('');
  const line = (r: CompareRow) => [r.tenant, METRICS[r.metric].label, figureText(r.metric, r.a), figureText(r.metric, r.b), deltaText(r), r.change];
  out.push(...table(['tenant', 'figure', 'a', 'b', 'b - a', 'b is'], c.rows.map(line)));
  if (c.byPolicy?.length) {
    out.push('', 'Every policy both simulations ran (whole run):');
    out.push(...table(['policy', 'figure', 'a', 'b', 'b - a', 'b is'], c.byPolicy.flatMap((p) => p.rows.filter((r) => ['missRate', 'p95LatencyMs', 'averageWatts'].includes(r.metric)).map((r) => [p.policy, ...line(r).slice(1)]))));
  }
  out.push('', c.method);
  return out.join('\n') + '\n';
}

const SIM_USAGE = 'tessera simulations list | show ID | diff A B [--policy-a P] [--policy-b P] | delete ID   [--json]';

export const simulationsCommand: CliCommand = {
  name: 'simulations',
  summary: 'List the stored simulations (every `tessera simulate` stores its result), show one, compare two side by side, delete one.',
  usage: SIM_USAGE,
  options: { 'policy-a': { type: 'string' }, 'policy-b': { type: 'string' } },
  async run(ctx) {
    const [sub, ...args] = ctx.positionals;
    const need = (n: number, what: string) => {
      if (args.length !== n) throw new UsageError(`simulations ${sub} needs ${what}`);
    };
    const { client, close } = localClient();
    try {
      switch (sub) {
        case 'list':
        case undefined: {
          const list = await client.call('simulations.list', {});
          if (ctx.json) ctx.stdout(JSON.stringify(list, null, 2) + '\n');
          else if (list.length === 0) ctx.stdout('no stored simulations yet: `tessera simulate synthetic:vr_gaming --seeds 2` makes one\n');
          else for (const s of list) ctx.stdout(formatSimulationLine(s));
          return 0;
        }
        case 'show': {
          need(1, 'a simulation id (`tessera simulations list` shows them)');
          const s = await client.call('simulations.get', { id: args[0] });
          if (ctx.json) ctx.stdout(JSON.stringify(s, null, 2) + '\n');
          else ctx.stdout(`Simulation ${s.id}, stored ${when(s.createdAt)}: ${s.scenario}, lanes ${s.lanes.join(',')}${s.load !== undefined ? `, load ${s.load}` : ''}, ${s.durationSec} s simulated per seed\n${formatComparison(s.result.comparison)}`);
          return 0;
        }
        case 'diff': {
          need(2, 'two simulation ids: A B');
          const policyA = ctx.values['policy-a'] as string | undefined;
          const policyB = ctx.values['policy-b'] as string | undefined;
          const c = await client.call('simulations.diff', { a: args[0], b: args[1], ...(policyA ? { policyA } : {}), ...(policyB ? { policyB } : {}) });
          ctx.stdout(ctx.json ? JSON.stringify(c, null, 2) + '\n' : formatResultComparison(c));
          return 0;
        }
        case 'delete': {
          need(1, 'a simulation id');
          const r = await client.call('simulations.delete', { id: args[0] });
          if (ctx.json) ctx.stdout(JSON.stringify(r) + '\n');
          else ctx.stderr(`deleted simulation ${r.id}\n`);
          return 0;
        }
        default:
          throw new UsageError(`unknown subcommand "${sub}"`);
      }
    } finally {
      close();
    }
  },
};

/** Finds an item's kind by its id ("kind:id" names it outright); an unknown or ambiguous id is a usage error. */
export function resolveRef(ref: string, items: Pick<HistoryItem, 'kind' | 'id'>[]): { kind: HistoryItem['kind']; id: string } {
  const m = /^(profile|simulation|run):(.+)$/.exec(ref);
  if (m) return { kind: m[1] as HistoryItem['kind'], id: m[2] };
  const found = items.filter((i) => i.id === ref);
  if (found.length === 1) return { kind: found[0].kind, id: ref };
  if (found.length > 1) throw new UsageError(`"${ref}" names a ${found.map((f) => f.kind).join(' and a ')}: write kind:id, e.g. ${found[0].kind}:${ref}`);
  throw new UsageError(`no stored profile, simulation or live run "${ref}": \`tessera history\` lists them`);
}

export const historyCommand: CliCommand = {
  name: 'history',
  summary: 'Stored profiles, simulations and live runs in one list, newest first, with each one\u2019s headline figure; compare any two side by side.',
  usage: 'tessera history [--kind profile,simulation,run] [--json]\n       tessera history diff A B [--policy-a P] [--policy-b P] [--json]   (A, B: ids from the list, or kind:id; a simulation against a live run, two of either, or two profiles)',
  options: { kind: { type: 'string' }, 'policy-a': { type: 'string' }, 'policy-b': { type: 'string' } },
  async run(ctx) {
    const [sub, ...args] = ctx.positionals;
    if (sub !== undefined && sub !== 'list' && sub !== 'diff') throw new UsageError(`unknown subcommand "${sub}" (list or diff)`);
    const kinds = ctx.values.kind ? String(ctx.values.kind).split(',').map((k) => k.trim()) : undefined;
    for (const k of kinds ?? []) if (k !== 'profile' && k !== 'simulation' && k !== 'run') throw new UsageError(`--kind: unknown kind "${k}" (profile, simulation or run)`);
    if (sub === 'diff' && args.length !== 2) throw new UsageError('history diff needs two ids: A B (`tessera history` lists them)');
    const { client, close } = localClient();
    try {
      if (sub === 'diff') {
        const items = await client.call('history.list', {});
        const policy = (k: 'policy-a' | 'policy-b') => (ctx.values[k] ? { policy: String(ctx.values[k]) } : {});
        const a = { ...resolveRef(args[0], items), ...policy('policy-a') };
        const b = { ...resolveRef(args[1], items), ...policy('policy-b') };
        const c = await client.call('history.compare', { a, b });
        if (ctx.json) ctx.stdout(JSON.stringify(c, null, 2) + '\n');
        else ctx.stdout(c.kind === 'results' ? formatResultComparison(c.comparison) : formatProfileDiff(c.diff, false));
        return 0;
      }
      const items = await client.call('history.list', kinds ? { kinds: kinds as HistoryItem['kind'][] } : {});
      if (ctx.json) ctx.stdout(JSON.stringify(items, null, 2) + '\n');
      else if (items.length === 0) ctx.stdout('nothing stored yet: profiles, simulations and live runs appear here\n');
      else for (const i of items) ctx.stdout(formatHistoryLine(i));
      return 0;
    } finally {
      close();
    }
  },
};
