import type { ParseArgsOptionsConfig } from 'node:util';
import type { SearchClient } from '../search-client.js';
import type { OptionValues } from './arguments.js';
import type { CliIo } from './cli-io.js';

/** What a command gets to run. */
export interface CommandContext {
  /** Option values (the command's and the global ones). */
  readonly values: OptionValues;
  readonly positionals: readonly string[];
  readonly io: CliIo;
  /** `--json`: print one JSON document on stdout. */
  readonly json: boolean;
  /** The SDK client, created on first use and closed after the command. */
  client(): Promise<SearchClient>;
}

/** One `geosearch` command. */
export interface Command {
  readonly name: string;
  /** One line, for the command list. */
  readonly summary: string;
  /** The usage line, without the global options. */
  readonly usage: string;
  /** The command's own options, for parseArgs. */
  readonly options: ParseArgsOptionsConfig;
  /** Help for the command's own options. */
  readonly optionsHelp: string;
  /** Positional arguments the command takes, for example `[1, 1]`; none by default. */
  readonly positionals?: readonly [min: number, max: number];
  run(context: CommandContext): Promise<void>;
}
