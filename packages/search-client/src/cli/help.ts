import type { Command } from './command.js';
import { globalOptionsHelp } from './connection-options.js';
import { exitCodesHelp } from './exit-codes.js';

/** `geosearch --help`. */
export function mainHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `geosearch: query and manage a geosearch server over gRPC

Usage: geosearch <command> [options]
       geosearch <command> --help

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

${globalOptionsHelp}

${exitCodesHelp}
`;
}

/** `geosearch <command> --help`. */
export function commandHelp(command: Command): string {
  return `geosearch ${command.name}: ${command.summary}

Usage: ${command.usage} [global options]
${command.optionsHelp === '' ? '' : `\n${command.optionsHelp}\n`}
${globalOptionsHelp}

${exitCodesHelp}
`;
}
