import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  databaseEnv,
  e2eBackends,
  type ServerProcess,
  startServerProcess,
  stopAllServers,
} from '../../../test/support/server-process.js';
import { createSearchClient } from '../src/search-client.js';
import { createGrpcTransport, type Transport } from '../src/transport.js';

afterAll(stopAllServers);

/** A loopback port nobody listens on (bound, then released). */
async function deadTarget(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `127.0.0.1:${address.port}`;
}

/** The real gRPC transport, counting the attempts made on each target. */
function countingTransport(): Transport & { attempts: Map<string, number> } {
  const grpc = createGrpcTransport();
  const attempts = new Map<string, number>();
  return {
    attempts,
    connect(target) {
      const connection = grpc.connect(target);
      const client = new Proxy(connection.client, {
        get(real, method, receiver) {
          const value = Reflect.get(real, method, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            attempts.set(target, (attempts.get(target) ?? 0) + 1);
            return value.apply(real, args);
          };
        },
      });
      return { client, close: () => connection.close() };
    },
  };
}

describe.each(e2eBackends)('round-robin over server binaries on %s', (backend) => {
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    [a, b] = await Promise.all([
      startServerProcess({ env: await databaseEnv(backend) }),
      startServerProcess({ env: await databaseEnv(backend) }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('alternates between two servers', async () => {
    const client = createSearchClient({ targets: [a.address, b.address] });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push((await client.monitor()).instanceId);
      expect(new Set(ids).size).toBe(2);
      expect(ids.slice(2)).toEqual([ids[0], ids[1], ids[0], ids[1]]);
      expect(ids[0]).not.toBe(ids[1]);
    } finally {
      await client.close();
    }
  });

  it('sets a dead target aside: idempotent calls still succeed on the live one', async () => {
    const dead = await deadTarget();
    const transport = countingTransport();
    const client = createSearchClient({ targets: [dead, a.address], transport, setAsideMs: 60_000 });
    try {
      const live = a.logs.find((line) => line.msg === 'serving')?.instance;
      for (let i = 0; i < 6; i++) expect((await client.monitor()).instanceId).toBe(live);
      const [germany] = (await client.search({ point: { lat: 52.52, lng: 13.405 } })).results;
      expect(germany?.thing.name).toBe('Germany');
      expect((await client.nearby({ point: { lat: 52.52, lng: 13.405 }, limit: 1 }))[0]?.thing.name).toBe(
        'Germany',
      );
      expect((await client.getThing({ id: germany?.thing.id ?? 0 })).name).toBe('Germany');
      // While it is set aside, even a non-idempotent call goes to the live server.
      await expect(client.deleteThing({ externalId: 'no-such-thing' })).rejects.toMatchObject({
        code: 'not_found',
      });
      // The dead target was tried once, then set aside; every call was answered by the live one.
      expect(transport.attempts.get(dead)).toBe(1);
      expect(transport.attempts.get(a.address)).toBe(10);
    } finally {
      await client.close();
    }
  });

  it('keeps answering when one of two servers dies', async () => {
    const extra = await startServerProcess({ env: await databaseEnv(backend) });
    const client = createSearchClient({ targets: [extra.address, a.address] });
    try {
      await client.monitor();
      await client.monitor();
      await extra.stop('SIGKILL');
      for (let i = 0; i < 6; i++) await expect(client.search({ query: 'germany' })).resolves.toBeDefined();
    } finally {
      await client.close();
    }
  });
});
