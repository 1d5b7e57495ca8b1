// The shape of one CLI command. Commands live in cli/commands/*.ts and are listed in cli/commands/index.ts.
import type { ParseArgsConfig } from 'node:util';

export interface CliContext {
  positionals: string[];
  values: Record<string, unknown>;
  /** --json given: machine-readable output on stdout only. */
  json: boolean;
  stdout: (s: string) => void;
  /** Progress and logs. */
  stderr: (s: string) => void;
  /** Aborted on Ctrl-C: long commands stop cleanly and keep what they measured. */
  signal: AbortSignal;
}

export interface CliCommand {
  /** One or two words, e.g. 'devices' or 'bench dysta'. */
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(ctx: CliContext): Promise<number>;
}

/** An error whose message is meant for the user as is (no stack trace). */
export class UsageError extends Error {}
