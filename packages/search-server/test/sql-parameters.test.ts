import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SearchServiceDefinition } from '@geosearch/generated';
import { createChannel, createClient } from 'nice-grpc';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import {
  postgresDatabase,
  startServerProcess,
  stopAllServers,
} from '../../../test/support/server-process.js';

afterAll(stopAllServers);

const postgresLog = join(process.env.GEOSEARCH_RUN ?? '/tmp/geosearch-services', 'postgres', 'postgres.log');

/**
 * Every statement the server sends is logged by PostgreSQL itself
 * (log_statement = all): request values must appear only in the bound
 * parameters (`DETAIL: parameters: ...`), never in the SQL text.
 */
it.runIf(process.env.DATABASE_URL)(
  'sends request values only as bound parameters, never in SQL text',
  async () => {
    const url = postgresDatabase();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`ALTER DATABASE ${new URL(url).pathname.slice(1)} SET log_statement = 'all'`);
    await admin.end();
    const logStart = readFileSync(postgresLog, 'utf8').length;

    const server = await startServerProcess({ env: { DATABASE_URL: url } });
    const channel = createChannel(server.address);
    const client = createClient(SearchServiceDefinition, channel);
    const marker = `zqmark${Date.now()}`;
    const feature = {
      type: 'Feature',
      id: `${marker}_id'; DROP TABLE things; --`,
      properties: { name: `${marker}_name`, note: `${marker}_prop` },
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [1.25, 2.5],
            [1.5, 2.5],
            [1.5, 2.75],
            [1.25, 2.5],
          ],
        ],
      },
    };
    async function* stream() {
      yield { geojson: [JSON.stringify(feature)], idProperty: '', nameProperty: '' };
    }
    expect((await client.importThings(stream())).created).toBe(1);
    await client.search({ query: `${marker}_name` });
    await client.search({ point: { lat: 2.6001, lng: 1.3001 }, query: `${marker}%_\\` });
    await client.nearby({ point: { lat: 2.6002, lng: 1.3002 }, maxDistanceMeters: 1234.5 });
    await client.getThing({ key: { $case: 'externalId', value: `${marker}_get` } }).catch(() => undefined);
    await client.deleteThing({ key: { $case: 'externalId', value: `${marker}_id'; DROP TABLE things; --` } });
    channel.close();
    await server.stop();

    const log = readFileSync(postgresLog, 'utf8').slice(logStart).split('\n');
    const parameterLines = log.filter((line) => line.includes('DETAIL:  parameters:'));
    const sqlLines = log.filter((line) => /LOG:\s+(statement|execute [^:]*):/.test(line));
    expect(parameterLines.some((line) => line.includes(`${marker}_name`))).toBe(true);
    expect(sqlLines.length).toBeGreaterThan(5);
    for (const value of [marker, '2.6001', '1.3001', '1234.5', 'DROP TABLE']) {
      expect(sqlLines.filter((line) => line.includes(value))).toEqual([]);
    }
  },
);
