import { connect as connectTcp, type Socket } from 'node:net';
import { ThingView } from '@geosearch/generated';
import { expect, it } from 'vitest';
import {
  connect,
  importFeatures,
  quantile,
  reportFault,
  SERVING,
  sleep,
  squareFeatures,
  useFaultStack,
  waitFor,
} from './fault-stack.js';

const SERVICE = 'geosearch.v1.SearchService';

const stack = useFaultStack('faults-slow');

it('answers health checks from a fresh client within 250 ms among slow clients and many open streams', async () => {
  const { search, server, toxiproxy } = stack();
  await importFeatures(search, squareFeatures('seed', 300));
  const stop = new AbortController();
  // 200 open Health.Watch streams over 4 connections.
  const clients = Array.from({ length: 4 }, () => connect(server.address));
  let watching = 0;
  const watchers = Array.from({ length: 200 }, async (_, i) => {
    const client = clients[i % 4] as (typeof clients)[number];
    let first = true;
    try {
      for await (const _update of client.health.watch({ service: SERVICE }, { signal: stop.signal })) {
        if (first) watching++;
        first = false;
      }
    } catch {
      // aborted at the end
    }
  });
  await waitFor('200 watchers to get their first status', async () => watching === 200);

  // Importers that send one feature a second and keep their streams open.
  const sent = [0, 0, 0, 0, 0];
  const importers = sent.map(async (_, i) => {
    const client = connect(server.address);
    clients.push(client);
    async function* trickle() {
      for (let n = 0; !stop.signal.aborted; n++) {
        yield { geojson: squareFeatures(`slow-${i}`, 1, n), idProperty: '', nameProperty: '' };
        sent[i] = n + 1;
        await sleep(1_000);
      }
    }
    return client.search.importThings(trickle());
  });

  // Connections that send half an HTTP/2 preface and then nothing, never reading.
  const stalled: Socket[] = Array.from({ length: 30 }, () => {
    const socket = connectTcp(server.port, '127.0.0.1', () => socket.write('PRI * HTTP/2.0\r\n'));
    socket.on('error', () => {});
    socket.pause();
    return socket;
  });

  // Clients behind a 2 KB/s link asking for full geometries: the server must hold their replies.
  const grpcProxy = await toxiproxy.createProxy('grpc', server.address);
  await grpcProxy.addToxic({ type: 'bandwidth', attributes: { rate: 2 } });
  const slowLink = connect(`127.0.0.1:${grpcProxy.port}`);
  clients.push(slowLink);
  const slowReaders = Array.from({ length: 3 }, async () => {
    while (!stop.signal.aborted) {
      try {
        await slowLink.search.search(
          { query: 'seed', pageSize: 300, view: ThingView.THING_VIEW_FULL },
          { signal: stop.signal },
        );
      } catch {
        // aborted at the end
      }
    }
  });
  await sleep(2_500);

  // Meanwhile: 50 health checks, each from a fresh client (new connection).
  const latencies: number[] = [];
  for (let i = 0; i < 50; i++) {
    const fresh = connect(server.address);
    const startedAt = performance.now();
    const { status } = await fresh.health.check({ service: SERVICE }, { signal: AbortSignal.timeout(5_000) });
    latencies.push(performance.now() - startedAt);
    fresh.channel.close();
    expect(status).toBe(SERVING);
  }
  const p99 = quantile(latencies, 0.99);

  stop.abort();
  for (const socket of stalled) socket.destroy();
  const imported = await Promise.all(importers);
  await Promise.all([...watchers, ...slowReaders]);
  for (const client of clients) client.channel.close();

  expect(server.child.exitCode, server.stderr()).toBeNull();
  // The slow importers' streams were served all along: everything they sent is there.
  expect(imported.map((r) => r.created)).toEqual(sent);
  expect(Math.min(...sent)).toBeGreaterThanOrEqual(3);
  expect(p99).toBeLessThanOrEqual(250);
  reportFault('slow-clients-many-streams', {
    watchStreams: 200,
    slowImporters: importers.length,
    stalledConnections: stalled.length,
    bandwidthLimitedClients: slowReaders.length,
    healthCheckP50Ms: quantile(latencies, 0.5),
    healthCheckP99Ms: p99,
    healthCheckMaxMs: Math.max(...latencies),
  });
});
