import type { Command } from '../command.js';
import { formatFields, writeJson } from '../output.js';

/** `geosearch monitor`: the state of the instance that answers. */
export const monitorCommand: Command = {
  name: 'monitor',
  summary: 'the state of the server instance that answers',
  usage: 'geosearch monitor',
  options: {},
  optionsHelp: '',
  async run({ io, json, client }) {
    const status = await (await client()).monitor();
    if (json) {
      writeJson(io.stdout, status);
      return;
    }
    io.stdout.write(
      formatFields([
        ['instance', status.instanceId],
        ['server version', status.serverVersion],
        ['schema version', status.schemaVersion],
        ['database', status.databaseBackend],
        ['things', String(status.nThings)],
        ['uptime', `${status.uptimeSeconds.toFixed(1)} s`],
        ['logs dropped', String(status.logsDropped)],
        ['point index', `${status.pointIndexState} (${status.pointIndexThings} things)`],
      ]),
    );
  },
};
