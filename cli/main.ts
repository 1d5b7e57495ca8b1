// `tessera`: the command line over the same engine the app uses. JSON (with --json) goes to stdout,
// progress and logs to stderr. Exit codes: 0 ok, 1 failed, 2 usage error, 130 interrupted.
import { parseArgs } from 'node:util';
import { ApiCallError } from '../engine/client';
import { UsageError, type CliCommand } from './command';
import { commands } from './commands';

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Tessera: profile, tune and live-schedule several neural networks at once on this machine.',
    '',
    'Usage: tessera <command> [options]     (tessera <command> --help for its options)',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Common options: --json (machine-readable output on stdout), --help',
  ].join('\n');
}

function findCommand(args: string[]): { command: CliCommand; rest: string[] } | undefined {
  const two = commands.find((c) => c.name === `${args[0]} ${args[1]}`);
  if (two) return { command: two, rest: args.slice(2) };
  const one = commands.find((c) => c.name === args[0]);
  return one ? { command: one, rest: args.slice(1) } : undefined;
}

export async function main(argv: string[], io = { stdout: (s: string) => process.stdout.write(s), stderr: (s: string) => process.stderr.write(s) }): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    const target = argv[0] === 'help' && argv[1] ? findCommand(argv.slice(1)) : undefined;
    io.stdout((target ? `${target.command.usage}\n\n${target.command.summary}\n` : help()) + '\n');
    return 0;
  }
  if (argv[0] === '--version') {
    io.stdout('tessera 0.1.0\n');
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    io.stderr(`tessera: unknown command "${argv[0]}". Run \`tessera --help\` for the list of commands.\n`);
    return 2;
  }
  const { command, rest } = found;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...command.options, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    io.stderr(`tessera ${command.name}: ${(e as Error).message}\nUsage: ${command.usage}\n`);
    return 2;
  }
  if (parsed.values.help) {
    io.stdout(`${command.usage}\n\n${command.summary}\n`);
    return 0;
  }
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    io.stderr('\ninterrupted: stopping (Ctrl-C again to force)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    return await command.run({
      positionals: parsed.positionals,
      values: parsed.values as Record<string, unknown>,
      json: Boolean(parsed.values.json),
      stdout: io.stdout,
      stderr: io.stderr,
      signal: controller.signal,
    });
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`tessera ${command.name}: ${e.message}\nUsage: ${command.usage}\n`);
      return 2;
    }
    const err = e as Error & { cause?: unknown };
    const cause = e instanceof ApiCallError ? e.wire.cause : err.cause instanceof Error ? err.cause.message : undefined;
    io.stderr(`tessera ${command.name}: ${err.message}${cause && cause !== err.message ? `\n  cause: ${cause}` : ''}\n`);
    if (process.env.TESSERA_DEBUG) io.stderr(`${err.stack}\n`);
    return controller.signal.aborted ? 130 : 1;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // Workers and timers from the engine must not keep a finished command alive.
      setTimeout(() => process.exit(code), 50).unref();
    },
    (e) => {
      process.stderr.write(`tessera: ${(e as Error).stack}\n`);
      process.exit(1);
    },
  );
}
