// `tessera runs list|show|export`: the live runs stored under the data directory (each run writes
// runs/<id>/report.json and trace.json when it ends), through the engine.
import { writeFileSync } from 'node:fs';
import { localClient } from '../../engine/local';
import type { StoredRunSummary } from '../../scheduler/live/runs-store';
import { UsageError, type CliCommand } from '../command';
import { formatResultComparison } from './history';
import { formatReport } from './run';

const USAGE = 'tessera runs list | show ID | diff A B | export ID --file report|trace [--out FILE]   [--json]';

const pct = (x: number | null | undefined) => (typeof x === 'number' && Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '-');

/** One line per run for `runs list`. */
export function formatRunLine(s: StoredRunSummary): string {
  const when = s.endedAt ? `${s.endedAt.slice(0, 19).replace('T', ' ')} UTC` : '-';
  if (s.error && !s.status) return `${s.id}  UNREADABLE: ${s.error}\n`;
  const policy = `${s.policy}${s.policySwitches?.length ? ` -> ${s.policySwitches.map((p) => p.policy).join(' -> ')}` : ''}`;
  const files = [s.files.report ? 'report' : '', s.files.trace ? 'trace' : ''].filter(Boolean).join('+') || 'no files';
  return (
    `${s.id}  ${String(s.status).padEnd(9)} ${when}  ${s.scenario}  ${policy}  lanes ${(s.lanes ?? []).join(',')}  ` +
    `${s.elapsedSec !== undefined ? `${s.elapsedSec.toFixed(1)} s` : '-'}  miss ${pct(s.missRate)}  energy ${s.energySource === 'measured' ? 'measured' : 'ESTIMATE'}  ${files}` +
    `${s.error ? `  (warning: ${s.error})` : ''}\n`
  );
}

export const runsCommand: CliCommand = {
  name: 'runs',
  summary: 'List the stored live runs, show one\u2019s report, compare two side by side, export its report or Perfetto trace.',
  usage: USAGE,
  options: {
    file: { type: 'string', default: 'report' },
    out: { type: 'string' },
  },
  async run(ctx) {
    const [sub, ...args] = ctx.positionals;
    const need = (n: number, what: string) => {
      if (args.length !== n) throw new UsageError(`runs ${sub} needs ${what}`);
    };
    const { client, close } = localClient();
    try {
      switch (sub) {
        case 'list':
        case undefined: {
          const list = await client.call('runs.list', {});
          if (ctx.json) ctx.stdout(JSON.stringify(list, null, 2) + '\n');
          else if (list.length === 0) ctx.stdout('no stored live runs yet: `tessera run demo:tiny --policy edf --duration 5s` makes one\n');
          else for (const s of list) ctx.stdout(formatRunLine(s));
          return 0;
        }
        case 'show': {
          need(1, 'a run id (`tessera runs list` shows them)');
          const r = await client.call('runs.get', { id: args[0] });
          ctx.stdout(ctx.json ? JSON.stringify(r, null, 2) + '\n' : formatReport(r));
          return 0;
        }
        case 'diff': {
          need(2, 'two run ids: A B (`tessera runs list` shows them)');
          const c = await client.call('runs.diff', { a: args[0], b: args[1] });
          ctx.stdout(ctx.json ? JSON.stringify(c, null, 2) + '\n' : formatResultComparison(c));
          return 0;
        }
        case 'export': {
          need(1, 'a run id (`tessera runs list` shows them)');
          const file = String(ctx.values.file);
          if (file !== 'report' && file !== 'trace') throw new UsageError(`--file must be report or trace (got ${file})`);
          const r = await client.call('runs.export', { id: args[0], file });
          if (ctx.values.out) {
            const out = String(ctx.values.out);
            writeFileSync(out, r.content);
            if (ctx.json) ctx.stdout(JSON.stringify({ id: r.id, file: r.file, filename: r.filename, bytes: r.bytes, out }, null, 2) + '\n');
            else ctx.stderr(`wrote ${out}${file === 'trace' ? ' (open it in https://ui.perfetto.dev)' : ''}\n`);
          } else ctx.stdout(r.content.endsWith('\n') ? r.content : r.content + '\n');
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
