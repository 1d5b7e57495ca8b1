// `tessera profiles list|show|diff|export`: the stored profiles, through the engine.
import { writeFileSync } from 'node:fs';
import { localClient } from '../../engine/local';
import type { DiffRow, ProfileDiff } from '../../profiler/store';
import { UsageError, type CliCommand } from '../command';
import { formatProfile } from './profile';

const USAGE = 'tessera profiles list | show ID [--layers] | diff A B [--all] | export ID [--format csv|json] [--out FILE]   [--json]';

function fmt(x: number | undefined, d = 3): string {
  return x === undefined ? '-' : x.toFixed(d);
}

/** Two profiles compared per layer and lane, as text (`profiles diff`, `history diff`); `all` keeps the rows within noise. */
export function formatProfileDiff(d: ProfileDiff, all: boolean): string {
  const out: string[] = [];
  out.push(`a: ${d.a.id} (${d.a.createdAt}, ${d.a.machine}, ORT ${d.a.ortVersion})\nb: ${d.b.id} (${d.b.createdAt}, ${d.b.machine}, ORT ${d.b.ortVersion})\n`);
  for (const w of d.warnings) out.push(`warning: ${w}\n`);
  out.push(`${d.summary.compared} (layer, lane) pairs compared: ${d.summary.slower} slower, ${d.summary.faster} faster, ${d.summary.same} within noise, ${d.summary.missing} missing\n`);
  out.push(`geometric mean b/a per lane: ${Object.entries(d.geomeanRatio).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ') || '-'}\n`);
  const rows: DiffRow[] = all ? d.rows : d.rows.filter((r) => r.change !== 'same');
  if (rows.length) out.push(`\n${'#'.padStart(4)} ${'layer'.padEnd(28)} ${'lane'.padEnd(10)} ${'a ms'.padStart(9)} ${'b ms'.padStart(9)} ${'b/a'.padStart(7)} ${'noise ms'.padStart(9)}  change\n`);
  for (const r of rows) {
    out.push(`${String(r.layer).padStart(4)} ${r.name.slice(0, 28).padEnd(28)} ${r.lane.padEnd(10)} ${fmt(r.aMs).padStart(9)} ${fmt(r.bMs).padStart(9)} ${fmt(r.ratio).padStart(7)} ${fmt(r.noiseMs).padStart(9)}  ${r.change}${r.note ? ` (${r.note})` : ''}\n`);
  }
  if (!all) out.push(`(rows within noise hidden; --all shows them)\n`);
  out.push(`method: ${d.method}\n`);
  return out.join('');
}

export const profilesCommand: CliCommand = {
  name: 'profiles',
  summary: 'List, show, compare (diff) and export stored profiles.',
  usage: USAGE,
  options: {
    format: { type: 'string', default: 'json' },
    out: { type: 'string' },
    all: { type: 'boolean' },
    layers: { type: 'boolean' },
  },
  async run(ctx) {
    const [sub, ...args] = ctx.positionals;
    const need = (n: number, what: string) => {
      if (args.length !== n) throw new UsageError(`profiles ${sub} needs ${what}`);
    };
    const { client, close } = localClient();
    try {
      switch (sub) {
        case 'list':
        case undefined: {
          const list = await client.call('profiles.list', {});
          if (ctx.json) ctx.stdout(JSON.stringify(list, null, 2) + '\n');
          else if (list.length === 0) ctx.stdout('no profiles yet: run `tessera profile MODEL`\n');
          else
            for (const s of list) {
              ctx.stdout(s.error ? `${s.id}  UNREADABLE: ${s.error}\n` : `${s.id}  ${s.status.padEnd(8)} ${s.createdAt.slice(0, 19)}  ${s.model}  ${s.layers} layers  lanes ${s.lanes.join(',')}  ${s.machine}\n`);
            }
          return 0;
        }
        case 'show': {
          need(1, 'a profile id');
          const p = await client.call('profiles.get', { id: args[0] });
          ctx.stdout(ctx.json ? JSON.stringify(p, null, 2) + '\n' : formatProfile(p, { layers: Boolean(ctx.values.layers) }));
          return 0;
        }
        case 'diff': {
          need(2, 'two profile ids');
          const d = await client.call('profiles.diff', { a: args[0], b: args[1] });
          if (ctx.json) {
            ctx.stdout(JSON.stringify(d, null, 2) + '\n');
            return 0;
          }
          ctx.stdout(formatProfileDiff(d, Boolean(ctx.values.all)));
          return 0;
        }
        case 'export': {
          need(1, 'a profile id');
          const format = String(ctx.values.format);
          if (format !== 'csv' && format !== 'json') throw new UsageError(`--format must be csv or json (got ${format})`);
          const r = await client.call('profiles.export', { id: args[0], format });
          if (ctx.values.out) {
            writeFileSync(String(ctx.values.out), r.content);
            ctx.stderr(`wrote ${ctx.values.out}\n`);
          } else ctx.stdout(r.content);
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
