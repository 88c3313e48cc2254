import { afterAll, beforeAll, expect, it } from 'vitest';
import { type PrivateConsul, startPrivateConsul } from '../../../test/support/private-consul.js';
import {
  databaseEnv,
  type ServerProcess,
  startServerProcess,
  stopAllServers,
} from '../../../test/support/server-process.js';
import { type ConsulDiscovery, createConsulDiscovery } from '../src/discovery/consul-discovery.js';
import { createDnsSrvDiscovery, type DnsSrvDiscovery } from '../src/discovery/dns-srv-discovery.js';
import { createSearchClient } from '../src/search-client.js';

// End-to-end: real servers registered in a real Consul agent (scripts/services/consul, dev mode, ports of
// its own); the SDK's discovery sources follow them. Check interval 2s (the server's default).

const intervalMs = 2_000;

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let agent: PrivateConsul | undefined;

let servers: ServerProcess[] = [];
let consul: ConsulDiscovery;
let dns: DnsSrvDiscovery;
const consulErrors: Error[] = [];
const dnsErrors: Error[] = [];
const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((t) => b.includes(t));

beforeAll(async () => {
  agent = await startPrivateConsul('consul-client'); // builds Consul first when not cached (10-15 minutes)
  const { addr, dnsPort } = agent;
  const env = async () => ({
    ...(await databaseEnv('pglite')),
    GEOSEARCH_CONSUL_ADDR: addr,
  });
  servers = await Promise.all([0, 1, 2].map(async () => startServerProcess({ env: await env() })));
  consul = createConsulDiscovery({
    addr,
    service: 'search-service',
    maxBackoffMs: 1_000,
    onError: (e) => consulErrors.push(e),
  });
  dns = createDnsSrvDiscovery({
    server: `127.0.0.1:${dnsPort}`,
    name: 'search-service.service.consul',
    refreshMs: 500,
    onError: (e) => dnsErrors.push(e),
  });
}, 1_200_000);

afterAll(async () => {
  consul?.close();
  dns?.close();
  await stopAllServers();
  await agent?.close().catch(() => {});
});

it('lists the passing instances through Consul and DNS SRV, and the SDK calls each of them', async () => {
  const addresses = servers.map((s) => s.address);
  await until('Consul discovery of three', 5 * intervalMs, () =>
    sameSet(consul.targets(), addresses) ? true : undefined,
  );
  await until('DNS SRV discovery of three', 5 * intervalMs, () =>
    sameSet(dns.targets(), addresses) ? true : undefined,
  );
  for (const discovery of [consul, dns]) {
    const client = createSearchClient({ discovery: { targets: discovery.targets } });
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await client.monitor()).instanceId);
    expect(seen.size).toBe(3);
    await client.close();
  }
});

it('drops a SIGKILLed instance within about the check interval', async () => {
  const victim = servers[0] as ServerProcess;
  let changed = 0;
  const unsubscribe = consul.subscribe(() => changed++);
  await victim.stop('SIGKILL');
  const killedAt = performance.now();
  await until('Consul discovery to drop it', 3 * intervalMs, () =>
    consul.targets().includes(victim.address) ? undefined : true,
  );
  const consulMs = Math.round(performance.now() - killedAt);
  await until('DNS SRV discovery to drop it', 3 * intervalMs + 1_000, () =>
    dns.targets().includes(victim.address) ? undefined : true,
  );
  const dnsMs = Math.round(performance.now() - killedAt);
  console.info(
    `dead instance dropped by Consul discovery after ${consulMs} ms, by DNS SRV after ${dnsMs} ms`,
  );
  expect(consulMs).toBeLessThanOrEqual(intervalMs + 1_500);
  expect(changed).toBeGreaterThan(0);
  expect(consul.targets()).toHaveLength(2);
  unsubscribe();
});

it('keeps the last known targets while Consul is down, and follows the agent when it is back', async () => {
  const live = servers.slice(1).map((s) => s.address);
  expect(sameSet(consul.targets(), live)).toBe(true);
  const consulErrorsBefore = consulErrors.length;
  const dnsErrorsBefore = dnsErrors.length;
  await agent?.control('kill');
  await until('errors from both sources', 5_000, () =>
    consulErrors.length > consulErrorsBefore && dnsErrors.length > dnsErrorsBefore ? true : undefined,
  );
  expect(sameSet(consul.targets(), live)).toBe(true);
  expect(sameSet(dns.targets(), live)).toBe(true);

  // One instance leaves while the agent is away; a new dev agent starts empty, with its index starting over.
  // The remaining instance registers again, and both sources follow: only it is listed.
  const leaving = servers[1] as ServerProcess;
  const staying = servers[2] as ServerProcess;
  expect(await leaving.stop('SIGTERM')).toBe(0);
  await agent?.control('start');
  const backAt = performance.now();
  await until('Consul discovery after the restart', 4 * intervalMs, () =>
    consul.targets().join() === staying.address ? true : undefined,
  );
  const consulMs = Math.round(performance.now() - backAt);
  await until('DNS SRV discovery after the restart', 4 * intervalMs, () =>
    dns.targets().join() === staying.address ? true : undefined,
  );
  console.info(
    `after the agent came back: Consul discovery current in ${consulMs} ms, DNS SRV in ${Math.round(performance.now() - backAt)} ms`,
  );
  const client = createSearchClient({ discovery: { targets: consul.targets } });
  expect((await client.search({ query: 'land', pageSize: 1 })).results).toHaveLength(1);
  await client.close();
});
