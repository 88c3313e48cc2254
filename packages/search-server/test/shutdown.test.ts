import { SearchServiceDefinition } from '@geosearch/generated';
import { ClientError, createChannel, createClient, Status } from 'nice-grpc';
import { afterAll, expect, it } from 'vitest';
import { databaseEnv, startServerProcess, stopAllServers } from '../../../test/support/server-process.js';

afterAll(stopAllServers);

it('drains in-flight calls on SIGTERM under load, refuses new ones, and exits 0 in time', async () => {
  const server = await startServerProcess({
    env: { ...(await databaseEnv('pglite')), GEOSEARCH_SHUTDOWN_TIMEOUT_MS: '8000' },
  });
  const channel = createChannel(server.address);
  const client = createClient(SearchServiceDefinition, channel);
  await client.search({ point: { lat: 52.52, lng: 13.405 } });

  let sigtermAt = Number.POSITIVE_INFINITY;
  const outcomes: { startedAt: number; code: Status }[] = [];
  const worker = async () => {
    while (performance.now() < sigtermAt + 1_000) {
      const startedAt = performance.now();
      try {
        await client.search({ query: 'land', pageSize: 20 });
        outcomes.push({ startedAt, code: Status.OK });
      } catch (error) {
        outcomes.push({ startedAt, code: error instanceof ClientError ? error.code : Status.UNKNOWN });
        if (performance.now() > sigtermAt) return;
      }
    }
  };
  const workers = Array.from({ length: 16 }, worker);
  await new Promise((r) => setTimeout(r, 1_500));
  sigtermAt = performance.now();
  const exitCode = server.stop('SIGTERM');
  const code = await exitCode;
  const exitedAfterMs = performance.now() - sigtermAt;
  await Promise.all(workers);
  channel.close();

  const before = outcomes.filter((o) => o.startedAt < sigtermAt);
  expect(before.length).toBeGreaterThan(50);
  expect(before.filter((o) => o.code !== Status.OK)).toEqual([]);
  // Calls that began after SIGTERM may only be refused as UNAVAILABLE, never fail otherwise.
  for (const late of outcomes.filter((o) => o.startedAt >= sigtermAt))
    expect([Status.OK, Status.UNAVAILABLE]).toContain(late.code);
  expect(code).toBe(0);
  expect(exitedAfterMs).toBeLessThan(8_000);
  expect(server.logs.some((l) => l.msg === 'shutting down: NOT_SERVING')).toBe(true);
  // The drain above ran on sessions whose stream maps the server had replaced (see rpc/http2-stream-tables.ts).
  const stopped = server.logs.find((l) => l.msg === 'stopped') as {
    streamTables?: { replaced: number; skipped: number };
  };
  expect(stopped.streamTables?.replaced).toBeGreaterThanOrEqual(1);
  expect(stopped.streamTables?.skipped).toBe(0);
});
