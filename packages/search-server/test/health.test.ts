import { createChannel, createClient } from 'nice-grpc';
import { HealthDefinition } from 'nice-grpc-server-health';
import { afterAll, expect, it } from 'vitest';

/** grpc.health.v1 ServingStatus numbers. */
const SERVING = 1;
const NOT_SERVING = 2;

import { databaseEnv, startServerProcess, stopAllServers } from '../../../test/support/server-process.js';

afterAll(stopAllServers);

it('reports SERVING once ready and NOT_SERVING as soon as shutdown begins', async () => {
  const server = await startServerProcess({ env: await databaseEnv('pglite') });
  const channel = createChannel(server.address);
  const health = createClient(HealthDefinition, channel);
  expect((await health.check({ service: 'geosearch.v1.SearchService' })).status).toBe(SERVING);

  const seen: number[] = [];
  const watching = (async () => {
    try {
      for await (const update of health.watch({ service: 'geosearch.v1.SearchService' }))
        seen.push(update.status);
    } catch {
      // the stream ends when the server goes away
    }
  })();
  while (seen.length === 0) await new Promise((r) => setTimeout(r, 20));
  const sigtermAt = performance.now();
  expect(await server.stop('SIGTERM')).toBe(0);
  // An open Watch stream must not hold the shutdown until its bound (10 s).
  expect(performance.now() - sigtermAt).toBeLessThan(3_000);
  await watching;
  channel.close();
  expect(seen[0]).toBe(SERVING);
  expect(seen).toContain(NOT_SERVING);
});
