import { thingKey } from '../arguments.js';
import type { Command } from '../command.js';
import { writeJson } from '../output.js';

/** `geosearch delete`: deletes one thing by id or external id. */
export const deleteCommand: Command = {
  name: 'delete',
  summary: 'delete one thing by id or external id',
  usage: 'geosearch delete (--id N | --external-id ID)',
  options: {
    id: { type: 'string' },
    'external-id': { type: 'string' },
  },
  optionsHelp: `Options:
  --id N             the server-assigned id
  --external-id ID   the caller-assigned external id`,
  async run({ values, io, json, client }) {
    const deleted = await (await client()).deleteThing(thingKey(values));
    if (json) writeJson(io.stdout, { deleted });
    else io.stdout.write(`deleted thing ${deleted.id} (external id ${deleted.externalId})\n`);
  },
};
