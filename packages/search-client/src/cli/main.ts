import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createSearchClient, type SearchClient } from '../search-client.js';
import { isSearchClientError } from '../search-client-error.js';
import { joinNegativeNumbers } from './arguments.js';
import type { CliIo } from './cli-io.js';
import type { Command } from './command.js';
import { commands } from './commands/index.js';
import { clientOptionsOf, globalOptions } from './connection-options.js';
import { exitCodeOf, exitCodes } from './exit-codes.js';
import { commandHelp, mainHelp } from './help.js';
import { UsageError } from './usage-error.js';

function version(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

/** Prints a failure: a line on stderr, and with `--json` also a JSON document on stdout. */
function report(io: CliIo, name: string, error: unknown, json: boolean): number {
  const code = exitCodeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`geosearch ${name}: ${message}\n`);
  if (error instanceof UsageError) io.stderr.write(`Run 'geosearch ${name} --help' for usage.\n`);
  if (json) {
    const details = isSearchClientError(error)
      ? { code: error.code, grpcCode: error.grpcCode, violations: error.violations }
      : error instanceof UsageError
        ? { code: 'usage', violations: [{ field: error.field, reason: error.reason }] }
        : { code: 'unknown' };
    io.stdout.write(`${JSON.stringify({ error: { message, ...details } }, null, 2)}\n`);
  }
  return code;
}

async function runCommand(command: Command, args: readonly string[], io: CliIo): Promise<number> {
  const options = { ...globalOptions, ...command.options };
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({
      args: joinNegativeNumbers(args, options),
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    return report(
      io,
      command.name,
      new UsageError('arguments', (error as Error).message),
      args.includes('--json'),
    );
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.stdout.write(commandHelp(command));
    return exitCodes.ok;
  }
  const json = values.json === true;
  const [min, max] = command.positionals ?? [0, 0];
  if (positionals.length < min || positionals.length > max) {
    const reason =
      max === 0
        ? `unexpected argument '${positionals[0]}'`
        : positionals.length < min
          ? 'is required'
          : `expected ${max} argument(s), got ${positionals.length}`;
    return report(io, command.name, new UsageError(max === 0 ? 'arguments' : 'FILE', reason), json);
  }
  let client: SearchClient | undefined;
  try {
    await command.run({
      values,
      positionals,
      io,
      json,
      client: async () => {
        client ??= createSearchClient(await clientOptionsOf(values, io.env));
        return client;
      },
    });
    return exitCodes.ok;
  } catch (error) {
    return report(io, command.name, error, json);
  } finally {
    await client?.close();
  }
}

/**
 * The `geosearch` command line: runs one command and resolves with its exit
 * code (see `exitCodes`); never throws and never exits the process.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(mainHelp(commands));
    return exitCodes.usage;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(mainHelp(commands));
    return exitCodes.ok;
  }
  if (name === '--version') {
    io.stdout.write(`${version()}\n`);
    return exitCodes.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(`geosearch: unknown command '${name}'. Run 'geosearch --help' for the list.\n`);
    return exitCodes.usage;
  }
  return runCommand(command, rest, io);
}
