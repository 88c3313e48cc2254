import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { SearchServiceDefinition } from '@geosearch/generated';
import { createChannel, createClient } from 'nice-grpc';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  databaseEnv,
  repoRoot,
  startServerProcess,
  stopAllServers,
} from '../../../test/support/server-process.js';

const statsd = join(repoRoot, 'scripts', 'services', 'statsd');
const port = 18125;
const adminPort = 18126;
const env = {
  ...process.env,
  GEOSEARCH_STATSD_PORT: String(port),
  GEOSEARCH_STATSD_ADMIN_PORT: String(adminPort),
  GEOSEARCH_RUN: '/tmp/geosearch-services-metrics',
};

interface Totals {
  counters: Record<string, number>;
  timers: Record<string, number[]>;
  gauges: Record<string, number>;
}

function totals(): Totals {
  return JSON.parse(execFileSync(statsd, ['totals'], { env, encoding: 'utf8' })) as Totals;
}

beforeAll(() => {
  execFileSync(statsd, ['start'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
}, 120_000);
afterAll(async () => {
  await stopAllServers();
  execFileSync(statsd, ['stop'], { env });
});

it('sends per-RPC timers, counters and status counters to a real StatsD daemon', async () => {
  const prefix = `e2e${Date.now()}.`;
  const server = await startServerProcess({
    env: {
      ...(await databaseEnv('pglite')),
      GEOSEARCH_METRICS: 'true',
      GEOSEARCH_STATSD_HOST: `127.0.0.1:${port}`,
      GEOSEARCH_STATSD_PREFIX: prefix,
    },
  });
  const channel = createChannel(server.address);
  const client = createClient(SearchServiceDefinition, channel);
  for (let i = 0; i < 5; i++) await client.search({ point: { lat: 52.52, lng: 13.405 } });
  await client.search({ point: { lat: 100, lng: 0 } }).catch(() => undefined);
  channel.close();

  let seen: Totals | undefined;
  for (let attempt = 0; attempt < 30; attempt++) {
    seen = totals();
    if (
      (seen.counters[`${prefix}search_count`] ?? 0) >= 6 &&
      seen.counters[`${prefix}search.status.INVALID_ARGUMENT`]
    )
      break;
    await new Promise((r) => setTimeout(r, 500));
  }
  expect(seen?.counters[`${prefix}search_count`]).toBe(6);
  expect(seen?.timers[`${prefix}search`]).toHaveLength(6);
  expect(seen?.counters[`${prefix}search.status.OK`]).toBe(5);
  expect(seen?.counters[`${prefix}search.status.INVALID_ARGUMENT`]).toBe(1);
  // Each of the 5 valid searches is answered either from the point index (counted) or by the database (timed).
  expect(
    (seen?.counters[`${prefix}search.point_index`] ?? 0) +
      (seen?.timers[`${prefix}db.search.point`]?.length ?? 0),
  ).toBe(5);
  expect(await server.stop()).toBe(0);
});
