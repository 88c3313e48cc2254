import type { SearchRequest } from '../../requests.js';
import { flag, numberOption, stringOption } from '../arguments.js';
import type { Command } from '../command.js';
import { formatTable, thingJson, writeJson } from '../output.js';
import { UsageError } from '../usage-error.js';

/** `geosearch search`: things containing a point and/or matching a name, one page. */
export const searchCommand: Command = {
  name: 'search',
  summary: 'things whose footprint contains a point and/or whose name matches',
  usage: 'geosearch search (--lat N --lng N | --query TEXT) [--page-size N] [--page-token T] [--full]',
  options: {
    lat: { type: 'string' },
    lng: { type: 'string' },
    query: { type: 'string' },
    'page-size': { type: 'string' },
    'page-token': { type: 'string' },
    full: { type: 'boolean' },
  },
  optionsHelp: `Options:
  --lat N            latitude of the point, -90 to 90 (with --lng)
  --lng N            longitude of the point, -180 to 180 (with --lat)
  --query TEXT       name to match (substring or similarity)
  --page-size N      results per page, 1 to 1000 (server default 50)
  --page-token T     the next-page token printed by the previous page
  --full             include each geometry (JSON output only)`,
  async run({ values, io, json, client }) {
    const lat = numberOption(values, 'lat');
    const lng = numberOption(values, 'lng');
    const query = stringOption(values, 'query');
    if ((lat === undefined) !== (lng === undefined)) {
      throw new UsageError(lat === undefined ? '--lat' : '--lng', 'is required with the other coordinate');
    }
    if (lat === undefined && query === undefined) {
      throw new UsageError('--lat', '--lat and --lng, or --query, are required');
    }
    const pageSize = numberOption(values, 'page-size', { integer: true });
    const pageToken = stringOption(values, 'page-token');
    const request: SearchRequest = {
      ...(lat !== undefined && lng !== undefined ? { point: { lat, lng } } : {}),
      ...(query === undefined ? {} : { query }),
      ...(pageSize === undefined ? {} : { pageSize }),
      ...(pageToken === undefined ? {} : { pageToken }),
      view: flag(values, 'full') ? 'full' : 'basic',
    };
    const page = await (await client()).search(request);
    if (json) {
      writeJson(io.stdout, {
        results: page.results.map((hit) => ({ thing: thingJson(hit.thing), score: hit.score })),
        nextPageToken: page.nextPageToken ?? null,
      });
      return;
    }
    if (page.results.length === 0) io.stdout.write('no results\n');
    else
      io.stdout.write(
        formatTable(
          ['ID', 'EXTERNAL ID', 'NAME', 'SCORE'],
          page.results.map((hit) => [
            String(hit.thing.id),
            hit.thing.externalId,
            hit.thing.name,
            hit.score.toFixed(3),
          ]),
          [0, 3],
        ),
      );
    if (page.nextPageToken !== undefined) io.stdout.write(`next page: --page-token ${page.nextPageToken}\n`);
  },
};
