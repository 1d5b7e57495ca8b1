// `tessera policies [--json]`: the scheduling policies, with what they do and where they come from.
import type { CliCommand } from '../command';
import { listPolicies } from '../../scheduler/core/policies';

export const policiesCommand: CliCommand = {
  name: 'policies',
  summary: 'List the scheduling policies with their descriptions and sources.',
  usage: 'tessera policies [--json]',
  options: {},
  async run(ctx) {
    const list = listPolicies();
    if (ctx.json) {
      ctx.stdout(JSON.stringify(list, null, 2) + '\n');
      return 0;
    }
    const width = Math.max(...list.map((p) => p.name.length));
    for (const p of list) {
      const flags = [p.variants ? 'variants' : '', p.drops ? 'drops frames' : '', p.adaptive ? 'adapts online' : ''].filter(Boolean).join(', ');
      ctx.stdout(`${p.name.padEnd(width)}  ${p.label} [${p.family}]${flags ? ` (${flags})` : ''}\n${' '.repeat(width + 2)}${p.description}\n${' '.repeat(width + 2)}source: ${p.source}\n`);
    }
    return 0;
  },
};
