import { flag, thingKey } from '../arguments.js';
import type { Command } from '../command.js';
import { formatFields, thingFields, thingJson, writeJson } from '../output.js';

/** `geosearch get`: one thing by id or external id. */
export const getCommand: Command = {
  name: 'get',
  summary: 'one thing by id or external id',
  usage: 'geosearch get (--id N | --external-id ID) [--full]',
  options: {
    id: { type: 'string' },
    'external-id': { type: 'string' },
    full: { type: 'boolean' },
  },
  optionsHelp: `Options:
  --id N             the server-assigned id
  --external-id ID   the caller-assigned external id
  --full             include the geometry`,
  async run({ values, io, json, client }) {
    const key = thingKey(values);
    const thing = await (await client()).getThing({ ...key, view: flag(values, 'full') ? 'full' : 'basic' });
    if (json) writeJson(io.stdout, { thing: thingJson(thing) });
    else io.stdout.write(formatFields(thingFields(thing)));
  },
};
