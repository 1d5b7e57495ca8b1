// `tessera models add FILE | list`: models stored in the data directory by the app's upload (file
// picker, drag-and-drop) or from a path, through the engine (engine/features/models.ts).
import { localClient } from '../../engine/local';
import { UsageError, type CliCommand } from '../command';

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

export const modelsCommand: CliCommand = {
  name: 'models',
  summary: 'Store a checked copy of an .onnx file in the data directory (as the app\u2019s upload does), or list the stored ones.',
  usage: 'tessera models add FILE | list   [--json]',
  options: {},
  async run(ctx) {
    const [sub, ...args] = ctx.positionals;
    if (sub !== 'add' && sub !== 'list') throw new UsageError('models needs a subcommand: add FILE | list');
    if (sub === 'add' && args.length !== 1) throw new UsageError('models add needs one .onnx file');
    const { client, close } = localClient();
    try {
      if (sub === 'add') {
        const m = await client.call('models.add', { path: args[0] });
        if (ctx.json) ctx.stdout(JSON.stringify(m, null, 2) + '\n');
        else {
          ctx.stdout(`${m.existed ? 'Already stored' : 'Stored'}: ${m.path}\n  ${mib(m.bytes)}, sha256 ${m.sha256.slice(0, 16)}…, ${m.nodeCount} nodes, opset ${m.opsets[''] ?? '?'}; inputs ${m.inputs.map((i) => `${i.name} ${i.type}[${(i.dims ?? ['?']).join(',')}]`).join(', ')}\n`);
          for (const w of m.warnings) ctx.stdout(`  ! ${w}\n`);
          ctx.stdout(`Profile it: tessera profile ${m.path}\n`);
        }
        return 0;
      }
      const list = await client.call('models.list', {});
      if (ctx.json) ctx.stdout(JSON.stringify(list, null, 2) + '\n');
      else if (!list.length) ctx.stdout('No stored models (the app\u2019s upload or `tessera models add FILE` stores them).\n');
      else for (const m of list) ctx.stdout(`${m.storedAt.slice(0, 19).replace('T', ' ')}  ${mib(m.bytes).padStart(10)}  ${m.name}  ${m.path}\n`);
      return 0;
    } finally {
      close();
    }
  },
};
