import { flag, numberOption, requiredNumber } from '../arguments.js';
import type { Command } from '../command.js';
import { formatTable, thingJson, writeJson } from '../output.js';

/** `geosearch nearby`: the nearest things to a point. */
export const nearbyCommand: Command = {
  name: 'nearby',
  summary: 'the nearest things to a point, with distances',
  usage: 'geosearch nearby --lat N --lng N [--limit N] [--max-distance METRES] [--full]',
  options: {
    lat: { type: 'string' },
    lng: { type: 'string' },
    limit: { type: 'string' },
    'max-distance': { type: 'string' },
    full: { type: 'boolean' },
  },
  optionsHelp: `Options:
  --lat N                 latitude of the point, -90 to 90 (required)
  --lng N                 longitude of the point, -180 to 180 (required)
  --limit N               how many, 1 to 1000 (server default 10)
  --max-distance METRES   only things at most this far away
  --full                  include each geometry (JSON output only)`,
  async run({ values, io, json, client }) {
    const lat = requiredNumber(values, 'lat');
    const lng = requiredNumber(values, 'lng');
    const limit = numberOption(values, 'limit', { integer: true });
    const maxDistanceMeters = numberOption(values, 'max-distance');
    const hits = await (await client()).nearby({
      point: { lat, lng },
      ...(limit === undefined ? {} : { limit }),
      ...(maxDistanceMeters === undefined ? {} : { maxDistanceMeters }),
      view: flag(values, 'full') ? 'full' : 'basic',
    });
    if (json) {
      writeJson(io.stdout, {
        results: hits.map((hit) => ({ thing: thingJson(hit.thing), distanceMeters: hit.distanceMeters })),
      });
      return;
    }
    if (hits.length === 0) {
      io.stdout.write('no results\n');
      return;
    }
    io.stdout.write(
      formatTable(
        ['ID', 'EXTERNAL ID', 'NAME', 'DISTANCE (m)'],
        hits.map((hit) => [
          String(hit.thing.id),
          hit.thing.externalId,
          hit.thing.name,
          hit.distanceMeters.toFixed(1),
        ]),
        [0, 3],
      ),
    );
  },
};
